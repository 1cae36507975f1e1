"""The toolbar's profile picker: the local sandbox first, then the saved Twilio profiles.

Choosing a profile emits `profileChosen(name)` at once (the sandbox is `SANDBOX_PROFILE`, "") and,
once its secret has been read from the keyring on a worker thread (an unlock prompt must not
freeze the window), `profileReady(name, credentials)`. A keyring that cannot be used shows the
keyring dialog and falls back to the sandbox, so the app always has something to show.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QMessageBox,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from moderator.core.credentials import Credentials
from moderator.core.errors import TwilioError
from moderator.core.profiles import (
    SANDBOX_LABEL,
    SANDBOX_PROFILE,
    AuthKind,
    KeyringUnavailable,
    ProfileError,
    ProfileStore,
    change_problem,
)
from moderator.ui.tasks import TaskRunner

if TYPE_CHECKING:  # imported when first opened: the window's first paint needs neither
    from moderator.ui.dialogs.add_profile_dialog import AddProfileDialog, Validator
    from moderator.ui.dialogs.keyring_problem_dialog import KeyringProblemDialog

log = logging.getLogger(__name__)

SANDBOX_TOOLTIP = "Built-in local Twilio sandbox: no account, no network"
_LOAD_KEY = "profile-switcher-load"
_REMOVE_KEY = "profile-switcher-remove"


def _load(store: ProfileStore, name: str) -> Credentials | ProfileError:
    """Read a profile's credentials on a worker thread; problems come back as values."""
    try:
        return store.load_credentials(name)
    except ProfileError as exc:
        return exc


class ProfileSwitcher(QWidget):
    """A combo box of profiles with Add profile… and Remove profile… actions.

    `base_url` (and `validate`) are handed to the add-profile dialog, so tests and the sandbox
    check new credentials against the local sandbox instead of Twilio.
    """

    profileChosen = Signal(str)
    """The user picked a profile (or one was added): its name, "" for the sandbox."""
    profileReady = Signal(str, object)
    """Credentials read from the keyring: (name, Credentials); (\"\", None) for the sandbox."""
    profileFailed = Signal(str, object)
    """(name, ProfileError) when a profile's secret cannot be read; the switcher is back on the
    sandbox and has shown the keyring dialog if the keyring is the problem."""
    profilesChanged = Signal()
    """A profile was added or removed."""

    def __init__(
        self,
        store: ProfileStore,
        *,
        runner: TaskRunner | None = None,
        base_url: str | None = None,
        validate: Validator | None = None,
        sandbox_label: str = SANDBOX_LABEL,
        parent: QWidget | None = None,
    ) -> None:
        """`sandbox_label` names the sandbox entry ("Sandbox at 127.0.0.1:PORT" when the app was
        opened on a standalone one)."""
        super().__init__(parent)
        self.store = store
        self.sandbox_label = sandbox_label
        self._runner = runner if runner is not None else TaskRunner(self)
        self._base_url = base_url
        self._validate = validate
        self._current = SANDBOX_PROFILE
        self.add_dialog: AddProfileDialog | None = None
        self.remove_confirmation: QMessageBox | None = None
        self.keyring_dialog: KeyringProblemDialog | None = None
        self.last_error: ProfileError | None = None

        self.combo = QComboBox(self)
        self.combo.setAccessibleName("Profile")
        self.combo.setToolTip("Twilio account to moderate; the sandbox needs no account")
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

        self.add_action = QAction("&Add Twilio profile…", self)
        self.add_action.setToolTip("Add a Twilio account; its secret goes to the system keyring")
        self.add_action.triggered.connect(self.add_profile)
        self.remove_action = QAction("&Remove current profile…", self)
        self.remove_action.setToolTip("Remove this profile and delete its secret from the keyring")
        self.remove_action.triggered.connect(self.remove_current_profile)

        self.menu_button = QToolButton(self)
        self.menu_button.setText("…")
        self.menu_button.setAccessibleName("Profile actions")
        self.menu_button.setToolTip("Add or remove Twilio profiles")
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu_button.addAction(self.add_action)
        self.menu_button.addAction(self.remove_action)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.combo)
        layout.addWidget(self.menu_button)

        self.reload()
        self.combo.currentIndexChanged.connect(self._on_index_changed)

    # -- state -------------------------------------------------------------------------------

    def current_profile(self) -> str:
        """The chosen profile's name; `SANDBOX_PROFILE` ("") for the sandbox."""
        return self._current

    def profile_names(self) -> list[str]:
        """Entries in the combo after the sandbox, in order."""
        return [str(self.combo.itemData(i)) for i in range(1, self.combo.count())]

    def reload(self) -> None:
        """Re-read the saved profiles (the JSON file only; no keyring access)."""
        with QSignalBlocker(self.combo):
            self.combo.clear()
            self.combo.addItem(self.sandbox_label, SANDBOX_PROFILE)
            self.combo.setItemData(0, SANDBOX_TOOLTIP, Qt.ItemDataRole.ToolTipRole)
            for profile in self.store.list():
                self.combo.addItem(profile.name, profile.name)
                kind = "API key " + profile.username
                if profile.auth_kind is AuthKind.AUTH_TOKEN:
                    kind = "auth token"
                self.combo.setItemData(
                    self.combo.count() - 1,
                    f"Account {profile.account_sid} · {kind}",
                    Qt.ItemDataRole.ToolTipRole,
                )
            index = self.combo.findData(self._current)
            if index < 0:
                index = 0
                self._current = SANDBOX_PROFILE
            self.combo.setCurrentIndex(index)
        self._update_actions()

    def set_current_profile(self, name: str, *, load: bool = True) -> bool:
        """Select `name` (e.g. the last profile from settings); False if it no longer exists.

        With `load`, emits `profileChosen` and then `profileReady`/`profileFailed` as a user's
        choice would.
        """
        index = self.combo.findData(name)
        if index < 0:
            return False
        with QSignalBlocker(self.combo):
            self.combo.setCurrentIndex(index)
        self._choose(name, load=load)
        return True

    def _update_actions(self) -> None:
        self.remove_action.setEnabled(self._current != SANDBOX_PROFILE)

    @Slot(int)
    def _on_index_changed(self, index: int) -> None:
        name = self.combo.itemData(index)
        self._choose(str(name) if name is not None else SANDBOX_PROFILE, load=True)

    def _choose(self, name: str, *, load: bool) -> None:
        self._current = name
        self._update_actions()
        if not load:
            return
        self.profileChosen.emit(name)
        if name == SANDBOX_PROFILE:
            self.profileReady.emit(SANDBOX_PROFILE, None)
            return
        store = self.store
        self._runner.run(
            f"{_LOAD_KEY}:{name}",
            lambda: _load(store, name),
            lambda result: self._on_loaded(name, result),
            lambda error: self._on_task_error(name, error),
        )

    def _on_loaded(self, name: str, result: Credentials | ProfileError) -> None:
        if name != self._current:
            return  # the user has moved on
        if isinstance(result, Credentials):
            self.profileReady.emit(name, result)
            return
        self._fail(name, result)

    def _on_task_error(self, name: str, error: TwilioError) -> None:
        # Only an unexpected bug lands here (loading never talks to Twilio).
        self._fail(name, ProfileError(error.message, error.action))

    def _fail(self, name: str, problem: ProfileError) -> None:
        log.warning("profile %r unusable: %s", name, problem.message)
        self.last_error = problem
        self._fall_back_to_sandbox()
        self.profileFailed.emit(name, problem)
        self._show_problem("Profile unavailable", problem)

    def _show_problem(self, title: str, problem: ProfileError) -> None:
        """The keyring dialog for a keyring problem, otherwise a warning box with what to do."""
        if isinstance(problem, KeyringUnavailable):
            self.show_keyring_problem(problem)
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning, title, problem.message, QMessageBox.StandardButton.Ok, self
        )
        box.setInformativeText(problem.action)
        box.open()

    def _fall_back_to_sandbox(self) -> None:
        with QSignalBlocker(self.combo):
            self.combo.setCurrentIndex(0)
        self._current = SANDBOX_PROFILE
        self._update_actions()
        self.profileChosen.emit(SANDBOX_PROFILE)
        self.profileReady.emit(SANDBOX_PROFILE, None)

    def show_keyring_problem(self, problem: KeyringUnavailable) -> KeyringProblemDialog:
        """Open (non-blocking) the dialog that says what to install or unlock."""
        if self.keyring_dialog is not None:
            self.keyring_dialog.close()
            self.keyring_dialog.deleteLater()
        from moderator.ui.dialogs.keyring_problem_dialog import KeyringProblemDialog

        self.keyring_dialog = KeyringProblemDialog(problem, self)
        self.keyring_dialog.open()
        return self.keyring_dialog

    # -- add ---------------------------------------------------------------------------------

    @Slot()
    def add_profile(self) -> AddProfileDialog | None:
        """Open the add-profile dialog, or the keyring dialog if there is no keyring to save to."""
        try:
            self.store.check_keyring()
        except KeyringUnavailable as problem:
            dialog = self.show_keyring_problem(problem)
            dialog.retryRequested.connect(self.add_profile)
            return None
        if self.add_dialog is not None and self.add_dialog.isVisible():
            self.add_dialog.raise_()
            self.add_dialog.activateWindow()
            return self.add_dialog
        from moderator.ui.dialogs.add_profile_dialog import AddProfileDialog

        self.add_dialog = AddProfileDialog(
            self.store,
            base_url=self._base_url,
            validate=self._validate,
            runner=self._runner,
            parent=self,
        )
        self.add_dialog.profileSaved.connect(self._on_profile_saved)
        self.add_dialog.open()
        return self.add_dialog

    @Slot(str)
    def _on_profile_saved(self, name: str) -> None:
        self.reload()
        self.profilesChanged.emit()
        self.set_current_profile(name)

    # -- remove ------------------------------------------------------------------------------

    @Slot()
    def remove_current_profile(self) -> QMessageBox | None:
        """Ask, then remove the current profile and its keyring entry (never the sandbox)."""
        name = self._current
        if name == SANDBOX_PROFILE:
            return None
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Remove profile",
            f"Remove the profile “{name}”?",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setInformativeText(
            "Its secret is deleted from the system keyring. The Twilio account and its API key "
            "are not changed; revoke the key in the Twilio Console if you no longer need it."
        )
        remove_button = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
        remove_button.setAccessibleName("Remove profile")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(
            lambda _result: (
                self._on_remove_confirmed(name) if box.clickedButton() is remove_button else None
            )
        )
        self.remove_confirmation = box
        box.open()
        return box

    def _on_remove_confirmed(self, name: str) -> None:
        store = self.store
        self._runner.run(
            f"{_REMOVE_KEY}:{name}",
            lambda: change_problem(store, lambda: store.remove(name)),
            lambda problem: self._on_removed(name, problem),
            lambda error: self._on_removed(name, ProfileError(error.message, error.action)),
        )

    def _on_removed(self, name: str, problem: ProfileError | None) -> None:
        if problem is not None:
            self.last_error = problem
            self._show_problem("Profile not removed", problem)
            return
        log.info("profile %r removed", name)
        was_current = name == self._current
        self.reload()
        self.profilesChanged.emit()
        if was_current:
            self._fall_back_to_sandbox()
