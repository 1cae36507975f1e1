"""Profile switcher: sandbox first, saved profiles after; add, choose and remove by clicking."""

from __future__ import annotations

from pathlib import Path

import keyring.errors
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from moderator.core.credentials import Credentials
from moderator.core.profiles import (
    KEYRING_SERVICE,
    SANDBOX_LABEL,
    SANDBOX_PROFILE,
    KeyringUnavailable,
    Profile,
    ProfileStore,
)
from moderator.sandbox.server import SandboxServer
from moderator.ui.dialogs.keyring_problem_dialog import KeyringProblemDialog
from moderator.ui.profile_switcher import ProfileSwitcher
from tests.keyring_memory import BrokenKeyring, MemoryKeyring, installed

LEFT = Qt.MouseButton.LeftButton
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
API_KEY_SID = "SK" + "fedcba9876543210" * 2
SECRET = "S3cretS3cretS3cretS3cretS3cret00"


@pytest.fixture
def store(isolated_config_dir: Path, memory_keyring: MemoryKeyring) -> ProfileStore:
    return ProfileStore()


def make_switcher(qtbot: QtBot, store: ProfileStore, **kwargs: object) -> ProfileSwitcher:
    switcher = ProfileSwitcher(store, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(switcher)
    switcher.show()
    return switcher


def pick(qtbot: QtBot, switcher: ProfileSwitcher, label: str) -> None:
    """Choose an entry the way a keyboard user does: focus the combo and type its name."""
    index = switcher.combo.findText(label)
    assert index >= 0, label
    switcher.combo.setFocus()
    current = switcher.combo.currentIndex()
    key = Qt.Key.Key_Down if index > current else Qt.Key.Key_Up
    for _ in range(abs(index - current)):
        qtbot.keyClick(switcher.combo, key)
    assert switcher.combo.currentIndex() == index


def test_sandbox_first_then_saved_profiles(qtbot: QtBot, store: ProfileStore) -> None:
    store.save(Profile.with_api_key("Production", ACCOUNT_SID, API_KEY_SID), SECRET)
    store.save(Profile.with_auth_token("Staging", ACCOUNT_SID), SECRET)
    switcher = make_switcher(qtbot, store)
    labels = [switcher.combo.itemText(i) for i in range(switcher.combo.count())]
    assert labels == [SANDBOX_LABEL, "Production", "Staging"]
    assert switcher.current_profile() == SANDBOX_PROFILE
    assert switcher.combo.accessibleName() == "Profile"
    assert not switcher.remove_action.isEnabled()  # the sandbox cannot be removed
    tooltip = switcher.combo.itemData(1, Qt.ItemDataRole.ToolTipRole)
    assert ACCOUNT_SID in tooltip
    assert SECRET not in tooltip


def test_choosing_a_profile_loads_its_credentials_off_the_ui_thread(
    qtbot: QtBot, store: ProfileStore
) -> None:
    store.save(Profile.with_api_key("Production", ACCOUNT_SID, API_KEY_SID), SECRET)
    switcher = make_switcher(qtbot, store)
    chosen: list[str] = []
    switcher.profileChosen.connect(chosen.append)

    with qtbot.waitSignal(switcher.profileReady, timeout=5_000) as ready:
        pick(qtbot, switcher, "Production")
    assert chosen == ["Production"]
    name, creds = ready.args
    assert name == "Production"
    assert creds == Credentials(ACCOUNT_SID, API_KEY_SID, SECRET)
    assert creds.secret == SECRET
    assert switcher.remove_action.isEnabled()

    with qtbot.waitSignal(switcher.profileReady, timeout=5_000) as back:
        pick(qtbot, switcher, SANDBOX_LABEL)
    assert back.args == [SANDBOX_PROFILE, None]
    assert chosen == ["Production", SANDBOX_PROFILE]


def test_add_profile_through_the_menu_checks_with_sandbox_and_selects_it(
    qtbot: QtBot, sandbox: SandboxServer, store: ProfileStore, memory_keyring: MemoryKeyring
) -> None:
    creds = sandbox.credentials
    switcher = make_switcher(qtbot, store, base_url=sandbox.base_url)
    chosen: list[str] = []
    switcher.profileChosen.connect(chosen.append)

    switcher.add_action.trigger()
    dialog = switcher.add_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClicks(dialog.name_edit, "Sandbox account")
    qtbot.keyClicks(dialog.account_sid_edit, creds.account_sid)
    qtbot.keyClicks(dialog.api_key_sid_edit, creds.api_key_sid)
    qtbot.keyClicks(dialog.api_key_secret_edit, creds.api_key_secret)
    with qtbot.waitSignal(switcher.profileReady, timeout=10_000) as ready:
        qtbot.mouseClick(dialog.save_button, LEFT)

    assert not dialog.isVisible()
    assert switcher.profile_names() == ["Sandbox account"]
    assert switcher.current_profile() == "Sandbox account"
    assert switcher.combo.currentText() == "Sandbox account"
    assert chosen == ["Sandbox account"]
    assert ready.args[1].secret == creds.api_key_secret
    assert memory_keyring.entries == {(KEYRING_SERVICE, "Sandbox account"): creds.api_key_secret}


def test_remove_asks_first_then_deletes_the_keyring_entry(
    qtbot: QtBot, store: ProfileStore, memory_keyring: MemoryKeyring
) -> None:
    store.save(Profile.with_api_key("Production", ACCOUNT_SID, API_KEY_SID), SECRET)
    store.save(Profile.with_auth_token("Staging", ACCOUNT_SID), SECRET)
    switcher = make_switcher(qtbot, store)
    with qtbot.waitSignal(switcher.profileReady, timeout=5_000):
        pick(qtbot, switcher, "Production")

    # Cancel changes nothing.
    switcher.remove_action.trigger()
    box = switcher.remove_confirmation
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert "Production" in box.text()
    assert "keyring" in box.informativeText()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), LEFT)
    assert (KEYRING_SERVICE, "Production") in memory_keyring.entries
    assert switcher.current_profile() == "Production"

    # Remove deletes the secret and goes back to the sandbox.
    switcher.remove_action.trigger()
    box = switcher.remove_confirmation
    assert box is not None
    remove_button = next(b for b in box.buttons() if b.text() == "Remove")
    with qtbot.waitSignal(switcher.profileReady, timeout=5_000) as ready:
        qtbot.mouseClick(remove_button, LEFT)
    assert ready.args == [SANDBOX_PROFILE, None]
    assert memory_keyring.entries == {(KEYRING_SERVICE, "Staging"): SECRET}
    assert switcher.profile_names() == ["Staging"]
    assert switcher.current_profile() == SANDBOX_PROFILE
    assert store.names() == ["Staging"]


@pytest.mark.allow_log_warnings(r"keyring unavailable: backend .* stores nothing safely")
def test_add_without_a_keyring_explains_and_stays_on_sandbox(
    qtbot: QtBot, isolated_config_dir: Path
) -> None:
    with installed(fail.Keyring()):
        switcher = make_switcher(qtbot, ProfileStore())
        switcher.add_action.trigger()
        assert switcher.add_dialog is None
        dialog = switcher.keyring_dialog
        assert isinstance(dialog, KeyringProblemDialog)
        assert dialog.isVisible()
        assert "No system keyring" in dialog.message_label.text()
        assert "sandbox" in dialog.action_label.text()
        qtbot.mouseClick(dialog.close_button, LEFT)
        assert not dialog.isVisible()
    assert switcher.current_profile() == SANDBOX_PROFILE
    assert not any(isolated_config_dir.rglob("*"))


@pytest.mark.allow_log_warnings(r"keyring unavailable: backend .* stores nothing safely")
def test_keyring_retry_from_the_dialog_opens_add_profile(
    qtbot: QtBot, isolated_config_dir: Path
) -> None:
    memory = MemoryKeyring()
    with installed(fail.Keyring()):
        switcher = make_switcher(qtbot, ProfileStore())
        switcher.add_action.trigger()
        dialog = switcher.keyring_dialog
        assert dialog is not None
        keyring.set_keyring(memory)  # the user installed and unlocked one
        qtbot.mouseClick(dialog.retry_button, LEFT)
        assert switcher.add_dialog is not None
        assert switcher.add_dialog.isVisible()


@pytest.mark.allow_log_warnings(
    r"keyring unavailable: KeyringLocked",
    r"profile 'Production' unusable: The system keyring is locked",
)
def test_locked_keyring_when_choosing_falls_back_to_sandbox(
    qtbot: QtBot, store: ProfileStore
) -> None:
    store.save(Profile.with_api_key("Production", ACCOUNT_SID, API_KEY_SID), SECRET)
    switcher = make_switcher(qtbot, store)
    locked = BrokenKeyring(lambda: keyring.errors.KeyringLocked("locked"))
    with installed(locked), qtbot.waitSignal(switcher.profileFailed, timeout=5_000) as failed:
        pick(qtbot, switcher, "Production")
    name, problem = failed.args
    assert name == "Production"
    assert isinstance(problem, KeyringUnavailable)
    assert switcher.current_profile() == SANDBOX_PROFILE
    assert switcher.combo.currentText() == SANDBOX_LABEL
    dialog = switcher.keyring_dialog
    assert dialog is not None and dialog.isVisible()
    assert "locked" in dialog.message_label.text()


@pytest.mark.allow_log_warnings(r"keyring unavailable: KeyringLocked")
def test_remove_with_locked_keyring_keeps_the_profile(
    qtbot: QtBot, store: ProfileStore, memory_keyring: MemoryKeyring
) -> None:
    store.save(Profile.with_api_key("Production", ACCOUNT_SID, API_KEY_SID), SECRET)
    switcher = make_switcher(qtbot, store)
    with qtbot.waitSignal(switcher.profileReady, timeout=5_000):
        pick(qtbot, switcher, "Production")
    with installed(BrokenKeyring(lambda: keyring.errors.KeyringLocked("locked"))):
        switcher.remove_action.trigger()
        box = switcher.remove_confirmation
        assert box is not None
        remove_button = next(b for b in box.buttons() if b.text() == "Remove")
        qtbot.mouseClick(remove_button, LEFT)
        qtbot.waitUntil(lambda: switcher.keyring_dialog is not None, timeout=5_000)
    assert store.names() == ["Production"]
    assert switcher.profile_names() == ["Production"]
    assert memory_keyring.entries == {(KEYRING_SERVICE, "Production"): SECRET}


def test_set_current_profile_restores_the_last_one(qtbot: QtBot, store: ProfileStore) -> None:
    store.save(Profile.with_api_key("Production", ACCOUNT_SID, API_KEY_SID), SECRET)
    switcher = make_switcher(qtbot, store)
    assert not switcher.set_current_profile("Gone")
    with qtbot.waitSignal(switcher.profileReady, timeout=5_000) as ready:
        assert switcher.set_current_profile("Production")
    assert ready.args[0] == "Production"
    assert switcher.combo.currentText() == "Production"


def test_menu_button_offers_add_and_remove(qtbot: QtBot, store: ProfileStore) -> None:
    switcher = make_switcher(qtbot, store)
    texts = [a.text() for a in switcher.menu_button.actions()]
    assert texts == ["&Add Twilio profile…", "&Remove current profile…"]
    assert switcher.menu_button.accessibleName() == "Profile actions"
