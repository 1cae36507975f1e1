"""The guest book's journal writer: turns each step of a dial into the journal rows it stands for.

The state machine only says what changed (`guest_machine.Step`); this decides what the journal
keeps of it, so the SQLite side can change without touching a transition. A failed write after
a dial has started is not fatal: it becomes an "error" event, and only the first of a run of
failures is reported, so a full disk does not flood the log. Writing the dial itself raises
instead (see `record_dial`): no call is placed that is not on record.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from moderator.core.guest_machine import Step, redact
from moderator.core.guest_state import GuestEvent, GuestStatus, PhoneGuest
from moderator.core.guest_text import ADOPTED_DETAIL, journal_detail, journal_failed_text
from moderator.core.journal import Journal, JournalError
from moderator.core.redaction import redact_numbers


class GuestRecorder:
    """Writes dials, their steps and host actions to an optional journal (GUI thread only)."""

    def __init__(
        self,
        journal: Journal | None,
        clock: Callable[[], datetime],
        room_name: Callable[[str], str],
    ) -> None:
        """`room_name` names a room for the error events of dials that lack its name."""
        self._journal = journal
        self._clock = clock
        self._room_name = room_name
        self._failing = False

    def record_dial(self, guest: PhoneGuest) -> None:
        """Write a new dial before its create-call goes out; raises `JournalError` if it can't."""
        if self._journal is not None:
            self._journal.record_dial(guest)

    def adopt(self, guest: PhoneGuest, at: datetime) -> None:
        """A dial taken back after a restart: noted, or written if the journal lacks it.

        A failure is silent: the dial is in memory and will be written with its next change.
        """
        if self._journal is None:
            return
        try:
            if self._journal.get(guest.dial_id) is None:
                self._journal.record_dial(guest)
            else:
                self._journal.record_note(guest.dial_id, "adopted", at, ADOPTED_DETAIL)
        except JournalError:
            pass

    def record(self, step: Step) -> list[GuestEvent]:
        """Journal one step: its new call SID, the host's removal request, its new status."""
        before, after, at = step.before, step.after, step.at
        dial_id = after.dial_id
        events: list[GuestEvent] = []
        if after.call_sid is not None and after.call_sid != before.call_sid:
            sid = after.call_sid
            events += self._write(after, lambda j: j.record_call_sid(dial_id, sid, at))
        if after.removal_requested and not before.removal_requested:
            events += self._write(after, lambda j: j.record_note(dial_id, "removal-requested", at))
        if after.status is not before.status:
            status = after.status
            if status.is_final:
                reason = after.end_reason
                events += self._write(after, lambda j: j.record_end(dial_id, status, at, reason))
            else:
                detail = redact(after, journal_detail(step.fact, after))
                joined = after.participant_sid if status is GuestStatus.CONNECTED else None
                events += self._write(
                    after,
                    lambda j: j.record_status(dial_id, status, at, detail, participant_sid=joined),
                )
        return events

    def record_action(
        self, at: datetime, room_sid: str, room_name: str, action: str, subject: str
    ) -> list[GuestEvent]:
        """A host action that is not a dial ("removed-participant", …); every failure is told."""
        if self._journal is None:
            return []
        try:
            self._journal.record_action(at, room_sid, room_name, action, subject)
        except JournalError as exc:
            text = redact_numbers(journal_failed_text(exc))
            return [GuestEvent(at, room_sid, self._room_name(room_sid), "error", text)]
        return []

    def _write(self, guest: PhoneGuest, write: Callable[[Journal], None]) -> list[GuestEvent]:
        """Journal a change; a failure becomes an "error" event (the first of a run only)."""
        if self._journal is None:
            return []
        try:
            write(self._journal)
        except JournalError as exc:
            if self._failing:
                return []
            self._failing = True
            text = journal_failed_text(exc)
            return [GuestEvent.about(guest, "error", text, self._clock(), self._name(guest))]
        self._failing = False
        return []

    def _name(self, guest: PhoneGuest) -> str:
        return guest.room_name or self._room_name(guest.room_sid)
