"""The roster: one row per guest of a room, merging a phone call with its Video participant.

Pure function of a participants poll and the guest book, so the UI can rebuild it on every poll
and diff the rows by key. Feed the same poll to `GuestBook.apply_participants` first, so the
book's statuses and this merge agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from moderator.core.guest_state import Direction, GuestStatus, PhoneGuest
from moderator.core.guest_text import roster_name, status_text
from moderator.core.models import Participant, PublishedTrack

if TYPE_CHECKING:  # the book is passed in; importing it would pull in SQLite at start-up
    from moderator.core.guests import GuestBook
    from moderator.core.shared_guests import SharedGuest, SharedGuestBook


class GuestKind(StrEnum):
    PHONE = "phone"
    APP = "app"


@dataclass(frozen=True)
class RosterRow:
    """One line of the roster table; `key` is stable for the row's whole life."""

    key: str  # participant SID for app participants; dial_id for phone guests
    kind: GuestKind
    name: str  # masked for phone ("Alice · ••• 2671" or "••• 2671"), identity for app
    full_number: str | None  # for "reveal" (phone only, if known)
    label: str
    identity: str
    status: GuestStatus | None  # None for app participants (they are connected)
    status_text: str  # "Ringing 12 s", "Connected", "Busy (rang 8 s)", …
    connected_since: datetime | None
    has_audio: bool
    has_video: bool
    participant_sid: str | None
    call_sid: str | None
    dial_id: str | None
    can_remove: bool
    can_redial: bool
    tracks: tuple[PublishedTrack, ...] = ()
    # The latest status change, for the UI's "sort by activity" and for tooltips.
    status_since: datetime | None = None
    #: A caller admitted from a dial-in lobby (a phone guest the app did not dial).
    called_in: bool = False
    #: A co-host's phone guest (from the shared book): that host's display name, else "".
    shared_by: str = ""
    #: Who muted this guest for everyone, as the shared book says ("" when not shared).
    muted_by: str = ""
    #: The row's room, set by `all_rooms_roster` (a row built for one room leaves them empty:
    #: the window that shows it knows its room). Commands act on this room when it is set.
    room_sid: str = ""
    room_name: str = ""


def _has(tracks: Sequence[PublishedTrack], kind: str) -> bool:
    return any(track.kind == kind for track in tracks)


def visible_guests(book: GuestBook, room_sid: str) -> list[PhoneGuest]:
    """The room's dials worth a row, each identity at the place of its first dial.

    A finished dial that was redialed with the same identity is superseded by the newer one
    (its story stays in the journal), so a redial replaces the row in place instead of
    stacking a second row for the same person. A dial still under way is always shown.
    """
    guests = book.guests_in_room(room_sid)
    latest = {guest.identity: guest for guest in guests}
    first_seen: dict[str, int] = {}
    for index, guest in enumerate(guests):
        first_seen.setdefault(guest.identity, index)
    shown = [g for g in guests if latest[g.identity] is g or not g.status.is_final]
    order = {guest.dial_id: index for index, guest in enumerate(guests)}
    return sorted(shown, key=lambda g: (first_seen[g.identity], order[g.dial_id]))


def _phone_row(guest: PhoneGuest, participant: Participant | None, now: datetime) -> RosterRow:
    tracks = participant.tracks if participant is not None else ()
    if participant is not None and participant.start_time is not None:
        connected_since: datetime | None = participant.start_time
    elif guest.status is GuestStatus.CONNECTED:
        connected_since = guest.connected_at
    else:
        connected_since = None
    return RosterRow(
        key=guest.dial_id,
        kind=GuestKind.PHONE,
        name=roster_name(guest),
        full_number=guest.number,
        label=guest.label,
        identity=guest.identity,
        status=guest.status,
        status_text=status_text(guest, now),
        connected_since=connected_since,
        has_audio=_has(tracks, "audio"),
        has_video=_has(tracks, "video"),
        participant_sid=participant.sid if participant is not None else guest.participant_sid,
        call_sid=guest.call_sid,
        dial_id=guest.dial_id,
        can_remove=guest.status.can_remove,
        can_redial=guest.status.can_redial and guest.number is not None,
        tracks=tracks,
        status_since=guest.history[-1][1] if guest.history else guest.dialed_at,
        called_in=guest.direction is Direction.CALLED_IN,
    )


def _app_row(participant: Participant) -> RosterRow:
    return RosterRow(
        key=participant.sid,
        kind=GuestKind.APP,
        name=participant.identity,
        full_number=None,
        label="",
        identity=participant.identity,
        status=None,
        status_text="Connected",
        connected_since=participant.start_time,
        has_audio=_has(participant.tracks, "audio"),
        has_video=_has(participant.tracks, "video"),
        participant_sid=participant.sid,
        call_sid=None,
        dial_id=None,
        can_remove=True,
        can_redial=False,
        tracks=participant.tracks,
        status_since=participant.start_time,
    )


def _shared_row(shared: SharedGuest, participant: Participant | None, now: datetime) -> RosterRow:
    """A co-host's phone guest: shown as a phone guest, credited to the host who dialed it.

    Being in the room is what this app sees itself (the participants poll); how the call went
    before and after is what the co-host's app wrote."""
    guest = shared.as_phone_guest()
    if participant is not None and not guest.status.is_final:
        guest = replace(
            guest,
            status=GuestStatus.CONNECTED,
            connected_at=guest.connected_at or participant.start_time,
            participant_sid=participant.sid,
        )
    row = _phone_row(guest, participant, now)
    return replace(
        row,
        key=guest.dial_id,
        dial_id=None,
        status_text=f"{row.status_text} · {shared.dialed_by_text}",
        can_redial=False,
        shared_by=shared.by,
        muted_by=shared.muted_by,
    )


def _with_notes(row: RosterRow, room_sid: str, shared: SharedGuestBook | None) -> RosterRow:
    """This app's own guest with what co-hosts noted about it (a mute, a removal)."""
    note = shared.guest(row.identity) if shared is not None else None
    if note is None or note.room_sid != room_sid:
        return row
    text = row.status_text
    if note.removed_by and row.status is not None and row.status.is_final:
        text = f"{text} · removed by {note.removed_by}"
    return replace(row, status_text=text, muted_by=note.muted_by)


def build_roster(
    room_sid: str,
    participants: Sequence[Participant],
    book: GuestBook,
    now: datetime,
    shared: SharedGuestBook | None = None,
) -> list[RosterRow]:
    """Phone guests first (first-dial order, finished ones too, so they can be redialed),
    then co-hosts' phone guests (from `shared`), then app participants by join time. Never two
    rows for one guest or one participant."""
    connected = [p for p in participants if p.connected]
    shown = visible_guests(book, room_sid)
    local_identities = {guest.identity for guest in book.guests_in_room(room_sid)}
    cohosts = {
        guest.identity: guest
        for guest in (shared.others_in_room(room_sid, local_identities) if shared else ())
    }
    cohost_participant: dict[str, Participant] = {}
    shown_ids = {guest.dial_id for guest in shown}
    participant_of: dict[str, Participant] = {}
    app: list[Participant] = []
    for participant in connected:
        owner = book.owner_of(room_sid, participant)
        if owner is None and participant.identity in cohosts:
            cohost_participant.setdefault(participant.identity, participant)
        elif owner is None:
            app.append(participant)
        elif (
            not owner.status.is_final
            and owner.dial_id in shown_ids
            and owner.dial_id not in participant_of
        ):
            participant_of[owner.dial_id] = participant
        # else: a late poll still lists the participant of a guest who has left.
    rows = [
        _with_notes(_phone_row(guest, participant_of.get(guest.dial_id), now), room_sid, shared)
        for guest in shown
    ]
    rows.extend(
        _shared_row(guest, cohost_participant.get(identity), now)
        for identity, guest in cohosts.items()
    )
    app.sort(key=lambda p: (p.start_time is None, p.start_time or now, p.identity, p.sid))
    rows.extend(_app_row(participant) for participant in app)
    return rows


#: Joins a room SID and a row's own key into a key unique across rooms.
ROOM_KEY_SEPARATOR = "/"


def room_key(room_sid: str, key: str) -> str:
    """The key a row of `room_sid` has in a roster that spans rooms."""
    return f"{room_sid}{ROOM_KEY_SEPARATOR}{key}"


def all_rooms_roster(
    rosters: Iterable[tuple[str, str, Sequence[RosterRow]]],
) -> list[RosterRow]:
    """One roster of several rooms: each `(room SID, room name, rows)` in the order given.

    Every row is stamped with its room and keyed `room SID/key`, so keys stay unique even if two
    rooms listed the same participant (a move between rooms seen half-way) and the commands on a
    row know which room to act on, whichever room the window has selected.
    """
    rows: list[RosterRow] = []
    for room_sid, room_name, room_rows in rosters:
        rows.extend(
            replace(row, key=room_key(room_sid, row.key), room_sid=room_sid, room_name=room_name)
            for row in room_rows
        )
    return rows
