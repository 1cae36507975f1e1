"""Create room…: a unique name checked as you type, the room type, and its participant cap."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from moderator.core.models import RoomType

#: Twilio's caps on max_participants per room type (and the default the dialog offers).
MAX_PARTICIPANTS: dict[RoomType, tuple[int, int]] = {
    RoomType.GROUP: (50, 50),
    RoomType.GROUP_SMALL: (4, 4),
    RoomType.PEER_TO_PEER: (10, 10),
}
_TYPE_NAMES: dict[RoomType, str] = {
    RoomType.GROUP: "Group",
    RoomType.GROUP_SMALL: "Small group",
    RoomType.PEER_TO_PEER: "Peer-to-peer",
}


def _type_label(room_type: RoomType) -> str:
    """ "Group (up to 50, takes phone guests)": the combo text for a room type."""
    phones = "takes phone guests" if room_type.takes_phone_participants else "no phone guests"
    return f"{_TYPE_NAMES[room_type]} (up to {MAX_PARTICIPANTS[room_type][0]}, {phones})"


@dataclass(frozen=True, slots=True)
class NewRoom:
    """What the host asked for."""

    unique_name: str
    room_type: RoomType
    max_participants: int


class CreateRoomDialog(QDialog):
    """Collects a `NewRoom`; Create stays disabled until the name is valid and unused."""

    def __init__(
        self,
        *,
        existing_names: Collection[str],
        validate_name: Callable[[str], str | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Create room")
        self._existing = set(existing_names)
        self._validate_name = validate_name

        self.name_edit = QLineEdit(self)
        self.name_edit.setAccessibleName("Room name")
        self.name_edit.setPlaceholderText("e.g. weekly-standup")
        self.name_edit.setMaxLength(256)  # longer than allowed, so the message explains the limit
        self.name_error = QLabel(self)
        self.name_error.setObjectName("fieldError")
        self.name_error.setWordWrap(True)

        self.type_combo = QComboBox(self)
        self.type_combo.setAccessibleName("Room type")
        for room_type in (RoomType.GROUP, RoomType.GROUP_SMALL, RoomType.PEER_TO_PEER):
            self.type_combo.addItem(_type_label(room_type), room_type)
        self.type_note = QLabel(self)
        self.type_note.setObjectName("fieldHint")
        self.type_note.setWordWrap(True)

        self.max_spin = QSpinBox(self)
        self.max_spin.setAccessibleName("Max participants")

        form = QFormLayout()
        form.addRow("&Unique name:", self.name_edit)
        form.addRow("", self.name_error)
        form.addRow("&Type:", self.type_combo)
        form.addRow("", self.type_note)
        form.addRow("&Max participants:", self.max_spin)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.create_button = QPushButton("Create room", self)
        self.create_button.setAccessibleName("Create room")
        self.create_button.setDefault(True)
        self.buttons.addButton(self.create_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

        self.name_edit.textChanged.connect(self._revalidate)
        self.type_combo.currentIndexChanged.connect(self._on_type_changed)
        self._on_type_changed()
        self._revalidate()

    def room_type(self) -> RoomType:
        """The chosen room type."""
        value = self.type_combo.currentData()
        return value if isinstance(value, RoomType) else RoomType(str(value))

    def new_room(self) -> NewRoom:
        """The room to create (valid only once Create is enabled)."""
        return NewRoom(self.name_edit.text(), self.room_type(), self.max_spin.value())

    def name_problem(self) -> str | None:
        """Why the typed name cannot be used, or None."""
        name = self.name_edit.text()
        if not name.strip():
            return "Give the room a unique name."
        problem = self._validate_name(name)
        if problem:
            return problem
        if name in self._existing:
            return f"A room named “{name}” is already in progress; pick another name."
        return None

    def _revalidate(self) -> None:
        problem = self.name_problem()
        typed = bool(self.name_edit.text())
        # Don't scold an empty field before the host has typed anything.
        self.name_error.setText(problem if (problem and typed) else "")
        self.name_edit.setProperty("valid", problem is None or not typed)
        self.name_edit.style().unpolish(self.name_edit)
        self.name_edit.style().polish(self.name_edit)
        self.create_button.setEnabled(problem is None)

    def _on_type_changed(self) -> None:
        room_type = self.room_type()
        highest, default = MAX_PARTICIPANTS[room_type]
        self.max_spin.setRange(1 if room_type is not RoomType.PEER_TO_PEER else 2, highest)
        self.max_spin.setValue(default)
        if room_type.takes_phone_participants:
            self.type_note.setText(
                "Phone guests can join this room (at most 35 by phone). Only group rooms take "
                "phone guests."
            )
        else:
            self.type_note.setText(
                f"{_TYPE_NAMES[room_type]} rooms cannot take phone guests; only group rooms can."
            )
