"""The sandbox's state and Twilio's rules: rooms, participants, tracks, calls and numbers.

One lock (the clock's) guards everything, so REST handlers, clock events and tests' calls never
interleave. Timed behaviour (ringing, answering, <Say> durations, demo traffic) is scheduled on the
clock; due events run lazily at the start of every public method and on `ManualClock.advance`.

Methods named like REST operations raise `ApiError` with Twilio's status and code. The test API
(`create_room`, `join_app_participant`, `disconnect_participant`, `complete_room` and the
lookups) is what other layers' tests use to stage a scene.
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import phonenumbers

from moderator.sandbox.clock import Clock, ScheduledEvent
from moderator.sandbox.errors import ApiError
from moderator.sandbox.sids import SidFactory
from moderator.sandbox.twiml_runner import TwimlError, TwimlRunner, parse_twiml

__all__ = [
    "MAX_PHONE_PARTICIPANTS",
    "Call",
    "OwnedNumber",
    "Participant",
    "Room",
    "Track",
    "World",
    "callee_behaviour",
]

MAX_PHONE_PARTICIPANTS = 35
MAX_NAME_LENGTH = 128
MAX_TWIML_LENGTH = 4000
MAX_CALL_TIMEOUT = 600
ROOM_TYPES = {"group": 50, "group-small": 4, "peer-to-peer": 10, "go": 2}
PHONE_ROOM_TYPES = {"group"}
ENDED_CALL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")

# Twilio's magic test numbers refused at create time (To), and the sandbox's callee endings.
REFUSED_TO = {
    "+15005550001": (21211, "Invalid 'To' Phone Number: {to}"),
    "+15005550002": (21214, "'To' phone number cannot be reached: {to}"),
    "+15005550003": (
        21215,
        "Account not authorized to call {to}. Perhaps you need to enable some international"
        " permissions: https://www.twilio.com/console/voice/calls/geo-permissions/low-risk",
    ),
}
CALLEE_ENDINGS = {"1111": "busy", "2222": "no-answer", "3333": "failed"}


def callee_behaviour(to: str) -> str:
    """What the dialed number does: "busy", "no-answer", "failed" or "answer"."""
    return CALLEE_ENDINGS.get(to[-4:], "answer")


@dataclass
class Room:
    """A Video room; `seq` orders listings and paging."""

    sid: str
    seq: int
    unique_name: str
    type: str
    max_participants: int
    status: str
    created_at: float
    updated_at: float
    end_time: float | None = None
    status_callback: str | None = None


@dataclass
class Track:
    """A published track; only currently published ones are kept on the participant."""

    sid: str
    seq: int
    participant_sid: str
    room_sid: str
    name: str
    kind: str
    created_at: float
    enabled: bool = True


@dataclass
class Participant:
    """A room participant; `call_sid` is set for phone participants (never shown in the API)."""

    sid: str
    seq: int
    room_sid: str
    identity: str
    status: str
    created_at: float
    updated_at: float
    start_time: float
    end_time: float | None = None
    call_sid: str | None = None
    tracks: list[Track] = field(default_factory=list)

    @property
    def is_phone(self) -> bool:
        """True for a participant that joined through a call's <Connect><Room>."""
        return self.call_sid is not None


@dataclass
class Call:
    """An outbound API call and its progress; `history` holds (status, clock time) pairs."""

    sid: str
    seq: int
    to: str
    from_: str
    twiml: str
    timeout: int
    status: str
    created_at: float
    updated_at: float
    phone_number_sid: str | None
    status_callback: str | None = None
    start_time: float | None = None
    answered_at: float | None = None
    end_time: float | None = None
    participant_sid: str | None = None
    end_reason: str | None = None
    history: list[tuple[str, float]] = field(default_factory=list)
    runner: TwimlRunner | None = field(default=None, repr=False)
    timer: ScheduledEvent | None = field(default=None, repr=False)

    @property
    def ended(self) -> bool:
        """True once the call reached a final status."""
        return self.status in ENDED_CALL_STATUSES

    @property
    def duration(self) -> int | None:
        """Whole seconds answered → ended; 0 for unanswered ended calls; None while live."""
        if self.end_time is None:
            return None
        if self.answered_at is None:
            return 0
        return int(self.end_time - self.answered_at)


_CallStep = Callable[[Call], None]
"""A timed call transition: a World method taking the call."""


@dataclass(frozen=True)
class OwnedNumber:
    """A number the account may call from: an incoming number (PN…) or a verified caller ID."""

    sid: str
    phone_number: str
    friendly_name: str
    created_at: float
    is_incoming: bool


def _parse_filter_time(name: str, raw: str) -> datetime | date:
    try:
        if len(raw) == 10:
            return date.fromisoformat(raw)
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ApiError(400, 20001, f"{name} is not a valid ISO 8601 date: {raw!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _created_between(
    created_after: str | None, created_before: str | None
) -> Callable[[float], bool]:
    """The DateCreatedAfter/DateCreatedBefore filter (both inclusive) as a test on created_at."""
    after = _parse_filter_time("DateCreatedAfter", created_after) if created_after else None
    before = _parse_filter_time("DateCreatedBefore", created_before) if created_before else None

    def accepts(created_at: float) -> bool:
        return (after is None or _compare(created_at, after) >= 0) and (
            before is None or _compare(created_at, before) <= 0
        )

    return accepts


def _as_datetime(timestamp: float) -> datetime:
    return datetime.fromtimestamp(int(timestamp), tz=UTC)


def _compare(timestamp: float, bound: datetime | date) -> int:
    """-1/0/1 comparing a clock time with a filter bound (a date compares by day)."""
    moment = _as_datetime(timestamp)
    if isinstance(bound, datetime):
        left, right = moment, bound
        return (left > right) - (left < right)
    day = moment.date()
    return (day > bound) - (day < bound)


class World:
    """All sandbox state plus Twilio's rules; thread-safe through the clock's lock."""

    def __init__(
        self,
        clock: Clock,
        account_sid: str,
        *,
        seed: int | None = None,
        ring_after_s: float = 1.0,
        answer_after_s: float = 3.0,
        friendly_name: str = "Room Moderator Sandbox",
    ) -> None:
        self.clock = clock
        self.lock = clock.lock
        self.account_sid = account_sid
        self.friendly_name = friendly_name
        self.ring_after_s = ring_after_s
        self.answer_after_s = answer_after_s
        self.rng = random.Random(f"world:{seed}") if seed is not None else random.Random()
        self.sids = SidFactory(self.rng)
        self.created_at = clock.now() - 90 * 86400
        self._seq = 0
        self._rooms: dict[str, Room] = {}
        self._participants: dict[str, Participant] = {}
        self._calls: dict[str, Call] = {}
        self.incoming_numbers: tuple[OwnedNumber, ...] = (
            self._number("+15005550006", "Sandbox main line", incoming=True),
            self._number("+14155550142", "Sandbox second line", incoming=True),
        )
        self.caller_ids: tuple[OwnedNumber, ...] = (
            self._number("+14155550199", "Host mobile", incoming=False),
        )

    # ------------------------------------------------------------------ plumbing

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _number(self, e164: str, label: str, *, incoming: bool) -> OwnedNumber:
        return OwnedNumber(self.sids.new("PN"), e164, label, self.created_at, incoming)

    @contextmanager
    def locked(self) -> Iterator[World]:
        """Hold the world lock with due clock events already run (for REST handlers)."""
        with self.lock:
            self.clock.run_due()
            yield self

    def now(self) -> float:
        """The clock's time, the only time the world uses."""
        return self.clock.now()

    # ------------------------------------------------------------------ rooms

    def create_room(
        self,
        unique_name: str | None = None,
        type: str = "group",
        max_participants: int | None = None,
        status_callback: str | None = None,
    ) -> str:
        """Create an in-progress room and return its RM… SID (REST create and test API).

        `max_participants` defaults to the type's maximum (50 for group rooms). Raises ApiError
        53101 for a name over 128 characters, 53113 if an in-progress room has the name,
        53108 for an unknown type and 53107 for an out-of-range maximum.
        """
        with self.locked():
            if type not in ROOM_TYPES:
                raise ApiError(400, 53108, f"RoomType is not valid: {type!r}")
            limit = ROOM_TYPES[type]
            if max_participants is None:
                max_participants = limit
            if not 1 <= max_participants <= limit:
                raise ApiError(
                    400,
                    53107,
                    f"MaxParticipants is out of range: {max_participants} (1–{limit} for {type})",
                )
            if unique_name is not None:
                if len(unique_name) > MAX_NAME_LENGTH:
                    raise ApiError(400, 53101, "Room name is too long")
                if not unique_name.strip() or any(ch < " " for ch in unique_name):
                    raise ApiError(400, 53100, "Room name is invalid")
                if self._in_progress_room_named(unique_name) is not None:
                    raise ApiError(400, 53113, "Room exists")
            now = self.now()
            sid = self.sids.new("RM")
            room = Room(
                sid=sid,
                seq=self._next_seq(),
                unique_name=unique_name if unique_name is not None else sid,
                type=type,
                max_participants=max_participants,
                status="in-progress",
                created_at=now,
                updated_at=now,
                status_callback=status_callback,
            )
            self._rooms[sid] = room
            return sid

    def _in_progress_room_named(self, name: str) -> Room | None:
        for room in self._rooms.values():
            if room.status == "in-progress" and room.unique_name == name:
                return room
        return None

    def _room(self, key: str) -> Room:
        """A room by SID (any status) or by unique name (in-progress only), else 20404."""
        room = self._rooms.get(key) or self._in_progress_room_named(key)
        if room is None:
            raise ApiError.not_found(f"/v1/Rooms/{key}")
        return room

    def find_room(self, key: str) -> Room:
        """The live room record for a SID or in-progress unique name (REST fetch)."""
        with self.locked():
            return self._room(key)

    def list_rooms(
        self,
        status: str | None = None,
        unique_name: str | None = None,
        created_after: str | None = None,
        created_before: str | None = None,
    ) -> list[Room]:
        """Rooms newest first, filtered like GET /v1/Rooms."""
        created_in_window = _created_between(created_after, created_before)
        with self.locked():
            rooms = [
                room
                for room in self._rooms.values()
                if (status is None or room.status == status)
                and (unique_name is None or room.unique_name == unique_name)
                and created_in_window(room.created_at)
            ]
            return sorted(rooms, key=lambda room: -room.seq)

    def update_room_status(self, key: str, status: str) -> Room:
        """POST /v1/Rooms/{key} Status=completed: ends the room, disconnecting everyone."""
        with self.locked():
            room = self._room(key)
            if status != "completed" or room.status != "in-progress":
                raise ApiError(400, 53112, f"Status is invalid: {status!r}")
            self._complete_room(room)
            return room

    def complete_room(self, sid_or_name: str) -> None:
        """Test API: end an in-progress room like the REST update does."""
        self.update_room_status(sid_or_name, "completed")

    def _complete_room(self, room: Room) -> None:
        now = self.now()
        room.status = "completed"
        room.end_time = now
        room.updated_at = now
        for participant in self._connected(room):
            self._disconnect(participant)

    # ------------------------------------------------------------------ participants

    def _connected(self, room: Room) -> list[Participant]:
        return [
            p
            for p in self._participants.values()
            if p.room_sid == room.sid and p.status == "connected"
        ]

    def _join(
        self, room: Room, identity: str, kinds: Iterable[str], call_sid: str | None
    ) -> Participant:
        """Twilio's join rules: duplicate identity evicts, then the caps apply."""
        if room.status != "in-progress":
            raise ApiError(400, 53106, "Room not found")
        if not identity or len(identity) > MAX_NAME_LENGTH:
            raise ApiError(400, 53201 if identity else 53200, "Participant identity is invalid")
        if call_sid is not None and room.type not in PHONE_ROOM_TYPES:
            raise ApiError(400, 53103, f"A {room.type} room cannot take phone participants")
        for existing in self._connected(room):
            if existing.identity == identity:
                self._disconnect(existing, reason="53205 duplicate identity")
        connected = self._connected(room)
        if len(connected) >= room.max_participants:
            raise ApiError(400, 53105, "Room contains too many Participants")
        if call_sid is not None and sum(p.is_phone for p in connected) >= MAX_PHONE_PARTICIPANTS:
            raise ApiError(400, 53105, "Room contains too many phone Participants")
        now = self.now()
        participant = Participant(
            sid=self.sids.new("PA"),
            seq=self._next_seq(),
            room_sid=room.sid,
            identity=identity,
            status="connected",
            created_at=now,
            updated_at=now,
            start_time=now,
            call_sid=call_sid,
        )
        for kind in kinds:
            participant.tracks.append(
                Track(
                    sid=self.sids.new("MT"),
                    seq=self._next_seq(),
                    participant_sid=participant.sid,
                    room_sid=room.sid,
                    name=self._track_name(),
                    kind=kind,
                    created_at=now,
                )
            )
        self._participants[participant.sid] = participant
        room.updated_at = now
        return participant

    def _track_name(self) -> str:
        """Client SDKs name tracks with a UUID by default; look the same."""
        h = self.sids.hex32()
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def join_app_participant(
        self, room_sid_or_name: str, identity: str, kinds: Iterable[str] = ("audio", "video")
    ) -> str:
        """Test API: a WebRTC (app) participant joins with tracks of `kinds`; returns PA… SID.

        Follows Twilio: an identity already connected is evicted; a full room raises ApiError
        53105.
        """
        with self.locked():
            room = self._room(room_sid_or_name)
            return self._join(room, identity, tuple(kinds), call_sid=None).sid

    def _disconnect(self, participant: Participant, reason: str | None = None) -> None:
        """Leave the room; a phone participant's call moves on to its next verb."""
        if participant.status != "connected":
            return
        now = self.now()
        participant.status = "disconnected"
        participant.end_time = now
        participant.updated_at = now
        participant.tracks.clear()
        if participant.call_sid is None:
            return
        call = self._calls[participant.call_sid]
        if call.participant_sid == participant.sid:
            call.participant_sid = None
            if reason:
                call.end_reason = reason
            if call.status == "in-progress":
                self._resume_call(call)

    def disconnect_participant(self, participant_sid: str) -> None:
        """Test API: the participant leaves (as if it hung up / closed the app)."""
        with self.locked():
            self._disconnect(self._participant_by_sid(participant_sid))

    def _participant_by_sid(self, sid: str) -> Participant:
        """Test API lookups: any participant by PA… SID, whatever its room or status."""
        participant = self._participants.get(sid)
        if participant is None:
            raise ApiError.not_found(f"participant {sid}")
        return participant

    def _participant(self, room: Room, key: str) -> Participant:
        participant = self._participants.get(key)
        if participant is not None and participant.room_sid == room.sid:
            return participant
        for candidate in self._connected(room):
            if candidate.identity == key:
                return candidate
        raise ApiError.not_found(f"/v1/Rooms/{room.sid}/Participants/{key}")

    def find_participant(self, room_key: str, key: str) -> Participant:
        """REST fetch by PA… SID, or by identity while connected."""
        with self.locked():
            return self._participant(self._room(room_key), key)

    def list_participants(
        self,
        room_key: str,
        status: str | None = None,
        identity: str | None = None,
        created_after: str | None = None,
        created_before: str | None = None,
    ) -> list[Participant]:
        """GET …/Participants: connected by default; completed rooms show only disconnected."""
        created_in_window = _created_between(created_after, created_before)
        with self.locked():
            room = self._room(room_key)
            wanted = status or ("connected" if room.status == "in-progress" else "disconnected")
            found = [
                p
                for p in self._participants.values()
                if p.room_sid == room.sid
                and p.status == wanted
                and (identity is None or p.identity == identity)
                and created_in_window(p.created_at)
            ]
            return sorted(found, key=lambda p: p.seq)

    def update_participant_status(self, room_key: str, key: str, status: str) -> Participant:
        """POST …/Participants/{key} Status=disconnected (202); other statuses are 53209."""
        with self.locked():
            participant = self._participant(self._room(room_key), key)
            if status != "disconnected":
                raise ApiError(400, 53209, f"Participant status is invalid: {status!r}")
            self._disconnect(participant)
            return participant

    def list_published_tracks(self, room_key: str, participant_key: str) -> list[Track]:
        """GET …/PublishedTracks: only tracks published right now."""
        with self.locked():
            participant = self._participant(self._room(room_key), participant_key)
            return list(participant.tracks)

    def find_published_track(self, room_key: str, participant_key: str, sid: str) -> Track:
        """GET …/PublishedTracks/{sid}."""
        with self.locked():
            participant = self._participant(self._room(room_key), participant_key)
            for track in participant.tracks:
                if track.sid == sid or track.name == sid:
                    return track
            raise ApiError.not_found(f"/v1/Rooms/{participant.room_sid}/…/PublishedTracks/{sid}")

    # ------------------------------------------------------------------ calls

    def _owned(self, number: str) -> OwnedNumber | None:
        for owned in (*self.incoming_numbers, *self.caller_ids):
            if owned.phone_number == number:
                return owned
        return None

    def create_call(
        self,
        to: str | None,
        from_: str | None,
        twiml: str | None,
        *,
        url: str | None = None,
        timeout: int = 60,
        status_callback: str | None = None,
    ) -> Call:
        """POST Calls.json: validate like Twilio, then queue the call on the clock."""
        if not to:
            raise ApiError(400, 21201, "No 'To' number is specified")
        if not from_:
            raise ApiError(400, 21213, "No 'From' number is specified")
        if url:
            raise ApiError(
                400,
                21205,
                "Url is not supported by the sandbox, which cannot fetch TwiML: pass it inline"
                " with the Twiml parameter",
            )
        if not twiml:
            raise ApiError(400, 21205, "Url parameter is required (or pass Twiml)")
        _check_twiml_size(twiml)
        if to in REFUSED_TO:
            code, message = REFUSED_TO[to]
            raise ApiError(400, code, message.format(to=to))
        if not _is_e164(to):
            raise ApiError(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if not _is_e164(from_):
            raise ApiError(400, 21212, f"Invalid From Number (caller ID): {from_}")
        with self.locked():
            owned = self._owned(from_)
            if owned is None:
                raise ApiError(
                    400,
                    21210,
                    f"The source phone number provided, {from_}, is not yet verified for your"
                    " account. You may only make calls from phone numbers that you've verified"
                    " or purchased from Twilio.",
                )
            if to == from_:
                raise ApiError(400, 21266, "'To' and 'From' numbers cannot be the same")
            timeout = max(1, min(MAX_CALL_TIMEOUT, timeout))
            now = self.now()
            call = Call(
                sid=self.sids.new("CA"),
                seq=self._next_seq(),
                to=to,
                from_=from_,
                twiml=twiml,
                timeout=timeout,
                status="queued",
                created_at=now,
                updated_at=now,
                phone_number_sid=owned.sid if owned.is_incoming else None,
                status_callback=status_callback,
                history=[("queued", now)],
            )
            self._calls[call.sid] = call
            self._schedule(call, self.ring_after_s, self._dial)
            return call

    def _schedule(self, call: Call, delay: float, step: _CallStep) -> None:
        if call.timer is not None:
            call.timer.cancel()
        call.timer = self.clock.call_later(delay, lambda: self._run_step(call, step))

    def _run_step(self, call: Call, step: _CallStep) -> None:
        with self.lock:
            call.timer = None
            if not call.ended:
                step(call)

    def _set_status(self, call: Call, status: str) -> None:
        now = self.now()
        call.status = status
        call.updated_at = now
        call.history.append((status, now))
        if status in ENDED_CALL_STATUSES:
            call.end_time = now
            self._stop_verb(call)

    def _stop_verb(self, call: Call) -> None:
        """Cancel the call's pending timer and take it out of the room it joined, if any."""
        if call.timer is not None:
            call.timer.cancel()
            call.timer = None
        if call.participant_sid is not None:
            participant = self._participants[call.participant_sid]
            call.participant_sid = None
            self._disconnect(participant)

    def _dial(self, call: Call) -> None:
        """After ring_after_s: the callee's number decides what happens."""
        call.start_time = self.now()
        behaviour = callee_behaviour(call.to)
        if behaviour == "busy":
            call.end_reason = "callee busy"
            self._set_status(call, "busy")
        elif behaviour == "failed":
            call.end_reason = "callee unreachable"
            self._set_status(call, "failed")
        else:
            self._set_status(call, "ringing")
            if behaviour == "no-answer" or call.timeout <= self.answer_after_s:
                self._schedule(call, call.timeout, self._no_answer)
            else:
                self._schedule(call, self.answer_after_s, self._answer)

    def _no_answer(self, call: Call) -> None:
        call.end_reason = f"no answer within Timeout={call.timeout}s"
        self._set_status(call, "no-answer")

    def _answer(self, call: Call) -> None:
        try:
            verbs = parse_twiml(call.twiml)
        except TwimlError as exc:
            call.end_reason = f"{exc.code} {exc.message}"
            self._set_status(call, "failed")
            return
        call.answered_at = self.now()
        self._set_status(call, "in-progress")
        call.runner = TwimlRunner(verbs)
        self._resume_call(call)

    def _resume_call(self, call: Call) -> None:
        if call.runner is not None and not call.ended:
            call.runner.resume(_CallContext(self, call))

    def _join_by_call(self, call: Call, room_name: str, identity: str | None) -> bool:
        room = self._in_progress_room_named(room_name)
        if room is None:
            call.end_reason = f"no in-progress room named {room_name!r}"
            return False
        try:
            participant = self._join(
                room, identity or f"pstn-{self.sids.hex32()[:8]}", ("audio",), call.sid
            )
        except ApiError as exc:
            call.end_reason = f"{exc.code} {exc.message}"
            return False
        call.participant_sid = participant.sid
        call.end_reason = None
        return True

    def _hang_up(self, call: Call) -> None:
        if not call.ended:
            self._set_status(call, "completed")

    def _call(self, sid: str) -> Call:
        call = self._calls.get(sid)
        if call is None:
            raise ApiError.not_found(f"/2010-04-01/Accounts/{self.account_sid}/Calls/{sid}.json")
        return call

    def find_call(self, sid: str) -> Call:
        """REST fetch of a call."""
        with self.locked():
            return self._call(sid)

    def list_calls(
        self,
        status: str | None = None,
        to: str | None = None,
        from_: str | None = None,
        started_after: str | None = None,
        started_before: str | None = None,
        started_on: str | None = None,
    ) -> list[Call]:
        """GET Calls.json newest first; StartTime>, StartTime<, StartTime are inclusive."""
        bounds = [
            (_parse_filter_time(name, raw), sign)
            for name, raw, sign in (
                ("StartTime>", started_after, (0, 1)),
                ("StartTime<", started_before, (-1, 0)),
                ("StartTime", started_on, (0,)),
            )
            if raw
        ]
        with self.locked():
            calls = [
                call
                for call in self._calls.values()
                if (status is None or call.status == status)
                and (to is None or call.to == to)
                and (from_ is None or call.from_ == from_)
                and all(
                    call.start_time is not None and _compare(call.start_time, bound) in allowed
                    for bound, allowed in bounds
                )
            ]
            return sorted(calls, key=lambda call: -call.seq)

    def update_call(self, sid: str, status: str | None, twiml: str | None) -> Call:
        """POST Calls/{sid}.json: cancel, complete, or redirect with new TwiML.

        canceled: hangs up a queued/ringing call, no effect on one in progress (as Twilio
        documents). completed: hangs up an in-progress call; a queued/ringing one ends canceled.
        Twiml: replaces what a live call runs. Anything on an ended call is 21220.
        """
        if twiml is not None:
            _check_twiml_size(twiml)
        if status is not None and status not in {"canceled", "completed"}:
            raise ApiError(400, 21220, f"Invalid call state: cannot set Status={status!r}")
        with self.locked():
            call = self._call(sid)
            if call.ended:
                raise ApiError(400, 21220, "Call is not in-progress. Cannot redirect.")
            if status is not None:
                if call.status in {"queued", "ringing"}:
                    call.end_reason = "canceled through the API"
                    self._set_status(call, "canceled")
                elif status == "completed":
                    call.end_reason = "completed through the API"
                    self._set_status(call, "completed")
                return call
            if twiml is not None:
                self._redirect(call, twiml)
            return call

    def _redirect(self, call: Call, twiml: str) -> None:
        call.twiml = twiml
        call.updated_at = self.now()
        if call.status != "in-progress":
            return  # not answered yet: the new TwiML runs on answer
        self._stop_verb(call)
        try:
            call.runner = TwimlRunner(parse_twiml(twiml))
        except TwimlError as exc:
            call.end_reason = f"{exc.code} {exc.message}"
            self._set_status(call, "failed")
            return
        self._resume_call(call)

    # ------------------------------------------------------------------ lookups for tests

    def rooms(self) -> list[Room]:
        """Test API: copies of every room, oldest first."""
        with self.locked():
            return [dataclasses.replace(r) for r in sorted(self._rooms.values(), key=_seq)]

    def room(self, sid_or_name: str) -> Room:
        """Test API: a copy of one room (SID, or unique name while in progress)."""
        with self.locked():
            return dataclasses.replace(self._room(sid_or_name))

    def participants(self, room_sid_or_name: str | None = None) -> list[Participant]:
        """Test API: copies of participants (all statuses), oldest first."""
        with self.locked():
            room_sid = self._room(room_sid_or_name).sid if room_sid_or_name else None
            found = [
                _copy_participant(p)
                for p in self._participants.values()
                if room_sid is None or p.room_sid == room_sid
            ]
            return sorted(found, key=_seq)

    def participant(self, sid: str) -> Participant:
        """Test API: a copy of one participant by PA… SID."""
        with self.locked():
            return _copy_participant(self._participant_by_sid(sid))

    def calls(self) -> list[Call]:
        """Test API: copies of every call, oldest first."""
        with self.locked():
            return [_copy_call(c) for c in sorted(self._calls.values(), key=_seq)]

    def call(self, sid: str) -> Call:
        """Test API: a copy of one call by CA… SID."""
        with self.locked():
            return _copy_call(self._call(sid))

    def call_status_history(self, sid: str) -> list[str]:
        """Test API: the statuses a call went through, in order (e.g. queued, ringing…)."""
        with self.locked():
            return [status for status, _ in self._call(sid).history]

    def participant_for_call(self, call_sid: str) -> Participant | None:
        """Test API: the latest participant a call joined as, if any."""
        with self.locked():
            found = [p for p in self._participants.values() if p.call_sid == call_sid]
            return _copy_participant(max(found, key=_seq)) if found else None


class _CallContext:
    """Binds the TwiML runner's CallHost calls to one call in the world."""

    def __init__(self, world: World, call: Call) -> None:
        self._world = world
        self._call = call

    def wait(self, seconds: float) -> None:
        self._world._schedule(self._call, seconds, self._world._resume_call)

    def hang_up(self) -> None:
        self._world._hang_up(self._call)

    def join_room(self, room_name: str, identity: str | None) -> bool:
        return self._world._join_by_call(self._call, room_name, identity)


def _seq(record: Room | Participant | Call) -> int:
    return record.seq


def _copy_participant(participant: Participant) -> Participant:
    return dataclasses.replace(participant, tracks=list(participant.tracks))


def _copy_call(call: Call) -> Call:
    return dataclasses.replace(call, history=list(call.history))


def _check_twiml_size(twiml: str) -> None:
    if len(twiml) > MAX_TWIML_LENGTH:
        raise ApiError(
            400,
            32018,
            f"Twiml size exceeded maximum allowed value of {MAX_TWIML_LENGTH} characters",
        )


def _is_e164(number: str) -> bool:
    """Twilio wants E.164: '+', country code, subscriber number, nothing else."""
    if not E164.match(number):
        return False
    try:
        return bool(phonenumbers.is_possible_number(phonenumbers.parse(number, None)))
    except phonenumbers.NumberParseException:
        return False
