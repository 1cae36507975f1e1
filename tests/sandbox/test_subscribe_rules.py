"""The Track Subscription API over HTTP: rules per subscriber, Twilio's 53215 refusals, and the
subscribed tracks the rules imply (also for publishers who join after the rules were written)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from twilio.rest import Client

from moderator.sandbox.server import SandboxServer

from .twilio_http import TwilioHttp, assert_schema_fields

RULES_SCHEMA = "video.v1.room.room_participant.room_participant_subscribe_rule"
TRACK_SCHEMA = "video.v1.room.room_participant.room_participant_subscribed_track"


@pytest.fixture
def http(sandbox: SandboxServer) -> TwilioHttp:
    return TwilioHttp(sandbox)


@pytest.fixture
def room(sandbox: SandboxServer) -> dict[str, str]:
    """A group room with alice, bob (audio+video) and dan (audio, data)."""
    world = sandbox.world
    sid = world.create_room("standup")
    return {
        "sid": sid,
        "alice": world.join_app_participant(sid, "alice"),
        "bob": world.join_app_participant(sid, "bob"),
        "dan": world.join_app_participant(sid, "dan", ("audio", "data")),
    }


def rules_path(room: dict[str, str], who: str) -> str:
    return f"/v1/Rooms/{room['sid']}/Participants/{room[who]}/SubscribeRules"


def post_rules(http: TwilioHttp, room: dict[str, str], who: str, rules: Any) -> Any:
    return http.call("POST", rules_path(room, who), {"Rules": json.dumps(rules)})


def received(http: TwilioHttp, room: dict[str, str], who: str) -> set[tuple[str, str]]:
    """(publisher identity, kind) of every track `who` is subscribed to."""
    sids = {sid: name for name, sid in room.items() if name != "sid"}
    path = f"/v1/Rooms/{room['sid']}/Participants/{room[who]}/SubscribedTracks"
    page = http.call("GET", path)
    for track in page["subscribed_tracks"]:
        assert_schema_fields(TRACK_SCHEMA, track)
        assert track["participant_sid"] == room[who]
    return {(sids[t["publisher_sid"]], t["kind"]) for t in page["subscribed_tracks"]}


def test_default_rules_subscribe_to_everyone_else(http: TwilioHttp, room: dict[str, str]) -> None:
    fetched = http.call("GET", rules_path(room, "alice"))
    assert_schema_fields(RULES_SCHEMA, fetched)
    assert fetched["rules"] == [{"type": "include", "all": True}]
    assert fetched["date_created"] is None and fetched["date_updated"] is None
    assert received(http, room, "alice") == {
        ("bob", "audio"),
        ("bob", "video"),
        ("dan", "audio"),
        ("dan", "data"),
    }


def test_exclude_a_publishers_audio(http: TwilioHttp, room: dict[str, str]) -> None:
    rules = [
        {"type": "include", "all": True},
        {"type": "exclude", "publisher": "bob", "kind": "audio"},
    ]
    updated = post_rules(http, room, "alice", rules)
    assert_schema_fields(RULES_SCHEMA, updated)
    assert updated["rules"] == rules and updated["date_updated"] is not None
    assert http.call("GET", rules_path(room, "alice"))["rules"] == rules
    assert ("bob", "audio") not in received(http, room, "alice")
    assert ("bob", "video") in received(http, room, "alice")
    assert ("bob", "audio") in received(http, room, "dan"), "rules are per subscriber"


def test_rules_match_a_publisher_who_joins_later(
    http: TwilioHttp, room: dict[str, str], sandbox: SandboxServer
) -> None:
    post_rules(
        http,
        room,
        "alice",
        [{"type": "include", "all": True}, {"type": "exclude", "publisher": "carol"}],
    )
    room["carol"] = sandbox.world.join_app_participant(room["sid"], "carol")
    assert not {kind for who, kind in received(http, room, "alice") if who == "carol"}
    assert ("carol", "audio") in received(http, room, "bob")


def test_last_matching_rule_decides(http: TwilioHttp, room: dict[str, str]) -> None:
    post_rules(
        http,
        room,
        "alice",
        [{"type": "exclude", "all": True}, {"type": "include", "publisher": room["bob"]}],
    )
    assert received(http, room, "alice") == {("bob", "audio"), ("bob", "video")}
    post_rules(
        http,
        room,
        "alice",
        [{"type": "include", "kind": "audio"}, {"type": "exclude", "publisher": "dan"}],
    )
    assert received(http, room, "alice") == {("bob", "audio")}


def test_a_subscribed_track_is_fetched_by_sid(
    http: TwilioHttp, room: dict[str, str], sandbox: SandboxServer
) -> None:
    bob_tracks = sandbox.world.participant(room["bob"]).tracks
    audio = next(t for t in bob_tracks if t.kind == "audio")
    base = f"/v1/Rooms/{room['sid']}/Participants/{room['alice']}/SubscribedTracks"
    fetched = http.call("GET", f"{base}/{audio.sid}")
    assert fetched["publisher_sid"] == room["bob"] and fetched["name"] == audio.name
    post_rules(
        http,
        room,
        "alice",
        [{"type": "include", "all": True}, {"type": "exclude", "track": audio.name}],
    )
    assert http.error("GET", f"{base}/{audio.sid}") == (404, 20404)


BAD_RULES: list[Any] = [
    [],
    [{"all": True}],
    [{"type": "maybe", "all": True}],
    [{"type": "include", "all": False}],
    [{"type": "include", "all": True, "kind": "audio"}],
    [{"type": "include", "kind": "smell"}],
    [{"type": "include"}],
    [{"type": "exclude", "publisher": 7}],
    [{"type": "include", "publisher": "bob", "colour": "red"}],
    [{"type": "exclude", "publisher": "bob", "priority": "high"}],
    {"type": "include", "all": True},
    [{"type": "include", "all": True}]
    + [{"type": "exclude", "publisher": f"p{i}"} for i in range(20)],
]


@pytest.mark.parametrize("rules", BAD_RULES)
def test_invalid_rules_are_53215(http: TwilioHttp, room: dict[str, str], rules: Any) -> None:
    path = rules_path(room, "alice")
    assert http.error("POST", path, {"Rules": json.dumps(rules)}) == (400, 53215)
    assert http.call("GET", path)["rules"] == [{"type": "include", "all": True}], "unchanged"


def test_rules_that_are_not_json_or_missing(http: TwilioHttp, room: dict[str, str]) -> None:
    path = rules_path(room, "alice")
    assert http.error("POST", path, {"Rules": "[{type: include}"}) == (400, 53215)
    assert http.error("POST", path, {}) == (400, 53215)


def test_twenty_rules_are_the_limit(http: TwilioHttp, room: dict[str, str]) -> None:
    rules = [{"type": "include", "all": True}] + [
        {"type": "exclude", "publisher": f"p{i}", "kind": "audio"} for i in range(19)
    ]
    assert len(post_rules(http, room, "alice", rules)["rules"]) == 20


def test_who_has_no_rules_to_change(
    http: TwilioHttp, room: dict[str, str], sandbox: SandboxServer
) -> None:
    ok = json.dumps([{"type": "include", "all": True}])
    sandbox.world.disconnect_participant(room["dan"])
    assert http.error("POST", rules_path(room, "dan"), {"Rules": ok}) == (400, 53204)
    unknown = f"/v1/Rooms/{room['sid']}/Participants/PA{'0' * 32}/SubscribeRules"
    assert http.error("POST", unknown, {"Rules": ok}) == (404, 20404)
    p2p = sandbox.world.create_room("pair", type="peer-to-peer")
    eve = sandbox.world.join_app_participant(p2p, "eve")
    path = f"/v1/Rooms/{p2p}/Participants/{eve}/SubscribeRules"
    assert http.error("POST", path, {"Rules": ok}) == (400, 53215)


def test_the_stock_sdk_reads_and_writes_rules(client: Client, room: dict[str, str]) -> None:
    participant = client.video.v1.rooms(room["sid"]).participants(room["alice"])
    wanted = [
        {"type": "include", "all": True},
        {"type": "exclude", "publisher": "dan", "kind": "audio"},
    ]
    updated = participant.subscribe_rules.update(rules=wanted)
    assert updated.rules == wanted
    assert participant.subscribe_rules.fetch().rules == wanted
    kinds = {(t.publisher_sid, t.kind) for t in participant.subscribed_tracks.list()}
    assert (room["dan"], "audio") not in kinds and (room["dan"], "data") in kinds


def test_every_rule_write_is_in_the_request_log(
    http: TwilioHttp, room: dict[str, str], sandbox: SandboxServer
) -> None:
    sandbox.request_log.clear()
    for who in ("alice", "bob", "dan"):
        post_rules(http, room, who, [{"type": "include", "kind": "video"}])
    http.call("GET", rules_path(room, "alice"))
    writes = [r for r in sandbox.request_log.writes() if r.path.endswith("/SubscribeRules")]
    assert len(writes) == 3 and all(r.status == 200 for r in writes)
    assert sorted(r.wall_time for r in writes) == [r.wall_time for r in writes]
