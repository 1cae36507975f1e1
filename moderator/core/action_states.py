"""Which of the window's commands a host can use right now, and what they say: one pure function.

The rules live here, away from Qt, so every case a host can be in (no session yet, no room picked,
a peer-to-peer room, a guest still ringing, a guest who left…) is a plain table in the tests,
and the window only applies the answer to its actions.

Texts follow Qt's menu convention because the window shows them on actions: `&` marks the
mnemonic letter and `&&` stands for a literal ampersand.
"""

from __future__ import annotations

from dataclasses import dataclass

from moderator.core.guest_state import GuestStatus
from moderator.core.models import Room, RoomType
from moderator.core.roster import GuestKind, RosterRow

#: Remove's label with no participant selected (the menu entry keeps its mnemonic).
REMOVE_TEXT = "&Remove participant"
#: Why Dial is enabled in a room that takes no phone guests: the dialog's checks say so in full.
NO_PHONE_GUESTS_NOTE = "this room type takes no phone guests; the dialog explains"

#: A dial Remove cancels: the phone has not been answered yet.
_NOT_ANSWERED = frozenset({GuestStatus.DIALING, GuestStatus.QUEUED, GuestStatus.RINGING})


@dataclass(frozen=True, slots=True)
class ActionStates:
    """What the window's commands are allowed to do now, and how Remove and Dial present."""

    refresh: bool
    new_room: bool
    end_room: bool
    #: Next room / Previous room (both or neither: they wrap around the list).
    step_rooms: bool
    dial: bool
    #: Appended to Dial's tooltip ("" when there is nothing to add).
    dial_note: str
    remove: bool
    #: Remove's label: "Remove participant", "Remove", "Cancel call" or "Hang up && remove".
    remove_text: str
    #: Remove acts on a phone call (the window shows the hang-up icon).
    remove_hangs_up: bool
    redial: bool
    reveal: bool
    #: Reveal number's check mark: the selected guest's number is shown in full.
    revealed: bool
    history: bool
    show_timeline: bool
    #: Mute for everyone / Unmute on the selected participant, Mute all phone guests on the room.
    mute: bool = False
    unmute: bool = False
    mute_phone_guests: bool = False


#: Room types whose media server applies subscribe rules (Mute for everyone).
MUTE_ROOM_TYPES = frozenset({RoomType.GROUP, RoomType.GROUP_SMALL})


def _in_the_room(row: RosterRow) -> bool:
    """Connected to the room as a Video participant (a phone guest once answered and joined)."""
    if row.participant_sid is None:
        return False
    return row.kind is GuestKind.APP or row.status is GuestStatus.CONNECTED


def remove_label(row: RosterRow | None) -> str:
    """What Remove does to `row`, in words: Cancel call / Hang up && remove / Remove."""
    if row is None:
        return REMOVE_TEXT
    if row.kind is GuestKind.APP:
        return "Remove"
    if row.status in _NOT_ANSWERED:
        return "Cancel call"
    return "Hang up && remove"


def action_states(
    *,
    has_session: bool,
    room: Room | None,
    room_count: int,
    row: RosterRow | None,
    revealed: bool,
    has_journal: bool,
    muted: bool | None = None,
) -> ActionStates:
    """The commands' states for a window showing `room` (selected) and `row` (selected guest).

    `room_count` is how many rooms are listed, `revealed` whether the window shows `row`'s number
    in full, `has_journal` whether the session keeps a dial journal (call history needs one),
    `muted` whether `row` is muted for everyone (None while that is not known, or changing).
    Without a session nothing that talks to Twilio is enabled, whatever is still on screen.
    """
    room = room if has_session else None
    row = row if room is not None else None
    takes_phone = room is not None and room.type.takes_phone_participants
    is_phone = row is not None and row.kind is GuestKind.PHONE
    journal = has_session and has_journal
    mutes_apply = room is not None and room.type in MUTE_ROOM_TYPES
    in_room = mutes_apply and row is not None and _in_the_room(row)
    return ActionStates(
        refresh=has_session,
        new_room=has_session,
        end_room=room is not None,
        step_rooms=has_session and room_count > 0,
        dial=room is not None,
        dial_note="" if room is None or takes_phone else NO_PHONE_GUESTS_NOTE,
        remove=row is not None and row.can_remove,
        remove_text=remove_label(row),
        remove_hangs_up=is_phone,
        redial=row is not None and row.can_redial,
        reveal=is_phone and row is not None and bool(row.full_number),
        revealed=row is not None and revealed,
        history=journal,
        show_timeline=journal and row is not None and row.dial_id is not None,
        mute=in_room and muted is False,
        unmute=in_room and muted is True,
        mute_phone_guests=mutes_apply,
    )


# -- recording (issue 10) ----------------------------------------------------------------------

#: Why Start recording is disabled in a room that is not a group room.
NOT_GROUP_NOTE = "only group rooms can be recorded"


@dataclass(frozen=True, slots=True)
class RecordingStates:
    """Start recording / Stop recording / Recordings… for the selected room."""

    start: bool
    stop: bool
    recordings: bool
    #: Appended to Start recording's tooltip when it cannot be used ("" otherwise).
    start_note: str


def recording_states(
    *, has_session: bool, room: Room | None, recording: bool, busy: bool
) -> RecordingStates:
    """Start where a group room does not record, Stop where it does (or REC is partial);
    neither while a start or stop is under way. Recordings… for any room of a session (an
    ended room's are reached from the dialog)."""
    room = room if has_session else None
    group = room is not None and room.type is RoomType.GROUP and room.in_progress
    return RecordingStates(
        start=group and not recording and not busy,
        stop=group and recording and not busy,
        recordings=has_session,
        start_note="" if room is None or group else NOT_GROUP_NOTE,
    )


__all__ = [
    "MUTE_ROOM_TYPES",
    "NOT_GROUP_NOTE",
    "NO_PHONE_GUESTS_NOTE",
    "REMOVE_TEXT",
    "ActionStates",
    "RecordingStates",
    "action_states",
    "recording_states",
    "remove_label",
]
