"""The dial dialog with a SIP address: the form switches, bad URIs explain themselves and keep
Dial disabled, the caller name and credentials reach the create-call, and a remembered password
lives only in the (in-memory) keyring."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit, QPushButton
from pytestqt.qtbot import QtBot

from moderator.core.guest_state import GuestStatus
from moderator.core.models import CallerId
from moderator.core.sip_passwords import KEYRING_SERVICE
from moderator.core.twiml import indented_for_reading, room_twiml
from moderator.sandbox.server import SandboxServer
from moderator.ui.dialogs.dial_dialog import DialDialog
from moderator.ui.session import Session
from tests.keyring_memory import MemoryKeyring
from tests.ui.test_dial_dialog import Recorder, make_dialog
from tests.ui.window_harness import FAST_POLLING, WAIT_MS, by_name, click, sandbox_credentials

URI = "sip:alice@pbx.example.com"


@pytest.fixture
def session(qtbot: QtBot, sandbox: SandboxServer) -> Iterator[Session]:
    sandbox.world.create_room("standup")
    sandbox.world.join_app_participant("standup", "host")
    session = Session(
        sandbox_credentials(sandbox), base_url=sandbox.base_url, settings=FAST_POLLING
    )
    caller_ids: list[list[CallerId]] = []
    session.callerIdsChanged.connect(caller_ids.append)
    session.start()
    qtbot.waitUntil(lambda: bool(caller_ids) and session.room_rows() != [], timeout=WAIT_MS)
    yield session
    session.stop()


def visible(dialog: DialDialog, kind: type, name: str) -> bool:
    return any(
        w.accessibleName() == name and w.isVisibleTo(dialog) for w in dialog.findChildren(kind)
    )


def type_sip_guest(
    qtbot: QtBot, dialog: DialDialog, uri: str = URI, caller: str = "front-desk"
) -> None:
    qtbot.keyClicks(by_name(dialog, QLineEdit, "Phone number"), uri)
    qtbot.keyClicks(by_name(dialog, QLineEdit, "Caller name"), caller)


def test_typing_a_sip_uri_switches_the_form_and_back(qtbot: QtBot, session: Session) -> None:
    dialog = make_dialog(qtbot, Recorder(session))
    twiml_before = dialog.twiml_preview.toPlainText()
    assert visible(dialog, QComboBox, "Caller ID") and visible(dialog, QComboBox, "Country")
    assert not visible(dialog, QLineEdit, "Caller name")
    assert not visible(dialog, QLineEdit, "SIP password")
    assert "sip:" in dialog.number_hint.text()  # the empty field says it takes SIP too

    qtbot.keyClicks(by_name(dialog, QLineEdit, "Phone number"), URI)
    assert dialog.is_sip()
    # The dialog made room for the SIP rows rather than squeeze the checks.
    assert dialog.height() >= dialog.sizeHint().height()
    assert not visible(dialog, QComboBox, "Caller ID") and not visible(dialog, QComboBox, "Country")
    for name in ("Caller name", "SIP username", "SIP password"):
        assert visible(dialog, QLineEdit, name), name
    assert visible(dialog, QCheckBox, "Remember password in keyring")
    assert by_name(dialog, QLineEdit, "SIP password").echoMode() is QLineEdit.EchoMode.Password
    assert "SIP a&ddress:" in {label.text() for label in dialog.findChildren(QLabel)}
    assert dialog.number_hint.text() == f"Will call {URI}"
    assert dialog.number() == URI
    # The TwiML is the one generator's, whatever is dialed.
    assert (
        dialog.twiml_preview.toPlainText()
        == twiml_before
        == indented_for_reading(
            room_twiml("standup", by_name(dialog, QLineEdit, "Identity").text())
        )
    )
    assert "Enter the caller name" in " ".join(dialog.field_problems())
    assert not by_name(dialog, QPushButton, "Dial").isEnabled()

    by_name(dialog, QLineEdit, "Phone number").clear()
    qtbot.keyClicks(by_name(dialog, QLineEdit, "Phone number"), "4155552671")
    assert not dialog.is_sip()
    assert by_name(dialog, QLineEdit, "Phone number").text() == "(415) 555-2671"
    assert visible(dialog, QComboBox, "Caller ID") and not visible(dialog, QLineEdit, "Caller name")
    assert "Phone &number:" in {label.text() for label in dialog.findChildren(QLabel)}


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("sip:alice@", "Add the host after the @"),
        ("sip:pbx.example.com", "Add the user before the host"),
        ("sip:alice:pw@pbx.example.com", "Remove the password"),
        ("sip:alice@pbx.example.com:70000", "between 1 and 65535"),
        ("sip:" + "a" * 250 + "@example.com", "under 255 characters"),
    ],
)
def test_bad_uris_give_the_message_and_keep_dial_disabled(
    qtbot: QtBot, session: Session, uri: str, message: str
) -> None:
    dialog = make_dialog(qtbot, Recorder(session))
    type_sip_guest(qtbot, dialog, uri)
    assert message in dialog.number_hint.text()
    assert dialog.number_hint.objectName() == "fieldError"
    qtbot.waitUntil(lambda: dialog.checks() is not None, timeout=WAIT_MS)
    checks = dialog.checks() or []
    assert any(not c.passed and message in c.reason for c in checks)
    assert not by_name(dialog, QPushButton, "Dial").isEnabled()
    assert message in by_name(dialog, QPushButton, "Dial").toolTip()


def test_a_bad_caller_name_or_half_credentials_keep_dial_disabled(
    qtbot: QtBot, session: Session
) -> None:
    dialog = make_dialog(qtbot, Recorder(session))
    type_sip_guest(qtbot, dialog, caller="front desk")
    dial_button = by_name(dialog, QPushButton, "Dial")
    qtbot.waitUntil(lambda: dialog.checks() is not None, timeout=WAIT_MS)
    assert not dial_button.isEnabled() and "spaces" in dial_button.toolTip()
    by_name(dialog, QLineEdit, "Caller name").setText("front-desk")
    qtbot.waitUntil(dial_button.isEnabled, timeout=WAIT_MS)
    # A username asks for its password (or the remembered one).
    qtbot.keyClicks(by_name(dialog, QLineEdit, "SIP username"), "alice")
    assert not dial_button.isEnabled()
    assert "Type the SIP password" in dialog.sip_auth_hint.text()
    by_name(dialog, QCheckBox, "Remember password in keyring").setChecked(True)
    assert dial_button.isEnabled()
    assert "saved in the system keyring" in dialog.sip_auth_hint.text()


def test_dialing_a_sip_guest_sends_the_uri_caller_name_and_credentials(
    qtbot: QtBot, session: Session, sandbox: SandboxServer, memory_keyring: MemoryKeyring
) -> None:
    recorder = Recorder(session)
    dialog = make_dialog(qtbot, recorder)
    type_sip_guest(qtbot, dialog)
    qtbot.keyClicks(by_name(dialog, QLineEdit, "SIP username"), "alice")
    qtbot.keyClicks(by_name(dialog, QLineEdit, "SIP password"), "hunter2-secret")
    dial_button = by_name(dialog, QPushButton, "Dial")
    qtbot.waitUntil(dial_button.isEnabled, timeout=WAIT_MS)
    with qtbot.waitSignal(dialog.dialed, timeout=WAIT_MS):
        click(qtbot, dial_button)
    request = recorder.dials[-1]
    assert request.number == URI and request.caller_id == "front-desk"
    assert request.sip_auth_username == "alice" and not request.remember_sip_password
    assert "hunter2" not in repr(request)
    qtbot.waitUntil(lambda: bool(sandbox.world.calls()), timeout=WAIT_MS)
    call = sandbox.world.calls()[-1]
    assert (call.to, call.from_) == (URI, "front-desk")
    assert call.sip_auth_username == "alice" and call.sip_auth_password_given
    assert memory_keyring.entries == {}  # not ticked: asked per dial, kept nowhere


def test_remember_saves_the_password_only_in_the_keyring_and_the_next_dial_uses_it(
    qtbot: QtBot, session: Session, sandbox: SandboxServer, memory_keyring: MemoryKeyring
) -> None:
    first = make_dialog(qtbot, Recorder(session))
    type_sip_guest(qtbot, first)
    qtbot.keyClicks(by_name(first, QLineEdit, "SIP username"), "alice")
    qtbot.keyClicks(by_name(first, QLineEdit, "SIP password"), "hunter2-secret")
    click(qtbot, by_name(first, QCheckBox, "Remember password in keyring"))
    qtbot.waitUntil(by_name(first, QPushButton, "Dial").isEnabled, timeout=WAIT_MS)
    with qtbot.waitSignal(first.dialed, timeout=WAIT_MS):
        click(qtbot, by_name(first, QPushButton, "Dial"))
    entry = (KEYRING_SERVICE, f"{sandbox.credentials.account_sid}/alice@pbx.example.com")
    qtbot.waitUntil(lambda: entry in memory_keyring.entries, timeout=WAIT_MS)
    assert memory_keyring.entries == {entry: "hunter2-secret"}

    # Another guest on the same PBX, same login: the password field stays empty.
    second = make_dialog(qtbot, Recorder(session))
    type_sip_guest(qtbot, second, "sip:bob@pbx.example.com")
    by_name(second, QLineEdit, "Identity").setText("sip-bob")
    qtbot.keyClicks(by_name(second, QLineEdit, "SIP username"), "alice")
    click(qtbot, by_name(second, QCheckBox, "Remember password in keyring"))
    qtbot.waitUntil(by_name(second, QPushButton, "Dial").isEnabled, timeout=WAIT_MS)
    with qtbot.waitSignal(second.dialed, timeout=WAIT_MS):
        click(qtbot, by_name(second, QPushButton, "Dial"))
    qtbot.waitUntil(
        lambda: any(c.to == "sip:bob@pbx.example.com" for c in sandbox.world.calls()),
        timeout=WAIT_MS,
    )
    bob = next(c for c in sandbox.world.calls() if c.to == "sip:bob@pbx.example.com")
    assert bob.sip_auth_username == "alice" and bob.sip_auth_password_given


def test_remember_with_nothing_saved_refuses_the_dial_and_says_why(
    qtbot: QtBot, session: Session, sandbox: SandboxServer, memory_keyring: MemoryKeyring
) -> None:
    dialog = make_dialog(qtbot, Recorder(session))
    type_sip_guest(qtbot, dialog)
    qtbot.keyClicks(by_name(dialog, QLineEdit, "SIP username"), "alice")
    click(qtbot, by_name(dialog, QCheckBox, "Remember password in keyring"))
    errors: list[str] = []
    session.errorRaised.connect(lambda report: errors.append(str(report.error)))
    qtbot.waitUntil(by_name(dialog, QPushButton, "Dial").isEnabled, timeout=WAIT_MS)
    with qtbot.waitSignal(dialog.dialed, timeout=WAIT_MS) as dialed:
        click(qtbot, by_name(dialog, QPushButton, "Dial"))
    dial_id = str(dialed.args[0])
    qtbot.waitUntil(lambda: bool(errors), timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: (g := session.book.get(dial_id)) is not None and g.status.is_final,
        timeout=WAIT_MS,
    )
    assert "No SIP password for alice is saved" in errors[0]
    guest = session.book.get(dial_id)
    assert guest is not None and guest.status is GuestStatus.REJECTED
    assert sandbox.world.calls() == []  # nothing was sent to Twilio
