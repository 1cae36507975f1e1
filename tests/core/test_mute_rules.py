"""Mute for everyone as subscribe rules: the plan, the 20-rule refusal, the inverse read back,
and the diff that makes restarts and second copies converge. Properties check the plan against
the sandbox's own rule semantics (Twilio's side, written independently)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moderator.core.mute_rules import (
    INCLUDE_ALL,
    MAX_RULES_PER_SUBSCRIBER,
    Member,
    MutePlan,
    SubscribeRule,
    TooManyRules,
    diff_plan,
    hears,
    mute_state,
    plan_mutes,
    plan_writes,
    rules_for,
    same_meaning,
    with_phone_guests_muted,
)
from moderator.sandbox.clock import ManualClock
from moderator.sandbox.world import World


def room(app: int, phone: int = 0) -> list[Member]:
    members = [Member(f"app-{i:02}", f"PA{i:032x}") for i in range(app)]
    return members + [
        Member(f"phone-{i:02}", f"PA{1000 + i:032x}", is_phone=True) for i in range(phone)
    ]


def exclude_audio(identity: str) -> SubscribeRule:
    return SubscribeRule("exclude", publisher=identity, kind="audio")


def planned(members: Sequence[Member], muted: set[str] | frozenset[str]) -> MutePlan:
    plan = plan_mutes(members, muted)
    assert isinstance(plan, MutePlan), plan
    return plan


def test_muting_one_of_ten_gives_every_other_participant_one_exclude() -> None:
    members = room(10)
    plan = planned(members, {"app-03"})
    for member in members:
        if member.identity == "app-03":
            assert plan.rules_of("app-03") == (INCLUDE_ALL,), "the muted person hears everyone"
        else:
            assert plan.rules_of(member.identity) == (INCLUDE_ALL, exclude_audio("app-03"))


def test_nobody_muted_is_twilios_default() -> None:
    plan = planned(room(4), set())
    assert set(plan.rules.values()) == {(INCLUDE_ALL,)}
    assert planned(room(3), {"somebody-gone"}).muted == frozenset(), "absent people are ignored"


def test_rules_travel_as_twilios_json() -> None:
    rule = exclude_audio("bob")
    assert rule.to_json() == {"type": "exclude", "publisher": "bob", "kind": "audio"}
    assert INCLUDE_ALL.to_json() == {"type": "include", "all": True}
    twilio_shape = {
        "type": "exclude",
        "all": None,
        "publisher": "bob",
        "track": None,
        "kind": "audio",
        "priority": None,
    }
    assert SubscribeRule.from_json(twilio_shape) == rule
    with pytest.raises(ValueError):
        SubscribeRule.from_json({"type": "maybe"})


def test_mute_all_phone_guests_in_a_full_room_fits_in_twenty_rules() -> None:
    members = room(15, 35)
    muted = with_phone_guests_muted(members, set())
    assert len(muted) == 35
    plan = planned(members, muted)
    lengths = {member.identity: len(plan.rules_of(member.identity)) for member in members}
    assert max(lengths.values()) <= MAX_RULES_PER_SUBSCRIBER
    assert lengths["app-00"] == 2 + 14, "include form: video, data, the 14 other app people"
    assert lengths["phone-00"] == 2 + 15
    state = mute_state(plan.rules, members)
    assert state.muted_for_everyone == muted


def test_more_than_twenty_rules_is_refused_whole() -> None:
    members = room(42)
    muted = {m.identity for m in members[:21]}
    refusal = plan_mutes(members, muted)
    assert isinstance(refusal, TooManyRules)
    assert set(refusal.needed) == {m.identity for m in members}, "everyone, not a half plan"
    assert refusal.worst == 22 and refusal.limit == 20, "the smaller form, still too long"
    assert (
        "more than Twilio's 20" in refusal.message() and "Nothing was changed" in refusal.message()
    )
    assert plan_writes(members, muted, {}) == refusal


def test_the_smaller_form_is_used_only_beyond_the_limit() -> None:
    members = room(25)
    muted = {m.identity for m in members[:19]}
    assert len(rules_for("app-24", members, muted)) == 20, "exclude form while it fits"
    muted.add("app-19")
    rules = rules_for("app-24", members, muted)
    assert rules[:2] == (
        SubscribeRule("include", kind="video"),
        SubscribeRule("include", kind="data"),
    )
    assert len(rules) == 2 + 4


def test_the_inverse_reads_who_is_muted_for_whom() -> None:
    members = room(4)
    alice, bob, carol, dan = (m.identity for m in members)
    everyone_but_bob = {who: (INCLUDE_ALL, exclude_audio(bob)) for who in (alice, carol, dan)}
    state = mute_state(everyone_but_bob, members)
    assert state.muted_for_everyone == {bob}
    assert state.muted_for == {bob: frozenset({alice, carol, dan})}
    partly = {alice: (INCLUDE_ALL, exclude_audio(carol))}
    state = mute_state(partly, members)
    assert state.muted_for_everyone == frozenset(), "one subscriber is not everyone"
    assert state.is_muted_for(carol, alice) and not state.is_muted_for(carol, dan)
    by_sid = {
        who.identity: (INCLUDE_ALL, exclude_audio(members[3].sid or "")) for who in members[:3]
    }
    assert mute_state(by_sid, members).muted_for_everyone == {dan}, "a SID names the publisher"
    assert mute_state({}, members[:1]).muted_for_everyone == frozenset(), "alone: nobody to say"


def test_rules_that_mean_the_same_need_no_write() -> None:
    members = room(5)
    plan = planned(members, {"app-01", "app-02"})
    assert diff_plan(plan.rules, plan) == ()
    reordered = {who: (r[0], *reversed(r[1:])) for who, r in plan.rules.items()}
    assert diff_plan(reordered, plan) == ()
    by_sid = {
        who: tuple(
            SubscribeRule(r.type, r.all, members[int(r.publisher[-2:])].sid, kind=r.kind)
            if r.publisher
            else r
            for r in rules
        )
        for who, rules in plan.rules.items()
    }
    assert diff_plan(by_sid, plan) == ()
    stale = dict(plan.rules)
    stale["app-04"] = (INCLUDE_ALL, exclude_audio("app-01"))
    [write] = diff_plan(stale, plan)
    assert write.subscriber == "app-04" and write.participant == members[4].sid
    assert write.rules_json() == [r.to_json() for r in plan.rules_of("app-04")]


def test_a_newcomer_is_the_only_write_in_the_exclude_form() -> None:
    members = room(6)
    before = planned(members, {"app-00"})
    newcomer = Member("app-99", "PA" + "9" * 32)
    after = planned([*members, newcomer], {"app-00"})
    assert [w.subscriber for w in diff_plan(before.rules, after)] == ["app-99"]
    assert not same_meaning((INCLUDE_ALL,), before.rules_of("app-01"), members)


def test_a_newcomer_in_the_include_form_is_added_for_everyone() -> None:
    members = room(3, 30)
    muted = with_phone_guests_muted(members, set())
    before = planned(members, muted)
    newcomer = Member("app-50", "PA" + "5" * 32)
    after = planned([*members, newcomer], muted)
    written = {w.subscriber for w in diff_plan(before.rules, after)}
    assert written == {m.identity for m in members} | {"app-50"}


def test_hears_follows_the_last_matching_rule() -> None:
    bob = Member("bob", "PA" + "b" * 32)
    assert hears((INCLUDE_ALL,), bob)
    assert not hears((INCLUDE_ALL, exclude_audio("bob")), bob)
    assert hears((INCLUDE_ALL, exclude_audio("bob")), bob, "video")
    assert hears(
        (SubscribeRule("exclude", all=True), SubscribeRule("include", publisher="bob")), bob
    )
    assert not hears((SubscribeRule("include", track="mic"),), bob), "a named track is not all"
    assert hears((SubscribeRule("include", track="mic"),), bob, "audio", "mic")


# ---------------------------------------------------------------------- properties

rooms = st.integers(min_value=1, max_value=45).flatmap(
    lambda size: st.tuples(
        st.lists(st.booleans(), min_size=size, max_size=size),
        st.sets(st.integers(min_value=0, max_value=size - 1)),
    )
)


def scene(flags: list[bool], muted_ix: set[int]) -> tuple[list[Member], frozenset[str]]:
    members = [
        Member(f"{'phone' if phone else 'app'}-{i:02}", f"PA{i:032x}", is_phone=phone)
        for i, phone in enumerate(flags)
    ]
    return members, frozenset(members[i].identity for i in muted_ix)


@settings(deadline=None)
@given(rooms)
def test_a_plan_never_exceeds_twenty_rules_and_means_the_wanted_state(
    drawn: tuple[list[bool], set[int]],
) -> None:
    members, muted = scene(*drawn)
    plan = plan_mutes(members, muted)
    if isinstance(plan, TooManyRules):
        for who, needed in plan.needed.items():
            others = len(members) - 1
            muted_others = len(muted - {who})
            assert min(1 + muted_others, 2 + others - muted_others) == needed > 20
        return
    assert all(len(rules) <= MAX_RULES_PER_SUBSCRIBER for rules in plan.rules.values())
    for subscriber in members:
        for publisher in members:
            if publisher is not subscriber:
                heard = hears(plan.rules_of(subscriber.identity), publisher)
                assert heard == (publisher.identity not in muted)
                assert hears(plan.rules_of(subscriber.identity), publisher, "video")
    state = mute_state(plan.rules, members)
    assert state.muted_for_everyone == (muted if len(members) > 1 else frozenset())
    assert diff_plan(plan.rules, plan) == (), "a plan read back needs no write"
    replanned = planned(members, state.muted_for_everyone)
    assert diff_plan(plan.rules, replanned) == (), "a restart converges on what it reads"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(min_value=2, max_value=24).flatmap(
        lambda size: st.tuples(st.just(size), st.sets(st.integers(min_value=0, max_value=size - 1)))
    )
)
def test_the_sandbox_applies_a_plan_as_the_wanted_mute_state(drawn: tuple[int, set[int]]) -> None:
    size, muted_ix = drawn
    world = World(ManualClock(start=1_700_000_000), "AC" + "0" * 32, seed=1)
    room_sid = world.create_room("mute")
    members = [
        Member(f"p-{i:02}", world.join_app_participant(room_sid, f"p-{i:02}", ("audio", "video")))
        for i in range(size)
    ]
    muted = frozenset(members[i].identity for i in muted_ix)
    writes = plan_writes(members, muted, {})
    assert not isinstance(writes, TooManyRules)
    for write in writes:
        world.update_subscribe_rules(room_sid, write.participant, json.dumps(write.rules_json()))
    by_sid = {m.sid: m.identity for m in members}
    for subscriber in members:
        received = {
            (by_sid[t.publisher.sid], t.track.kind)
            for t in world.list_subscribed_tracks(room_sid, subscriber.sid or "")
        }
        others = {m.identity for m in members} - {subscriber.identity}
        assert {who for who, kind in received if kind == "video"} == others
        assert {who for who, kind in received if kind == "audio"} == others - muted
    read_back = {
        m.identity: [SubscribeRule.from_json(r) for r in world.subscribe_rules_of(m.sid or "")]
        for m in members
    }
    assert mute_state(read_back, members).muted_for_everyone == muted
    assert plan_writes(members, muted, read_back) == ()
