"""Random sequences of polls and actions: guests only move forward and never double up."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from moderator.core.guests import GuestBook, GuestEvent, GuestStatus, PhoneGuest
from moderator.core.journal import Journal
from moderator.core.models import CallStatus
from moderator.core.redaction import contains_number
from moderator.core.roster import GuestKind, build_roster
from tests.core.guest_helpers import (
    NUMBER,
    OTHER_NUMBER,
    ROOM,
    FakeClock,
    call,
    fresh,
    participant,
)

# Two dials share an identity (a redial / the 53205 case); the pool of participants includes
# two different SIDs for that identity and an app participant.
IDENTITIES = ("phone-a", "phone-a", "phone-c")
NUMBERS = (NUMBER, OTHER_NUMBER, NUMBER)
PARTICIPANTS = (("PA-a1", "phone-a"), ("PA-a2", "phone-a"), ("PA-c1", "phone-c"), ("PA-x", "bob"))
FINAL_KINDS = {"left", "call-ended", "dial-failed"}

dial_index = st.integers(min_value=0, max_value=len(IDENTITIES) - 1)
operations = st.one_of(
    st.tuples(st.just("created"), dial_index, st.sampled_from(list(CallStatus))),
    st.tuples(st.just("call"), dial_index, st.sampled_from(list(CallStatus))),
    st.tuples(
        st.just("participants"),
        st.sets(st.integers(min_value=0, max_value=len(PARTICIPANTS) - 1)),
    ),
    st.tuples(st.just("removed"), dial_index),
    st.tuples(st.just("rejected"), dial_index),
    st.tuples(st.just("unknown"), dial_index),
    st.tuples(st.just("not-found"), dial_index),
    st.tuples(st.just("redial"), dial_index),
    st.tuples(st.just("room-ended")),
    st.tuples(st.just("tick"), st.integers(min_value=0, max_value=90)),
)


@dataclass
class World:
    clock: FakeClock = field(default_factory=FakeClock)
    journal: Journal = field(default_factory=Journal.in_memory)
    book: GuestBook = field(init=False)
    dials: list[PhoneGuest] = field(default_factory=list)
    present: list[tuple[str, str]] = field(default_factory=list)
    events: list[GuestEvent] = field(default_factory=list)
    finals: dict[str, tuple[GuestStatus, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.book = GuestBook(self.journal, self.clock)
        for identity, number in zip(IDENTITIES, NUMBERS, strict=True):
            self.dials.append(
                self.book.start_dial(
                    room_sid=ROOM,
                    room_name="Standup",
                    identity=identity,
                    number=number,
                    masked_number="",
                    label="",
                    caller_id="+15005550006",
                )
            )

    def run(self, op: tuple[object, ...]) -> None:
        book, kind = self.book, op[0]
        index = op[1] if kind != "tick" and len(op) > 1 and isinstance(op[1], int) else None
        # The book hands out frozen snapshots: read each dial's latest one.
        guest = book.get(self.dials[index].dial_id) if index is not None else None
        sid = f"CA{guest.dial_id[:8]}" if guest is not None else ""
        match kind:
            case "created":
                assert guest is not None and isinstance(op[2], CallStatus)
                self.events += book.call_created(
                    guest.dial_id, call(sid, op[2], to=str(guest.number))
                )
            case "call":
                assert isinstance(op[2], CallStatus)
                self.events += book.apply_call(call(sid, op[2]))
            case "participants":
                assert isinstance(op[1], set)
                self.present = [PARTICIPANTS[i] for i in sorted(op[1])]
                # Twilio never has two connected participants with one identity.
                unique = {identity: sid for sid, identity in self.present}
                self.present = [(sid, identity) for identity, sid in unique.items()]
                self.events += book.apply_participants(
                    ROOM, [participant(sid, identity) for sid, identity in self.present]
                )
            case "removed":
                assert guest is not None
                self.events += book.mark_removed(guest.dial_id)
            case "rejected":
                assert guest is not None
                self.events += book.dial_rejected(guest.dial_id, f"Bad number {guest.number}")
            case "unknown":
                assert guest is not None
                self.events += book.dial_outcome_unknown(guest.dial_id, "timed out")
            case "not-found":
                assert guest is not None
                self.events += book.reconcile_not_found(guest.dial_id)
            case "redial":
                assert guest is not None
                if guest.status.can_redial and index is not None:
                    self.dials[index] = book.redial(guest.dial_id)
            case "room-ended":
                self.events += book.room_ended(ROOM)
            case "tick":
                assert isinstance(op[1], int)
                self.clock.advance(op[1])

    def check(self) -> None:
        guests = self.book.all_guests()
        for guest in guests:
            ranks = [status.rank for status, _ in guest.history]
            assert ranks == sorted(ranks), guest.history
            assert guest.history[-1][0] is guest.status
            assert sum(status.is_final for status, _ in guest.history) <= 1
            if guest.dial_id in self.finals:  # final is forever
                assert self.finals[guest.dial_id] == (guest.status, len(guest.history))
            elif guest.status.is_final:
                self.finals[guest.dial_id] = (guest.status, len(guest.history))
            if guest.status is GuestStatus.CONNECTED:
                assert guest.participant_sid is not None

        # The journal mirrors the book: one row per dial, same status.
        entries = {entry.dial_id: entry for entry in self.journal.entries()}
        assert len(entries) == len(self.journal.entries()) == len(guests)
        for guest in guests:
            assert entries[guest.dial_id].status is guest.status
            assert entries[guest.dial_id].call_sid == guest.call_sid

        # The roster: never two rows for one dial or one participant.
        rows = build_roster(
            ROOM,
            [participant(sid, identity) for sid, identity in self.present],
            self.book,
            self.clock.now,
        )
        keys = [row.key for row in rows]
        assert len(keys) == len(set(keys))
        # Every test participant publishes audio, so has_audio marks a row that shows one.
        participant_sids = [row.participant_sid for row in rows if row.has_audio]
        assert len(participant_sids) == len(set(participant_sids))
        shown = {row.dial_id for row in rows if row.kind is GuestKind.PHONE}
        latest = {guest.identity: guest.dial_id for guest in guests}
        for guest in guests:
            if latest[guest.identity] == guest.dial_id or not guest.status.is_final:
                assert guest.dial_id in shown

        # Each dial ends once, joins at most once, and no line shows a full number.
        endings = Counter(e.dial_id for e in self.events if e.kind in FINAL_KINDS)
        joins = Counter(e.dial_id for e in self.events if e.kind == "joined")
        assert max(endings.values(), default=0) <= 1
        assert max(joins.values(), default=0) <= 1
        for event in self.events:
            assert not contains_number(event.text, NUMBER)
            assert not contains_number(event.text, OTHER_NUMBER)


@settings(max_examples=150, deadline=None)
@given(st.lists(operations, max_size=40))
def test_random_polls_never_go_backwards_or_double_up(ops: list[tuple[object, ...]]) -> None:
    world = World()
    try:
        world.check()
        for op in ops:
            world.run(op)
            world.check()
    finally:
        world.journal.close()


@settings(max_examples=100, deadline=None)
@given(st.permutations(list(CallStatus)), st.booleans())
def test_any_order_of_call_polls_ends_in_the_first_final_seen(
    statuses: list[CallStatus], seen_in_room: bool
) -> None:
    """Whatever order polls arrive in, the first final one decides, and nothing follows it."""
    book = GuestBook(clock=FakeClock())
    guest = book.start_dial(
        room_sid=ROOM,
        room_name="Standup",
        identity="phone-a",
        number=NUMBER,
        masked_number="",
        label="",
        caller_id="+15005550006",
    )
    book.call_created(guest.dial_id, call("CA1", CallStatus.QUEUED))
    if seen_in_room:
        book.apply_participants(ROOM, [participant("PA1", "phone-a")])
    first_final = next(s for s in statuses if s.is_final)
    for status in statuses:
        book.apply_call(call("CA1", status))
    guest = fresh(book, guest)
    expected = {
        CallStatus.BUSY: GuestStatus.BUSY,
        CallStatus.NO_ANSWER: GuestStatus.NO_ANSWER,
        CallStatus.FAILED: GuestStatus.FAILED,
        CallStatus.CANCELED: GuestStatus.CANCELED,
        CallStatus.COMPLETED: GuestStatus.LEFT,
    }[first_final]
    assert guest.status is expected
