"""Bad input handed to the Session itself (what any caller of `dial` could pass): refused with a
clear message before anything happens: no create-call request, no journal row, no roster row.

The dial dialog already refuses all of these; the session checks again because it is the last
stop before Twilio, and a dial it lets through costs a real phone call.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from moderator.core.guest_state import GuestStatus
from moderator.core.journal import Journal
from moderator.core.roster import GuestKind
from moderator.sandbox.server import SandboxServer
from tests.reliability.conftest import SessionFactory
from tests.reliability.recorder import Recorder
from tests.reliability.support import CALLER_ID, CALLS_PATH, dial, open_room, status_of
from tests.ui.session_fixtures import Harness

SECTION = "Bad input"

BAD_DIALS = [
    pytest.param("Number with letters", {"number": "+1415CALLNOW"}, id="letters"),
    pytest.param("Number too short", {"number": "+1415"}, id="too-short"),
    pytest.param("Number too long", {"number": "+1415555267112345"}, id="too-long"),
    pytest.param("Short code", {"number": "28444"}, id="short-code"),
    pytest.param("Number not in E.164", {"number": "(415) 555-2671"}, id="national"),
    pytest.param("To equal to From", {"number": CALLER_ID}, id="to-equals-from"),
    pytest.param(
        "Caller ID not on the account", {"caller_id": "+14155550100"}, id="foreign-caller-id"
    ),
    pytest.param("Identity empty", {"identity": ""}, id="identity-empty"),
    pytest.param("Identity over 128 characters", {"identity": "x" * 129}, id="identity-long"),
    pytest.param(
        "Identity with control characters", {"identity": "bob\x00\n"}, id="identity-control"
    ),
    pytest.param("Identity already connected", {"identity": "ann"}, id="identity-connected"),
    pytest.param(
        "Room name with control characters", {"room_name": "stand\x07up"}, id="room-control"
    ),
]


def shown(value: str) -> str:
    """repr, with long runs of one character written the way a person would."""
    if len(value) > 40 and len(set(value)) == 1:
        return f"{value[0]!r} × {len(value)}"
    return repr(value)


def phone_rows(h: Harness) -> int:
    return sum(1 for row in h.roster.rows() if row.kind is GuestKind.PHONE)


@pytest.mark.parametrize(("case", "changes"), BAD_DIALS)
def test_bad_dial_changes_nothing(
    qtbot: QtBot,
    sandbox: SandboxServer,
    sessions: SessionFactory,
    journal_path: Path,
    reliability: Recorder,
    case: str,
    changes: dict[str, str],
) -> None:
    h = sessions(sandbox, journal_path)
    room = open_room(qtbot, h)
    sandbox.world.join_app_participant(room, "ann")
    qtbot.waitUntil(lambda: any(row.identity == "ann" for row in h.roster.rows()))
    qtbot.waitUntil(lambda: bool(h.session.caller_ids))

    dial_id = dial(h, room, **changes)

    assert dial_id == ""
    assert h.errors, "the host is told why"
    error, context = h.errors[-1]
    message = str(error)
    assert message and "\n" not in message
    qtbot.wait(100)  # a (wrong) create-call would be under way by now
    assert sandbox.request_log.count("POST", CALLS_PATH) == 0
    assert sandbox.world.calls() == []
    assert phone_rows(h) == 0
    assert h.session.book.all_guests() == []
    with Journal(journal_path) as journal:
        assert journal.entries() == []
    number = changes.get("number", "")
    if number.startswith("+") and len(number) > 8:
        assert number not in message and number not in context
    reliability.record(
        case=f"{case} (Session.dial)",
        produced_by=f"Session.dial with {', '.join(f'{k}={shown(v)}' for k, v in changes.items())}",
        outcome=f"refused: “{message}” ({error.action}); 0 POSTs, 0 journal rows, "  # type: ignore[attr-defined]
        "0 roster rows",
    )


def test_region_the_account_cannot_call(
    qtbot: QtBot,
    sandbox: SandboxServer,
    sessions: SessionFactory,
    journal_path: Path,
    reliability: Recorder,
) -> None:
    """Only Twilio knows the account's geo permissions: the dial is tried once, refused with
    21215, recorded as rejected with Twilio's reason, and no call exists."""
    h = sessions(sandbox, journal_path)
    room = open_room(qtbot, h)
    dial_id = dial(h, room, number="+15005550003")
    qtbot.waitUntil(lambda: status_of(h, dial_id) is GuestStatus.REJECTED)
    error, _context = h.errors[-1]
    assert getattr(error, "code", None) == 21215
    guest = h.session.book.get(dial_id)
    assert guest is not None and "geographic permissions" in guest.end_reason
    assert "+15005550003" not in guest.end_reason
    assert sandbox.request_log.count("POST", CALLS_PATH) == 1
    assert sandbox.world.calls() == []
    with Journal(journal_path) as journal:
        rows = journal.entries()
    assert [row.status for row in rows] == [GuestStatus.REJECTED]
    row = h.row(dial_id)
    assert row is not None and row.can_redial
    reliability.record(
        case="Region the account cannot call (+15005550003 → 21215)",
        produced_by="Session.dial to Twilio's geo-permission test number",
        outcome=f"one POST, refused by Twilio with 21215; guest row “rejected”: "
        f"“{guest.end_reason}” ({error.action}); no call; journal: 1 row (rejected), "  # type: ignore[attr-defined]
        "kept as a record of the attempt",
    )
