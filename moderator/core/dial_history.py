"""The call history in words: one summary per dial and one line per step of its timeline.

The journal stores statuses and terse details for machines and exports; a host reading the
history wants "Answered after ringing 6 s" and "Left after 3 min". Kept Qt-free so the wording is
tested without widgets, and built only from journal rows, which never hold a full phone number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from moderator.core.guest_state import GuestStatus
from moderator.core.guest_text import format_duration, guest_name, roster_name, status_text
from moderator.core.journal import JournalEntry, TimelineEvent

# Final statuses whose journal reason already reads as a whole outcome ("Busy after ringing 8 s");
# the others read better through the roster's wording ("Failed: …", "Not in room: …").
_REASON_IS_OUTCOME = frozenset(
    {GuestStatus.LEFT, GuestStatus.BUSY, GuestStatus.NO_ANSWER, GuestStatus.CANCELED}
)

_STEP_TITLES = {
    "dialing": "Dialed",
    "call-created": "Call placed",
    "queued": "Queued",
    "ringing": "Ringing",
    "joining": "Answered",
    "unknown": "Checking whether the call was placed",
    "busy": "Busy",
    "no-answer": "No answer",
    "failed": "Failed",
    "canceled": "Canceled",
    "not-joined": "Did not get into the room",
    "rejected": "Not placed",
    "removal-requested": "Host asked to remove",
    "adopted": "Taken back after a restart",
}


@dataclass(frozen=True, slots=True)
class DialSummary:
    """One dial as the history table shows it."""

    entry: JournalEntry
    name: str  # "Alice · ••• 2671"
    outcome: str  # "Left the room after 3 min", "Busy after ringing 8 s", "Ringing 4 s"
    rang_for: timedelta | None
    in_room_for: timedelta | None

    @property
    def dial_id(self) -> str:
        return self.entry.dial_id


@dataclass(frozen=True, slots=True)
class TimelineStep:
    """One line of a guest's timeline: when, what happened, and any detail worth reading."""

    at: datetime
    title: str
    detail: str
    status: str  # the journal's step name, for icons and tests


def summarize(entry: JournalEntry, now: datetime) -> DialSummary:
    """The table row for a dial; `now` times a guest still in the room."""
    guest = entry.to_guest()
    if entry.status in _REASON_IS_OUTCOME and entry.end_reason:
        outcome = entry.end_reason
    else:
        outcome = status_text(guest, now)
    in_room = guest.in_room_for()
    if in_room is None and entry.status is GuestStatus.CONNECTED and entry.connected_at:
        in_room = max(now - entry.connected_at, timedelta(0))
    return DialSummary(entry, roster_name(guest), outcome, guest.rang_for(), in_room)


def duration_text(delta: timedelta | None) -> str:
    """`6 s`, `3 min`, or an em dash when it does not apply (never answered, still ringing)."""
    return "—" if delta is None else format_duration(delta)


def describe_timeline(entry: JournalEntry, events: Sequence[TimelineEvent]) -> list[TimelineStep]:
    """The journal's steps for one dial, worded for the host, in order."""
    steps: list[TimelineStep] = []
    joined_at = entry.connected_at
    rang_at: datetime | None = None
    answered = False
    for event in events:
        title, detail = _STEP_TITLES.get(event.status, ""), event.detail
        match event.status:
            case "dialing":
                detail = _dialed_detail(entry, detail)
            case "call-created":
                detail = f"Twilio call {detail}" if detail else ""
            case "ringing":
                rang_at = rang_at or event.at
            case "joining":
                answered = True
                title, detail = _capitalized(detail) or "Answered", ""
            case "connected":
                if not answered:  # the guest showed up in the room before a poll saw the answer
                    answered = True
                    answer = _answered(rang_at, event.at)
                    steps.append(TimelineStep(event.at, answer, "", "joining"))
                joined_at = joined_at or event.at
                title = f"Joined as {entry.identity}"
                detail = f"In {entry.room_name}" + (
                    f" (participant {entry.participant_sid})" if entry.participant_sid else ""
                )
            case "left":
                title = (
                    f"Left after {format_duration(event.at - joined_at)}"
                    if joined_at is not None
                    else "Call ended"
                )
        steps.append(
            TimelineStep(
                event.at,
                title or _capitalized(event.status.replace("-", " ")),
                _capitalized(detail),
                event.status,
            )
        )
    return steps


def _answered(rang_at: datetime | None, at: datetime) -> str:
    if rang_at is None:
        return "Answered"
    return f"Answered after ringing {format_duration(at - rang_at)}"


def _dialed_detail(entry: JournalEntry, detail: str) -> str:
    """The journal says "Dialing X into R as I from C"; after "Dialed", drop the verb."""
    if detail.startswith("Dialing "):
        return detail.removeprefix("Dialing ")
    who = guest_name(entry.to_guest())
    return f"{who} into {entry.room_name} as {entry.identity}"


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


__all__ = ["DialSummary", "TimelineStep", "describe_timeline", "duration_text", "summarize"]
