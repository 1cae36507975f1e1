"""Room create options over HTTP: Twilio's ranges and codes, shown in the room resource, and in
effect (timeouts end rooms on the clock, MaxParticipants refuses the next join, audio-only rooms
take no video, MaxParticipantDuration disconnects)."""

from __future__ import annotations

import pytest
from twilio.rest import Client

from moderator.sandbox.errors import ApiError
from moderator.sandbox.server import SandboxServer

from .twilio_http import TwilioHttp, assert_schema_fields


@pytest.fixture
def http(sandbox: SandboxServer) -> TwilioHttp:
    return TwilioHttp(sandbox)


def create(http: TwilioHttp, **form: str) -> dict[str, object]:
    room = http.call("POST", "/v1/Rooms", form, 201)
    assert_schema_fields("video.v1.room", room)
    return dict(room)


def status(http: TwilioHttp, sid: object) -> str:
    return str(http.call("GET", f"/v1/Rooms/{sid}")["status"])


def test_rest_rooms_show_twilios_defaults(http: TwilioHttp) -> None:
    room = create(http, UniqueName="plain")
    assert (room["empty_room_timeout"], room["unused_room_timeout"]) == (5, 5)
    assert room["max_participant_duration"] == 14400 and room["max_participants"] == 50
    assert room["audio_only"] is False and room["large_room"] is False
    assert room["record_participants_on_connect"] is False


def test_options_show_in_the_room(http: TwilioHttp) -> None:
    room = create(
        http,
        UniqueName="custom",
        MaxParticipants="12",
        EmptyRoomTimeout="1",
        UnusedRoomTimeout="60",
        AudioOnly="true",
        RecordParticipantsOnConnect="true",
        MaxParticipantDuration="86400",
        LargeRoom="true",
    )
    assert room["max_participants"] == 12
    assert (room["empty_room_timeout"], room["unused_room_timeout"]) == (1, 60)
    assert room["audio_only"] is True and room["record_participants_on_connect"] is True
    assert room["max_participant_duration"] == 86400 and room["large_room"] is True
    assert http.call("GET", "/v1/Rooms/custom") == room


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"MaxParticipants": "51"}, 53107),
        ({"MaxParticipants": "0"}, 53107),
        ({"EmptyRoomTimeout": "0"}, 53109),
        ({"EmptyRoomTimeout": "61"}, 53109),
        ({"UnusedRoomTimeout": "0"}, 53109),
        ({"UnusedRoomTimeout": "61"}, 53109),
        ({"EmptyRoomTimeout": "1.5"}, 20001),
        ({"MaxParticipantDuration": "599"}, 53123),
        ({"MaxParticipantDuration": "86401"}, 53123),
        ({"AudioOnly": "yes"}, 20001),
        ({"AudioOnly": "true", "Type": "peer-to-peer"}, 53124),
        ({"AudioOnly": "true", "Type": "go"}, 53124),
        ({"RecordParticipantsOnConnect": "true", "Type": "peer-to-peer"}, 53122),
        ({"LargeRoom": "true", "Type": "group-small"}, 53103),
    ],
)
def test_out_of_range_options_are_refused_with_twilios_codes(
    http: TwilioHttp, form: dict[str, str], code: int
) -> None:
    assert http.error("POST", "/v1/Rooms", {"UniqueName": "bad", **form}) == (400, code)
    assert http.call("GET", "/v1/Rooms?UniqueName=bad")["rooms"] == [], "nothing created"


def test_unused_room_timeout_ends_a_room_nobody_joined(
    http: TwilioHttp, sandbox: SandboxServer
) -> None:
    room = create(http, UniqueName="unused", UnusedRoomTimeout="2")
    sandbox.clock.advance(119)  # type: ignore[attr-defined]
    assert status(http, room["sid"]) == "in-progress"
    sandbox.clock.advance(2)  # type: ignore[attr-defined]
    assert status(http, room["sid"]) == "completed"


def test_a_join_keeps_the_room_and_the_empty_timeout_ends_it(
    http: TwilioHttp, sandbox: SandboxServer
) -> None:
    world, clock = sandbox.world, sandbox.clock
    room = create(http, UniqueName="busy", UnusedRoomTimeout="1", EmptyRoomTimeout="3")
    alice = world.join_app_participant(str(room["sid"]), "alice")
    clock.advance(600)  # type: ignore[attr-defined]
    assert status(http, room["sid"]) == "in-progress", "someone joined"
    world.disconnect_participant(alice)
    clock.advance(170)  # type: ignore[attr-defined]
    bob = world.join_app_participant(str(room["sid"]), "bob")
    clock.advance(60)  # type: ignore[attr-defined]
    assert status(http, room["sid"]) == "in-progress", "bob came back in time"
    world.disconnect_participant(bob)
    clock.advance(179)  # type: ignore[attr-defined]
    assert status(http, room["sid"]) == "in-progress"
    clock.advance(2)  # type: ignore[attr-defined]
    ended = http.call("GET", f"/v1/Rooms/{room['sid']}")
    assert ended["status"] == "completed" and ended["duration"] == 600 + 170 + 60 + 180


def test_rooms_staged_by_tests_never_time_out(sandbox: SandboxServer, http: TwilioHttp) -> None:
    sid = sandbox.world.create_room("ad-hoc")
    room = http.call("GET", f"/v1/Rooms/{sid}")
    assert (room["empty_room_timeout"], room["unused_room_timeout"]) == (0, 0)
    sandbox.clock.advance(7200)  # type: ignore[attr-defined]
    assert status(http, sid) == "in-progress"


def test_max_participants_refuses_the_next_join(http: TwilioHttp, sandbox: SandboxServer) -> None:
    room = str(create(http, UniqueName="small", MaxParticipants="2")["sid"])
    sandbox.world.join_app_participant(room, "alice")
    sandbox.world.join_app_participant(room, "bob")
    with pytest.raises(ApiError) as refused:
        sandbox.world.join_app_participant(room, "carol")
    assert refused.value.code == 53105


def test_audio_only_rooms_take_no_video(http: TwilioHttp, sandbox: SandboxServer) -> None:
    room = str(create(http, UniqueName="radio", AudioOnly="true")["sid"])
    alice = sandbox.world.join_app_participant(room, "alice", ("audio", "video"))
    tracks = http.call("GET", f"/v1/Rooms/{room}/Participants/{alice}/PublishedTracks")
    assert [t["kind"] for t in tracks["published_tracks"]] == ["audio"]


def test_max_participant_duration_disconnects(http: TwilioHttp, sandbox: SandboxServer) -> None:
    room = str(create(http, UniqueName="short", MaxParticipantDuration="600")["sid"])
    alice = sandbox.world.join_app_participant(room, "alice")
    sandbox.clock.advance(599)  # type: ignore[attr-defined]
    assert sandbox.world.participant(alice).status == "connected"
    sandbox.clock.advance(1)  # type: ignore[attr-defined]
    gone = http.call("GET", f"/v1/Rooms/{room}/Participants/{alice}")
    assert gone["status"] == "disconnected" and gone["duration"] == 600


def test_the_stock_sdk_sends_the_options(client: Client) -> None:
    room = client.video.v1.rooms.create(
        unique_name="sdk",
        max_participants=20,
        empty_room_timeout=10,
        unused_room_timeout=15,
        audio_only=True,
        record_participants_on_connect=True,
        max_participant_duration=3600,
    )
    assert (room.max_participants, room.empty_room_timeout, room.unused_room_timeout) == (
        20,
        10,
        15,
    )
    assert room.audio_only is True and room.record_participants_on_connect is True
    assert room.max_participant_duration == 3600
