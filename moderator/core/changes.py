"""What one change to the live picture implies, as one value that adds up.

Every mutator of the Qt-free core (`LiveState`, `Dialer`) returns a `Changes`: the guest events
to announce, the lists to repaint, the polls to run now, the calls to end, the errors to show.
The Qt session adds them up and hands the sum to its publisher and its poll loop, so no core
decision depends on remembering to call the right `mark dirty` by hand, and a test of the core
reads the consequences of a call from its return value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from moderator.core.errors import TwilioError
from moderator.core.guest_state import GuestEvent, PhoneGuest


class ErrorTopic(StrEnum):
    """What an error is about, so the window knows which message a later success clears."""

    CONNECTION = "connection"  # the link or the credentials: cleared once polling succeeds
    ACTION = "action"  # something the host did (dial, remove, end room…)
    LOADING = "loading"  # data the app fetched for the host (caller IDs)
    PROFILE = "profile"  # opening or switching a profile


@dataclass(frozen=True, slots=True)
class Report:
    """One error for the host: the one-line message, what the app was doing, and its topic."""

    error: TwilioError
    context: str  # "Dialing ••• 2671", "Refreshing", …
    topic: ErrorTopic = ErrorTopic.ACTION
    room_sid: str = ""


@dataclass(slots=True)
class Changes:
    """The consequences of one core mutation; `a + b` (or `a += b`) combines two."""

    events: list[GuestEvent] = field(default_factory=list)
    rooms: bool = False  # the rooms list (or a count in it) changed
    rosters: set[str] = field(default_factory=set)  # rooms whose roster changed
    polls: set[str] = field(default_factory=set)  # poll keys to run as soon as possible
    forget_rooms: set[str] = field(default_factory=set)  # rooms gone: drop their poll history
    forget_polls: set[str] = field(default_factory=set)  # poll keys of things gone
    hang_ups: list[PhoneGuest] = field(default_factory=list)  # calls to end now
    errors: list[Report] = field(default_factory=list)
    tick: bool = False  # plan polls now rather than at the next tick

    def __iadd__(self, other: Changes) -> Changes:
        self.events.extend(other.events)
        self.rooms = self.rooms or other.rooms
        self.rosters |= other.rosters
        self.polls |= other.polls
        self.forget_rooms |= other.forget_rooms
        self.forget_polls |= other.forget_polls
        ending = {g.dial_id for g in self.hang_ups}
        self.hang_ups.extend(g for g in other.hang_ups if g.dial_id not in ending)
        self.errors.extend(other.errors)
        self.tick = self.tick or other.tick
        return self

    def __add__(self, other: Changes) -> Changes:
        total = Changes()
        total += self
        total += other
        return total

    def __bool__(self) -> bool:
        return bool(
            self.events
            or self.rooms
            or self.rosters
            or self.polls
            or self.forget_rooms
            or self.forget_polls
            or self.hang_ups
            or self.errors
            or self.tick
        )

    @classmethod
    def of_events(cls, events: list[GuestEvent]) -> Changes:
        """Events only (no list to repaint)."""
        return cls(events=list(events))

    @classmethod
    def of_guest(cls, guest: PhoneGuest | None, events: list[GuestEvent] | None = None) -> Changes:
        """A guest changed: its room's counts and roster repaint, with these events."""
        changes = cls(events=list(events or ()), rooms=True)
        if guest is not None:
            changes.rosters.add(guest.room_sid)
        return changes

    @classmethod
    def of_error(cls, report: Report) -> Changes:
        return cls(errors=[report])
