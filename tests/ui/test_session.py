"""Session against the in-process sandbox over real HTTP: rooms, roster, dial, remove."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from moderator.core.connection import ConnectionKind
from moderator.core.dialer import DialRequest
from moderator.core.guest_state import GuestStatus
from moderator.core.roster import GuestKind
from moderator.sandbox.server import SandboxServer
from tests.ui.session_fixtures import CALLER_ID, Harness, make_harness

CALLS_PATH = "/Calls.json"


@pytest.fixture
def harness(qtbot: QtBot, sandbox: SandboxServer) -> Iterator[Harness]:
    h = make_harness(qtbot, sandbox)
    yield h
    h.session.stop()


def select_new_room(qtbot: QtBot, h: Harness, name: str = "standup") -> str:
    sid = h.sandbox.world.create_room(name)
    h.session.refresh_now()
    qtbot.waitUntil(lambda: name in h.room_names())
    h.session.select_room(sid)
    return sid


def request_for(room_sid: str, number: str = "+14155552671", **changes: object) -> DialRequest:
    values: dict[str, object] = {
        "room_sid": room_sid,
        "room_name": "standup",
        "number": number,
        "label": "Alice",
        "identity": "phone-alice",
        "caller_id": CALLER_ID,
        "timeout_s": 30,
    }
    values.update(changes)
    return DialRequest(**values)  # type: ignore[arg-type]


def status_of(h: Harness, dial_id: str) -> GuestStatus | None:
    row = h.row(dial_id)
    return row.status if row is not None else None


def test_rooms_appear_and_go_with_counts(qtbot: QtBot, harness: Harness) -> None:
    world = harness.sandbox.world
    alpha = world.create_room("alpha")
    world.create_room("beta")
    world.join_app_participant(alpha, "ann")
    world.join_app_participant(alpha, "bob")
    qtbot.waitUntil(lambda: harness.room_names() == ["alpha", "beta"])
    qtbot.waitUntil(lambda: harness.rooms.index(0, 2).data() == "2/50")
    assert harness.state.kind is ConnectionKind.ONLINE
    assert harness.state.last_success is not None

    world.complete_room("beta")
    qtbot.waitUntil(lambda: harness.room_names() == ["alpha"])


def test_participant_joins_and_leaves_show_up(qtbot: QtBot, harness: Harness) -> None:
    world = harness.sandbox.world
    sid = select_new_room(qtbot, harness)
    first = world.join_app_participant(sid, "ann", kinds=("audio",))
    qtbot.waitUntil(lambda: harness.row(first) is not None)
    row = harness.row(first)
    assert row is not None and row.kind is GuestKind.APP and row.identity == "ann"
    qtbot.waitUntil(lambda: (r := harness.row(first)) is not None and r.has_audio)

    second = world.join_app_participant(sid, "bob")
    qtbot.waitUntil(lambda: harness.row(second) is not None)
    qtbot.waitUntil(lambda: "app-joined" in harness.kinds())
    world.disconnect_participant(first)
    qtbot.waitUntil(lambda: harness.row(first) is None)
    qtbot.waitUntil(lambda: "app-left" in harness.kinds())
    assert harness.roster.rowCount() == 1


def test_dial_ring_join_remove(qtbot: QtBot, harness: Harness) -> None:
    sandbox = harness.sandbox
    sid = select_new_room(qtbot, harness)
    dial_id = harness.session.dial(request_for(sid))
    # The row is there before any answer from Twilio.
    assert status_of(harness, dial_id) is GuestStatus.DIALING
    row = harness.row(dial_id)
    assert row is not None and row.kind is GuestKind.PHONE and "2671" in row.name
    assert "+14155552671" not in row.name

    qtbot.waitUntil(lambda: status_of(harness, dial_id) is GuestStatus.QUEUED)
    sandbox.clock.advance(1.5)
    qtbot.waitUntil(lambda: status_of(harness, dial_id) is GuestStatus.RINGING)
    sandbox.clock.advance(3.0)
    qtbot.waitUntil(lambda: status_of(harness, dial_id) is GuestStatus.CONNECTED)
    qtbot.waitUntil(lambda: harness.rooms.index(0, 3).data() == "1/35")
    row = harness.row(dial_id)
    assert row is not None and row.identity == "phone-alice" and row.can_remove
    call_sid = row.call_sid
    assert call_sid is not None
    assert [p.identity for p in sandbox.world.participants(sid)] == ["phone-alice"]

    harness.session.remove(row)
    qtbot.waitUntil(lambda: status_of(harness, dial_id) is GuestStatus.LEFT)
    # Removing is two requests (leave the room, end the call) while polls run on their own
    # pool: the roster may see the guest gone before the hang-up has been answered.
    qtbot.waitUntil(lambda: sandbox.world.call(call_sid).status == "completed")
    assert sandbox.world.participants(sid) == [] or all(
        p.status != "connected" for p in sandbox.world.participants(sid)
    )
    qtbot.waitUntil(lambda: harness.rooms.index(0, 3).data() == "0/35")
    assert {"dialed", "ringing", "joined", "removed", "left"} <= set(harness.kinds())
    assert sandbox.request_log.count("POST", CALLS_PATH) == 1


def test_cancel_while_ringing(qtbot: QtBot, harness: Harness) -> None:
    sandbox = harness.sandbox
    sid = select_new_room(qtbot, harness)
    dial_id = harness.session.dial(request_for(sid))
    qtbot.waitUntil(lambda: status_of(harness, dial_id) is GuestStatus.QUEUED)
    sandbox.clock.advance(1.5)
    qtbot.waitUntil(lambda: status_of(harness, dial_id) is GuestStatus.RINGING)
    row = harness.row(dial_id)
    assert row is not None and row.call_sid is not None
    harness.session.remove(row)
    qtbot.waitUntil(lambda: status_of(harness, dial_id) is GuestStatus.CANCELED)
    assert sandbox.world.call(row.call_sid).status == "canceled"
    sandbox.clock.advance(10)
    assert sandbox.world.participants(sid) == []


def test_remove_before_twilio_answered_the_dial_cancels_once_known(
    qtbot: QtBot, harness: Harness
) -> None:
    sandbox = harness.sandbox
    sid = select_new_room(qtbot, harness)
    sandbox.controls.latency_ms = 300
    dial_id = harness.session.dial(request_for(sid))
    row = harness.row(dial_id)
    assert row is not None and row.call_sid is None
    harness.session.remove(row)
    qtbot.waitUntil(lambda: status_of(harness, dial_id) is GuestStatus.CANCELED, timeout=10_000)
    calls = sandbox.world.calls()
    assert len(calls) == 1 and calls[0].status == "canceled"


def test_double_dial_places_one_call(qtbot: QtBot, harness: Harness) -> None:
    sandbox = harness.sandbox
    sid = select_new_room(qtbot, harness)
    request = request_for(sid)
    first = harness.session.dial(request)
    assert harness.session.dial(request) == first  # double click: same request
    # A second dialog with the same identity while the first still rings: same guest.
    assert harness.session.dial(request_for(sid)) == first
    qtbot.waitUntil(lambda: status_of(harness, first) is GuestStatus.QUEUED)
    assert harness.session.dial(request) == first
    # The same identity for another number while the first rings: refused, said why.
    assert harness.session.dial(request_for(sid, number="+14155550123")) == ""
    assert harness.errors and "phone-alice" in harness.errors[-1][0].message
    qtbot.wait(200)  # any (wrong) second POST would have arrived by now
    assert sandbox.request_log.count("POST", CALLS_PATH) == 1
    assert len(harness.session.book.all_guests()) == 1


def test_rejected_dial_says_why(qtbot: QtBot, harness: Harness) -> None:
    sid = select_new_room(qtbot, harness)
    dial_id = harness.session.dial(request_for(sid, number="+15005550001"))
    qtbot.waitUntil(lambda: status_of(harness, dial_id) is GuestStatus.REJECTED)
    assert harness.errors
    error, context = harness.errors[-1]
    assert getattr(error, "code", None) == 21211
    assert "0001" in context and "+15005550001" not in context
    row = harness.row(dial_id)
    assert row is not None and row.can_redial


def test_busy_then_redial_reuses_the_row(qtbot: QtBot, harness: Harness) -> None:
    sandbox = harness.sandbox
    sid = select_new_room(qtbot, harness)
    dial_id = harness.session.dial(request_for(sid, number="+14155551111"))
    qtbot.waitUntil(lambda: status_of(harness, dial_id) is GuestStatus.QUEUED)
    sandbox.clock.advance(1.5)
    qtbot.waitUntil(lambda: status_of(harness, dial_id) is GuestStatus.BUSY)
    row = harness.row(dial_id)
    assert row is not None and row.can_redial
    second = harness.session.redial(row)
    assert second and second != dial_id
    assert harness.row(second) is not None
    assert harness.row(dial_id) is None  # superseded in place, not stacked
    qtbot.waitUntil(lambda: sandbox.request_log.count("POST", CALLS_PATH) == 2)


def test_create_and_end_room(qtbot: QtBot, harness: Harness) -> None:
    created: list[str] = []
    harness.session.create_room("town-hall", on_created=lambda room: created.append(room.sid))
    qtbot.waitUntil(lambda: "town-hall" in harness.room_names())
    # A rooms poll (its own pool) may list the room before the create's answer is delivered.
    qtbot.waitUntil(lambda: bool(created))
    harness.session.end_room(created[0])
    qtbot.waitUntil(lambda: "town-hall" not in harness.room_names())
    assert harness.sandbox.world.room(created[0]).status == "completed"
    # Logged when Twilio answers the complete; a rooms poll (its own pool) may drop it first.
    qtbot.waitUntil(lambda: {"room-created", "room-ended"} <= set(harness.kinds()))


def test_create_room_error_is_reported(qtbot: QtBot, harness: Harness) -> None:
    harness.sandbox.world.create_room("taken")
    harness.session.create_room("taken")
    qtbot.waitUntil(lambda: bool(harness.errors))
    error, context = harness.errors[0]
    assert getattr(error, "code", None) == 53113
    assert "taken" in context


def test_caller_ids_are_loaded(qtbot: QtBot, harness: Harness) -> None:
    qtbot.waitUntil(lambda: bool(harness.session.caller_ids))
    numbers = {c.phone_number for c in harness.session.caller_ids}
    assert CALLER_ID in numbers


def test_preflight_reports_checks(qtbot: QtBot, harness: Harness) -> None:
    sid = select_new_room(qtbot, harness)
    qtbot.waitUntil(lambda: bool(harness.session.caller_ids))
    results: list[list[object]] = []
    harness.session.preflight(request_for(sid)).finished.connect(
        lambda checks: results.append(list(checks))
    )
    qtbot.waitUntil(lambda: bool(results))
    assert results[0] and all(getattr(check, "passed", False) for check in results[0])

    harness.sandbox.world.join_app_participant(sid, "phone-alice")
    bad = request_for(sid, caller_id="+19999999999")
    harness.session.preflight(bad).finished.connect(lambda checks: results.append(list(checks)))
    qtbot.waitUntil(lambda: len(results) == 2)
    failed = {getattr(c, "name", "") for c in results[1] if not getattr(c, "passed", True)}
    assert {"Caller ID", "Identity"} <= failed


def test_preflight_failure_is_a_failed_check_not_a_popup(qtbot: QtBot, harness: Harness) -> None:
    sid = select_new_room(qtbot, harness)
    # The caller IDs load once after the first rooms poll; a 500 on that request is rightly an
    # error, so the fault starts only once it has come back and the preflight is all it hits.
    qtbot.waitUntil(lambda: bool(harness.session.caller_ids), timeout=10_000)
    harness.sandbox.controls.fault_rate = 1.0
    results: list[list[object]] = []
    harness.session.preflight(request_for(sid)).finished.connect(
        lambda checks: results.append(list(checks))
    )
    qtbot.waitUntil(lambda: bool(results), timeout=10_000)
    harness.sandbox.controls.fault_rate = 0.0
    (check,) = results[0]
    assert getattr(check, "name", "") == "Twilio reachable"
    assert getattr(check, "passed", True) is False
    assert not harness.errors


def test_several_calls_at_once_are_followed_through_listings(
    qtbot: QtBot, sandbox: SandboxServer
) -> None:
    from dataclasses import replace

    from tests.ui.session_fixtures import FAST

    h = make_harness(qtbot, sandbox, settings=replace(FAST, batch_calls_from=2))
    try:
        sid = select_new_room(qtbot, h)
        numbers = {"phone-a": "+14155550101", "phone-b": "+14155550102", "phone-c": "+14155551111"}
        ids = {
            identity: h.session.dial(request_for(sid, number=number, identity=identity))
            for identity, number in numbers.items()
        }
        qtbot.waitUntil(lambda: all(status_of(h, d) is GuestStatus.QUEUED for d in ids.values()))
        sandbox.clock.advance(1.5)
        qtbot.waitUntil(lambda: status_of(h, ids["phone-c"]) is GuestStatus.BUSY)
        qtbot.waitUntil(lambda: status_of(h, ids["phone-a"]) is GuestStatus.RINGING)
        qtbot.waitUntil(lambda: status_of(h, ids["phone-b"]) is GuestStatus.RINGING)
        sandbox.clock.advance(3.0)
        qtbot.waitUntil(lambda: status_of(h, ids["phone-a"]) is GuestStatus.CONNECTED)
        qtbot.waitUntil(lambda: status_of(h, ids["phone-b"]) is GuestStatus.CONNECTED)
        listings = [
            r for r in sandbox.request_log.reads() if r.path.endswith(CALLS_PATH) and r.query
        ]
        assert listings, "calls were not listed by status"
    finally:
        h.session.stop()


def test_remove_app_participant(qtbot: QtBot, harness: Harness) -> None:
    world = harness.sandbox.world
    sid = select_new_room(qtbot, harness)
    participant = world.join_app_participant(sid, "heckler")
    qtbot.waitUntil(lambda: harness.row(participant) is not None)
    row = harness.row(participant)
    assert row is not None and row.can_remove
    harness.session.remove(row)
    qtbot.waitUntil(lambda: harness.row(participant) is None)
    assert world.participant(participant).status == "disconnected"
    # Logged when Twilio answers the disconnect; a poll (its own pool) may see them gone first.
    qtbot.waitUntil(lambda: "removed" in harness.kinds())


def test_room_ended_while_guest_rings(qtbot: QtBot, harness: Harness) -> None:
    sandbox = harness.sandbox
    sid = select_new_room(qtbot, harness)
    dial_id = harness.session.dial(request_for(sid))
    qtbot.waitUntil(lambda: status_of(harness, dial_id) is GuestStatus.QUEUED)
    sandbox.clock.advance(1.5)
    qtbot.waitUntil(lambda: status_of(harness, dial_id) is GuestStatus.RINGING)
    harness.session.end_room(sid)
    qtbot.waitUntil(lambda: "standup" not in harness.room_names())
    # The app cancels the ringing call: nobody picks up only to hear the meeting is over.
    # The book hands out snapshots: wait on its latest one, then read it.
    qtbot.waitUntil(
        lambda: (g := harness.session.book.get(dial_id)) is not None and g.status.is_final
    )
    guest = harness.session.book.get(dial_id)
    assert guest is not None and guest.status is GuestStatus.CANCELED
    assert guest.end_reason.startswith("Canceled: the room ended")
    assert guest.call_sid is not None
    assert sandbox.world.call(guest.call_sid).status == "canceled"


def test_guest_in_the_room_leaves_when_it_ends(qtbot: QtBot, harness: Harness) -> None:
    sandbox = harness.sandbox
    sid = select_new_room(qtbot, harness)
    dial_id = harness.session.dial(request_for(sid))
    qtbot.waitUntil(lambda: status_of(harness, dial_id) is GuestStatus.QUEUED)
    sandbox.clock.advance(4.5)  # rings, then answers into the room
    qtbot.waitUntil(lambda: status_of(harness, dial_id) is GuestStatus.CONNECTED)
    harness.session.end_room(sid)
    # The book hands out snapshots: wait on its latest one, then read it.
    qtbot.waitUntil(
        lambda: (g := harness.session.book.get(dial_id)) is not None and g.status.is_final
    )
    guest = harness.session.book.get(dial_id)
    assert guest is not None and guest.status is GuestStatus.LEFT
    assert "room" in guest.end_reason.lower()


def test_last_refresh_moves_on_while_online(qtbot: QtBot, harness: Harness) -> None:
    """The indicator's "Last refresh" follows every successful poll, not only state changes."""
    qtbot.waitUntil(lambda: harness.state.kind is ConnectionKind.ONLINE)
    first = harness.state.last_success
    assert first is not None
    harness.sandbox.clock.advance(5)
    qtbot.waitUntil(
        lambda: any(s.last_success is not None and s.last_success > first for s in harness.states),
        timeout=5_000,
    )
    assert harness.states[-1].kind is ConnectionKind.ONLINE


def test_preflight_checks_again_by_itself_after_a_transient_failure(
    qtbot: QtBot, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("moderator.ui.session.preflight.RETRY_DELAYS_S", (1, 2))
    sid = select_new_room(qtbot, harness)
    qtbot.waitUntil(lambda: bool(harness.session.caller_ids))
    harness.sandbox.controls.fault_rate = 1.0
    results: list[list[object]] = []
    run = harness.session.preflight(request_for(sid))
    run.finished.connect(lambda checks: results.append(list(checks)))
    qtbot.waitUntil(lambda: bool(results), timeout=10_000)
    (check,) = results[0]
    assert getattr(check, "reason", "") == "Twilio did not answer; checking again in 1 s"
    assert run.retry_pending
    harness.sandbox.controls.fault_rate = 0.0
    qtbot.waitUntil(
        lambda: bool(results[-1]) and all(getattr(c, "passed", False) for c in results[-1]),
        timeout=10_000,
    )
    assert not run.retry_pending and not harness.errors


def test_a_newer_preflight_supersedes_the_older_one(qtbot: QtBot, harness: Harness) -> None:
    sid = select_new_room(qtbot, harness)
    qtbot.waitUntil(lambda: bool(harness.session.caller_ids))
    old: list[object] = []
    new: list[object] = []
    first = harness.session.preflight(request_for(sid))
    first.finished.connect(old.append)
    second = harness.session.preflight(request_for(sid, identity="phone-bob"))
    second.finished.connect(new.append)
    qtbot.waitUntil(lambda: bool(new), timeout=10_000)
    assert old == [] and not first.active and second.active


def test_caller_ids_load_again_by_themselves_after_a_transient_failure(
    qtbot: QtBot, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("moderator.ui.session.host_actions.CALLER_ID_RETRY_S", (0.2, 0.4))
    sandbox.controls.fault_rate = 1.0  # every request fails with a 500 from the start
    h = make_harness(qtbot, sandbox)
    try:
        qtbot.waitUntil(lambda: bool(h.states) and h.states[-1].kind is not ConnectionKind.ONLINE)
        qtbot.wait(600)  # long enough for a retry or two to fail as well
        assert not h.session.caller_ids
        assert not h.errors  # the indicator says what is going on; no error line per attempt
        sandbox.controls.fault_rate = 0.0
        qtbot.waitUntil(lambda: bool(h.session.caller_ids), timeout=10_000)
        assert not h.errors
    finally:
        h.session.stop()
