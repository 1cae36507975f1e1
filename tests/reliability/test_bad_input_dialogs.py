"""Bad input typed into the real main window's dial and create-room dialogs.

Each bad value shows its message next to the field (and in the disabled button's tooltip), the
button stays disabled, and nothing reaches the sandbox. Values that only Twilio can judge (a
region the account may not call) go through once and come back with Twilio's reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QComboBox, QLineEdit, QPushButton, QTableView, QToolButton
from pytestqt.qtbot import QtBot

from moderator.core.guest_state import GuestStatus
from moderator.core.roster import GuestKind
from moderator.sandbox.server import SandboxServer
from moderator.ui.dialogs.create_room_dialog import CreateRoomDialog
from moderator.ui.dialogs.dial_dialog import DialDialog
from moderator.ui.main_window import MainWindow
from tests.reliability.recorder import Recorder
from tests.reliability.support import CALLS_PATH
from tests.ui.window_harness import WAIT_MS, by_name, click, make_window, wait_for_dialog

SECTION = "Bad input"


@pytest.fixture
def window(qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path) -> MainWindow:
    sandbox.world.create_room("standup")
    sandbox.world.join_app_participant("standup", "alice")
    window = make_window(qtbot, sandbox, tmp_path)
    qtbot.waitUntil(lambda: window.rooms_model.rowCount() == 1, timeout=WAIT_MS)
    rooms = by_name(window, QTableView, "Rooms")
    rooms.selectRow(0)
    qtbot.waitUntil(lambda: window.rooms_pane.selected_room() is not None, timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: any(r.identity == "alice" for r in window.roster_model.rows()), timeout=WAIT_MS
    )
    return window


def open_dial_dialog(qtbot: QtBot, window: MainWindow) -> DialDialog:
    click(qtbot, by_name(window, QToolButton, "Dial phone guest"))
    dialog = wait_for_dialog(qtbot, DialDialog)
    qtbot.waitUntil(lambda: by_name(dialog, QComboBox, "Caller ID").count() > 0, timeout=WAIT_MS)
    return dialog


def type_number(qtbot: QtBot, dialog: DialDialog, text: str) -> None:
    edit = by_name(dialog, QLineEdit, "Phone number")
    edit.clear()
    qtbot.keyClicks(edit, text)


def paste_identity(dialog: DialDialog, text: str) -> None:
    """Identities may be pasted (control characters cannot be typed): set the text directly."""
    by_name(dialog, QLineEdit, "Identity").setText(text)


def settled_refusal(qtbot: QtBot, dialog: DialDialog) -> str:
    """Wait for the checks of what is on screen, then return why Dial is disabled."""
    qtbot.waitUntil(lambda: dialog.checks() is not None, timeout=WAIT_MS)
    button = by_name(dialog, QPushButton, "Dial")
    assert not button.isEnabled()
    return button.toolTip().splitlines()[0]


DIAL_CASES: list[tuple[str, Callable[[QtBot, DialDialog], None], str]] = [
    ("Number with letters", lambda q, d: type_number(q, d, "415-CALL-NOW"), "letters"),
    ("Number too short", lambda q, d: type_number(q, d, "+1 415"), "too short"),
    ("Number too long", lambda q, d: type_number(q, d, "+1 415 555 2671 99"), "too long"),
    ("Short code", lambda q, d: type_number(q, d, "28444"), "Short codes"),
    ("Emergency number", lambda q, d: type_number(q, d, "911"), "Emergency"),
    ("To equal to From", lambda q, d: type_number(q, d, "(500) 555-0006"), "caller ID"),
    ("Identity empty", lambda q, d: paste_identity(d, ""), "Enter an identity"),
    ("Identity over 128 characters", lambda q, d: paste_identity(d, "x" * 129), "128"),
    (
        "Identity with control characters",
        lambda q, d: paste_identity(d, "bob\u202eevil"),
        "control",
    ),
    ("Identity already connected", lambda q, d: paste_identity(d, "alice"), "already"),
]


def test_dial_dialog_refuses_bad_input(
    qtbot: QtBot, window: MainWindow, sandbox: SandboxServer, reliability: Recorder
) -> None:
    observed: list[tuple[str, str, str]] = []
    for case, enter, expected in DIAL_CASES:
        dialog = open_dial_dialog(qtbot, window)
        type_number(qtbot, dialog, "(415) 555-2671")
        enter(qtbot, dialog)
        reason = settled_refusal(qtbot, dialog)
        assert expected in reason, f"{case}: {reason!r}"
        shown = f"{dialog.number_hint.text()} {dialog.identity_hint.text()}"
        assert reason in shown, f"{case}: the reason is not beside the field"
        observed.append((case, dialog.number_edit.text() or "", reason))
        dialog.reject()
        qtbot.waitUntil(lambda d=dialog: not d.isVisible(), timeout=WAIT_MS)

    caller_ids = by_name(window, QToolButton, "Dial phone guest")
    dialog = open_dial_dialog(qtbot, window)
    picker = by_name(dialog, QComboBox, "Caller ID")
    offered = {picker.itemData(i) for i in range(picker.count())}
    account = {n.phone_number for n in (*sandbox.world.incoming_numbers, *sandbox.world.caller_ids)}
    assert not picker.isEditable() and offered == account
    dialog.reject()
    assert caller_ids.isEnabled()

    assert sandbox.request_log.count("POST", CALLS_PATH) == 0
    assert not [r for r in window.roster_model.rows() if r.kind is GuestKind.PHONE]
    assert window.session is not None and window.session.book.all_guests() == []
    for case, _number, reason in observed:
        reliability.record(
            case=f"{case} (dial dialog)",
            produced_by="main window ▸ Dial phone guest; typed into Phone number or pasted "
            "into Identity",
            outcome=f"Dial disabled; beside the field and in its tooltip: “{reason}”; "
            "0 POSTs, 0 guest rows",
        )
    reliability.record(
        case="Caller ID not on the account (dial dialog)",
        produced_by="main window ▸ Dial phone guest; the Caller ID picker inspected",
        outcome=f"the picker is not editable and offers exactly the account's {len(account)} "
        "voice numbers and verified caller IDs: another one cannot be chosen",
    )


def test_dial_dialog_region_the_account_cannot_call(
    qtbot: QtBot, window: MainWindow, sandbox: SandboxServer, reliability: Recorder
) -> None:
    dialog = open_dial_dialog(qtbot, window)
    type_number(qtbot, dialog, "+1 500-555-0003")
    button = by_name(dialog, QPushButton, "Dial")
    qtbot.waitUntil(button.isEnabled, timeout=WAIT_MS)  # a valid number: only Twilio can tell
    click(qtbot, button)
    assert dialog.dial_id
    session = window.session
    assert session is not None
    dial_id = dialog.dial_id
    qtbot.waitUntil(
        lambda: (g := session.book.get(dial_id)) is not None and g.status is GuestStatus.REJECTED,
        timeout=WAIT_MS,
    )
    qtbot.waitUntil(
        lambda: (
            (r := window.roster_model.object_for(dial_id)) is not None
            and r.status is GuestStatus.REJECTED
        ),
        timeout=WAIT_MS,
    )
    row = window.roster_model.object_for(dial_id)
    assert row is not None and row.can_redial
    assert sandbox.request_log.count("POST", CALLS_PATH) == 1
    assert sandbox.world.calls() == []
    guest = session.book.get(dial_id)
    assert guest is not None and "geographic" in guest.end_reason
    reliability.record(
        case="Region the account cannot call, through the dial dialog",
        produced_by="main window ▸ Dial phone guest ▸ +1 500-555-0003 ▸ Dial",
        outcome=f"all pre-flight checks pass (only Twilio knows geo permissions); one POST, "
        f"Twilio answers 21215; the guest row reads “{row.status_text}” with Redial offered; "
        f"reason “{guest.end_reason}”; no call",
    )


ROOM_CASES: list[tuple[str, str, str]] = [
    ("Room name over 128 characters", "r" * 129, "128"),
    ("Room name with control characters", "stand\x07up", "control"),
    ("Room name with a leading space", " standup2", "spaces"),
    ("Room name shaped like a room SID", "RM" + "0" * 32, "SID"),
    ("Room name already in progress", "standup", "already in progress"),
]


def test_create_room_dialog_refuses_bad_names(
    qtbot: QtBot, window: MainWindow, sandbox: SandboxServer, reliability: Recorder
) -> None:
    click(qtbot, by_name(window, QToolButton, "Create room"))
    dialog = wait_for_dialog(qtbot, CreateRoomDialog)
    name = by_name(dialog, QLineEdit, "Room name")
    create = by_name(dialog, QPushButton, "Create room")
    assert not create.isEnabled()  # empty: nothing to create yet, no scolding either
    empty_problem = dialog.name_problem()
    assert dialog.name_error.text() == ""  # an empty field is not scolded
    observed = [
        (
            "Room name empty",
            f"Create disabled, the empty field not scolded (reason: “{empty_problem}”)",
        )
    ]
    for case, text, expected in ROOM_CASES:
        name.setText(text)  # pasted: a control character cannot be typed
        assert not create.isEnabled(), case
        shown = dialog.name_error.text()
        assert expected in shown, f"{case}: {shown!r}"
        observed.append((case, f"Create disabled; under the field: “{shown}”"))
    assert sandbox.request_log.count("POST", "/v1/Rooms") == 0

    special = 'Q&A <team> "#1" / 50% ?'
    name.clear()
    qtbot.keyClicks(name, special)
    assert create.isEnabled() and dialog.name_error.text() == ""
    click(qtbot, create)
    qtbot.waitUntil(
        lambda: any(r.room.unique_name == special for r in window.rooms_model.rows()),
        timeout=WAIT_MS,
    )
    assert sandbox.world.room(special).unique_name == special
    assert sandbox.request_log.count("POST", "/v1/Rooms") == 1
    for case, outcome in observed:
        reliability.record(
            case=f"{case} (create-room dialog)",
            produced_by="main window ▸ Create room; the name pasted into Room name",
            outcome=f"{outcome}; 0 POSTs",
        )
    reliability.record(
        case="Room name with special characters (create-room dialog)",
        produced_by=f"main window ▸ Create room; typed “{special}”",
        outcome="valid for Twilio, so accepted: created once (1 POST) and listed under exactly "
        "that name",
    )
