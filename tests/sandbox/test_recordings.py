"""Recording rules and track recordings over HTTP: one recording per included track, its status
and duration on the clock, the account-level list's filters, deletion, and the media file."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from moderator.sandbox.server import SandboxServer
from moderator.sandbox.world.recordings import BYTES_PER_SECOND, FINALIZE_S

from .media_parsers import matroska_summary
from .twilio_http import TwilioHttp, assert_schema_fields

INCLUDE_ALL = [{"type": "include", "all": True}]
EXCLUDE_ALL = [{"type": "exclude", "all": True}]


@pytest.fixture
def http(sandbox: SandboxServer) -> TwilioHttp:
    return TwilioHttp(sandbox)


def recording_room(http: TwilioHttp, name: str = "rec", **options: str) -> str:
    created = http.call("POST", "/v1/Rooms", {"UniqueName": name, **options}, 201)
    return str(created["sid"])


def set_rules(http: TwilioHttp, room: str, rules: Any) -> Any:
    return http.call("POST", f"/v1/Rooms/{room}/RecordingRules", {"Rules": json.dumps(rules)})


def room_recordings(http: TwilioHttp, room: str, query: str = "") -> list[dict[str, Any]]:
    page = http.call("GET", f"/v1/Rooms/{room}/Recordings{query}")
    for record in page["recordings"]:
        assert_schema_fields("video.v1.room.room_recording", record)
    return list(page["recordings"])


def account_recordings(http: TwilioHttp, query: str = "") -> list[dict[str, Any]]:
    page = http.call("GET", f"/v1/Recordings{query}")
    for record in page["recordings"]:
        assert_schema_fields("video.v1.recording", record)
    return list(page["recordings"])


def test_rules_default_to_exclude_all(http: TwilioHttp, sandbox: SandboxServer) -> None:
    room = recording_room(http)
    rules = http.call("GET", f"/v1/Rooms/{room}/RecordingRules")
    assert_schema_fields("video.v1.room.room_recording_rule", rules)
    assert rules["rules"] == EXCLUDE_ALL
    sandbox.world.join_app_participant(room, "alice")
    assert room_recordings(http, room) == []


def test_record_on_connect_records_every_audio_and_video_track(
    http: TwilioHttp, sandbox: SandboxServer
) -> None:
    room = recording_room(http, RecordParticipantsOnConnect="true")
    assert http.call("GET", f"/v1/Rooms/{room}/RecordingRules")["rules"] == INCLUDE_ALL
    alice = sandbox.world.join_app_participant(room, "alice", ("audio", "video", "data"))
    sandbox.clock.advance(30)  # type: ignore[attr-defined]
    recordings = room_recordings(http, room)
    assert sorted(r["type"] for r in recordings) == ["audio", "video"], "data is not recorded"
    for record in recordings:
        assert record["status"] == "processing" and record["duration"] == 30
        assert record["size"] == 30 * BYTES_PER_SECOND[record["type"]]
        assert record["grouping_sids"] == {"room_sid": room, "participant_sid": alice}
        assert (record["container_format"], record["codec"]) in {("mka", "OPUS"), ("mkv", "VP8")}
    sandbox.world.disconnect_participant(alice)
    sandbox.clock.advance(FINALIZE_S - 0.5)  # type: ignore[attr-defined]
    assert {r["status"] for r in room_recordings(http, room)} == {"processing"}
    sandbox.clock.advance(1)  # type: ignore[attr-defined]
    done = room_recordings(http, room)
    assert {r["status"] for r in done} == {"completed"}
    assert {r["duration"] for r in done} == {30}, "the duration stops with the track"


def test_rules_start_and_stop_recordings(http: TwilioHttp, sandbox: SandboxServer) -> None:
    room = recording_room(http)
    sandbox.world.join_app_participant(room, "alice")
    sandbox.world.join_app_participant(room, "bob", ("audio",))
    updated = set_rules(http, room, [{"type": "include", "kind": "audio"}])
    assert_schema_fields("video.v1.room.room_recording_rule", updated)
    assert sorted(r["type"] for r in room_recordings(http, room)) == ["audio", "audio"]
    sandbox.clock.advance(10)  # type: ignore[attr-defined]
    set_rules(http, room, EXCLUDE_ALL)
    sandbox.clock.advance(FINALIZE_S + 1)  # type: ignore[attr-defined]
    assert {(r["status"], r["duration"]) for r in room_recordings(http, room)} == {
        ("completed", 10)
    }
    set_rules(http, room, [{"type": "include", "publisher": "bob"}])
    statuses = [r["status"] for r in room_recordings(http, room)]
    assert statuses == ["processing", "completed", "completed"], "a new recording, newest first"


def test_a_participant_who_joins_is_recorded_when_the_rules_say_so(
    http: TwilioHttp, sandbox: SandboxServer
) -> None:
    room = recording_room(http)
    set_rules(http, room, INCLUDE_ALL)
    carol = sandbox.world.join_app_participant(room, "carol", ("audio",))
    [record] = room_recordings(http, room)
    assert record["grouping_sids"]["participant_sid"] == carol


@pytest.mark.parametrize(
    "rules",
    [
        [],
        [{"all": True}],
        [{"type": "include", "all": True, "publisher": "x"}],
        [{"type": "include", "kind": "data"}],
        [{"type": "include", "publisher": "bob", "priority": "high"}],
        [{"type": "exclude", "publisher": f"p{i}"} for i in range(21)],
    ],
)
def test_invalid_recording_rules_are_53120(
    http: TwilioHttp, sandbox: SandboxServer, rules: Any
) -> None:
    room = recording_room(http)
    path = f"/v1/Rooms/{room}/RecordingRules"
    assert http.error("POST", path, {"Rules": json.dumps(rules)}) == (400, 53120)


def test_rooms_that_cannot_record(http: TwilioHttp, sandbox: SandboxServer) -> None:
    ok = {"Rules": json.dumps(INCLUDE_ALL)}
    p2p = http.call("POST", "/v1/Rooms", {"UniqueName": "p2p", "Type": "peer-to-peer"}, 201)
    assert http.error("POST", f"/v1/Rooms/{p2p['sid']}/RecordingRules", ok) == (400, 53122)
    ended = recording_room(http, "ended")
    sandbox.world.complete_room(ended)
    assert http.error("POST", f"/v1/Rooms/{ended}/RecordingRules", ok) == (400, 53106)
    assert http.error("GET", f"/v1/Rooms/RM{'0' * 32}/RecordingRules") == (404, 20404)


def test_account_level_list_filters_fetch_and_delete(
    http: TwilioHttp, sandbox: SandboxServer
) -> None:
    world, clock = sandbox.world, sandbox.clock
    first = recording_room(http, "first", RecordParticipantsOnConnect="true")
    alice = world.join_app_participant(first, "alice")
    clock.advance(5)  # type: ignore[attr-defined]
    second = recording_room(http, "second", RecordParticipantsOnConnect="true")
    bob = world.join_app_participant(second, "bob", ("audio",))
    assert len(account_recordings(http)) == 3
    assert {r["type"] for r in account_recordings(http, "?MediaType=video")} == {"video"}
    assert len(account_recordings(http, f"?GroupingSid={first}")) == 2
    assert len(account_recordings(http, f"?GroupingSid={second}&GroupingSid={bob}")) == 1
    assert account_recordings(http, f"?GroupingSid={second}&GroupingSid={alice}") == []
    [bobs] = account_recordings(http, f"?GroupingSid={bob}")
    assert [r["sid"] for r in account_recordings(http, f"?SourceSid={bobs['source_sid']}")] == [
        bobs["sid"]
    ]
    assert account_recordings(http, "?Status=completed") == []
    assert http.error("GET", "/v1/Recordings?PageSize=101") == (400, 20001)
    page = http.call("GET", "/v1/Recordings?PageSize=2")
    assert len(page["recordings"]) == 2 and page["meta"]["next_page_url"]

    fetched = http.call("GET", f"/v1/Recordings/{bobs['sid']}")
    assert fetched == bobs
    assert http.error("DELETE", f"/v1/Recordings/{bobs['sid']}") == (400, 20001), "processing"
    world.disconnect_participant(bob)
    clock.advance(FINALIZE_S + 1)  # type: ignore[attr-defined]
    http.call("DELETE", f"/v1/Recordings/{bobs['sid']}", expected=204)
    gone = http.call("GET", f"/v1/Recordings/{bobs['sid']}")
    assert gone["status"] == "deleted" and gone["size"] == 0
    assert [r["sid"] for r in account_recordings(http, "?Status=deleted")] == [bobs["sid"]]
    assert http.error("DELETE", f"/v1/Recordings/{bobs['sid']}") == (404, 20404)
    assert http.error("GET", f"/v1/Recordings/RT{'0' * 32}") == (404, 20404)


def test_room_level_fetch_and_delete(http: TwilioHttp, sandbox: SandboxServer) -> None:
    room = recording_room(http, RecordParticipantsOnConnect="true")
    other = recording_room(http, "other")
    alice = sandbox.world.join_app_participant(room, "alice", ("audio",))
    [record] = room_recordings(http, room)
    assert http.call("GET", f"/v1/Rooms/{room}/Recordings/{record['sid']}") == record
    assert http.error("GET", f"/v1/Rooms/{other}/Recordings/{record['sid']}") == (404, 20404)
    sandbox.world.disconnect_participant(alice)
    sandbox.clock.advance(FINALIZE_S)  # type: ignore[attr-defined]
    http.call("DELETE", f"/v1/Rooms/{room}/Recordings/{record['sid']}", expected=204)
    assert room_recordings(http, room, "?Status=deleted")[0]["sid"] == record["sid"]


def test_a_completed_recording_has_a_matroska_file(
    http: TwilioHttp, sandbox: SandboxServer
) -> None:
    room = recording_room(http, RecordParticipantsOnConnect="true")
    alice = sandbox.world.join_app_participant(room, "alice", ("audio",))
    [record] = room_recordings(http, room)
    media = f"/v1/Recordings/{record['sid']}/Media"
    assert http.error("GET", media) == (404, 20404), "no media while capturing"
    sandbox.clock.advance(12)  # type: ignore[attr-defined]
    sandbox.world.disconnect_participant(alice)
    sandbox.clock.advance(FINALIZE_S)  # type: ignore[attr-defined]
    redirect = http.raw("GET", media)
    assert redirect.status_code == 302
    data = requests.get(redirect.headers["Location"], timeout=10)
    assert data.status_code == 200 and data.headers["Content-Type"] == "audio/x-matroska"
    assert matroska_summary(data.content) == ("matroska", 12.0, 2, "A_OPUS")
