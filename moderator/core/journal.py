"""The call journal: a SQLite record of every dial, so a crash never loses a call the app placed.

A dial is written *before* its create-call request and updated after every change, each write
its own committed transaction: a process killed at any moment leaves every earlier write on disk
(WAL with ``synchronous=NORMAL`` survives process crashes; a power cut may lose the last few
writes but never corrupts the file). The journal never holds a secret nor a guest's full phone
number: numbers are stored masked and free text is scrubbed (see `redaction`).

Use it from one thread (the GUI thread): sqlite3 enforces that, and writes are small enough not
to stall the event loop.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import NamedTuple, Self

from moderator.core.guest_state import Direction, GuestStatus, PhoneGuest, utcnow
from moderator.core.journal_export import write_csv, write_json
from moderator.core.paths import data_dir
from moderator.core.redaction import mask_number, redact_numbers

SCHEMA_VERSION = 3

IN_MEMORY = ":memory:"

_SCHEMA_V1 = """
CREATE TABLE dials (
    dial_id         TEXT PRIMARY KEY,
    room_sid        TEXT NOT NULL,
    room_name       TEXT NOT NULL,
    identity        TEXT NOT NULL,
    masked_number   TEXT NOT NULL,
    label           TEXT NOT NULL,
    caller_id       TEXT NOT NULL,
    call_sid        TEXT,
    participant_sid TEXT,
    status          TEXT NOT NULL,
    end_reason      TEXT NOT NULL DEFAULT '',
    dialed_at       TEXT NOT NULL,
    ringing_at      TEXT,
    answered_at     TEXT,
    connected_at    TEXT,
    ended_at        TEXT,
    updated_at      TEXT NOT NULL
);
CREATE INDEX dials_by_room ON dials (room_sid);
CREATE INDEX dials_by_call ON dials (call_sid);
CREATE TABLE dial_events (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    dial_id TEXT NOT NULL REFERENCES dials (dial_id),
    status  TEXT NOT NULL,
    at      TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX dial_events_by_dial ON dial_events (dial_id, seq);
"""

# Host actions that are not dials (removing an app participant, ending a room, …).
_SCHEMA_V2 = """
CREATE TABLE host_actions (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    room_sid  TEXT NOT NULL,
    room_name TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL DEFAULT '',
    detail    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX host_actions_by_room ON host_actions (room_sid, seq);
"""

# Callers admitted from a dial-in lobby are guests too; older rows were all dialed out.
_SCHEMA_V3 = """
ALTER TABLE dials ADD COLUMN direction TEXT NOT NULL DEFAULT 'dialed'
"""

# Script that takes a journal from version N-1 to N, at index N-1.
_MIGRATIONS = (_SCHEMA_V1, _SCHEMA_V2, _SCHEMA_V3)

_DIRECTIONS = frozenset(d.value for d in Direction)
_FINAL_VALUES = tuple(s.value for s in GuestStatus if s.is_final)

# Which timestamp column a status change fills in (first time only).
_STAMP_COLUMN = {
    GuestStatus.RINGING: "ringing_at",
    GuestStatus.JOINING: "answered_at",
    GuestStatus.CONNECTED: "connected_at",
}


class JournalError(Exception):
    """The journal could not be opened or written; the message says what to do."""


class TimelineEvent(NamedTuple):
    """One step of a guest's timeline: a status (or note such as "call-created"), when, and why."""

    status: str
    at: datetime
    detail: str


class HostAction(NamedTuple):
    """A host action that is not a dial, such as removing an app participant."""

    at: datetime
    room_sid: str
    room_name: str
    action: str
    subject: str
    detail: str


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One dial as the journal last recorded it."""

    dial_id: str
    room_sid: str
    room_name: str
    identity: str
    masked_number: str
    label: str
    caller_id: str
    call_sid: str | None
    participant_sid: str | None
    status: GuestStatus
    end_reason: str
    dialed_at: datetime
    ringing_at: datetime | None
    answered_at: datetime | None
    connected_at: datetime | None
    ended_at: datetime | None
    updated_at: datetime
    direction: Direction = Direction.DIALED

    def to_guest(self, history: Sequence[tuple[GuestStatus, datetime]] = ()) -> PhoneGuest:
        """Rebuild the in-memory guest after a restart; the full number is gone for good."""
        return PhoneGuest(
            dial_id=self.dial_id,
            room_sid=self.room_sid,
            room_name=self.room_name,
            identity=self.identity,
            number=None,
            masked_number=self.masked_number,
            label=self.label,
            caller_id=self.caller_id,
            direction=self.direction,
            call_sid=self.call_sid,
            status=self.status,
            history=tuple(history) or ((self.status, self.updated_at),),
            dialed_at=self.dialed_at,
            ringing_at=self.ringing_at,
            answered_at=self.answered_at,
            connected_at=self.connected_at,
            ended_at=self.ended_at,
            end_reason=self.end_reason,
            participant_sid=self.participant_sid,
        )


def default_journal_path() -> Path:
    """`<data dir>/journal.sqlite3` (see `paths.data_dir`), creating the folder."""
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "journal.sqlite3"


def _stamp(at: datetime) -> str:
    """Aware UTC ISO text, so rows sort and compare as text and read back exactly."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _unstamp(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _required(text: str) -> datetime:
    value = _unstamp(text)
    assert value is not None
    return value


class Journal:
    """Append-and-update store of dials; see the module docstring for its guarantees."""

    def __init__(self, path: Path | str | None = None) -> None:
        """Open (or create) the journal at `path`; None means the default file, ":memory:" none."""
        if path is None:
            path = default_journal_path()
        self.path: Path | None = None if str(path) == IN_MEMORY else Path(path)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # Numbers dialed in this process: scrubbed from free text even in unusual spellings.
        self._known_numbers: dict[str, str] = {}
        try:
            self._db = sqlite3.connect(
                IN_MEMORY if self.path is None else self.path,
                timeout=1.0,
                isolation_level=None,  # autocommit; transactions are explicit below
            )
        except sqlite3.Error as exc:
            raise JournalError(f"Cannot open the call journal at {path}: {exc}") from exc
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.Error as exc:
            self._db.close()
            raise JournalError(
                f"The call journal at {path} is unreadable ({exc}); move it aside to start anew."
            ) from exc
        except JournalError:
            self._db.close()
            raise

    @classmethod
    def in_memory(cls) -> Journal:
        """A throwaway journal for tests and for running without a writable data folder."""
        return cls(IN_MEMORY)

    # -- lifecycle -------------------------------------------------------------------------

    def _migrate(self) -> None:
        (version,) = self._db.execute("PRAGMA user_version").fetchone()
        if version > SCHEMA_VERSION:
            raise JournalError(
                f"The call journal was written by a newer Room Moderator (schema {version}); "
                "update the app or move the journal aside."
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self._transaction():
                # Not executescript(): it commits on its own, outside this transaction.
                for statement in _MIGRATIONS[target - 1].split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version={target}")

    def close(self) -> None:
        """Checkpoint and close; safe to call twice."""
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One committed unit: either all of a change reaches the file or none of it."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise JournalError(f"Cannot write the call journal: {exc}") from exc
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._db.execute("ROLLBACK")
            raise JournalError(f"Cannot write the call journal: {exc}") from exc

    # -- writing ---------------------------------------------------------------------------

    def _clean(self, dial_id: str, text: str) -> str:
        return redact_numbers(text, (self._known_numbers.get(dial_id),))

    def record_dial(self, guest: PhoneGuest) -> None:
        """Write the dial before its create-call request goes out; raises JournalError if it can't.

        A dial_id is recorded once: a second attempt is refused rather than making two rows.
        """
        if guest.number:
            self._known_numbers[guest.dial_id] = guest.number
        at = guest.dialed_at or utcnow()
        masked = self._clean(guest.dial_id, guest.masked_number) or (
            mask_number(guest.number) if guest.number else ""
        )
        identity = self._clean(guest.dial_id, guest.identity)
        label = self._clean(guest.dial_id, guest.label)
        who = f"{label} ({masked})" if label else masked
        if guest.direction is Direction.CALLED_IN:
            detail = f"Admitting {who} from the lobby of {guest.caller_id} into {guest.room_name}"
            detail += f" as {identity}"
        else:
            detail = f"Dialing {who} into {guest.room_name} as {identity} from {guest.caller_id}"
        try:
            with self._transaction() as db:
                db.execute(
                    "INSERT INTO dials (dial_id, room_sid, room_name, identity, masked_number,"
                    " label, caller_id, call_sid, participant_sid, status, end_reason, dialed_at,"
                    " updated_at, direction) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        guest.dial_id,
                        guest.room_sid,
                        guest.room_name,
                        identity,
                        masked,
                        label,
                        guest.caller_id,
                        guest.call_sid,
                        guest.participant_sid,
                        guest.status.value,
                        self._clean(guest.dial_id, guest.end_reason),
                        _stamp(at),
                        _stamp(at),
                        guest.direction.value,
                    ),
                )
                self._insert_event(db, guest.dial_id, guest.status.value, at, detail)
        except sqlite3.IntegrityError as exc:
            raise JournalError(f"Dial {guest.dial_id} is already in the journal") from exc
        except sqlite3.Error as exc:
            raise JournalError(f"Cannot write the call journal: {exc}") from exc

    def record_call_sid(self, dial_id: str, call_sid: str, at: datetime | None = None) -> None:
        """Twilio answered the create-call request: tie the dial to its call."""
        at = at or utcnow()
        self._update(
            dial_id,
            "UPDATE dials SET call_sid = ?, updated_at = ? WHERE dial_id = ?",
            (call_sid, _stamp(at), dial_id),
            event=("call-created", at, call_sid),
        )

    def record_status(
        self,
        dial_id: str,
        status: GuestStatus,
        at: datetime,
        detail: str = "",
        *,
        participant_sid: str | None = None,
    ) -> None:
        """A status change along the way (use `record_end` for final ones)."""
        assignments = ["status = ?", "updated_at = ?"]
        values: list[str | None] = [status.value, _stamp(at)]
        column = _STAMP_COLUMN.get(status)
        if column is not None:
            assignments.append(f"{column} = COALESCE({column}, ?)")
            values.append(_stamp(at))
        if status is GuestStatus.CONNECTED:
            assignments.append("answered_at = COALESCE(answered_at, ?)")
            values.append(_stamp(at))
        if participant_sid is not None:
            assignments.append("participant_sid = ?")
            values.append(participant_sid)
        self._update(
            dial_id,
            f"UPDATE dials SET {', '.join(assignments)} WHERE dial_id = ?",
            (*values, dial_id),
            event=(status.value, at, self._clean(dial_id, detail)),
        )

    def record_end(self, dial_id: str, status: GuestStatus, at: datetime, reason: str) -> None:
        """The dial reached a final status; `reason` says why, for the timeline and exports."""
        if not status.is_final:
            raise ValueError(f"{status} is not a final status")
        reason = self._clean(dial_id, reason)
        self._update(
            dial_id,
            "UPDATE dials SET status = ?, end_reason = ?, ended_at = ?, updated_at = ?"
            " WHERE dial_id = ?",
            (status.value, reason, _stamp(at), _stamp(at), dial_id),
            event=(status.value, at, reason),
        )

    def record_note(self, dial_id: str, kind: str, at: datetime, detail: str = "") -> None:
        """A timeline step that is not a status change ("removal-requested", "adopted", …)."""
        self._update(
            dial_id,
            "UPDATE dials SET updated_at = ? WHERE dial_id = ?",
            (_stamp(at), dial_id),
            event=(kind, at, self._clean(dial_id, detail)),
        )

    def record_action(
        self,
        at: datetime,
        room_sid: str,
        room_name: str,
        action: str,
        subject: str = "",
        detail: str = "",
    ) -> None:
        """A host action that is not a dial ("removed-participant", "ended-room", …)."""
        try:
            with self._transaction() as db:
                db.execute(
                    "INSERT INTO host_actions (at, room_sid, room_name, action, subject, detail)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        _stamp(at),
                        room_sid,
                        room_name,
                        action,
                        redact_numbers(subject),
                        redact_numbers(detail),
                    ),
                )
        except sqlite3.Error as exc:
            raise JournalError(f"Cannot write the call journal: {exc}") from exc

    def _update(
        self,
        dial_id: str,
        sql: str,
        params: Sequence[str | None],
        *,
        event: tuple[str, datetime, str],
    ) -> None:
        try:
            with self._transaction() as db:
                if db.execute(sql, tuple(params)).rowcount != 1:
                    raise JournalError(f"Dial {dial_id} is not in the journal")
                self._insert_event(db, dial_id, *event)
        except sqlite3.Error as exc:
            raise JournalError(f"Cannot write the call journal: {exc}") from exc

    @staticmethod
    def _insert_event(
        db: sqlite3.Connection, dial_id: str, status: str, at: datetime, detail: str
    ) -> None:
        db.execute(
            "INSERT INTO dial_events (dial_id, status, at, detail) VALUES (?, ?, ?, ?)",
            (dial_id, status, _stamp(at), detail),
        )

    # -- reading ---------------------------------------------------------------------------

    _COLUMNS = (
        "dial_id, room_sid, room_name, identity, masked_number, label, caller_id, call_sid,"
        " participant_sid, status, end_reason, dialed_at, ringing_at, answered_at, connected_at,"
        " ended_at, updated_at, direction"
    )

    def _select(self, where: str = "", params: Sequence[str] = ()) -> list[JournalEntry]:
        try:
            rows = self._db.execute(
                f"SELECT {self._COLUMNS} FROM dials {where} ORDER BY rowid", tuple(params)
            ).fetchall()
        except sqlite3.Error as exc:
            raise JournalError(f"Cannot read the call journal: {exc}") from exc
        return [self._entry(row) for row in rows]

    @staticmethod
    def _entry(row: tuple[str, ...]) -> JournalEntry:
        (
            dial_id,
            room_sid,
            room_name,
            identity,
            masked_number,
            label,
            caller_id,
            call_sid,
            participant_sid,
            status,
            end_reason,
            dialed_at,
            ringing_at,
            answered_at,
            connected_at,
            ended_at,
            updated_at,
            direction,
        ) = row
        return JournalEntry(
            dial_id=dial_id,
            room_sid=room_sid,
            room_name=room_name,
            identity=identity,
            masked_number=masked_number,
            label=label,
            caller_id=caller_id,
            call_sid=call_sid,
            participant_sid=participant_sid,
            status=GuestStatus(status),
            end_reason=end_reason,
            dialed_at=_required(dialed_at),
            ringing_at=_unstamp(ringing_at),
            answered_at=_unstamp(answered_at),
            connected_at=_unstamp(connected_at),
            ended_at=_unstamp(ended_at),
            updated_at=_required(updated_at),
            direction=Direction(direction) if direction in _DIRECTIONS else Direction.DIALED,
        )

    def entries(self, room_sid: str | None = None) -> list[JournalEntry]:
        """Every dial (of one room, if given), oldest first."""
        if room_sid is None:
            return self._select()
        return self._select("WHERE room_sid = ?", (room_sid,))

    def get(self, dial_id: str) -> JournalEntry | None:
        found = self._select("WHERE dial_id = ?", (dial_id,))
        return found[0] if found else None

    def unfinished(self) -> list[JournalEntry]:
        """Dials whose call may still be running: what a restarted app must fetch and re-adopt."""
        marks = ", ".join("?" for _ in _FINAL_VALUES)
        return self._select(f"WHERE status NOT IN ({marks})", _FINAL_VALUES)

    def timeline(self, dial_id: str) -> list[TimelineEvent]:
        """The dial's steps in order: dialed, call created, rang, answered, joined, ended, why."""
        try:
            rows = self._db.execute(
                "SELECT status, at, detail FROM dial_events WHERE dial_id = ? ORDER BY seq",
                (dial_id,),
            ).fetchall()
        except sqlite3.Error as exc:
            raise JournalError(f"Cannot read the call journal: {exc}") from exc
        return [TimelineEvent(status, _required(at), detail) for status, at, detail in rows]

    def actions(self, room_sid: str | None = None) -> list[HostAction]:
        """Host actions (of one room, if given), oldest first."""
        where, params = ("WHERE room_sid = ?", (room_sid,)) if room_sid else ("", ())
        try:
            rows = self._db.execute(
                "SELECT at, room_sid, room_name, action, subject, detail FROM host_actions"
                f" {where} ORDER BY seq",
                params,
            ).fetchall()
        except sqlite3.Error as exc:
            raise JournalError(f"Cannot read the call journal: {exc}") from exc
        return [HostAction(_required(at), *rest) for at, *rest in rows]

    # -- export ----------------------------------------------------------------------------

    def _with_timelines(
        self, room_sid: str | None, dial_id: str | None
    ) -> list[tuple[JournalEntry, list[TimelineEvent]]]:
        if dial_id is not None:
            entry = self.get(dial_id)
            chosen = [entry] if entry is not None else []
        else:
            chosen = self.entries(room_sid)
        return [(entry, self.timeline(entry.dial_id)) for entry in chosen]

    def export_csv(
        self, path: Path | str, *, room_sid: str | None = None, dial_id: str | None = None
    ) -> int:
        """Write one CSV row per timeline step (all dials, one room's, or one dial's).

        Returns the number of rows written, for the "exported N steps" message.
        """
        return write_csv(Path(path), self._with_timelines(room_sid, dial_id))

    def export_json(
        self, path: Path | str, *, room_sid: str | None = None, dial_id: str | None = None
    ) -> int:
        """Write the dials with their timelines as a JSON array; returns the number of dials."""
        return write_json(Path(path), self._with_timelines(room_sid, dial_id))
