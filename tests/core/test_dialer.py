"""The Dialer without Qt: a dial's life from click to hang-up, with a fake clock and no network."""

from __future__ import annotations

from dataclasses import replace

import pytest

from moderator.core.changes import Changes
from moderator.core.dialer import (
    RECONCILE_DELAYS_S,
    Dialer,
    DialRequest,
    dial_problem,
)
from moderator.core.errors import ErrorKind, TwilioError
from moderator.core.guest_state import GuestStatus
from moderator.core.guests import GuestBook
from moderator.core.live_state import LiveState
from moderator.core.models import CallerId, CallerIdSource, CallStatus, Room, RoomType
from moderator.core.poller import call_key, participants_key
from moderator.core.roster import GuestKind, RosterRow
from tests.core.guest_helpers import (
    CALLER_ID,
    NUMBER,
    ROOM,
    ROOM_NAME,
    T0,
    FakeClock,
    call,
    participant,
)

CALLER_IDS = [CallerId(CALLER_ID, "Main line", CallerIdSource.INCOMING_NUMBER)]


class Mono:
    """Monotonic seconds the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class World:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.mono = Mono()
        self.book = GuestBook(None, self.clock)
        self.live = LiveState(self.book, self.clock)
        self.live.apply_rooms([Room(ROOM, ROOM_NAME, "in-progress", RoomType.GROUP, 50, T0)])
        self.live.apply_participants(ROOM, [])
        self.dialer = Dialer(self.book, self.live, self.clock, self.mono)

    def status(self, dial_id: str) -> GuestStatus:
        guest = self.book.get(dial_id)
        assert guest is not None
        return guest.status

    def row(self, dial_id: str) -> RosterRow:
        (row,) = [r for r in self.live.roster(ROOM) if r.dial_id == dial_id]
        return row


@pytest.fixture
def w() -> World:
    return World()


def request(**overrides: object) -> DialRequest:
    base = DialRequest(ROOM, ROOM_NAME, NUMBER, "Alice", "phone-4kq2", CALLER_ID, timeout_s=45)
    return replace(base, **overrides)  # type: ignore[arg-type]


def server_error() -> TwilioError:
    return TwilioError(
        "Twilio had a temporary problem.", action="Try again.", kind=ErrorKind.SERVER, status=500
    )


def test_a_dial_is_recorded_before_its_one_create_call(w: World) -> None:
    start = w.dialer.begin(request(), CALLER_IDS)
    assert start.dial_id and start.call is not None
    assert (start.call.to, start.call.from_, start.call.timeout_s) == (NUMBER, CALLER_ID, 45)
    assert 'participantIdentity="phone-4kq2"' in start.call.twiml
    assert start.changes.rooms and start.changes.rosters == {ROOM}
    assert w.status(start.dial_id) is GuestStatus.DIALING
    assert w.book.get(start.dial_id).timeout_s == 45  # type: ignore[union-attr]


def test_the_same_request_twice_gives_the_same_dial_and_no_second_call(w: World) -> None:
    req = request()
    first = w.dialer.begin(req, CALLER_IDS)
    again = w.dialer.begin(req, CALLER_IDS)
    assert again.dial_id == first.dial_id and again.call is None and not again.changes
    # a new request for the same number and identity while that dial is live: the same dial
    other_click = w.dialer.begin(request(), CALLER_IDS)
    assert other_click.dial_id == first.dial_id and other_click.call is None
    assert len(w.book.all_guests()) == 1


def test_an_identity_used_by_another_live_dial_is_refused(w: World) -> None:
    w.dialer.begin(request(), CALLER_IDS)
    refused = w.dialer.begin(request(number="+442079460958"), CALLER_IDS)
    assert refused.dial_id == "" and refused.call is None
    (report,) = refused.changes.errors
    assert "already being used by Alice" in report.error.message
    assert report.context == "Dialing ••• 0958" and report.room_sid == ROOM
    assert len(w.book.all_guests()) == 1


@pytest.mark.parametrize(
    ("overrides", "caller_ids", "words"),
    [
        ({"number": "+1555"}, CALLER_IDS, ""),
        ({"number": "4155552671"}, CALLER_IDS, "international form"),
        ({"number": CALLER_ID}, CALLER_IDS, "caller ID itself"),
        ({"caller_id": "+14155550100"}, CALLER_IDS, "not one of the account's"),
    ],
)
def test_bad_requests_are_refused_with_a_reason_and_change_nothing(
    w: World, overrides: dict[str, str], caller_ids: list[CallerId], words: str
) -> None:
    start = w.dialer.begin(request(**overrides), caller_ids)
    assert start.dial_id == "" and start.call is None
    (report,) = start.changes.errors
    assert words in report.error.message and report.error.action
    assert w.book.all_guests() == []


def test_caller_ids_not_loaded_yet_let_twilio_decide(w: World) -> None:
    assert dial_problem(request(caller_id="+14155550100"), None, w.live) is None


def test_an_identity_already_in_the_room_is_refused(w: World) -> None:
    w.live.apply_participants(ROOM, [participant("PA1", "phone-4kq2")])
    start = w.dialer.begin(request(), CALLER_IDS)
    assert "already in the room" in start.changes.errors[0].error.message


def test_created_follows_the_call_at_once(w: World) -> None:
    start = w.dialer.begin(request(), CALLER_IDS)
    changes = w.dialer.created(start.dial_id, call("CA1", CallStatus.QUEUED))
    assert call_key("CA1") in changes.polls and changes.hang_ups == []
    assert w.status(start.dial_id) is GuestStatus.QUEUED
    assert [c.call_sid for c in w.dialer.live_calls()] == ["CA1"]


def test_a_refused_create_call_ends_the_dial_with_the_reason(w: World) -> None:
    start = w.dialer.begin(request(), CALLER_IDS)
    refused = TwilioError(
        "That number cannot be called.", action="Check it.", kind=ErrorKind.INVALID_INPUT
    )
    changes = w.dialer.create_failed(start.dial_id, refused)
    assert w.status(start.dial_id) is GuestStatus.REJECTED
    assert changes.errors[0].context == "Dialing ••• 2671"


def test_a_create_call_that_never_left_is_not_sent_not_rejected(w: World) -> None:
    start = w.dialer.begin(request(), CALLER_IDS)
    down = TwilioError("Could not reach Twilio.", action="Try again.", kind=ErrorKind.NETWORK)
    w.dialer.create_failed(start.dial_id, down)
    guest = w.book.get(start.dial_id)
    assert guest is not None and guest.status.is_final
    assert guest.end_reason.startswith("Not placed") and "refused" not in guest.end_reason


def test_an_unknown_outcome_is_reconciled_never_resent(w: World) -> None:
    start = w.dialer.begin(request(), CALLER_IDS)
    unknown = replace_outcome_unknown(server_error())
    changes = w.dialer.create_failed(start.dial_id, unknown)
    assert w.status(start.dial_id) is GuestStatus.UNKNOWN and not changes.errors
    assert w.dialer.due_reconciles(w.mono.now, lambda key: False) == []  # not before its delay
    w.mono.now += RECONCILE_DELAYS_S[0]
    (job,) = w.dialer.due_reconciles(w.mono.now, lambda key: False)
    assert (job.to, job.from_, job.key) == (NUMBER, CALLER_ID, f"reconcile:{start.dial_id}")
    assert w.dialer.due_reconciles(w.mono.now, lambda key: key == job.key) == []  # in flight
    adopted = w.dialer.reconciled(start.dial_id, [call("CA9", CallStatus.RINGING)])
    assert call_key("CA9") in adopted.polls
    assert w.book.get(start.dial_id).call_sid == "CA9"  # type: ignore[union-attr]
    assert w.dialer.due_reconciles(w.mono.now + 100, lambda key: False) == []


def test_reconciliation_gives_up_after_its_last_look(w: World) -> None:
    start = w.dialer.begin(request(), CALLER_IDS)
    w.dialer.create_failed(start.dial_id, replace_outcome_unknown(server_error()))
    for _ in RECONCILE_DELAYS_S:
        w.mono.now += 60
        assert w.dialer.due_reconciles(w.mono.now, lambda key: False)
        w.dialer.reconcile_failed(start.dial_id)  # a failed look uses up no attempt
        w.mono.now += 60
        w.dialer.reconciled(start.dial_id, [])
    assert w.status(start.dial_id).is_final
    assert w.dialer.due_reconciles(w.mono.now + 60, lambda key: False) == []


def test_removing_a_ringing_guest_hangs_up_its_call(w: World) -> None:
    start = w.dialer.begin(request(), CALLER_IDS)
    w.dialer.created(start.dial_id, call("CA1", CallStatus.RINGING))
    w.dialer.apply_call(call("CA1", CallStatus.RINGING))
    removal = w.dialer.removal(w.row(start.dial_id), ROOM)
    assert removal.disconnect is None
    assert [g.dial_id for g in removal.changes.hang_ups] == [start.dial_id]
    assert [e.kind for e in removal.changes.events] == ["removed"]


def test_removed_before_twilio_confirmed_the_call_it_ends_once_it_exists(w: World) -> None:
    start = w.dialer.begin(request(), CALLER_IDS)
    removal = w.dialer.removal(w.row(start.dial_id), ROOM)
    assert removal.changes.hang_ups == []  # no call SID to hang up yet
    created = w.dialer.created(start.dial_id, call("CA1", CallStatus.QUEUED))
    assert [g.call_sid for g in created.hang_ups] == ["CA1"]


def test_an_app_participant_is_disconnected_not_hung_up(w: World) -> None:
    w.live.apply_participants(ROOM, [participant("PA1", "alice")])
    (row,) = w.live.roster(ROOM)
    assert row.kind is GuestKind.APP
    removal = w.dialer.removal(row, None)
    assert removal.disconnect == (ROOM, "PA1", "alice") and not removal.changes
    done = w.dialer.participant_removed(ROOM, "alice")
    assert participants_key(ROOM) in done.polls and done.tick


def test_a_room_that_ends_while_a_phone_rings_cancels_that_call(w: World) -> None:
    ringing = w.dialer.begin(request(), CALLER_IDS)
    w.dialer.created(ringing.dial_id, call("CA1", CallStatus.RINGING))
    w.dialer.apply_call(call("CA1", CallStatus.RINGING))
    pending = w.dialer.begin(request(identity="phone-zz9", number="+14155550123"), CALLER_IDS)
    changes = w.dialer.room_gone(ROOM, ROOM_NAME)
    assert [g.dial_id for g in changes.hang_ups] == [ringing.dial_id]
    # the dial whose create-call is still out is ended as soon as Twilio confirms it
    late = w.dialer.created(pending.dial_id, call("CA2", CallStatus.QUEUED))
    assert [g.call_sid for g in late.hang_ups] == ["CA2"]


def test_redial_keeps_number_identity_and_ring_timeout(w: World) -> None:
    start = w.dialer.begin(request(), CALLER_IDS)
    w.dialer.created(start.dial_id, call("CA1", CallStatus.QUEUED))
    w.dialer.apply_call(call("CA1", CallStatus.BUSY, end=T0))
    again = w.dialer.redial(w.row(start.dial_id))
    assert again.call is not None and again.dial_id != start.dial_id
    assert (again.call.to, again.call.timeout_s) == (NUMBER, 45)
    assert 'participantIdentity="phone-4kq2"' in again.call.twiml


def test_a_redial_of_a_live_call_is_refused(w: World) -> None:
    start = w.dialer.begin(request(), CALLER_IDS)
    again = w.dialer.redial(w.row(start.dial_id))
    assert again.dial_id == "" and again.changes.errors


def test_calls_missing_from_a_listing_are_fetched_and_unknown_ones_dropped(w: World) -> None:
    a = w.dialer.begin(request(), CALLER_IDS)
    b = w.dialer.begin(request(identity="phone-b", number="+14155550123"), CALLER_IDS)
    w.dialer.created(a.dial_id, call("CA1", CallStatus.QUEUED))
    w.dialer.created(b.dial_id, call("CA2", CallStatus.QUEUED))
    w.dialer.calls_listed([call("CA1", CallStatus.RINGING)], asked_at=w.mono.now + 1)
    fetch = {c.call_sid: c.fetch for c in w.dialer.live_calls()}
    assert fetch == {"CA1": False, "CA2": True}
    lost = w.dialer.call_lost("CA2")
    assert "no longer knows the call to ••• 0123" in lost.events[0].text
    assert [c.call_sid for c in w.dialer.live_calls()] == ["CA1"]


def test_a_call_created_after_the_listing_was_asked_is_not_fetched(w: World) -> None:
    a = w.dialer.begin(request(), CALLER_IDS)
    asked_at = w.mono.now
    w.mono.now += 1
    w.dialer.created(a.dial_id, call("CA1", CallStatus.QUEUED))
    w.dialer.calls_listed([], asked_at=asked_at)
    assert [c.fetch for c in w.dialer.live_calls()] == [False]


def test_answered_calls_look_at_their_room_soon(w: World) -> None:
    a = w.dialer.begin(request(), CALLER_IDS)
    w.dialer.created(a.dial_id, call("CA1", CallStatus.QUEUED))
    changes = w.dialer.apply_call(call("CA1", CallStatus.IN_PROGRESS, start=T0))
    assert participants_key(ROOM) in changes.polls
    assert w.dialer.pending_in_room(ROOM) == 1 and w.dialer.any_live_in_room(ROOM)


def test_recovery_reconciles_unknown_dials_at_once() -> None:
    w = World()
    start = w.dialer.begin(request(), CALLER_IDS)
    w.dialer.create_failed(start.dial_id, replace_outcome_unknown(server_error()))
    fresh = Dialer(w.book, w.live, w.clock, w.mono)
    changes = fresh.recover()
    assert "Took back 1 unfinished dial(s)" in changes.events[0].text
    assert [j.dial_id for j in fresh.due_reconciles(w.mono.now, lambda key: False)] == [
        start.dial_id
    ]
    assert Dialer(GuestBook(None, w.clock), w.live, w.clock, w.mono).recover() == Changes()


def replace_outcome_unknown(error: TwilioError) -> TwilioError:
    error.outcome_unknown = True
    return error
