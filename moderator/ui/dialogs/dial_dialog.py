"""Dial a phone guest: number formatted as you type, identity, caller ID, TwiML preview, checks.

Everything a host needs to trust a dial is on screen before it is placed: the number as it will be
dialed, the identity other participants will see, the exact TwiML, and the pre-flight checks run
against Twilio (on the worker pool, debounced while typing). Dial is enabled only when every check
passed for exactly what is on screen, and a second click can never place a second call.

The same field takes a SIP address (`sip:alice@pbx.example.com`). Typing one switches the form:
the country goes, the caller-ID picker becomes a free-text caller name (the user Twilio puts in
the SIP From header), and optional digest credentials appear. The password is asked for each
dial, or kept only in the OS keyring when the host ticks "Remember password in keyring"; the
dialog never reads the keyring itself (that happens on the worker that places the call).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from moderator.core import phone, sip
from moderator.core.dialer import DialRequest
from moderator.core.identity import generate_phone_identity, validate_identity
from moderator.core.models import CallerId
from moderator.core.preflight import CheckResult
from moderator.core.twiml import TwimlError, indented_for_reading, room_twiml
from moderator.ui import resources
from moderator.ui.dialogs.dial_parts import (
    EMPTY_NUMBER_HINT,
    MAX_ADDRESS_LENGTH,
    MAX_LABEL_LENGTH,
    MAX_SIP_PASSWORD_LENGTH,
    MAX_SIP_USERNAME_LENGTH,
    DialBackend,
    PreflightHandle,
    caller_id_text,
    fill_checks,
    html_escape,
    region_choices,
    set_hint,
    show_checks_pending,
    sip_auth_hint,
    sip_auth_problem,
)

PREFLIGHT_DEBOUNCE_MS = 300


class DialDialog(QDialog):
    """Collects a DialRequest, shows the checks for it, and dials at most once."""

    dialed = Signal(str)  # dial_id of the placed call

    def __init__(
        self,
        *,
        backend: DialBackend,
        room_sid: str,
        room_name: str,
        caller_ids: Sequence[CallerId],
        default_region: str,
        taken_identities: Callable[[], set[str]],
        preferred_caller_id: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Dial a phone guest into “{room_name}”")
        self.setMinimumWidth(520)
        self._backend = backend
        self._room_sid = room_sid
        self._room_name = room_name
        self._taken = taken_identities
        self._generation = 0
        self._checks: list[CheckResult] | None = None
        self._checks_generation = -1
        self._dialed = False
        self._closed = False
        self._preflight: PreflightHandle | None = None
        # One request id for the dialog's whole life: however often Dial is clicked (or the
        # dialog is driven programmatically), the session places at most one call for it.
        self._request_id = uuid.uuid4().hex
        self._ready = False  # inputs are wired up at the end of __init__
        self._sip_mode = False  # the field holds a SIP address: the form is the SIP one
        self.dial_id: str | None = None

        intro = QLabel(
            f"Calls a phone and connects it to <b>{html_escape(room_name)}</b> as a participant.",
            self,
        )
        intro.setWordWrap(True)

        # Phone number + country
        self.country_combo = QComboBox(self)
        self.country_combo.setAccessibleName("Country")
        self.country_combo.setToolTip("Country used for numbers typed without +country code")
        for text, region in region_choices():
            self.country_combo.addItem(text, region)
        self.country_combo.setMaxVisibleItems(20)
        self.set_region(default_region)
        self.number_edit = QLineEdit(self)
        self.number_edit.setAccessibleName("Phone number")
        self.number_edit.setPlaceholderText("e.g. (415) 555-2671 or +44 20 7183 8750")
        self.number_edit.setAccessibleDescription("A phone number or a SIP address (sip:…)")
        self.number_edit.setMaxLength(MAX_ADDRESS_LENGTH)
        self.number_hint = QLabel(self)
        self.number_hint.setObjectName("fieldHint")
        self.number_hint.setWordWrap(True)
        number_row = QHBoxLayout()
        number_row.addWidget(self.number_edit, 3)
        number_row.addWidget(self.country_combo, 2)

        self.label_edit = QLineEdit(self)
        self.label_edit.setAccessibleName("Label")
        self.label_edit.setPlaceholderText("Optional, e.g. Alice (only you see it)")
        self.label_edit.setMaxLength(MAX_LABEL_LENGTH)

        self.identity_edit = QLineEdit(self)
        self.identity_edit.setAccessibleName("Identity")
        self.identity_edit.setToolTip(
            "Every participant sees this name; by default it does not contain the number."
        )
        self.identity_edit.setText(generate_phone_identity(taken=self._taken()))
        self.new_identity_button = QToolButton(self)
        self.new_identity_button.setIcon(resources.icon("redial"))
        self.new_identity_button.setToolTip("Generate another identity")
        self.new_identity_button.setAccessibleName("Generate identity")
        self.new_identity_button.clicked.connect(self._regenerate_identity)
        self.identity_hint = QLabel(self)
        self.identity_hint.setObjectName("fieldHint")
        self.identity_hint.setWordWrap(True)
        identity_row = QHBoxLayout()
        identity_row.addWidget(self.identity_edit, 1)
        identity_row.addWidget(self.new_identity_button)

        self.caller_id_combo = QComboBox(self)
        self.caller_id_combo.setAccessibleName("Caller ID")
        self.caller_id_combo.setToolTip(
            "The number the guest sees calling: one of your Twilio numbers or a verified caller ID"
        )
        self._preferred_caller_id = preferred_caller_id
        self.set_caller_ids(caller_ids)

        # SIP guests: a caller name instead of a caller ID, and optional digest credentials.
        self._intro = intro
        self.caller_name_edit = QLineEdit(self)
        self.caller_name_edit.setAccessibleName("Caller name")
        self.caller_name_edit.setPlaceholderText("e.g. front-desk")
        self.caller_name_edit.setToolTip(
            "The user you want to show up in the From header of the SIP call"
        )
        self.caller_name_edit.setMaxLength(sip.MAX_CALLER_NAME_LENGTH)
        self.sip_username_edit = QLineEdit(self)
        self.sip_username_edit.setAccessibleName("SIP username")
        self.sip_username_edit.setPlaceholderText("Optional: only if the SIP endpoint asks")
        self.sip_username_edit.setMaxLength(MAX_SIP_USERNAME_LENGTH)
        self.sip_password_edit = QLineEdit(self)
        self.sip_password_edit.setAccessibleName("SIP password")
        self.sip_password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.sip_password_edit.setMaxLength(MAX_SIP_PASSWORD_LENGTH)
        self.sip_password_edit.setPlaceholderText("Asked for each dial")
        self.remember_password_check = QCheckBox("Remember password in keyring", self)
        self.remember_password_check.setAccessibleName("Remember password in keyring")
        self.remember_password_check.setToolTip(
            "Keep the password in the system keyring for the next dials to this SIP host; "
            "left empty, the saved one is used. It is never written anywhere else."
        )
        self.sip_auth_hint = QLabel(self)
        self.sip_auth_hint.setObjectName("fieldHint")
        self.sip_auth_hint.setWordWrap(True)

        self.twiml_preview = QPlainTextEdit(self)
        self.twiml_preview.setObjectName("twimlPreview")
        self.twiml_preview.setAccessibleName("TwiML preview")
        self.twiml_preview.setReadOnly(True)
        self.twiml_preview.setFixedHeight(110)
        self.twiml_preview.setToolTip("Indented for reading; Twilio receives the same document.")
        self.twiml_preview.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)

        self.checks_list = QListWidget(self)
        self.checks_list.setAccessibleName("Pre-flight checks")
        self.checks_list.setMinimumHeight(120)
        self.checks_list.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.checks_list.setWordWrap(True)
        self.check_again_button = QPushButton("Check &again", self)
        self.check_again_button.setAccessibleName("Check again")
        self.check_again_button.setToolTip("Run the pre-flight checks again now")
        self.check_again_button.clicked.connect(self.check_again)
        checks_column = QVBoxLayout()
        checks_column.addWidget(self.checks_list)
        checks_column.addWidget(self.check_again_button, 0, Qt.AlignmentFlag.AlignRight)

        form = QFormLayout()
        # A label shows its "&" mnemonic only with a buddy; rows holding a layout get none.
        form.addRow(self._buddy_label("Phone &number:", self.number_edit), number_row)
        form.addRow("", self.number_hint)
        form.addRow("&Label:", self.label_edit)
        form.addRow(self._buddy_label("&Identity:", self.identity_edit), identity_row)
        form.addRow("", self.identity_hint)
        form.addRow("&Caller ID:", self.caller_id_combo)
        for text, field in (
            ("Caller na&me:", self.caller_name_edit),
            ("SIP &username:", self.sip_username_edit),
            ("SIP pass&word:", self.sip_password_edit),
        ):
            form.addRow(self._buddy_label(text, field), field)
        form.addRow("", self.remember_password_check)
        form.addRow("", self.sip_auth_hint)
        self._form = form
        self._number_label = form.labelForField(number_row)
        form.addRow("TwiML:", self.twiml_preview)
        form.addRow("Checks:", checks_column)

        self.dial_button = QPushButton(resources.icon("dial"), "Dial", self)
        self.dial_button.setAccessibleName("Dial")
        self.dial_button.setDefault(True)
        self.dial_button.setEnabled(False)
        self.dial_button.clicked.connect(self._on_dial_clicked)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.addButton(self.dial_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(PREFLIGHT_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._run_preflight)

        self.number_edit.textEdited.connect(self._format_as_you_type)
        self.number_edit.textChanged.connect(self._inputs_changed)
        self.country_combo.currentIndexChanged.connect(self._region_changed)
        self.identity_edit.textChanged.connect(self._inputs_changed)
        self.caller_id_combo.currentIndexChanged.connect(self._inputs_changed)
        self.label_edit.textChanged.connect(self._update_dial_enabled)
        self.caller_name_edit.textChanged.connect(self._inputs_changed)
        # Credentials are not part of the checks: they change only what Dial may send.
        self.sip_username_edit.textChanged.connect(self._sip_auth_changed)
        self.sip_password_edit.textChanged.connect(self._sip_auth_changed)
        self.remember_password_check.toggled.connect(self._sip_auth_changed)
        # The number is what the host came to type: it takes focus, and Tab goes on to the country.
        QWidget.setTabOrder(self.number_edit, self.country_combo)
        QWidget.setTabOrder(self.country_combo, self.label_edit)
        self.number_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self._show_sip_rows(False)
        self._ready = True
        self._inputs_changed()
        # Room-level problems (peer-to-peer, full, gone) show before the host types anything.
        # A one-off: `self._debounce.start(0)` would leave the debounce at 0 ms for good, and
        # every keystroke would then cost a pre-flight (two reads).
        QTimer.singleShot(0, self, self._run_preflight)

    # -- public ---------------------------------------------------------------------------------
    def region(self) -> str:
        """The region numbers without + are read in."""
        return str(self.country_combo.currentData() or phone.DEFAULT_REGION)

    def set_region(self, region: str) -> None:
        """Pick the country in the picker (unknown codes leave it unchanged)."""
        index = self.country_combo.findData(region.upper())
        if index >= 0:
            self.country_combo.setCurrentIndex(index)

    def set_caller_ids(self, caller_ids: Sequence[CallerId]) -> None:
        """Refill the caller-ID picker, keeping the current choice when it is still offered."""
        current = self.caller_id() or self._preferred_caller_id
        self.caller_id_combo.blockSignals(True)
        self.caller_id_combo.clear()
        for caller_id in caller_ids:
            self.caller_id_combo.addItem(caller_id_text(caller_id), caller_id.phone_number)
        if not caller_ids:
            self.caller_id_combo.setPlaceholderText("No voice numbers or verified caller IDs")
        index = self.caller_id_combo.findData(current) if current else -1
        self.caller_id_combo.setCurrentIndex(index if index >= 0 else (0 if caller_ids else -1))
        self.caller_id_combo.blockSignals(False)
        self._inputs_changed()

    def caller_id(self) -> str:
        """The chosen caller ID (E.164) or ""; for a SIP guest, the caller name typed."""
        if self._sip_mode:
            return self.caller_name_edit.text().strip()
        data = self.caller_id_combo.currentData()
        return str(data) if data else ""

    def is_sip(self) -> bool:
        """Whether the field holds a SIP address (the form is then the SIP one)."""
        return self._sip_mode

    def number(self) -> str | None:
        """The typed number as E.164 (a SIP address as Twilio gets it), or None while it is
        not a valid one."""
        if self._sip_mode:
            try:
                return str(sip.parse(self.number_edit.text()))
            except sip.SipUriError:
                return None
        try:
            return phone.parse(self.number_edit.text(), self.region())
        except phone.PhoneNumberError:
            return None

    def request(self) -> DialRequest:
        """The dial request for exactly what is on screen."""
        number = self.number()
        sip_mode = self._sip_mode
        return DialRequest(
            room_sid=self._room_sid,
            room_name=self._room_name,
            number=number if number is not None else self.number_edit.text().strip(),
            identity=self.identity_edit.text(),
            caller_id=self.caller_id(),
            label=self.label_edit.text().strip(),
            request_id=self._request_id,
            sip_auth_username=self.sip_username_edit.text().strip() if sip_mode else "",
            sip_auth_password=self.sip_password_edit.text() if sip_mode else "",
            remember_sip_password=sip_mode and self.remember_password_check.isChecked(),
        )

    def checks(self) -> list[CheckResult] | None:
        """The latest pre-flight results for the current inputs (None while checking)."""
        return self._checks if self._checks_generation == self._generation else None

    def field_problems(self) -> list[str]:
        """Problems the dialog can tell without asking Twilio."""
        problems = []
        number_problem = self._number_problem()
        if number_problem:
            problems.append(number_problem)
        identity_problem = self._identity_problem()
        if identity_problem:
            problems.append(identity_problem)
        if self._sip_mode:
            name_problem = sip.caller_name_problem(self.caller_id())
            if name_problem:
                problems.append(name_problem)
            auth_problem = self._sip_auth_problem()
            if auth_problem:
                problems.append(auth_problem)
        elif not self.caller_id():
            problems.append("Choose a caller ID.")
        return problems

    # -- input handling ----------------------------------------------------------------------
    def _format_as_you_type(self, text: str) -> None:
        """Reformat while typing, keeping the cursor after the same digit it was after."""
        formatted = phone.as_you_type(text, self.region())
        if formatted == text or not formatted:
            return
        cursor = self.number_edit.cursorPosition()
        significant_before = sum(1 for ch in text[:cursor] if ch.isdecimal() or ch == "+")
        self.number_edit.setText(formatted)
        position = 0
        seen = 0
        while position < len(formatted) and seen < significant_before:
            if formatted[position].isdecimal() or formatted[position] == "+":
                seen += 1
            position += 1
        self.number_edit.setCursorPosition(position)

    def _region_changed(self) -> None:
        text = self.number_edit.text()
        if text and not text.lstrip().startswith("+"):
            self._format_as_you_type("".join(ch for ch in text if ch.isdecimal()))
        self._inputs_changed()

    def _regenerate_identity(self) -> None:
        self.identity_edit.setText(generate_phone_identity(taken=self._taken()))

    def _number_problem(self) -> str | None:
        text = self.number_edit.text()
        if not text.strip():
            return "Enter the guest's phone number."
        if self._sip_mode:
            return sip.problem(text)
        try:
            number = phone.parse(text, self.region())
        except phone.PhoneNumberError as exc:
            return str(exc)
        if number == self.caller_id():
            return "The guest's number is the caller ID; pick another caller ID."
        return None

    def _identity_problem(self) -> str | None:
        identity = self.identity_edit.text()
        problem = validate_identity(identity)
        if problem:
            return problem
        if identity in self._taken():
            return (
                f"“{identity}” is already in this room or was dialed by you; joining with it "
                "would disconnect the other participant. Choose another identity."
            )
        return None

    def _sip_auth_problem(self) -> str | None:
        return sip_auth_problem(
            self.sip_username_edit.text().strip(),
            self.sip_password_edit.text(),
            remember=self.remember_password_check.isChecked(),
        )

    def _sip_auth_changed(self) -> None:
        if self._closed or not self._ready:
            return
        self._show_sip_auth_hint()
        self._update_dial_enabled()

    def _show_sip_auth_hint(self) -> None:
        problem = self._sip_auth_problem()
        if problem:
            self._set_hint(self.sip_auth_hint, problem, error=True)
            return
        text = sip_auth_hint(
            self.sip_username_edit.text().strip(),
            self.sip_password_edit.text(),
            remember=self.remember_password_check.isChecked(),
        )
        self._set_hint(self.sip_auth_hint, text)

    def _update_mode(self) -> None:
        """Switch between the phone and the SIP form as the field's text says."""
        sip_mode = sip.is_sip_address(self.number_edit.text())
        if sip_mode == self._sip_mode:
            return
        self._sip_mode = sip_mode
        self._show_sip_rows(sip_mode)
        self._grow_to_fit()

    def _show_sip_rows(self, sip_mode: bool) -> None:
        form = self._form
        form.setRowVisible(self.caller_id_combo, not sip_mode)
        for widget in (
            self.caller_name_edit,
            self.sip_username_edit,
            self.sip_password_edit,
            self.remember_password_check,
            self.sip_auth_hint,
        ):
            form.setRowVisible(widget, sip_mode)
        self.country_combo.setVisible(not sip_mode)
        if isinstance(self._number_label, QLabel):
            self._number_label.setText("SIP a&ddress:" if sip_mode else "Phone &number:")
        where = html_escape(self._room_name)
        self._intro.setText(
            f"Calls a SIP address and connects it to <b>{where}</b> as a participant."
            if sip_mode
            else f"Calls a phone and connects it to <b>{where}</b> as a participant."
        )
        if sip_mode:
            self._show_sip_auth_hint()

    def _grow_to_fit(self) -> None:
        """Make room for the SIP rows, so the checks are not squeezed into a scroll area; the
        dialog never shrinks under the host's hands (nor grows past the screen)."""
        layout = self.layout()
        if layout is not None:
            layout.activate()
        wanted = self.sizeHint().height()
        screen = self.screen()
        if screen is not None:
            wanted = min(wanted, screen.availableGeometry().height())
        if wanted > self.height():
            self.resize(self.width(), wanted)

    def _inputs_changed(self) -> None:
        if self._closed or not self._ready:
            return
        self._update_mode()
        self._generation += 1
        number_problem = self._number_problem()
        typed = bool(self.number_edit.text().strip())
        if number_problem and typed:
            self._set_hint(self.number_hint, number_problem, error=True)
        elif typed and self._sip_mode:
            self._set_hint(self.number_hint, f"Will call {self.number() or ''}")
        elif typed:
            number = self.number() or ""
            self._set_hint(self.number_hint, f"Will dial {phone.format_international(number)}")
        else:
            self._set_hint(self.number_hint, EMPTY_NUMBER_HINT)
        identity_problem = self._identity_problem()
        self._set_hint(
            self.identity_hint,
            identity_problem or "Everyone in the room sees this identity.",
            error=bool(identity_problem),
        )
        try:
            twiml = room_twiml(self._room_name, self.identity_edit.text())
            self.twiml_preview.setPlainText(indented_for_reading(twiml))
        except TwimlError as exc:
            self.twiml_preview.setPlainText(f"(no TwiML: {exc})")
        self._show_checks_pending()
        self._debounce.start()
        self._update_dial_enabled()

    def _buddy_label(self, text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text, self)
        label.setBuddy(buddy)
        return label

    def _set_hint(self, label: QLabel, text: str, *, error: bool = False) -> None:
        set_hint(label, text, error=error)

    # -- pre-flight --------------------------------------------------------------------------
    def _run_preflight(self) -> None:
        if self._closed or self._dialed:
            return
        generation = self._generation
        if self._preflight is not None:
            self._preflight.cancel()
        self._preflight = self._backend.preflight(self.request(), default_region=self.region())
        self._preflight.finished.connect(lambda results: self._on_checks(generation, results))

    @Slot()
    def check_again(self) -> None:
        """Run the checks now (the host pressed Check again): no debounce, no waiting."""
        if self._closed or self._dialed:
            return
        self._debounce.stop()
        self._show_checks_pending()
        self._run_preflight()

    def _on_checks(self, generation: int, results: Sequence[CheckResult]) -> None:
        if self._closed or generation != self._generation:
            return  # stale: the inputs changed since this check started
        self._checks = list(results)
        self._checks_generation = generation
        fill_checks(self.checks_list, results)
        self._update_dial_enabled()

    def _show_checks_pending(self) -> None:
        show_checks_pending(self.checks_list)

    # -- dialing -----------------------------------------------------------------------------
    def can_dial(self) -> bool:
        """All fields valid and every check passed for exactly these inputs."""
        checks = self.checks()
        return (
            not self._dialed
            and not self.field_problems()
            and checks is not None
            and bool(checks)
            and all(c.passed for c in checks)
        )

    def _update_dial_enabled(self) -> None:
        enabled = self.can_dial()
        self.dial_button.setEnabled(enabled)
        if enabled:
            self.dial_button.setToolTip("Place the call now")
        else:
            checks = self.checks()
            failed = [c.reason for c in checks or [] if not c.passed]
            reasons = self.field_problems() + failed
            if checks is None and not reasons:
                reasons = ["Checking…"]
            self.dial_button.setToolTip("\n".join(reasons))

    def _on_dial_clicked(self) -> None:
        if not self.can_dial():
            return
        self._dialed = True  # before anything else: a second click must find the door shut
        self.dial_button.setEnabled(False)
        self.check_again_button.setEnabled(False)
        self._debounce.stop()
        dial_id = self._backend.dial(self.request())
        if not dial_id:  # the session refused before any call (it reports why)
            self.reject()
            return
        self.dial_id = dial_id
        self.dialed.emit(dial_id)
        self.accept()

    def done(self, result: int) -> None:
        """Stop reacting to late check results once the dialog is closed."""
        self._closed = True
        self._debounce.stop()
        if self._preflight is not None:
            self._preflight.cancel()
        super().done(result)
