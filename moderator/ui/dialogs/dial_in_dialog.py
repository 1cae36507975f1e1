"""Set up dial-in…: pick a number, the room, how long callers hold, and who gets in by itself.

The dialog only collects the choice and shows the setup's progress; the session's `DialInDesk`
runs the steps (service, upload, build, deploy, number) on its own pool. What setting up will
change on the number beyond its Voice URL (a SIP trunk, a TwiML App) is said before Start.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from moderator.core.dialin import AdmitMode, AllowEntry, DialIn, DialInRequest, SetupStep
from moderator.core.dialin import setup_warnings as number_warnings
from moderator.core.models import IncomingNumber
from moderator.core.phone import DEFAULT_REGION, PhoneNumberError, format_international, parse
from moderator.core.twiml import DEFAULT_GREETING, MAX_HOLD_MINUTES
from moderator.ui.session.dial_in import DialInDesk

DEFAULT_HOLD_MINUTES = 10


def parse_allow_list(text: str, region: str = DEFAULT_REGION) -> tuple[list[AllowEntry], str]:
    """Lines of "number label" → entries, and the first problem ("" when none)."""
    entries: list[AllowEntry] = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        number_part, _, label = line.partition(",")
        if not label:  # "+1 555 123 4567 Ana": the label starts at the first letter
            cut = next((i for i, ch in enumerate(line) if ch.isalpha()), len(line))
            number_part, label = line[:cut], line[cut:]
        try:
            number = parse(number_part.strip(), region)
        except PhoneNumberError as exc:
            return entries, f"Allow-list line {line_number}: {exc}"
        entries.append(AllowEntry(number, label.strip()))
    return entries, ""


class DialInDialog(QDialog):
    """Start, change or stop dial-in on one of the account's numbers."""

    def __init__(
        self,
        desk: DialInDesk,
        *,
        room_names: Sequence[str],
        default_room: str = "",
        region: str = DEFAULT_REGION,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Set up dial-in")
        self._desk = desk
        self._region = region
        self._numbers: list[IncomingNumber] = []

        self.intro = QLabel(
            "Guests call one of your Twilio numbers and wait in the lobby; you admit them "
            "(or the app does, by the rules below). Twilio hosts the hold message: no server "
            "of yours is needed, and stopping puts the number back as it was.",
            self,
        )
        self.intro.setWordWrap(True)
        self.number_combo = QComboBox(self)
        self.number_combo.setAccessibleName("Dial-in number")
        self.number_combo.addItem("Loading the account's numbers…")
        self.number_combo.setEnabled(False)
        self.warning = QLabel(self)
        self.warning.setObjectName("fieldHint")
        self.warning.setWordWrap(True)
        self.warning.setVisible(False)
        self.room_combo = QComboBox(self)
        self.room_combo.setEditable(True)
        self.room_combo.setAccessibleName("Dial-in room")
        self.room_combo.addItems(list(room_names))
        self.room_combo.setEditText(default_room)
        self.room_combo.setToolTip(
            "The room's unique name: a recurring meeting with the same name works every day"
        )
        self.hold_spin = QSpinBox(self)
        self.hold_spin.setAccessibleName("Hold time")
        self.hold_spin.setRange(1, MAX_HOLD_MINUTES)
        self.hold_spin.setValue(DEFAULT_HOLD_MINUTES)
        self.hold_spin.setSuffix(" min")
        self.greeting_edit = QLineEdit(self)
        self.greeting_edit.setAccessibleName("Greeting")
        self.greeting_edit.setPlaceholderText(DEFAULT_GREETING)
        self.auto_check = QCheckBox("Admit automatically", self)
        self.auto_check.setAccessibleName("Admit automatically")
        self.everyone_radio = QRadioButton("Everyone who calls", self)
        self.everyone_radio.setAccessibleName("Admit everyone")
        self.listed_radio = QRadioButton("Only callers on the allow-list", self)
        self.listed_radio.setAccessibleName("Admit only the allow-list")
        self.everyone_radio.setChecked(True)
        for choice in (self.auto_check, self.everyone_radio, self.listed_radio):
            # Only as wide as their text: a click beside the words must not toggle them.
            choice.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.allow_edit = QPlainTextEdit(self)
        self.allow_edit.setAccessibleName("Allow-list")
        self.allow_edit.setPlaceholderText("One per line: +1 415 555 2671 Ana")
        self.allow_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        self.allow_note = QLabel(
            "The allow-list stays on this computer; numbers are masked everywhere else.", self
        )
        self.allow_note.setObjectName("fieldHint")
        self.allow_note.setWordWrap(True)

        form = QFormLayout()
        form.addRow("&Number:", self.number_combo)
        form.addRow("", self.warning)
        form.addRow("&Room:", self.room_combo)
        form.addRow("&Hold callers for:", self.hold_spin)
        form.addRow("&Greeting:", self.greeting_edit)
        form.addRow("", self.auto_check)
        form.addRow("", self.everyone_radio)
        form.addRow("", self.listed_radio)
        form.addRow("&Allow-list:", self.allow_edit)
        form.addRow("", self.allow_note)

        self.progress = QProgressBar(self)
        self.progress.setAccessibleName("Dial-in setup progress")
        self.progress.setRange(0, len(SetupStep))
        self.progress.setValue(0)
        self.progress.setFormat("Step %v of %m")
        policy = self.progress.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # showing it must not squeeze the form
        self.progress.setSizePolicy(policy)
        self.progress.setVisible(False)
        self.message = QLabel(self)
        self.message.setObjectName("dialInMessage")
        self.message.setAccessibleName("Dial-in message")
        self.message.setWordWrap(True)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.stop_button = QPushButton("Stop dial-in", self)
        self.stop_button.setAccessibleName("Stop dial-in")
        self.buttons.addButton(self.stop_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.start_button = QPushButton("Start dial-in", self)
        self.start_button.setAccessibleName("Start dial-in")
        self.start_button.setDefault(True)
        self.buttons.addButton(self.start_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.rejected.connect(self.reject)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)

        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 80)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

        self.number_combo.currentIndexChanged.connect(self._number_changed)
        self.auto_check.toggled.connect(self._update)
        self.listed_radio.toggled.connect(self._update)
        self.room_combo.editTextChanged.connect(self._update)
        self.allow_edit.textChanged.connect(self._update)
        desk.numbersLoaded.connect(self._numbers_loaded)
        desk.numbersFailed.connect(self._numbers_failed)
        desk.setupProgress.connect(self._progress)
        desk.setupFinished.connect(self._finished)
        desk.dialInsChanged.connect(self._dial_ins_changed)  # a bound slot: gone with the dialog
        self._busy = False
        self._starting = False
        self._update()
        desk.load_numbers()

    # -- what the host chose --------------------------------------------------------------------

    def current_number(self) -> IncomingNumber | None:
        data = self.number_combo.currentData()
        return data if isinstance(data, IncomingNumber) else None

    def current_dial_in(self) -> DialIn | None:
        number = self.current_number()
        return self._desk.dial_in(number.sid) if number is not None else None

    def mode(self) -> AdmitMode:
        if not self.auto_check.isChecked():
            return AdmitMode.HOLD
        return AdmitMode.ALLOW_LIST if self.listed_radio.isChecked() else AdmitMode.EVERYONE

    def request(self) -> DialInRequest | str:
        """The setup to run, or why it cannot run (one line)."""
        number = self.current_number()
        if number is None:
            return "Pick one of the account's numbers."
        entries, problem = parse_allow_list(self.allow_edit.toPlainText(), self._region)
        if problem:
            return problem
        request = DialInRequest(
            number=number,
            room_name=self.room_combo.currentText().strip(),
            hold_minutes=self.hold_spin.value(),
            greeting=self.greeting_edit.text(),
            mode=self.mode(),
            allow_list=tuple(entries),
        )
        return request.problem() or request

    # -- actions --------------------------------------------------------------------------------

    @Slot()
    def start(self) -> None:
        request = self.request()
        if isinstance(request, str):
            self.message.setText(request)
            return
        self._busy = True
        self._starting = True
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.message.setText("Setting up…")
        self._update()
        if not self._desk.start(request):
            self._busy = False
            self._starting = False
            self._update()

    @Slot()
    def stop(self) -> None:
        dial_in = self.current_dial_in()
        if dial_in is None:
            return
        self._busy = True
        self.message.setText(f"Stopping dial-in on {dial_in.phone_number}…")
        self._update()
        if not self._desk.stop(dial_in.number_sid):
            self._busy = False
            self._update()

    # -- answers --------------------------------------------------------------------------------

    @Slot(list)
    def _numbers_loaded(self, numbers: list[IncomingNumber]) -> None:
        self._numbers = [n for n in numbers if n.voice_capable]
        self.number_combo.blockSignals(True)
        self.number_combo.clear()
        for number in self._numbers:
            self.number_combo.addItem(self._number_text(number), number)
        self.number_combo.blockSignals(False)
        self.number_combo.setEnabled(bool(self._numbers))
        if not self._numbers:
            self.number_combo.addItem("This account has no voice numbers")
        self._number_changed()

    @Slot(str)
    def _numbers_failed(self, text: str) -> None:
        self.number_combo.clear()
        self.number_combo.addItem("The account's numbers could not be listed")
        self.message.setText(text)
        self._update()

    @Slot(object)
    def _progress(self, step: SetupStep) -> None:
        self.progress.setValue(step.ordinal)
        self.message.setText(f"{step.value}…")

    @Slot(bool, str)
    def _finished(self, ok: bool, text: str) -> None:
        starting = self._starting
        self._starting = False
        if ok and starting:  # dial-in is on: the Lobby pane and the event log say so
            self.accept()
            return
        self._busy = False
        self.progress.setValue(len(SetupStep) if ok else self.progress.value())
        self.progress.setVisible(ok and self.progress.isVisible())
        self.message.setText(text)
        self._refresh_number_texts()
        self._update()

    @Slot(list)
    def _dial_ins_changed(self, _dial_ins: list[DialIn]) -> None:
        self._number_changed()

    # -- state ----------------------------------------------------------------------------------

    def _number_text(self, number: IncomingNumber) -> str:
        shown = format_international(number.phone_number)
        name = number.friendly_name
        text = shown if name in ("", number.phone_number, shown) else f"{name} ({shown})"
        dial_in = self._desk.dial_in(number.sid)
        return f"{text} — dial-in on for {dial_in.room_name}" if dial_in else text

    def _refresh_number_texts(self) -> None:
        for index in range(self.number_combo.count()):
            data = self.number_combo.itemData(index)
            if isinstance(data, IncomingNumber):
                self.number_combo.setItemText(index, self._number_text(data))

    def _number_changed(self) -> None:
        number = self.current_number()
        dial_in = self.current_dial_in()
        if dial_in is not None:  # show what is in force, so a change starts from it
            self.room_combo.setEditText(dial_in.room_name)
            self.hold_spin.setValue(dial_in.hold_minutes)
            self.greeting_edit.setText(dial_in.greeting)
            self.auto_check.setChecked(dial_in.mode.automatic)
            self.listed_radio.setChecked(dial_in.mode is AdmitMode.ALLOW_LIST)
            self.everyone_radio.setChecked(dial_in.mode is not AdmitMode.ALLOW_LIST)
            self.allow_edit.setPlainText(
                "\n".join(f"{e.number} {e.label}".strip() for e in dial_in.allow_list)
            )
            self.warning.setText(
                f"Dial-in is on: callers wait for {dial_in.room_name}. Start again to change "
                "it, or stop it to give the number back its previous settings."
            )
        elif number is not None:
            self.warning.setText("\n".join(number_warnings(number)))
        else:
            self.warning.setText("")
        self.warning.setVisible(bool(self.warning.text()))
        self._refresh_number_texts()
        self._update()

    def _update(self) -> None:
        auto = self.auto_check.isChecked()
        self.everyone_radio.setEnabled(auto)
        self.listed_radio.setEnabled(auto)
        listed = auto and self.listed_radio.isChecked()
        self.allow_edit.setEnabled(listed)
        request = self.request()
        self.start_button.setEnabled(not self._busy and not isinstance(request, str))
        self.start_button.setToolTip(request if isinstance(request, str) else "")
        self.stop_button.setEnabled(not self._busy and self.current_dial_in() is not None)
        self.number_combo.setEnabled(not self._busy and bool(self._numbers))


__all__ = ["DialInDialog", "parse_allow_list"]
