"""The typed facts of the guest book, their English, and the journal recorder that writes them."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from moderator.core import guest_machine as machine
from moderator.core.guest_facts import Ending, Fact, Happening, RoomHappening
from moderator.core.guest_journal import GuestRecorder
from moderator.core.guest_state import GuestStatus, PhoneGuest
from moderator.core.guest_text import (
    end_reason,
    event_text,
    journal_detail,
    pending_reason,
    room_event_text,
)
from moderator.core.guests import GuestBook
from moderator.core.journal import Journal, JournalError
from moderator.core.models import CallStatus
from tests.core.guest_helpers import CALLER_ID, NUMBER, ROOM, T0, FakeClock, call, dial, fresh

ENDINGS = {
    Ending.REPLACED: (GuestStatus.LEFT, "left"),
    Ending.REMOVED_AFTER_STAY: (GuestStatus.LEFT, "left"),
    Ending.REMOVED: (GuestStatus.LEFT, "left"),
    Ending.ROOM_ENDED: (GuestStatus.LEFT, "left"),
    Ending.LEFT_ROOM: (GuestStatus.LEFT, "left"),
    Ending.CALL_ENDED_IN_ROOM: (GuestStatus.LEFT, "left"),
    Ending.CALL_ENDED: (GuestStatus.LEFT, "left"),
    Ending.NOT_JOINED_ROOM_ENDED: (GuestStatus.NOT_JOINED, "call-ended"),
    Ending.NEVER_JOINED: (GuestStatus.NOT_JOINED, "call-ended"),
    Ending.BUSY: (GuestStatus.BUSY, "dial-failed"),
    Ending.NO_ANSWER: (GuestStatus.NO_ANSWER, "dial-failed"),
    Ending.CANCELED: (GuestStatus.CANCELED, "call-ended"),
    Ending.FAILED: (GuestStatus.FAILED, "dial-failed"),
    Ending.REJECTED: (GuestStatus.REJECTED, "dial-failed"),
    Ending.NOT_PLACED: (GuestStatus.REJECTED, "dial-failed"),
}


def _guest(**changes: object) -> PhoneGuest:
    guest = PhoneGuest(
        dial_id="d1",
        room_sid=ROOM,
        room_name="Standup",
        identity="phone-a",
        number=NUMBER,
        masked_number="••• 2671",
        label="Alice",
        caller_id=CALLER_ID,
        history=((GuestStatus.DIALING, T0),),
        dialed_at=T0,
    )
    return dataclasses.replace(guest, **changes)


def test_every_ending_has_one_final_status_and_kind() -> None:
    assert set(ENDINGS) == set(Ending)
    for ending, (status, kind) in ENDINGS.items():
        assert ending.status is status and status.is_final
        assert Fact(ending).kind == kind


def test_only_some_steps_get_a_line() -> None:
    kinds = {happening: Fact(happening).kind for happening in Happening}
    assert kinds == {
        Happening.CALL_CREATED: "dialed",
        Happening.QUEUED: None,
        Happening.RINGING: "ringing",
        Happening.ANSWERED: None,
        Happening.JOINED: "joined",
        Happening.OUTCOME_UNKNOWN: "error",
        Happening.UNCONFIRMED_AT_RESTART: None,
        Happening.REMOVAL_REQUESTED: "removed",
        Happening.SECOND_CALL_IGNORED: "error",
    }
    assert [what.value for what in RoomHappening] == ["app-joined", "app-left", "removed"]


def test_the_wording_of_every_ending() -> None:
    ended = _guest(status=GuestStatus.BUSY, ringing_at=T0, ended_at=T0 + timedelta(seconds=8))
    stay = timedelta(minutes=4)
    words = {
        ending: (
            end_reason(Fact(ending, stay, "why"), ended),
            event_text(Fact(ending, stay, "why"), ended),
        )
        for ending in Ending
    }
    name = "Alice (••• 2671)"
    assert words == {
        Ending.REPLACED: (
            "Replaced by another participant who joined with the same identity",
            f"{name} was replaced: someone joined as phone-a",
        ),
        Ending.REMOVED_AFTER_STAY: (
            "Removed by host after 4 min",
            f"{name} was removed after 4 min",
        ),
        Ending.REMOVED: ("Removed by host", f"{name} was removed"),
        Ending.ROOM_ENDED: ("The room ended", f"{name} left: the room ended"),
        Ending.LEFT_ROOM: ("Left the room after 4 min", f"{name} left after 4 min"),
        Ending.CALL_ENDED_IN_ROOM: ("The call ended after 4 min", f"{name} left after 4 min"),
        Ending.CALL_ENDED: ("The call ended after 4 min", f"{name}'s call ended after 4 min"),
        Ending.NOT_JOINED_ROOM_ENDED: (
            "the room ended",
            f"{name} answered but did not get into Standup: the room ended",
        ),
        Ending.NEVER_JOINED: (
            "answered but never joined the room (room ended or full, or join refused)",
            f"{name} answered but did not get into Standup: answered but never joined the room"
            " (room ended or full, or join refused)",
        ),
        Ending.BUSY: ("Busy after ringing 8 s", f"{name} busy after ringing 8 s"),
        Ending.NO_ANSWER: (
            "No answer after ringing 8 s",
            f"{name} did not answer after ringing 8 s",
        ),
        Ending.CANCELED: ("Canceled after ringing 8 s", f"{name} canceled after ringing 8 s"),
        Ending.FAILED: (
            "the call could not be connected (number unreachable or not allowed)",
            f"Call to {name} failed: the call could not be connected (number unreachable or not"
            " allowed)",
        ),
        Ending.REJECTED: ("Twilio refused: why", f"Could not call {name}: why"),
        Ending.NOT_PLACED: (
            "Not placed: why",
            f"The call to {name} was not placed (why); you can dial again",
        ),
    }
    # An unknown stay is "a while", never a crash.
    assert end_reason(Fact(Ending.LEFT_ROOM), ended) == "Left the room after a while"


def test_a_cancel_says_who_canceled() -> None:
    ended = _guest(status=GuestStatus.CANCELED, ended_at=T0)
    assert event_text(Fact(Ending.CANCELED), ended) == "Alice (••• 2671) canceled"
    removed = dataclasses.replace(ended, removal_requested=True)
    assert end_reason(Fact(Ending.CANCELED), removed) == "Canceled by host"
    room_gone = dataclasses.replace(removed, cancel_reason="the room ended")
    assert end_reason(Fact(Ending.CANCELED), room_gone) == "Canceled: the room ended"


def test_steps_along_the_way_and_their_journal_details() -> None:
    guest = _guest()
    assert event_text(Fact(Happening.CALL_CREATED), guest) == (
        "Calling Alice (••• 2671) into Standup as phone-a"
    )
    assert event_text(Fact(Happening.SECOND_CALL_IGNORED, detail="CA2"), guest) == (
        "Ignored call CA2 for Alice (••• 2671): the dial already has one"
    )
    assert journal_detail(Fact(Happening.ANSWERED), guest) == "answered"
    rang = Fact(Happening.ANSWERED, duration=timedelta(seconds=7))
    assert journal_detail(rang, guest) == "answered after ringing 7 s"
    joined = Fact(Happening.JOINED, detail="PA1")
    assert journal_detail(joined, guest) == "joined the room as phone-a (PA1)"
    assert journal_detail(Fact(Happening.QUEUED), guest) == ""
    assert journal_detail(None, guest) == ""
    assert pending_reason(Fact(Happening.OUTCOME_UNKNOWN, detail="timed out")) == (
        "No answer from Twilio (timed out); checking whether the call exists"
    )
    assert room_event_text(RoomHappening.APP_REMOVED, "bob") == "Removed app participant bob"


def test_asking_for_words_a_fact_does_not_have_is_a_bug() -> None:
    guest = _guest()
    with pytest.raises(ValueError):
        event_text(Fact(Happening.QUEUED), guest)
    with pytest.raises(ValueError):
        end_reason(Fact(Happening.RINGING), guest)
    with pytest.raises(ValueError):
        pending_reason(Fact(Happening.RINGING))


def test_the_machine_never_leaves_a_final_status() -> None:
    busy = machine.finish(_guest(), Fact(Ending.BUSY), T0)
    assert busy is not None and busy.after.status is GuestStatus.BUSY
    assert busy.before.status is GuestStatus.DIALING
    assert machine.finish(busy.after, Fact(Ending.FAILED), T0) is None
    assert machine.advance(busy.after, GuestStatus.CONNECTED, Fact(Happening.JOINED), T0) is None
    assert machine.removal_requested(busy.after, T0) is None
    timed, step = machine.call_polled(
        busy.after, call("CA1", CallStatus.RINGING, duration=3), T0, room_ended=False, absent=False
    )
    assert step is None and timed.call_duration_s == 3


# -- the recorder ---------------------------------------------------------------------------


class FlakyJournal(Journal):
    """An in-memory journal whose updates (not the dials themselves) fail while `failing`."""

    failing = False

    def _update(self, *args: object, **kwargs: object) -> None:
        if self.failing:
            raise JournalError("disk full")
        super()._update(*args, **kwargs)

    def record_action(self, *args: object, **kwargs: object) -> None:
        if self.failing:
            raise JournalError("disk full")
        super().record_action(*args, **kwargs)


def test_a_run_of_journal_failures_is_reported_once() -> None:
    clock = FakeClock()
    journal = FlakyJournal(":memory:")
    book = GuestBook(journal, clock)
    first, second = dial(book), dial(book, identity="phone-b")
    journal.failing = True
    events = book.call_created(first.dial_id, call("CA1", CallStatus.RINGING))
    assert [(e.kind, e.text) for e in events if e.kind == "error"] == [
        ("error", "Call journal not updated: disk full")
    ]
    assert [e.kind for e in events] == ["error", "dialed", "ringing"]
    assert events[0].dial_id == first.dial_id and events[0].room_name == "Standup"
    events = book.call_created(second.dial_id, call("CA2", CallStatus.RINGING))
    assert "error" not in [e.kind for e in events]  # the same run: not again
    assert fresh(book, second).status is GuestStatus.RINGING
    # Host actions are told every time: they are rare and stand alone.
    for _ in range(2):
        removed = book.app_participant_removed(ROOM, "bob")
        assert [e.kind for e in removed] == ["removed", "error"]
        assert removed[1].room_name == "Standup" and removed[1].dial_id is None
    journal.failing = False
    book.apply_call(call("CA1", CallStatus.IN_PROGRESS))  # a success ends the run
    journal.failing = True
    events = book.apply_call(call("CA2", CallStatus.IN_PROGRESS))
    assert [e.kind for e in events] == ["error"]


def test_without_a_journal_the_recorder_writes_nothing_and_never_fails() -> None:
    recorder = GuestRecorder(None, FakeClock(), lambda _sid: "")
    guest = _guest()
    recorder.record_dial(guest)
    recorder.adopt(guest, T0)
    step = machine.finish(guest, Fact(Ending.BUSY), T0)
    assert step is not None
    assert recorder.record(step) == []
    assert recorder.record_action(T0, ROOM, "Standup", "removed-participant", "bob") == []
