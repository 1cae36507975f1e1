"""Create room…: a unique name checked as you type, the room type, its participant cap, and
the options Twilio offers (timeouts, audio only, record on connect, participant duration, large
room), each checked with Twilio's ranges before anything is sent."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from moderator.core.models import RoomType
from moderator.core.room_options import (
    MAX_PARTICIPANT_DURATION_RANGE_S,
    ROOM_TIMEOUT_RANGE_MIN,
    RoomOptions,
    room_options_problem,
)

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
    options: RoomOptions = field(default_factory=RoomOptions)


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

        # Twilio's room options. A spin box at its lowest shows "Twilio's default" (not sent);
        # the ranges are Twilio's own, one below for the default.
        low, high = ROOM_TIMEOUT_RANGE_MIN
        self.empty_timeout_spin = self._spin("Empty-room timeout", low - 1, high, " min")
        self.unused_timeout_spin = self._spin("Unused-room timeout", low - 1, high, " min")
        low_s, high_s = MAX_PARTICIPANT_DURATION_RANGE_S
        self.max_duration_spin = self._spin(
            "Max participant duration", low_s // 60 - 1, high_s // 60, " min"
        )
        for spin, tip in (
            (self.empty_timeout_spin, "Minutes the room stays open after the last person left"),
            (self.unused_timeout_spin, "Minutes the room waits for its first participant"),
            (self.max_duration_spin, "Twilio disconnects a participant after this long"),
        ):
            spin.setToolTip(f"{tip} ({spin.minimum() + 1}–{spin.maximum()} min)")
        self.audio_only_check = QCheckBox("Audio only (no video is published)", self)
        self.audio_only_check.setAccessibleName("Audio only")
        self.record_check = QCheckBox("Record participants when they connect", self)
        self.record_check.setAccessibleName("Record participants on connect")
        self.record_check.setToolTip(
            "Everyone is recorded from the moment they join: recording people has legal "
            "weight, so tell them (and get their consent where the law asks for it)."
        )
        self.large_room_check = QCheckBox("Large room (if Twilio enabled it for the account)", self)
        self.large_room_check.setAccessibleName("Large room")
        self.options_error = QLabel(self)
        self.options_error.setObjectName("fieldError")
        self.options_error.setAccessibleName("Room options problem")
        self.options_error.setWordWrap(True)
        options = QGroupBox("Room options", self)
        options_form = QFormLayout(options)
        options_form.addRow("&Empty-room timeout:", self.empty_timeout_spin)
        options_form.addRow("U&nused-room timeout:", self.unused_timeout_spin)
        options_form.addRow("Max participant &duration:", self.max_duration_spin)
        options_form.addRow("", self.audio_only_check)
        options_form.addRow("", self.record_check)
        options_form.addRow("", self.large_room_check)
        options_form.addRow("", self.options_error)
        self.options_box = options

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.create_button = QPushButton("Create room", self)
        self.create_button.setAccessibleName("Create room")
        self.create_button.setDefault(True)
        self.buttons.addButton(self.create_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(options)
        layout.addWidget(self.buttons)

        self.name_edit.textChanged.connect(self._revalidate)
        self.type_combo.currentIndexChanged.connect(self._on_type_changed)
        for spin in (
            self.max_spin,
            self.empty_timeout_spin,
            self.unused_timeout_spin,
            self.max_duration_spin,
        ):
            spin.valueChanged.connect(self._revalidate)
        for check in (self.audio_only_check, self.record_check, self.large_room_check):
            check.toggled.connect(self._revalidate)
        self._on_type_changed()
        self._revalidate()

    def room_type(self) -> RoomType:
        """The chosen room type."""
        value = self.type_combo.currentData()
        return value if isinstance(value, RoomType) else RoomType(str(value))

    def _spin(self, name: str, lowest: int, highest: int, suffix: str) -> QSpinBox:
        spin = QSpinBox(self)
        spin.setAccessibleName(name)
        spin.setRange(lowest, highest)
        spin.setSuffix(suffix)
        spin.setSpecialValueText("Twilio's default")
        spin.setValue(lowest)
        return spin

    @staticmethod
    def _chosen(spin: QSpinBox) -> int | None:
        """The spin's value, or None at its lowest ("Twilio's default": not sent)."""
        return None if spin.value() == spin.minimum() else spin.value()

    def options(self) -> RoomOptions:
        """The room options as chosen (None where Twilio's default stays)."""
        duration_min = self._chosen(self.max_duration_spin)
        return RoomOptions(
            empty_room_timeout_min=self._chosen(self.empty_timeout_spin),
            unused_room_timeout_min=self._chosen(self.unused_timeout_spin),
            audio_only=self.audio_only_check.isChecked(),
            record_participants_on_connect=self.record_check.isChecked(),
            max_participant_duration_s=None if duration_min is None else duration_min * 60,
            large_room=self.large_room_check.isChecked(),
        )

    def options_problem(self) -> str | None:
        """Why Twilio would refuse the options for the chosen type, or None."""
        return room_options_problem(self.room_type(), self.max_spin.value(), self.options())

    def new_room(self) -> NewRoom:
        """The room to create (valid only once Create is enabled)."""
        return NewRoom(
            self.name_edit.text(), self.room_type(), self.max_spin.value(), self.options()
        )

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
        options_problem = self.options_problem()
        self.options_error.setText(options_problem or "")
        self.create_button.setEnabled(problem is None and options_problem is None)

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
