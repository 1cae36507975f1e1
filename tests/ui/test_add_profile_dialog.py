"""Add profile: typed into the real widgets, checked against the sandbox over HTTP, then saved."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import keyring.errors
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLineEdit, QRadioButton
from pytestqt.qtbot import QtBot

from moderator.core.credentials import Credentials
from moderator.core.models import Account
from moderator.core.profiles import KEYRING_SERVICE, AuthKind, Profile, ProfileStore
from moderator.sandbox.server import SandboxServer
from moderator.ui.dialogs.add_profile_dialog import AddProfileDialog
from moderator.ui.dialogs.keyring_problem_dialog import KeyringProblemDialog
from tests.keyring_memory import BrokenKeyring, MemoryKeyring, installed

OTHER_SECRET = "0123456789abcdef0123456789abcdef"
LEFT = Qt.MouseButton.LeftButton


def files_with(folder: Path, secret: str) -> list[Path]:
    if not folder.exists():
        return []
    return [p for p in folder.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


@pytest.fixture
def store(isolated_config_dir: Path, memory_keyring: MemoryKeyring) -> ProfileStore:
    return ProfileStore()


def make_dialog(qtbot: QtBot, store: ProfileStore, **kwargs: object) -> AddProfileDialog:
    dialog = AddProfileDialog(store, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def type_into(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    edit.clear()
    qtbot.keyClicks(edit, text)


def click_radio(qtbot: QtBot, radio: QRadioButton) -> None:
    """Click on the radio's indicator (its centre may be empty space in a wide form)."""
    qtbot.mouseClick(radio, LEFT, pos=QPoint(8, radio.height() // 2))
    assert radio.isChecked()


def fill_api_key(
    qtbot: QtBot, dialog: AddProfileDialog, name: str, sid: str, key: str, secret: str
) -> None:
    type_into(qtbot, dialog.name_edit, name)
    type_into(qtbot, dialog.account_sid_edit, sid)
    click_radio(qtbot, dialog.api_key_radio)
    type_into(qtbot, dialog.api_key_sid_edit, key)
    type_into(qtbot, dialog.api_key_secret_edit, secret)


def test_secret_fields_never_echo(qtbot: QtBot, store: ProfileStore) -> None:
    dialog = make_dialog(qtbot, store)
    assert dialog.api_key_secret_edit.echoMode() is QLineEdit.EchoMode.Password
    assert dialog.auth_token_edit.echoMode() is QLineEdit.EchoMode.Password
    assert "revoke" in dialog.why_label.text()  # says why an API key is better


def test_api_key_profile_is_checked_with_twilio_then_saved(
    qtbot: QtBot,
    sandbox: SandboxServer,
    store: ProfileStore,
    memory_keyring: MemoryKeyring,
    isolated_config_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    creds = sandbox.credentials
    dialog = make_dialog(qtbot, store, base_url=sandbox.base_url)
    fill_api_key(
        qtbot, dialog, "Sandbox key", creds.account_sid, creds.api_key_sid, creds.api_key_secret
    )
    assert dialog.save_button.isEnabled()

    with qtbot.waitSignal(dialog.profileSaved, timeout=10_000) as saved:
        qtbot.mouseClick(dialog.save_button, LEFT)
    assert saved.args == ["Sandbox key"]
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert memory_keyring.entries == {(KEYRING_SERVICE, "Sandbox key"): creds.api_key_secret}
    assert store.get("Sandbox key") == Profile(
        "Sandbox key", creds.account_sid, AuthKind.API_KEY, creds.api_key_sid
    )
    on_disk = json.loads(store.path.read_text(encoding="utf-8"))
    assert on_disk["profiles"][0]["username"] == creds.api_key_sid
    assert files_with(isolated_config_dir, creds.api_key_secret) == []
    assert dialog.api_key_secret_edit.text() == ""  # not kept in the widget
    assert creds.api_key_secret not in caplog.text


def test_auth_token_profile(
    qtbot: QtBot, sandbox: SandboxServer, store: ProfileStore, memory_keyring: MemoryKeyring
) -> None:
    creds = sandbox.credentials
    dialog = make_dialog(qtbot, store, base_url=sandbox.base_url)
    type_into(qtbot, dialog.name_edit, "Token")
    type_into(qtbot, dialog.account_sid_edit, creds.account_sid)
    click_radio(qtbot, dialog.auth_token_radio)
    assert dialog.secret_pages.currentIndex() == 1
    assert "master credential" in dialog.why_label.text()
    type_into(qtbot, dialog.auth_token_edit, creds.auth_token)

    with qtbot.waitSignal(dialog.profileSaved, timeout=10_000):
        qtbot.mouseClick(dialog.save_button, LEFT)
    loaded = store.load_credentials("Token")
    assert loaded == Credentials(creds.account_sid, creds.account_sid, creds.auth_token)
    assert loaded.secret == creds.auth_token


def test_rejected_credentials_show_twilio_error_and_save_nothing(
    qtbot: QtBot,
    sandbox: SandboxServer,
    store: ProfileStore,
    memory_keyring: MemoryKeyring,
    isolated_config_dir: Path,
) -> None:
    creds = sandbox.credentials
    dialog = make_dialog(qtbot, store, base_url=sandbox.base_url)
    fill_api_key(qtbot, dialog, "Wrong", creds.account_sid, creds.api_key_sid, OTHER_SECRET)

    qtbot.mouseClick(dialog.save_button, LEFT)
    qtbot.waitUntil(lambda: dialog.error_label.isVisible(), timeout=10_000)

    text = dialog.error_label.text()
    assert "Twilio rejected the credentials" in text
    assert "20003" in text
    assert OTHER_SECRET not in text
    assert dialog.isVisible()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert not dialog.is_busy()
    assert dialog.form.isEnabled()
    assert memory_keyring.entries == {}
    assert not store.path.exists()
    assert files_with(isolated_config_dir, OTHER_SECRET) == []


def test_inline_validation_messages(qtbot: QtBot, store: ProfileStore) -> None:
    store.save(Profile.with_auth_token("Existing", "AC" + "a" * 32), OTHER_SECRET)
    dialog = make_dialog(qtbot, store)
    assert not dialog.save_button.isEnabled()
    assert dialog.error_text(dialog.name_edit) == ""  # empty fields are not scolded

    type_into(qtbot, dialog.name_edit, "existing")
    assert "already exists" in dialog.error_text(dialog.name_edit)
    type_into(qtbot, dialog.name_edit, "New")
    assert dialog.error_text(dialog.name_edit) == ""

    type_into(qtbot, dialog.account_sid_edit, "AC123")
    assert "32 hexadecimal" in dialog.error_text(dialog.account_sid_edit)
    type_into(qtbot, dialog.api_key_sid_edit, "AC" + "b" * 32)
    assert "Account SID" in dialog.error_text(dialog.api_key_sid_edit)
    type_into(qtbot, dialog.api_key_secret_edit, "with space")
    assert "spaces" in dialog.error_text(dialog.api_key_secret_edit)
    assert not dialog.save_button.isEnabled()

    type_into(qtbot, dialog.account_sid_edit, "AC" + "c" * 32)
    type_into(qtbot, dialog.api_key_sid_edit, "SK" + "d" * 32)
    type_into(qtbot, dialog.api_key_secret_edit, OTHER_SECRET)
    assert dialog.problems() == {}
    assert dialog.save_button.isEnabled()


def test_check_runs_off_the_ui_thread_and_cancel_saves_nothing(
    qtbot: QtBot, store: ProfileStore, memory_keyring: MemoryKeyring
) -> None:
    release = threading.Event()
    started = threading.Event()
    main_thread = threading.get_ident()
    seen_threads: list[int] = []

    def slow_validate(creds: Credentials) -> Account:
        seen_threads.append(threading.get_ident())
        started.set()
        release.wait(10)
        return Account(creds.account_sid, "Slow", "active")

    dialog = make_dialog(qtbot, store, validate=slow_validate)
    fill_api_key(qtbot, dialog, "Slow", "AC" + "1" * 32, "SK" + "2" * 32, OTHER_SECRET)
    qtbot.mouseClick(dialog.save_button, LEFT)
    qtbot.waitUntil(started.is_set, timeout=5_000)

    assert dialog.is_busy()
    assert dialog.progress.isVisible()
    assert dialog.status_label.text() == "Checking with Twilio…"
    assert not dialog.form.isEnabled()
    assert not dialog.save_button.isEnabled()
    qtbot.mouseClick(dialog.save_button, LEFT)  # a second click starts nothing
    cancel = dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel)
    assert cancel.isEnabled()
    qtbot.mouseClick(cancel, LEFT)
    assert not dialog.isVisible()

    release.set()
    qtbot.waitUntil(lambda: dialog._runner.in_flight_count() == 0, timeout=5_000)
    qtbot.wait(50)  # let any late delivery run: it must be ignored
    assert seen_threads and seen_threads[0] != main_thread
    assert len(seen_threads) == 1
    assert memory_keyring.entries == {}
    assert store.names() == []


@pytest.mark.allow_log_warnings(r"keyring unavailable: KeyringLocked")
def test_locked_keyring_after_check_shows_keyring_dialog_then_retry_saves(
    qtbot: QtBot, isolated_config_dir: Path
) -> None:
    def accept_all(creds: Credentials) -> Account:
        return Account(creds.account_sid, "OK", "active")

    locked = BrokenKeyring(lambda: keyring.errors.KeyringLocked("Failed to unlock the collection!"))
    memory = MemoryKeyring()
    store = ProfileStore()
    with installed(locked):
        dialog = make_dialog(qtbot, store, validate=accept_all)
        fill_api_key(qtbot, dialog, "Locked", "AC" + "1" * 32, "SK" + "2" * 32, OTHER_SECRET)
        qtbot.mouseClick(dialog.save_button, LEFT)
        qtbot.waitUntil(lambda: dialog.keyring_dialog is not None, timeout=5_000)
        problem_dialog = dialog.keyring_dialog
        assert isinstance(problem_dialog, KeyringProblemDialog)
        assert problem_dialog.isVisible()
        assert "locked" in problem_dialog.message_label.text()
        assert "Unlock" in problem_dialog.action_label.text()
        assert "locked" in dialog.error_label.text()
        assert files_with(isolated_config_dir, OTHER_SECRET) == []
        assert not store.path.exists()

        keyring.set_keyring(memory)  # the user unlocked the keyring
        with qtbot.waitSignal(dialog.profileSaved, timeout=5_000):
            qtbot.mouseClick(problem_dialog.retry_button, LEFT)
    assert memory.entries == {(KEYRING_SERVICE, "Locked"): OTHER_SECRET}
    assert files_with(isolated_config_dir, OTHER_SECRET) == []


def test_suspended_account_is_not_saved(
    qtbot: QtBot, store: ProfileStore, memory_keyring: MemoryKeyring
) -> None:
    def suspended(creds: Credentials) -> Account:
        return Account(creds.account_sid, "Gone", "suspended")

    dialog = make_dialog(qtbot, store, validate=suspended)
    fill_api_key(qtbot, dialog, "Suspended", "AC" + "1" * 32, "SK" + "2" * 32, OTHER_SECRET)
    qtbot.mouseClick(dialog.save_button, LEFT)
    qtbot.waitUntil(lambda: dialog.error_label.isVisible(), timeout=5_000)
    assert "suspended" in dialog.error_label.text()
    assert memory_keyring.entries == {}
