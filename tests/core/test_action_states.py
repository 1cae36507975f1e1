"""The window's command rules, case by case: what a host can click in each situation."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from moderator.core.action_states import (
    NO_PHONE_GUESTS_NOTE,
    REMOVE_TEXT,
    ActionStates,
    action_states,
    remove_label,
)
from moderator.core.guest_state import GuestStatus
from moderator.core.models import Room, RoomType
from moderator.core.roster import GuestKind, RosterRow

T0 = datetime(2026, 1, 1, tzinfo=UTC)

GROUP = Room("RM1", "standup", "in-progress", RoomType.GROUP, 50, T0)
PEER_TO_PEER = Room("RM2", "one-on-one", "in-progress", RoomType.PEER_TO_PEER, 2, T0)
GO = Room("RM3", "quick", "in-progress", RoomType.GO, 2, T0)
SMALL = Room("RM4", "huddle", "in-progress", RoomType.GROUP_SMALL, 4, T0)

APP = RosterRow(
    key="PA1",
    kind=GuestKind.APP,
    name="alice",
    full_number=None,
    label="",
    identity="alice",
    status=None,
    status_text="Connected",
    connected_since=T0,
    has_audio=True,
    has_video=True,
    participant_sid="PA1",
    call_sid=None,
    dial_id=None,
    can_remove=True,
    can_redial=False,
)


def phone(status: GuestStatus, *, number: str | None = "+14155552671") -> RosterRow:
    """A phone guest's row as `build_roster` makes it for a dial in `status`."""
    return dataclasses.replace(
        APP,
        key="dial-1",
        kind=GuestKind.PHONE,
        name="••• 2671",
        full_number=number,
        identity="phone-abc",
        status=status,
        participant_sid="PA2" if status is GuestStatus.CONNECTED else None,
        call_sid=None if status is GuestStatus.DIALING else "CA1",
        dial_id="dial-1",
        can_remove=status.can_remove,
        can_redial=status.can_redial and number is not None,
    )


def states(
    *,
    has_session: bool = True,
    room: Room | None = GROUP,
    room_count: int = 1,
    row: RosterRow | None = None,
    revealed: bool = False,
    has_journal: bool = True,
) -> ActionStates:
    return action_states(
        has_session=has_session,
        room=room,
        room_count=room_count,
        row=row,
        revealed=revealed,
        has_journal=has_journal,
    )


def test_without_a_session_nothing_that_talks_to_twilio_is_enabled() -> None:
    # Between profiles the panes may still hold the old session's rows for a moment.
    s = states(has_session=False, room=GROUP, room_count=3, row=APP, has_journal=True)
    assert not any(
        (s.refresh, s.new_room, s.end_room, s.step_rooms, s.dial, s.remove, s.redial, s.reveal)
    )
    assert not s.history and not s.show_timeline
    assert s.remove_text == REMOVE_TEXT and s.dial_note == ""


def test_a_session_with_no_rooms_can_refresh_and_create_only() -> None:
    s = states(room=None, room_count=0)
    assert s.refresh and s.new_room
    assert not s.end_room and not s.step_rooms and not s.dial and not s.remove
    assert s.history  # the journal remembers earlier dials even with no room in progress


def test_rooms_listed_but_none_selected_allow_stepping_to_one() -> None:
    s = states(room=None, room_count=2)
    assert s.step_rooms
    assert not s.end_room and not s.dial


def test_a_group_room_selected_allows_end_and_dial_without_a_note() -> None:
    s = states(room=GROUP)
    assert s.end_room and s.dial and s.dial_note == ""
    assert not s.remove and not s.redial and not s.reveal and not s.show_timeline
    assert s.remove_text == REMOVE_TEXT and not s.remove_hangs_up


@pytest.mark.parametrize("room", [PEER_TO_PEER, GO, SMALL])
def test_dial_stays_clickable_in_rooms_without_phone_guests_and_says_why(room: Room) -> None:
    # The dialog's pre-flight checks explain the refusal in full; a dead button would not.
    s = states(room=room)
    assert s.dial and s.dial_note == NO_PHONE_GUESTS_NOTE


def test_an_app_participant_can_be_removed_not_redialed_nor_revealed() -> None:
    s = states(row=APP)
    assert s.remove and s.remove_text == "Remove" and not s.remove_hangs_up
    assert not s.redial and not s.reveal and not s.revealed
    assert not s.show_timeline  # no dial, no timeline


@pytest.mark.parametrize("status", [GuestStatus.DIALING, GuestStatus.QUEUED, GuestStatus.RINGING])
def test_a_guest_not_answered_yet_is_cancelled(status: GuestStatus) -> None:
    s = states(row=phone(status))
    assert s.remove == status.can_remove
    assert s.remove_text == "Cancel call" and s.remove_hangs_up
    assert s.reveal and s.show_timeline


@pytest.mark.parametrize("status", [GuestStatus.JOINING, GuestStatus.CONNECTED])
def test_a_guest_on_the_line_is_hung_up_and_removed(status: GuestStatus) -> None:
    s = states(row=phone(status))
    assert s.remove and s.remove_text == "Hang up && remove" and s.remove_hangs_up
    assert not s.redial


@pytest.mark.parametrize("status", [s for s in GuestStatus if s.is_final])
def test_a_finished_dial_follows_its_status_for_remove_and_redial(status: GuestStatus) -> None:
    s = states(row=phone(status))
    assert s.remove == status.can_remove
    assert s.redial == status.can_redial
    assert s.remove_hangs_up and s.show_timeline


def test_a_guest_who_left_can_be_redialed() -> None:
    s = states(row=phone(GuestStatus.LEFT))
    assert s.redial and not s.remove


def test_a_guest_whose_number_is_unknown_can_be_neither_revealed_nor_redialed() -> None:
    s = states(row=phone(GuestStatus.FAILED, number=None))
    assert not s.reveal and not s.redial


def test_reveal_mirrors_what_the_window_shows_for_the_selected_row_only() -> None:
    assert states(row=phone(GuestStatus.CONNECTED), revealed=True).revealed
    assert not states(row=phone(GuestStatus.CONNECTED), revealed=False).revealed
    assert not states(row=None, revealed=True).revealed


def test_without_a_journal_neither_history_nor_timeline() -> None:
    s = states(row=phone(GuestStatus.CONNECTED), has_journal=False)
    assert not s.history and not s.show_timeline
    assert s.remove and s.reveal  # the rest does not need the journal


def test_a_roster_row_without_a_selected_room_is_ignored() -> None:
    # The roster is cleared when the room goes; until then, no command acts on a stale row.
    s = states(room=None, room_count=1, row=APP)
    assert not s.remove and s.remove_text == REMOVE_TEXT


def test_remove_label_names_what_remove_does() -> None:
    assert remove_label(None) == REMOVE_TEXT
    assert remove_label(APP) == "Remove"
    assert remove_label(phone(GuestStatus.RINGING)) == "Cancel call"
    assert remove_label(phone(GuestStatus.CONNECTED)) == "Hang up && remove"


# -- recording (issue 10) ----------------------------------------------------------------------


def test_recording_states_follow_rec_and_the_room_type() -> None:
    from moderator.core.action_states import NOT_GROUP_NOTE, recording_states

    idle = recording_states(has_session=True, room=GROUP, recording=False, busy=False)
    assert (idle.start, idle.stop, idle.recordings, idle.start_note) == (True, False, True, "")
    on = recording_states(has_session=True, room=GROUP, recording=True, busy=False)
    assert (on.start, on.stop) == (False, True)
    busy = recording_states(has_session=True, room=GROUP, recording=True, busy=True)
    assert (busy.start, busy.stop) == (False, False)
    for room in (PEER_TO_PEER, GO, SMALL):
        other = recording_states(has_session=True, room=room, recording=False, busy=False)
        assert (other.start, other.stop, other.start_note) == (False, False, NOT_GROUP_NOTE)
    ended = dataclasses.replace(GROUP, status="completed")
    assert not recording_states(has_session=True, room=ended, recording=False, busy=False).start
    none = recording_states(has_session=False, room=GROUP, recording=True, busy=False)
    assert (none.start, none.stop, none.recordings) == (False, False, False)
    assert recording_states(has_session=True, room=None, recording=False, busy=False).recordings


def mute_states(room: Room | None, row: RosterRow | None, muted: bool | None) -> tuple[bool, ...]:
    states = action_states(
        has_session=True,
        room=room,
        room_count=1,
        row=row,
        revealed=False,
        has_journal=True,
        muted=muted,
    )
    return states.mute, states.unmute, states.mute_phone_guests


@pytest.mark.parametrize(
    ("room", "row", "muted", "expected"),
    [
        (GROUP, APP, False, (True, False, True)),
        (GROUP, APP, True, (False, True, True)),
        (GROUP, APP, None, (False, False, True)),  # not known yet, or a batch is running
        (SMALL, APP, False, (True, False, True)),
        (PEER_TO_PEER, APP, False, (False, False, False)),  # no media server: no rules
        (GO, APP, False, (False, False, False)),
        (GROUP, phone(GuestStatus.CONNECTED), False, (True, False, True)),
        (GROUP, phone(GuestStatus.RINGING), False, (False, False, True)),  # not in the room
        (GROUP, phone(GuestStatus.LEFT), True, (False, False, True)),
        (GROUP, None, None, (False, False, True)),
        (None, None, None, (False, False, False)),
    ],
)
def test_mute_commands_follow_the_room_type_the_row_and_its_mute_state(
    room: Room | None, row: RosterRow | None, muted: bool | None, expected: tuple[bool, ...]
) -> None:
    assert mute_states(room, row, muted) == expected
