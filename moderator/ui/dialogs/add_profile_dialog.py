"""Add Twilio profile…: collect credentials, check them with Twilio, then keep the secret safe.

Nothing is saved until Twilio has accepted the credentials, so a typo never becomes a profile
that fails later. The check (a network call) and the save (a keyring call, which may wait on an
unlock prompt) both run on the TaskRunner's pool: the dialog stays responsive and can be
cancelled while Twilio is slow. Secret fields never echo, and the secret is dropped from the
widgets as soon as the dialog is done with it.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from moderator.core.credentials import Credentials
from moderator.core.errors import TwilioError
from moderator.core.gateway import TwilioGateway
from moderator.core.http import make_client
from moderator.core.models import Account
from moderator.core.profiles import (
    AuthKind,
    KeyringUnavailable,
    Profile,
    ProfileError,
    ProfileStore,
    change_problem,
    check_account_sid,
    check_api_key_sid,
    check_profile_name,
    check_secret,
)
from moderator.ui.dialogs.keyring_problem_dialog import KeyringProblemDialog
from moderator.ui.tasks import TaskRunner

log = logging.getLogger(__name__)

Validator = Callable[[Credentials], Account]

API_KEY_WHY = (
    "Recommended: create an API key for Room Moderator in the Twilio Console (Account › API keys "
    "& tokens). You can revoke or delete that key on its own at any time without rotating the "
    "account's main auth token, so nothing else that uses the account breaks, and it can be "
    "scoped to what this app needs."
)
AUTH_TOKEN_WHY = (
    "The auth token is the master credential of the whole account: revoking it means rotating it "
    "for every app that uses it. Prefer an API key."
)
STORAGE_NOTE = (
    "The secret is stored only in your system keyring; Room Moderator's own files keep just the "
    "name and SIDs."
)

_dialog_ids = itertools.count(1)


def check_with_twilio(credentials: Credentials, base_url: str | None = None) -> Account:
    """Fetch the account with these credentials (raises TwilioError if Twilio refuses).

    Runs on a worker thread. `base_url` points the check at the local sandbox.
    """
    client = make_client(credentials, base_url)
    try:
        return TwilioGateway(client).validate_credentials()
    finally:
        close = getattr(client.http_client, "close", None)
        if callable(close):
            close()


class AddProfileDialog(QDialog):
    """Name, Account SID and an API key (or auth token), checked with Twilio, then saved.

    On success the dialog accepts, `saved_profile` holds the new profile and `profileSaved`
    carries its name. Give `base_url` to check against the local sandbox (tests), or `validate`
    to replace the Twilio check altogether.
    """

    profileSaved = Signal(str)

    def __init__(
        self,
        store: ProfileStore,
        *,
        base_url: str | None = None,
        validate: Validator | None = None,
        runner: TaskRunner | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add Twilio profile")
        self.setAccessibleName("Add Twilio profile")
        self._store = store
        self._existing = store.names()
        self._base_url = base_url
        self._validate: Validator = validate or (lambda creds: check_with_twilio(creds, base_url))
        self._runner = runner if runner is not None else TaskRunner(self)
        self._task_key = f"add-profile-{next(_dialog_ids)}"
        self._busy = False
        self._cancelled = False
        self.saved_profile: Profile | None = None
        self.keyring_dialog: KeyringProblemDialog | None = None

        self.form = QWidget(self)
        self.name_edit = self._line_edit("Profile name", "e.g. Production")
        self.name_edit.setMaxLength(200)  # longer than allowed, so the message explains the limit
        self.account_sid_edit = self._line_edit("Account SID", "AC…")
        self.api_key_radio = QRadioButton("API key and secret (recommended)", self.form)
        self.api_key_radio.setAccessibleName("Use an API key")
        self.auth_token_radio = QRadioButton("Account auth token", self.form)
        self.auth_token_radio.setAccessibleName("Use the auth token")
        self.kind_group = QButtonGroup(self)
        self.kind_group.addButton(self.api_key_radio)
        self.kind_group.addButton(self.auth_token_radio)
        self.api_key_radio.setChecked(True)
        self.why_label = QLabel(API_KEY_WHY, self.form)
        self.why_label.setObjectName("fieldHint")
        self.why_label.setWordWrap(True)

        self.api_key_sid_edit = self._line_edit("API key SID", "SK…")
        self.api_key_secret_edit = self._line_edit("API key secret", "")
        self.api_key_secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.auth_token_edit = self._line_edit("Auth token", "")
        self.auth_token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        for secret_edit in (self.api_key_secret_edit, self.auth_token_edit):
            # No copy out, no input-method suggestions: the field is write-only.
            secret_edit.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
            secret_edit.setInputMethodHints(
                Qt.InputMethodHint.ImhHiddenText
                | Qt.InputMethodHint.ImhSensitiveData
                | Qt.InputMethodHint.ImhNoPredictiveText
            )

        self._errors: dict[QLineEdit, QLabel] = {}
        form = QFormLayout(self.form)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("&Name:", self.name_edit)
        form.addRow("", self._error_label(self.name_edit))
        form.addRow("&Account SID:", self.account_sid_edit)
        form.addRow("", self._error_label(self.account_sid_edit))
        form.addRow("Sign in with:", self.api_key_radio)
        form.addRow("", self.auth_token_radio)
        form.addRow("", self.why_label)

        self.secret_pages = QStackedWidget(self.form)
        api_page = QWidget(self.secret_pages)
        api_form = QFormLayout(api_page)
        api_form.setContentsMargins(0, 0, 0, 0)
        api_form.addRow("API &key SID:", self.api_key_sid_edit)
        api_form.addRow("", self._error_label(self.api_key_sid_edit))
        api_form.addRow("API key &secret:", self.api_key_secret_edit)
        api_form.addRow("", self._error_label(self.api_key_secret_edit))
        token_page = QWidget(self.secret_pages)
        token_form = QFormLayout(token_page)
        token_form.setContentsMargins(0, 0, 0, 0)
        token_form.addRow("Auth &token:", self.auth_token_edit)
        token_form.addRow("", self._error_label(self.auth_token_edit))
        self.secret_pages.addWidget(api_page)
        self.secret_pages.addWidget(token_page)
        form.addRow(self.secret_pages)
        storage = QLabel(STORAGE_NOTE, self.form)
        storage.setObjectName("fieldHint")
        storage.setWordWrap(True)
        form.addRow(storage)

        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)  # indeterminate: a spinner-like busy bar
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(6)
        self.progress.setAccessibleName("Checking with Twilio")
        self.progress.hide()
        self.status_label = QLabel(self)
        self.status_label.setAccessibleName("Status")
        self.status_label.setWordWrap(True)
        self.status_label.hide()
        self.error_label = QLabel(self)
        self.error_label.setObjectName("fieldError")
        self.error_label.setAccessibleName("Twilio error")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.save_button = QPushButton("Check and save", self)
        self.save_button.setAccessibleName("Save profile")
        self.save_button.setToolTip("Check the credentials with Twilio, then save the profile")
        self.save_button.setDefault(True)
        self.buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button.clicked.connect(self.check_and_save)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(480)

        for edit in self._errors:
            edit.textChanged.connect(self._revalidate)
        self.kind_group.buttonToggled.connect(self._on_kind_changed)
        self._revalidate()

    # -- what was entered ----------------------------------------------------------------------

    def auth_kind(self) -> AuthKind:
        return AuthKind.API_KEY if self.api_key_radio.isChecked() else AuthKind.AUTH_TOKEN

    def profile(self) -> Profile:
        """The profile as entered (SIDs with surrounding blanks from a paste removed)."""
        name = self.name_edit.text()
        account_sid = self.account_sid_edit.text().strip()
        if self.auth_kind() is AuthKind.API_KEY:
            return Profile.with_api_key(name, account_sid, self.api_key_sid_edit.text().strip())
        return Profile.with_auth_token(name, account_sid)

    def _secret(self) -> str:
        edit = self._secret_edit()
        return edit.text().strip()

    def _secret_edit(self) -> QLineEdit:
        if self.auth_kind() is AuthKind.API_KEY:
            return self.api_key_secret_edit
        return self.auth_token_edit

    def problems(self) -> dict[QLineEdit, str]:
        """Each visible field's problem; empty when the form can be checked with Twilio."""
        kind = self.auth_kind()
        found: dict[QLineEdit, str | None] = {
            self.name_edit: check_profile_name(self.name_edit.text(), self._existing),
            self.account_sid_edit: check_account_sid(self.account_sid_edit.text().strip()),
        }
        if kind is AuthKind.API_KEY:
            found[self.api_key_sid_edit] = check_api_key_sid(self.api_key_sid_edit.text().strip())
        found[self._secret_edit()] = check_secret(self._secret(), kind)
        return {edit: problem for edit, problem in found.items() if problem}

    # -- checking and saving -------------------------------------------------------------------

    @Slot()
    def check_and_save(self) -> None:
        """Check the credentials with Twilio on the pool; save only if Twilio accepts them."""
        if self._busy or self.problems():
            return
        profile, secret = self.profile(), self._secret()
        credentials = profile.credentials(secret)
        validate = self._validate
        started = self._runner.run(
            self._task_key, lambda: validate(credentials), self._on_checked, self._on_check_failed
        )
        if started:
            log.info("checking profile %r with Twilio", profile.name)
            self._set_busy("Checking with Twilio…")

    @Slot(object)
    def _on_checked(self, account: Account) -> None:
        if self._cancelled:
            return
        if account.status in ("closed", "suspended"):
            self._show_error(
                f"Twilio accepted the credentials, but the account is {account.status}.",
                "Reactivate the account in the Twilio Console, or use another account.",
            )
            return
        profile, secret, store = self.profile(), self._secret(), self._store
        started = self._runner.run(
            self._task_key,
            # Problems come back as values: the runner only carries Twilio's errors.
            lambda: change_problem(store, lambda: store.save(profile, secret)),
            self._on_saved,
            self._on_check_failed,
        )
        if started:
            # The save may wait on the keyring's unlock prompt; don't let Cancel pretend to undo it.
            self._set_busy("Saving the secret in the system keyring…")
            self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setEnabled(False)

    @Slot(object)
    def _on_check_failed(self, error: TwilioError) -> None:
        if self._cancelled:
            return
        log.info("profile check failed: %r", error)
        said = f"Twilio error {error.code}" if error.code is not None else ""
        if error.twilio_message:
            said = (
                f"{said}: “{error.twilio_message}”" if said else f"Twilio: “{error.twilio_message}”"
            )
        self._show_error(error.message, error.action, said)

    @Slot(object)
    def _on_saved(self, problem: ProfileError | None) -> None:
        if problem is None:
            self.saved_profile = self.profile()
            self._forget_secrets()
            self._set_idle()
            self.profileSaved.emit(self.saved_profile.name)
            self.accept()
            return
        self._show_error(problem.message, problem.action)
        if isinstance(problem, KeyringUnavailable):
            self.keyring_dialog = KeyringProblemDialog(problem, self)
            self.keyring_dialog.retryRequested.connect(self.check_and_save)
            self.keyring_dialog.open()

    # -- state ---------------------------------------------------------------------------------

    def is_busy(self) -> bool:
        return self._busy

    def reject(self) -> None:
        """Cancel: a check still in flight is ignored when it comes back; nothing is saved."""
        if (
            self._busy
            and not self.buttons.button(QDialogButtonBox.StandardButton.Cancel).isEnabled()
        ):
            return  # saving to the keyring: wait for it
        self._cancelled = True
        self._forget_secrets()
        super().reject()

    def _set_busy(self, text: str) -> None:
        self._busy = True
        self.form.setEnabled(False)
        self.save_button.setEnabled(False)
        self.error_label.hide()
        self.progress.show()
        self.status_label.setText(text)
        self.status_label.show()

    def _set_idle(self) -> None:
        self._busy = False
        self.form.setEnabled(True)
        self.progress.hide()
        self.status_label.hide()
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setEnabled(True)
        self._revalidate()

    def _show_error(self, message: str, action: str, detail: str = "") -> None:
        self._set_idle()
        text = f"{message} {action}".strip()
        self.error_label.setText(f"{text}\n{detail}" if detail else text)
        self.error_label.show()
        self.adjustSize()  # make room for the message instead of squeezing the wrapped hints

    def _forget_secrets(self) -> None:
        for edit in (self.api_key_secret_edit, self.auth_token_edit):
            edit.clear()

    # -- inline validation ---------------------------------------------------------------------

    def _line_edit(self, accessible_name: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit(self.form)
        edit.setAccessibleName(accessible_name)
        edit.setPlaceholderText(placeholder)
        return edit

    def _error_label(self, edit: QLineEdit) -> QLabel:
        label = QLabel(self.form)
        label.setObjectName("fieldError")
        label.setAccessibleName(f"{edit.accessibleName()} problem")
        label.setWordWrap(True)
        label.hide()
        self._errors[edit] = label
        return label

    def error_text(self, edit: QLineEdit) -> str:
        """The inline message currently shown under `edit` ("" if none)."""
        label = self._errors[edit]
        return label.text() if not label.isHidden() else ""

    @Slot()
    def _revalidate(self) -> None:
        problems = self.problems()
        for edit, label in self._errors.items():
            problem = problems.get(edit)
            # Don't scold an empty field before the user has typed anything into it.
            shown = bool(problem) and bool(edit.text())
            label.setText(problem if shown and problem else "")
            label.setVisible(shown)
            edit.setProperty("valid", not shown)
            edit.style().unpolish(edit)
            edit.style().polish(edit)
        self.save_button.setEnabled(not problems and not self._busy)

    @Slot()
    def _on_kind_changed(self) -> None:
        api_key = self.auth_kind() is AuthKind.API_KEY
        self.secret_pages.setCurrentIndex(0 if api_key else 1)
        self.why_label.setText(API_KEY_WHY if api_key else AUTH_TOKEN_WHY)
        self._revalidate()
