"""Mute for everyone, per room: who is muted, by whom, since when, and the writes that say it.

`MuteBook` is the Qt-free keeper of the mute state of the rooms the app follows. The truth lives
in Twilio's subscribe rules (`mute_rules` translates both ways); the book holds what was last
read back or written, plus the host's commands while their writes are under way:

- `participants(room, members)` after each participants poll: who is in the room now. The first
  time, every member's rules are *unread* (`unread()` names them for the poll planner), and
  nothing is written until they are read: a restart, a crash or a second copy of the app first
  learns the mutes in place, so it never forgets nor fights them. A newcomer after that is
  taken to have Twilio's default rules, and gets the room's mutes at once (`MuteStep.writes`).
- `rules_read(room, read)` for each rules read back: with every member read and no write of
  ours under way, the mutes they imply replace the book's (someone else's mute shows "by
  another app"; an unmute made elsewhere drops the mute).
- `mute` / `unmute` / `mute_phone_guests`: the host's commands, planned with `plan_writes`
  (only what is not already right), refused whole by `TooManyRules` (never half a mute).
- `written` / `write_failed` as each write settles; a batch's last one gives the log line.

"Muted for everyone" is judged only among the subscribers whose rules were ever written: a
participant whose rules are Twilio's untouched default joined while no copy of the app was
watching, is not a sign that someone unmuted, and is given the mutes like any newcomer.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from moderator.core.mute_rules import (
    INCLUDE_ALL,
    Member,
    RuleWrite,
    SubscribeRule,
    TooManyRules,
    hears,
    plan_writes,
    with_phone_guests_muted,
)

__all__ = [
    "MUTE_EXPLANATION",
    "PHONE_GUESTS_EXPLANATION",
    "MuteBook",
    "MuteLine",
    "MuteRecord",
    "MuteStep",
    "MuteView",
    "MuteWrite",
    "RulesSnapshot",
]

MUTE_EXPLANATION = (
    "Mute for everyone stops every other participant from receiving this person's audio "
    "(Twilio subscribe rules). The muted person still hears everyone, and is not told: a phone "
    "guest hears no announcement, an app participant sees nothing change."
)
"""What the commands do, said plainly where the host chooses them."""

PHONE_GUESTS_EXPLANATION = (
    "Everyone else in the room stops receiving their audio (Twilio subscribe rules). They still "
    "hear everyone and are not told: a phone guest hears no announcement. Phone guests who join "
    "later are not muted; Unmute gives anyone their voice back."
)
"""What "Mute all phone guests" does, in its confirmation."""


@dataclass(frozen=True, slots=True)
class RulesSnapshot:
    """One subscriber's rules as read back (or as written), with Twilio's last-write time."""

    participant_sid: str
    rules: tuple[SubscribeRule, ...]
    date_updated: datetime | None = None


@dataclass(frozen=True, slots=True)
class MuteRecord:
    """One muted publisher: by this app's host or another app, since when."""

    identity: str
    by_you: bool
    since: datetime

    @property
    def by_text(self) -> str:
        return "you" if self.by_you else "another app"


@dataclass(frozen=True, slots=True)
class MuteView:
    """What the roster shows for one participant (absent from `views()`: not muted)."""

    identity: str
    muted: bool
    by_you: bool = False
    since: datetime | None = None
    #: "muting" or "unmuting" while the host's batch for this person runs, else "".
    changing: str = ""
    #: Who muted them when it was not this app, as a co-host's shared note says ("" unknown).
    by_name: str = ""

    @property
    def text(self) -> str:
        if self.changing == "muting":
            return "Muting…"
        if self.changing == "unmuting":
            return "Unmuting…"
        return "Muted" if self.muted else ""

    def spoken(self, at: Callable[[datetime], str]) -> str:
        """The accessible text and tooltip: muted for everyone, by whom, since when."""
        if self.changing == "muting":
            return "Being muted for everyone"
        if self.changing == "unmuting":
            return "Being unmuted"
        if not self.muted:
            return "Not muted"
        by = "you" if self.by_you else (self.by_name or "another app")
        since = f" since {at(self.since)}" if self.since is not None else ""
        return f"Muted for everyone by {by}{since}; still hears everyone"


@dataclass(frozen=True, slots=True)
class MuteWrite:
    """One rules write for the write queue: a subscriber's wanted rules in a room."""

    room_sid: str
    batch: str
    subscriber: str  # identity
    participant_sid: str
    rules: tuple[SubscribeRule, ...]
    epoch: int = 0  # the subscriber's count of writes queued, this one included


@dataclass(frozen=True, slots=True)
class MuteLine:
    """A line for the event log ("Muted ••• 2671 for everyone"); `error` for a failure."""

    room_sid: str
    kind: str  # "muted" | "unmuted" | "error"
    text: str


@dataclass(slots=True)
class MuteStep:
    """What one call implies: writes to queue, log lines, the roster to repaint, a refusal."""

    writes: list[MuteWrite] = field(default_factory=list)
    lines: list[MuteLine] = field(default_factory=list)
    rosters: set[str] = field(default_factory=set)
    refused: str = ""
    batch: str = ""

    def __iadd__(self, other: MuteStep) -> MuteStep:
        self.writes.extend(other.writes)
        self.lines.extend(other.lines)
        self.rosters |= other.rosters
        self.refused = self.refused or other.refused
        self.batch = self.batch or other.batch
        return self


@dataclass(slots=True)
class _Batch:
    id: str
    room_sid: str
    command: str  # "mute" | "unmute" | "newcomers"
    targets: tuple[str, ...]
    total: int
    settled: int = 0
    failed: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Room:
    members: dict[str, Member] = field(default_factory=dict)
    rules: dict[str, RulesSnapshot] = field(default_factory=dict)  # by subscriber identity
    unread: set[str] = field(default_factory=set)  # identities whose rules must be read first
    muted: dict[str, MuteRecord] = field(default_factory=dict)
    changing: dict[str, str] = field(default_factory=dict)  # identity → "muting" | "unmuting"
    pending: dict[str, int] = field(default_factory=dict)  # subscriber → writes under way
    epoch: dict[str, int] = field(default_factory=dict)  # subscriber → writes queued so far
    queued: dict[str, tuple[SubscribeRule, ...]] = field(default_factory=dict)  # last queued
    intent: dict[str, bool] = field(default_factory=dict)  # commands waiting for the rules
    #: Subscribers whose write was given up: not rewritten by themselves (no retry loop) until
    #: the host's next command, or until they leave.
    gave_up: set[str] = field(default_factory=set)
    seen: bool = False

    def synced(self) -> bool:
        return self.seen and not (self.unread & set(self.members))

    def current(self) -> dict[str, tuple[SubscribeRule, ...]]:
        """What Twilio will have once the writes under way land (they land in order)."""
        have = {who: snap.rules for who, snap in self.rules.items()}
        have.update((who, rules) for who, rules in self.queued.items() if self.pending.get(who))
        return have

    def written(self, identity: str) -> bool:
        snap = self.rules.get(identity)
        return snap is not None and snap.date_updated is not None


class MuteBook:
    """The mute state of every followed room; see the module docstring."""

    def __init__(
        self, clock: Callable[[], datetime], names: Callable[[str], str] | None = None
    ) -> None:
        self._clock = clock
        #: Display names of identities (masked numbers for phone guests) for the log lines.
        self.names: Callable[[str], str] = names if names is not None else str
        self._rooms: dict[str, _Room] = {}
        self._batches: dict[str, _Batch] = {}
        self._ids = itertools.count(1)

    # -- queries ------------------------------------------------------------------------------

    def views(self, room_sid: str) -> dict[str, MuteView]:
        """Participant identity → what the roster shows, for the muted and the changing."""
        room = self._rooms.get(room_sid)
        if room is None:
            return {}
        views = {
            who: MuteView(who, True, record.by_you, record.since)
            for who, record in room.muted.items()
        }
        for who, change in room.changing.items():
            record = room.muted.get(who)
            views[who] = MuteView(
                who,
                record is not None,
                record.by_you if record else False,
                record.since if record else None,
                change,
            )
        return views

    def muted(self, room_sid: str) -> frozenset[str]:
        """Identities muted for everyone in the room (as the book knows it now)."""
        room = self._rooms.get(room_sid)
        return frozenset(room.muted) if room is not None else frozenset()

    def record(self, room_sid: str, identity: str) -> MuteRecord | None:
        room = self._rooms.get(room_sid)
        return room.muted.get(identity) if room is not None else None

    def unmuted_phone_guests(self, room_sid: str) -> list[str]:
        """Phone guests in the room not muted yet: whom "Mute all phone guests" would mute."""
        room = self._rooms.get(room_sid)
        if room is None:
            return []
        return sorted(
            m.identity for m in room.members.values() if m.is_phone and m.identity not in room.muted
        )

    def synced(self, room_sid: str) -> bool:
        """Whether every member's rules are known (read back or written by the app)."""
        room = self._rooms.get(room_sid)
        return room is not None and room.synced()

    def unread(self, room_sid: str | None) -> list[str]:
        """Participant SIDs whose rules the poll planner should read (one read each)."""
        room = self._rooms.get(room_sid) if room_sid is not None else None
        if room is None:
            return []
        return sorted(
            member.sid for who, member in room.members.items() if who in room.unread and member.sid
        )

    def known(self, room_sid: str | None) -> list[str]:
        """Participant SIDs whose rules are known, for a slow re-read (another app's changes)."""
        room = self._rooms.get(room_sid) if room_sid is not None else None
        if room is None:
            return []
        return sorted(
            member.sid
            for who, member in room.members.items()
            if who not in room.unread and member.sid and not room.pending.get(who)
        )

    def busy(self, room_sid: str) -> bool:
        """Writes of the app are under way in the room."""
        room = self._rooms.get(room_sid)
        return room is not None and any(room.pending.values())

    # -- what Twilio says ---------------------------------------------------------------------

    def participants(self, room_sid: str, members: Iterable[Member]) -> MuteStep:
        """The room's connected participants now (after a participants poll)."""
        room = self._rooms.setdefault(room_sid, _Room())
        now = {m.identity: m for m in members}
        step = MuteStep()
        first = not room.seen
        newcomers = set(now) - set(room.members)
        left = set(room.members) - set(now)
        for who in left:
            room.rules.pop(who, None)
            room.unread.discard(who)
            room.pending.pop(who, None)
            room.queued.pop(who, None)
            room.gave_up.discard(who)
        changed_sid = {who for who in set(now) & set(room.members) if now[who] != room.members[who]}
        room.members = now
        room.seen = True
        if first:
            room.unread = set(now)
            return step
        for who in changed_sid:  # same identity, new participant (rejoined): rules start over
            room.rules.pop(who, None)
            room.gave_up.discard(who)
            newcomers.add(who)
        if left & set(room.muted) or left & set(room.changing):
            step.rosters.add(room_sid)
        if not newcomers:
            return step
        if not room.synced():
            room.unread |= newcomers  # their rules are read with the others'
            return step
        for who in newcomers:
            room.rules.pop(who, None)  # Twilio's default until the app writes
        if room.muted:
            step += self._plan(room_sid, room, "newcomers", tuple(sorted(newcomers)))
        return step

    def read_token(self, room_sid: str, participant_sid: str) -> int:
        """Taken when a rules read starts, given back to `rules_read` with its answer."""
        room = self._rooms.get(room_sid)
        who = self._identity_of(room, participant_sid) if room is not None else None
        return room.epoch.get(who, 0) if room is not None and who is not None else 0

    def rules_read(self, room_sid: str, read: RulesSnapshot, token: int = 0) -> MuteStep:
        """One subscriber's rules read back from Twilio (`token` from `read_token`)."""
        room = self._rooms.get(room_sid)
        step = MuteStep()
        if room is None:
            return step
        who = self._identity_of(room, read.participant_sid)
        if who is None or room.pending.get(who) or room.epoch.get(who, 0) != token:
            return step  # left meanwhile, or older than a write of ours, which says it better
        was_synced = room.synced()
        room.rules[who] = read
        room.unread.discard(who)
        if not room.synced() or any(room.pending.values()):
            return step
        if not was_synced:
            step.rosters.add(room_sid)  # the mute commands can be offered now
        step += self._adopt(room_sid, room)
        if room.intent:
            intent, room.intent = dict(room.intent), {}
            wanted = self._wanted(room, intent)
            step += self._command(room_sid, room, wanted, intent)
        elif room.muted and self._uncovered(room):
            step += self._plan(room_sid, room, "newcomers", ())
        return step

    def room_gone(self, room_sid: str) -> None:
        self._rooms.pop(room_sid, None)

    # -- the host's commands ------------------------------------------------------------------

    def mute(self, room_sid: str, identity: str) -> MuteStep:
        return self._host(room_sid, {identity: True})

    def unmute(self, room_sid: str, identity: str) -> MuteStep:
        return self._host(room_sid, {identity: False})

    def mute_phone_guests(self, room_sid: str) -> MuteStep:
        """Mute every phone guest in the room (those already muted stay so)."""
        room = self._rooms.get(room_sid)
        if room is None:
            return MuteStep(refused="The room's participants are not known yet; try again.")
        phones = with_phone_guests_muted(room.members.values(), ()) - set(room.muted)
        if not phones:
            return MuteStep(refused="There is no phone guest to mute in this room.")
        return self._host(room_sid, dict.fromkeys(sorted(phones), True))

    def _host(self, room_sid: str, intent: Mapping[str, bool]) -> MuteStep:
        room = self._rooms.get(room_sid)
        if room is None or not room.seen:
            return MuteStep(refused="The room's participants are not known yet; try again.")
        if not room.synced():
            room.intent.update(intent)  # applied once the rules are read (never blind)
            for who, on in intent.items():
                room.changing[who] = "muting" if on else "unmuting"
            return MuteStep(rosters={room_sid})
        return self._command(room_sid, room, self._wanted(room, intent), intent)

    @staticmethod
    def _wanted(room: _Room, intent: Mapping[str, bool]) -> set[str]:
        wanted = set(room.muted)
        for who, on in intent.items():
            if on:
                wanted.add(who)
            else:
                wanted.discard(who)
        return wanted

    def _command(
        self, room_sid: str, room: _Room, wanted: set[str], intent: Mapping[str, bool]
    ) -> MuteStep:
        room.gave_up.clear()  # the host asks again: every subscriber is tried again
        writes = plan_writes(room.members.values(), wanted, room.current())
        targets = tuple(sorted(intent))
        if isinstance(writes, TooManyRules):
            for who in targets:
                room.changing.pop(who, None)
            return MuteStep(rosters={room_sid}, refused=writes.message())
        now = self._clock()
        for who, on in intent.items():
            if on and who not in room.muted and who in room.members:
                room.muted[who] = MuteRecord(who, True, now)
            elif not on:
                room.muted.pop(who, None)
        command = "mute" if all(intent.values()) else "unmute"
        step = self._queue(room_sid, room, command, targets, writes)
        for who in targets:
            if step.writes:
                room.changing[who] = "muting" if intent[who] else "unmuting"
            else:
                room.changing.pop(who, None)
        if not step.writes:
            step.lines.append(self._line(room_sid, command, targets))
        step.rosters.add(room_sid)
        return step

    # -- the writes' outcomes -----------------------------------------------------------------

    def written(self, write: MuteWrite, date_updated: datetime | None = None) -> MuteStep:
        """Twilio accepted a write: these are now the subscriber's rules."""
        room = self._rooms.get(write.room_sid)
        if room is not None and write.subscriber in room.members:
            room.rules[write.subscriber] = RulesSnapshot(
                write.participant_sid, write.rules, date_updated or self._clock()
            )
            room.unread.discard(write.subscriber)
        return self._settled(write, None)

    def superseded(self, write: MuteWrite) -> bool:
        """A later write for the same subscriber was queued: retrying this one would undo it."""
        room = self._rooms.get(write.room_sid)
        return room is not None and room.epoch.get(write.subscriber, 0) != write.epoch

    def dropped(self, write: MuteWrite) -> MuteStep:
        """A failed write not worth retrying, since a later one says what the rules must be."""
        return self._settled(write, None)

    def write_failed(self, write: MuteWrite, reason: str) -> MuteStep:
        """A write was given up (after retries, or refused): the batch reports it."""
        room = self._rooms.get(write.room_sid)
        if room is not None:
            room.unread.add(write.subscriber)  # read it back: what Twilio has is unknown now
            room.gave_up.add(write.subscriber)
        return self._settled(write, reason)

    def _settled(self, write: MuteWrite, failure: str | None) -> MuteStep:
        step = MuteStep()
        room = self._rooms.get(write.room_sid)
        if room is not None and room.pending.get(write.subscriber):
            room.pending[write.subscriber] -= 1
            if not room.pending[write.subscriber]:
                del room.pending[write.subscriber]
                room.queued.pop(write.subscriber, None)
        batch = self._batches.get(write.batch)
        if batch is None:
            return step
        batch.settled += 1
        if failure is not None:
            batch.failed.append(failure)
        if batch.settled < batch.total:
            return step
        del self._batches[batch.id]
        step.rosters.add(batch.room_sid)
        if room is not None:
            for who in batch.targets:
                room.changing.pop(who, None)
        if batch.failed:
            done = batch.total - len(batch.failed)
            what = "Mute" if batch.command != "unmute" else "Unmute"
            who = self._names(batch.targets) or "newcomers"
            step.lines.append(
                MuteLine(
                    batch.room_sid,
                    "error",
                    f"{what} of {who} is incomplete: {len(batch.failed)} of {batch.total} "
                    f"participants' rules could not be written ({batch.failed[-1]}); "
                    f"{done} were. Try the command again.",
                )
            )
        elif batch.command != "newcomers":
            step.lines.append(self._line(batch.room_sid, batch.command, batch.targets))
        return step

    # -- inside -------------------------------------------------------------------------------

    def _names(self, targets: Iterable[str]) -> str:
        shown = [self.names(who) for who in targets]
        if len(shown) > 3:
            return f"{len(shown)} participants"
        return ", ".join(shown)

    def _line(self, room_sid: str, command: str, targets: tuple[str, ...]) -> MuteLine:
        who = self._names(targets)
        if command == "unmute":
            return MuteLine(room_sid, "unmuted", f"Unmuted {who}")
        return MuteLine(room_sid, "muted", f"Muted {who} for everyone")

    @staticmethod
    def _identity_of(room: _Room, participant_sid: str) -> str | None:
        for who, member in room.members.items():
            if member.sid == participant_sid:
                return who
        return None

    def _uncovered(self, room: _Room) -> bool:
        """Some member's rules were never written (joined while nobody was watching)."""
        return any(not room.written(who) for who in room.members)

    def _plan(self, room_sid: str, room: _Room, command: str, targets: tuple[str, ...]) -> MuteStep:
        writes = plan_writes(room.members.values(), set(room.muted), room.current())
        if isinstance(writes, TooManyRules):
            return MuteStep(
                lines=[MuteLine(room_sid, "error", f"Newcomers not muted: {writes.message()}")]
            )
        # Bring newcomers (and untouched rules) in line, but never rewrite what someone else
        # wrote: a copy of the app halfway through its own batch must not be fought.
        fresh = set(targets) | {who for who in room.members if not room.written(who)}
        include_form = any(
            snap.rules and INCLUDE_ALL not in snap.rules for snap in room.rules.values()
        )
        if not include_form:
            writes = tuple(w for w in writes if w.subscriber in fresh)
        writes = tuple(w for w in writes if w.subscriber not in room.gave_up)
        return self._queue(room_sid, room, command, targets, writes)

    def _queue(
        self,
        room_sid: str,
        room: _Room,
        command: str,
        targets: tuple[str, ...],
        writes: Iterable[RuleWrite],
    ) -> MuteStep:
        step = MuteStep()
        planned = list(writes)
        if not planned:
            return step
        batch = _Batch(f"mute-{next(self._ids)}", room_sid, command, targets, len(planned))
        self._batches[batch.id] = batch
        step.batch = batch.id
        for write in planned:
            sid = room.members[write.subscriber].sid or write.participant
            room.pending[write.subscriber] = room.pending.get(write.subscriber, 0) + 1
            room.queued[write.subscriber] = write.rules
            epoch = room.epoch[write.subscriber] = room.epoch.get(write.subscriber, 0) + 1
            step.writes.append(
                MuteWrite(room_sid, batch.id, write.subscriber, sid, write.rules, epoch)
            )
        return step

    def _adopt(self, room_sid: str, room: _Room) -> MuteStep:
        """Take the mutes the rules imply (every member read, no write of ours under way)."""
        step = MuteStep()
        implied: dict[str, datetime | None] = {}
        for publisher in room.members.values():
            judges = [
                room.rules[who]
                for who in room.members
                if who != publisher.identity and room.written(who)
            ]
            if judges and not any(hears(snap.rules, publisher) for snap in judges):
                dates = [snap.date_updated for snap in judges if snap.date_updated is not None]
                implied[publisher.identity] = max(dates) if dates else None
        alone = {who for who in room.muted if len(room.members) <= 1 or who not in room.members}
        for who in list(room.muted):
            if who not in implied and who not in alone:
                del room.muted[who]
                step.lines.append(
                    MuteLine(room_sid, "unmuted", f"{self.names(who)} was unmuted by another app")
                )
                step.rosters.add(room_sid)
        for who, since in implied.items():
            if who not in room.muted:
                room.muted[who] = MuteRecord(who, False, since or self._clock())
                step.lines.append(
                    MuteLine(
                        room_sid, "muted", f"{self.names(who)} is muted for everyone by another app"
                    )
                )
                step.rosters.add(room_sid)
        return step
