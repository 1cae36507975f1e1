"""Mute for everyone, as Twilio subscribe rules: the plan, its inverse, and the writes it needs.

Twilio cannot mute a remote participant, but each participant's *subscribe rules* say which
tracks it receives. "Muted for everyone" is therefore: every *other* participant's rules leave
out the muted publisher's audio. This module is that translation, pure and Qt-free:

- `plan_mutes(members, muted)` — the smallest rule list per subscriber that says who it must
  not hear, or `TooManyRules` (a typed refusal, never half a plan) when some subscriber would
  need more than Twilio's 20 rules.
- `mute_state(rules_by_subscriber, members)` — the inverse: what rules read back from Twilio
  imply (who is muted for whom; "muted for everyone" only when every other subscriber leaves
  them out), so a restart or a second copy of the app shows mutes it did not make.
- `diff_plan(current, plan)` — which subscribers' rules must be written to get from what Twilio
  has to the plan: none for those whose rules already *mean* the same, so copies converge.

Rules are read as Twilio evaluates them: in order, the last rule matching a track decides
(include → subscribed, exclude → not), and a track no rule matches is not subscribed. Two forms
of list are planned, both free of any doubt about that order (the first has no include after an
exclude, the second has no exclude at all):

- *exclude form* `[include all, exclude {publisher: M, kind: audio} …]`, one rule per muted
  publisher; a newcomer is heard by default, so a join needs no rewrite of anyone else's rules.
- *include form* `[include {kind: video}, include {kind: data}, include {publisher: U, kind:
  audio} …]`, one rule per publisher still heard; used only when the exclude form would exceed
  20 rules (e.g. "mute all phone guests" with 35 guests), since newcomers then stay unheard
  until their audio is added.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "INCLUDE_ALL",
    "KINDS",
    "MAX_RULES_PER_SUBSCRIBER",
    "Member",
    "MutePlan",
    "MuteState",
    "RuleWrite",
    "SubscribeRule",
    "TooManyRules",
    "diff_plan",
    "hears",
    "mute_state",
    "plan_mutes",
    "plan_writes",
    "rules_for",
    "same_meaning",
    "with_phone_guests_muted",
]

MAX_RULES_PER_SUBSCRIBER = 20
"""Twilio refuses more subscribe rules than this per subscriber (53215)."""
KINDS = ("audio", "video", "data")
RuleType = Literal["include", "exclude"]


@dataclass(frozen=True, order=True)
class SubscribeRule:
    """One Twilio subscribe rule: `all`, or filters (publisher, track, kind) that all match."""

    type: RuleType
    all: bool = False
    publisher: str | None = None
    track: str | None = None
    kind: str | None = None
    priority: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The compact JSON Twilio takes: only the fields the rule has."""
        body: dict[str, Any] = {"type": self.type}
        if self.all:
            body["all"] = True
        for name in ("publisher", "track", "kind", "priority"):
            value = getattr(self, name)
            if value is not None:
                body[name] = value
        return body

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> SubscribeRule:
        """A rule as Twilio returns it (null fields are simply absent values)."""
        kind = raw.get("type")
        if kind not in ("include", "exclude"):
            raise ValueError(f"not a subscribe rule type: {kind!r}")

        def text(name: str) -> str | None:
            value = raw.get(name)
            return None if value is None else str(value)

        return cls(
            type=kind,
            all=bool(raw.get("all")),
            publisher=text("publisher"),
            track=text("track"),
            kind=text("kind"),
            priority=text("priority"),
        )

    def matches(self, publisher: Member, kind: str, track: str | None = None) -> bool:
        """Whether this rule matches a `kind` track of `publisher` named `track`.

        A rule naming a track matches only a probe naming that same track: a mute is about
        a publisher's audio, whatever its track is called.
        """
        if self.all:
            return True
        if self.publisher is None and self.track is None and self.kind is None:
            return False
        if self.publisher is not None and self.publisher not in (publisher.identity, publisher.sid):
            return False
        if self.track is not None and self.track != track:
            return False
        return self.kind is None or self.kind == kind


INCLUDE_ALL = SubscribeRule("include", all=True)
INCLUDE_VIDEO = SubscribeRule("include", kind="video")
INCLUDE_DATA = SubscribeRule("include", kind="data")


@dataclass(frozen=True)
class Member:
    """A room participant as the plan needs it: identity, SID when known, phone guest or not."""

    identity: str
    sid: str | None = None
    is_phone: bool = False

    @property
    def names(self) -> frozenset[str]:
        """What a rule's `publisher` may say for this member (identity or PA… SID)."""
        return frozenset(n for n in (self.identity, self.sid) if n)


NEWCOMER = Member("\x00someone who has not joined yet")
"""A probe publisher: rules that differ only on people yet to join still differ."""


def hears(
    rules: Sequence[SubscribeRule], publisher: Member, kind: str = "audio", track: str | None = None
) -> bool:
    """Whether rules subscribe to a `kind` track of `publisher`: the last match decides."""
    decision = False
    for rule in rules:
        if rule.matches(publisher, kind, track):
            decision = rule.type == "include"
    return decision


def _exclude_form(muted_others: Sequence[str]) -> tuple[SubscribeRule, ...]:
    excludes = (SubscribeRule("exclude", publisher=who, kind="audio") for who in muted_others)
    return (INCLUDE_ALL, *excludes)


def _include_form(heard_others: Sequence[str]) -> tuple[SubscribeRule, ...]:
    includes = (SubscribeRule("include", publisher=who, kind="audio") for who in heard_others)
    return (INCLUDE_VIDEO, INCLUDE_DATA, *includes)


def rules_for(
    subscriber: str, members: Iterable[Member], muted: Collection[str]
) -> tuple[SubscribeRule, ...]:
    """The rules that make `subscriber` hear every other member except the `muted` ones.

    The exclude form while it fits in 20 rules (newcomers heard without rewrites), else the
    include form when that is shorter; the caller checks the length against the limit.
    """
    others = sorted({m.identity for m in members if m.identity != subscriber})
    muted_others = [identity for identity in others if identity in muted]
    if not muted_others:
        return (INCLUDE_ALL,)
    excluding = _exclude_form(muted_others)
    if len(excluding) <= MAX_RULES_PER_SUBSCRIBER:
        return excluding
    including = _include_form([identity for identity in others if identity not in muted])
    return including if len(including) < len(excluding) else excluding


@dataclass(frozen=True)
class MutePlan:
    """The wanted rules of every subscriber of a room, each within Twilio's limit."""

    members: tuple[Member, ...]
    muted: frozenset[str]
    rules: Mapping[str, tuple[SubscribeRule, ...]] = field(default_factory=dict)

    def rules_of(self, subscriber: str) -> tuple[SubscribeRule, ...]:
        """One subscriber's wanted rules."""
        return self.rules[subscriber]


@dataclass(frozen=True)
class TooManyRules:
    """A refusal: these subscribers would need more than `limit` rules (nothing is planned)."""

    needed: Mapping[str, int]
    limit: int = MAX_RULES_PER_SUBSCRIBER

    @property
    def worst(self) -> int:
        """The most rules any subscriber would have needed."""
        return max(self.needed.values())

    def message(self) -> str:
        """What the host is told: why nothing was changed."""
        count = len(self.needed)
        who = "participant" if count == 1 else "participants"
        return (
            f"Not applied: {count} {who} would need up to {self.worst} subscribe rules, "
            f"more than Twilio's {self.limit}. Nothing was changed."
        )


def plan_mutes(members: Iterable[Member], muted: Collection[str]) -> MutePlan | TooManyRules:
    """Every member's rules for the `muted` identities, or `TooManyRules` for the whole room."""
    roster = tuple(sorted({m.identity: m for m in members}.values(), key=lambda m: m.identity))
    present = frozenset(m.identity for m in roster)
    wanted = frozenset(muted) & present
    rules = {m.identity: rules_for(m.identity, roster, wanted) for m in roster}
    needed = {who: len(r) for who, r in rules.items() if len(r) > MAX_RULES_PER_SUBSCRIBER}
    if needed:
        return TooManyRules(needed)
    return MutePlan(roster, wanted, rules)


def with_phone_guests_muted(members: Iterable[Member], muted: Collection[str]) -> frozenset[str]:
    """ "Mute all phone guests": the muted set plus every phone guest in the room."""
    return frozenset(muted) | {m.identity for m in members if m.is_phone}


@dataclass(frozen=True)
class MuteState:
    """What subscribe rules imply: whose audio each subscriber leaves out."""

    muted_for: Mapping[str, frozenset[str]]
    """Publisher identity → the subscribers who do not receive its audio."""
    muted_for_everyone: frozenset[str]
    """Publishers no other subscriber hears (with at least one other subscriber in the room)."""

    def is_muted_for(self, publisher: str, subscriber: str) -> bool:
        """Whether `subscriber` does not hear `publisher`."""
        return subscriber in self.muted_for.get(publisher, frozenset())


def _rules_or_default(
    rules_by_subscriber: Mapping[str, Sequence[SubscribeRule]], subscriber: str
) -> Sequence[SubscribeRule]:
    return rules_by_subscriber.get(subscriber) or (INCLUDE_ALL,)


def mute_state(
    rules_by_subscriber: Mapping[str, Sequence[SubscribeRule]], members: Iterable[Member]
) -> MuteState:
    """The mute state rules read back from Twilio imply, for the room's current members.

    A subscriber whose rules were not read counts as Twilio's default (include all). A
    publisher is muted for everyone only when every other member leaves its audio out; alone
    in a room nobody is muted, since there is nobody to say it.
    """
    roster = {m.identity: m for m in members}
    muted_for: dict[str, frozenset[str]] = {}
    everyone: set[str] = set()
    for publisher in roster.values():
        others = [who for who in roster if who != publisher.identity]
        deaf = frozenset(
            who
            for who in others
            if not hears(_rules_or_default(rules_by_subscriber, who), publisher)
        )
        if deaf:
            muted_for[publisher.identity] = deaf
        if others and len(deaf) == len(others):
            everyone.add(publisher.identity)
    return MuteState(muted_for, frozenset(everyone))


def same_meaning(
    left: Sequence[SubscribeRule], right: Sequence[SubscribeRule], members: Iterable[Member]
) -> bool:
    """Whether two rule lists subscribe to the same tracks of these members and of newcomers.

    Compared on every kind of every member (by identity and by SID) and of an unknown
    newcomer, plus every track a rule names: a reordering or a rule written with a SID instead
    of an identity is the same list; an extra or missing exclude is not.
    """
    tracks: set[str | None] = {None} | {r.track for r in (*left, *right) if r.track is not None}
    publishers = [*members, NEWCOMER]
    known = frozenset().union(*(m.names for m in publishers))
    named = {r.publisher for r in (*left, *right) if r.publisher is not None}
    publishers += [Member(name) for name in sorted(named - known)]  # people not here now
    return all(
        hears(left, publisher, kind, track) == hears(right, publisher, kind, track)
        for publisher in publishers
        for kind in KINDS
        for track in tracks
    )


@dataclass(frozen=True)
class RuleWrite:
    """One subscriber's rules to POST (its SID when known, else its identity)."""

    subscriber: str
    participant: str
    rules: tuple[SubscribeRule, ...]

    def rules_json(self) -> list[dict[str, Any]]:
        """The Rules form field's value (before json.dumps)."""
        return [rule.to_json() for rule in self.rules]


def diff_plan(
    current: Mapping[str, Sequence[SubscribeRule]], plan: MutePlan
) -> tuple[RuleWrite, ...]:
    """The writes that take Twilio from `current` to `plan`, skipping rules already meaning it.

    A subscriber missing from `current` is taken to have Twilio's default (include all).
    """
    writes = []
    for member in plan.members:
        wanted = plan.rules_of(member.identity)
        have = _rules_or_default(current, member.identity)
        if not same_meaning(have, wanted, plan.members):
            writes.append(RuleWrite(member.identity, member.sid or member.identity, wanted))
    return tuple(writes)


def plan_writes(
    members: Iterable[Member],
    muted: Collection[str],
    current: Mapping[str, Sequence[SubscribeRule]],
) -> tuple[RuleWrite, ...] | TooManyRules:
    """`plan_mutes` then `diff_plan`: the writes for a wanted mute set, or the refusal."""
    plan = plan_mutes(members, muted)
    if isinstance(plan, TooManyRules):
        return plan
    return diff_plan(current, plan)
