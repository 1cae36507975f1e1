"""Compositions over HTTP: Twilio's parameter checks, enqueued → processing → completed (or
failed) on the clock, and `/Media` answering with Twilio's redirect to a valid MP4/WebM file."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from twilio.rest import Client

from moderator.sandbox.server import SandboxServer
from moderator.sandbox.world.compositions import ENQUEUED_S, processing_seconds
from moderator.sandbox.world.recordings import FINALIZE_S

from .media_parsers import matroska_summary, mp4_duration_s
from .twilio_http import TwilioHttp, assert_schema_fields

GRID = json.dumps({"grid": {"video_sources": ["*"]}})


@pytest.fixture
def http(sandbox: SandboxServer) -> TwilioHttp:
    return TwilioHttp(sandbox)


@pytest.fixture
def ended_room(http: TwilioHttp, sandbox: SandboxServer) -> str:
    """A group room recorded for 40 s with alice (audio+video) and bob (audio), then ended."""
    room = http.call(
        "POST", "/v1/Rooms", {"UniqueName": "talk", "RecordParticipantsOnConnect": "true"}, 201
    )["sid"]
    sandbox.world.join_app_participant(room, "alice")
    sandbox.world.join_app_participant(room, "bob", ("audio",))
    sandbox.clock.advance(40)  # type: ignore[attr-defined]
    sandbox.world.complete_room(room)
    sandbox.clock.advance(FINALIZE_S)  # type: ignore[attr-defined]
    return str(room)


def compose(http: TwilioHttp, data: dict[str, Any], expected: int = 201) -> Any:
    created = http.call("POST", "/v1/Compositions", data, expected)
    assert_schema_fields("video.v1.composition", created)
    return created


def until_done(sandbox: SandboxServer, http: TwilioHttp, sid: str) -> Any:
    seen = [http.call("GET", f"/v1/Compositions/{sid}")["status"]]
    sandbox.clock.advance(ENQUEUED_S)  # type: ignore[attr-defined]
    seen.append(http.call("GET", f"/v1/Compositions/{sid}")["status"])
    sandbox.clock.advance(processing_seconds(40))  # type: ignore[attr-defined]
    final = http.call("GET", f"/v1/Compositions/{sid}")
    seen.append(final["status"])
    return seen, final


@pytest.mark.parametrize(
    ("fmt", "layout"), [("mp4", None), ("webm", None), ("mp4", GRID), ("webm", GRID)]
)
def test_a_composition_completes_with_a_valid_file(
    http: TwilioHttp,
    sandbox: SandboxServer,
    ended_room: str,
    fmt: str,
    layout: str | None,
) -> None:
    data = {"RoomSid": ended_room, "AudioSources": "*", "Format": fmt}
    if layout:
        data["VideoLayout"] = layout
    created = compose(http, data)
    assert created["status"] == "enqueued" and created["format"] == fmt
    assert created["links"]["media"].endswith(f"/v1/Compositions/{created['sid']}/Media")
    seen, final = until_done(sandbox, http, created["sid"])
    assert seen == ["enqueued", "processing", "completed"]
    assert final["duration"] == 40 and final["date_completed"] is not None

    media = http.raw("GET", f"/v1/Compositions/{created['sid']}/Media?Ttl=60")
    assert media.status_code == 302
    location = media.headers["Location"]
    assert media.json() == {"redirect_to": location}
    file = requests.get(location, timeout=10)  # a pre-signed URL: no credentials
    assert file.status_code == 200
    assert file.headers["Content-Type"] == f"video/{fmt}"
    assert len(file.content) == final["size"] == int(file.headers["Content-Length"])
    if fmt == "mp4":
        assert mp4_duration_s(file.content) == 40.0
    else:
        doc_type, duration, track_type, codec = matroska_summary(file.content)
        assert (doc_type, duration) == ("webm", 40.0)
        assert (track_type, codec) == ((1, "V_VP8") if layout else (2, "A_OPUS"))


def test_media_urls_are_signed_and_expire(
    http: TwilioHttp, sandbox: SandboxServer, ended_room: str
) -> None:
    created = compose(http, {"RoomSid": ended_room, "AudioSources": "*"})
    media = f"/v1/Compositions/{created['sid']}/Media"
    assert http.error("GET", media) == (404, 20404), "no media before completion"
    until_done(sandbox, http, created["sid"])
    location = http.raw("GET", f"{media}?Ttl=30").headers["Location"]
    assert (
        requests.get(location.replace("Signature=", "Signature=0"), timeout=10).status_code == 403
    )
    sandbox.clock.advance(31)  # type: ignore[attr-defined]
    assert requests.get(location, timeout=10).status_code == 403
    assert http.error("GET", f"{media}?Ttl=0") == (400, 20001)
    assert http.error("GET", f"{media}?Ttl=3601") == (400, 20001)


def test_a_composition_without_matching_media_fails(
    http: TwilioHttp, sandbox: SandboxServer, ended_room: str
) -> None:
    created = compose(http, {"RoomSid": ended_room, "AudioSources": "nobody-*"})
    seen, final = until_done(sandbox, http, created["sid"])
    assert seen[-1] == "failed" and final["size"] is None
    assert http.error("GET", f"/v1/Compositions/{created['sid']}/Media") == (404, 20404)


def test_parameter_checks(http: TwilioHttp, sandbox: SandboxServer, ended_room: str) -> None:
    def refused(data: dict[str, str]) -> tuple[int, int]:
        return http.error("POST", "/v1/Compositions", data)

    assert refused({"AudioSources": "*"}) == (400, 20001), "RoomSid is required"
    assert refused({"RoomSid": ended_room}) == (400, 20001), "sources or a layout"
    assert refused({"RoomSid": ended_room, "AudioSources": "*", "Format": "avi"}) == (400, 20001)
    for resolution in ("1281x720", "15x15", "1280x1280", "big"):
        data = {"RoomSid": ended_room, "AudioSources": "*", "Resolution": resolution}
        assert refused(data) == (400, 20001), resolution
    assert refused({"RoomSid": ended_room, "VideoLayout": "[1]"}) == (400, 20001)
    assert refused({"RoomSid": f"RM{'0' * 32}", "AudioSources": "*"}) == (404, 20404)
    live = http.call("POST", "/v1/Rooms", {"UniqueName": "live"}, 201)["sid"]
    assert refused({"RoomSid": live, "AudioSources": "*"}) == (400, 20001), "still in progress"
    p2p = http.call("POST", "/v1/Rooms", {"UniqueName": "p2p", "Type": "peer-to-peer"}, 201)
    sandbox.world.complete_room(p2p["sid"])
    assert refused({"RoomSid": p2p["sid"], "AudioSources": "*"}) == (400, 53122)


def test_list_filters_and_delete(http: TwilioHttp, sandbox: SandboxServer, ended_room: str) -> None:
    first = compose(http, {"RoomSid": ended_room, "AudioSources": "*"})
    second = compose(http, {"RoomSid": ended_room, "AudioSources": "*", "Format": "mp4"})
    listed = http.call("GET", "/v1/Compositions")["compositions"]
    assert [c["sid"] for c in listed] == [second["sid"], first["sid"]], "newest first"
    for record in listed:
        assert_schema_fields("video.v1.composition", record)
    assert len(http.call("GET", f"/v1/Compositions?RoomSid={ended_room}")["compositions"]) == 2
    assert http.call("GET", "/v1/Compositions?Status=completed")["compositions"] == []
    assert http.error("GET", "/v1/Compositions?PageSize=101") == (400, 20001)
    until_done(sandbox, http, first["sid"])
    http.call("DELETE", f"/v1/Compositions/{first['sid']}", expected=204)
    deleted = http.call("GET", f"/v1/Compositions/{first['sid']}")
    assert deleted["status"] == "deleted" and deleted["date_deleted"] is not None
    assert http.error("GET", f"/v1/Compositions/{first['sid']}/Media") == (404, 20404)
    assert http.error("DELETE", f"/v1/Compositions/{first['sid']}") == (404, 20404)
    assert http.error("GET", f"/v1/Compositions/CJ{'0' * 32}") == (404, 20404)


def test_the_stock_sdk_composes(client: Client, sandbox: SandboxServer, ended_room: str) -> None:
    bob = sandbox.world.participants(ended_room)[1].sid  # sources may name participants
    created = client.video.v1.compositions.create(
        room_sid=ended_room, audio_sources=[bob, "nobody*"], format="mp4"
    )
    assert created.status == "enqueued" and created.audio_sources == [bob, "nobody*"]
    sandbox.clock.advance(ENQUEUED_S + processing_seconds(40))  # type: ignore[attr-defined]
    done = client.video.v1.compositions(created.sid).fetch()
    assert (done.status, done.duration) == ("completed", 40)
    assert [c.sid for c in client.video.v1.compositions.list(room_sid=ended_room)] == [created.sid]
    assert client.video.v1.compositions(created.sid).delete() is True


def test_a_room_composed_the_moment_it_ends_still_completes(
    http: TwilioHttp, sandbox: SandboxServer
) -> None:
    room = http.call(
        "POST", "/v1/Rooms", {"UniqueName": "quick", "RecordParticipantsOnConnect": "true"}, 201
    )["sid"]
    sandbox.world.join_app_participant(room, "alice", ("audio",))
    sandbox.clock.advance(20)  # type: ignore[attr-defined]
    sandbox.world.complete_room(room)
    created = compose(http, {"RoomSid": room, "AudioSources": "*"})
    assert {
        r["status"] for r in http.call("GET", f"/v1/Rooms/{room}/Recordings")["recordings"]
    } == {"processing"}, "the track recordings are still being finalised"
    sandbox.clock.advance(ENQUEUED_S + processing_seconds(20))  # type: ignore[attr-defined]
    done = http.call("GET", f"/v1/Compositions/{created['sid']}")
    assert (done["status"], done["duration"]) == ("completed", 20)
