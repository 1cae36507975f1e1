"""Fidelity: every response body the sandbox sends validates against Twilio's own OpenAPI
descriptions (../shared/twilio-oai), and each record carries exactly the schema's fields."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_core.validation.response.exceptions import InvalidData

from moderator.sandbox.clock import ManualClock
from moderator.sandbox.serialization import formatted_number, iso8601, rfc2822
from moderator.sandbox.server import SandboxOptions, SandboxServer

from .conftest import CALLER, ROOM_TWIML
from .oai import OAI_DIR

VIDEO_HOST = "https://video.twilio.com"
API_HOST = "https://api.twilio.com"

pytestmark = pytest.mark.skipif(
    not OAI_DIR.is_dir(),
    reason=f"Twilio's OpenAPI files are not at {OAI_DIR} (CI always has them)",
)


class Specs:
    """Twilio's two OpenAPI documents, loaded once (as JSON: they are not valid YAML)."""

    def __init__(self) -> None:
        self.raw = {
            name: json.loads((OAI_DIR / f"twilio_{name}.json").read_text(encoding="utf-8"))
            for name in ("video_v1", "api_v2010")
        }
        self.video = OpenAPI.from_dict(self.raw["video_v1"])
        self.api = OpenAPI.from_dict(self.raw["api_v2010"])

    def properties(self, document: str, schema: str) -> set[str]:
        return set(self.raw[document]["components"]["schemas"][schema]["properties"])


@pytest.fixture(scope="module")
def specs() -> Specs:
    return Specs()


class Scene:
    """A sandbox with rooms, app and phone participants, and calls in every status."""

    def __init__(self, server: SandboxServer, specs: Specs) -> None:
        self.server = server
        self.specs = specs
        creds = server.credentials
        self.auth = (creds.account_sid, creds.auth_token)
        self.account = creds.account_sid

    def call(
        self, method: str, path: str, data: dict[str, str] | None = None, expected: int = 200
    ) -> Any:
        """Send to the sandbox, validate the answer as if it came from Twilio's host."""
        host = VIDEO_HOST if path.startswith("/v1/") else API_HOST
        spec = self.specs.video if host == VIDEO_HOST else self.specs.api
        response = requests.request(
            method, self.server.base_url + path, data=data, auth=self.auth, timeout=10
        )
        assert response.status_code == expected, response.text
        twilio_request = requests.Request(method, host + path, data=data, auth=self.auth)
        spec.validate_response(
            RequestsOpenAPIRequest(twilio_request.prepare()), RequestsOpenAPIResponse(response)
        )
        return response.json()

    def api(self, suffix: str) -> str:
        return f"/2010-04-01/Accounts/{self.account}{suffix}"


@pytest.fixture
def scene(specs: Specs) -> Iterator[Scene]:
    server = SandboxServer(SandboxOptions(seed=11), clock=ManualClock())
    with server:
        world = server.world
        world.create_room("standup")
        world.join_app_participant("standup", "alice", ("audio", "video", "data"))
        world.create_room("old")
        world.join_app_participant("old", "bob")
        world.complete_room("old")
        yield Scene(server, specs)


def assert_fields(specs: Specs, document: str, schema: str, record: dict[str, Any]) -> None:
    assert set(record) == specs.properties(document, schema)


ROOM = ("video_v1", "video.v1.room")
PARTICIPANT = ("video_v1", "video.v1.room.room_participant")
TRACK = ("video_v1", "video.v1.room.room_participant.room_participant_published_track")
CALL = ("api_v2010", "api.v2010.account.call")
ACCOUNT = ("api_v2010", "api.v2010.account")
NUMBER = ("api_v2010", "api.v2010.account.incoming_phone_number")
CALLER_ID = ("api_v2010", "api.v2010.account.outgoing_caller_id")


def test_rooms(scene: Scene, specs: Specs) -> None:
    created = scene.call("POST", "/v1/Rooms", {"UniqueName": "new", "Type": "group"}, 201)
    assert_fields(specs, *ROOM, created)
    for room in scene.call("GET", "/v1/Rooms")["rooms"]:
        assert_fields(specs, *ROOM, room)
    page = scene.call("GET", "/v1/Rooms?Status=in-progress&PageSize=1")
    assert page["meta"]["next_page_url"]
    next_url = urlsplit(page["meta"]["next_page_url"])
    scene.call("GET", f"{next_url.path}?{next_url.query}")
    scene.call("GET", "/v1/Rooms/standup")
    completed = scene.call("GET", f"/v1/Rooms/{scene.server.world.rooms()[1].sid}")
    assert completed["status"] == "completed" and completed["duration"] is not None
    ended = scene.call("POST", f"/v1/Rooms/{created['sid']}", {"Status": "completed"}, 202)
    assert_fields(specs, *ROOM, ended)


def test_participants_and_tracks(scene: Scene, specs: Specs) -> None:
    listed = scene.call("GET", "/v1/Rooms/standup/Participants")["participants"]
    [alice] = listed
    assert_fields(specs, *PARTICIPANT, alice)
    scene.call("GET", f"/v1/Rooms/standup/Participants/{alice['sid']}")
    tracks = scene.call("GET", f"/v1/Rooms/standup/Participants/{alice['sid']}/PublishedTracks")
    assert [t["kind"] for t in tracks["published_tracks"]] == ["audio", "video", "data"]
    for track in tracks["published_tracks"]:
        assert_fields(specs, *TRACK, track)
        fetched = scene.call(
            "GET", f"/v1/Rooms/standup/Participants/{alice['sid']}/PublishedTracks/{track['sid']}"
        )
        assert fetched == track
    gone = scene.call(
        "POST", f"/v1/Rooms/standup/Participants/{alice['sid']}", {"Status": "disconnected"}, 202
    )
    assert_fields(specs, *PARTICIPANT, gone)
    assert gone["duration"] is not None and gone["end_time"] is not None
    old = scene.server.world.rooms()[1].sid
    for participant in scene.call("GET", f"/v1/Rooms/{old}/Participants")["participants"]:
        assert participant["status"] == "disconnected"


def test_calls_in_every_status(scene: Scene, specs: Specs) -> None:
    twiml = ROOM_TWIML.format(identity="phone-1", room="standup")
    sids = {
        to: scene.call(
            "POST", scene.api("/Calls.json"), {"To": to, "From": CALLER, "Twiml": twiml}, 201
        )["sid"]
        for to in ("+14155550001", "+14155551111", "+14155552222", "+14155553333")
    }
    queued = scene.call(
        "POST",
        scene.api("/Calls.json"),
        {"To": "+14155550002", "From": CALLER, "Twiml": twiml},
        201,
    )
    assert_fields(specs, *CALL, queued)
    scene.server.clock.advance(1.5)  # type: ignore[attr-defined]
    scene.call("POST", scene.api(f"/Calls/{queued['sid']}.json"), {"Status": "canceled"})
    scene.server.clock.advance(3)  # type: ignore[attr-defined]
    statuses = set()
    for call in scene.call("GET", scene.api("/Calls.json"))["calls"]:
        assert_fields(specs, *CALL, call)
        statuses.add(call["status"])
    assert statuses == {"in-progress", "busy", "ringing", "failed", "canceled"}
    scene.server.clock.advance(60)  # type: ignore[attr-defined]
    completed = scene.call(
        "POST", scene.api(f"/Calls/{sids['+14155550001']}.json"), {"Status": "completed"}
    )
    assert completed["status"] == "completed" and completed["duration"] is not None
    for sid in sids.values():
        assert_fields(specs, *CALL, scene.call("GET", scene.api(f"/Calls/{sid}.json")))
    phone = scene.call("GET", "/v1/Rooms/standup/Participants?Status=disconnected")
    assert "phone-1" in {p["identity"] for p in phone["participants"]}
    scene.call("GET", scene.api("/Calls.json?Status=no-answer&PageSize=2"))


def test_account_numbers_and_caller_ids(scene: Scene, specs: Specs) -> None:
    account = scene.call("GET", f"/2010-04-01/Accounts/{scene.account}.json")
    assert_fields(specs, *ACCOUNT, account)
    numbers = scene.call("GET", scene.api("/IncomingPhoneNumbers.json"))
    assert [n["capabilities"]["voice"] for n in numbers["incoming_phone_numbers"]] == [True, True]
    for number in numbers["incoming_phone_numbers"]:
        assert_fields(specs, *NUMBER, number)
    caller_ids = scene.call("GET", scene.api("/OutgoingCallerIds.json"))
    for caller_id in caller_ids["outgoing_caller_ids"]:
        assert_fields(specs, *CALLER_ID, caller_id)


def test_a_wrong_body_is_caught(scene: Scene, specs: Specs) -> None:
    """The validation is real: a body off Twilio's schema fails it."""
    response = requests.get(
        f"{scene.server.base_url}/v1/Rooms/standup", auth=scene.auth, timeout=10
    )
    response._content = json.dumps({**response.json(), "status": "paused"}).encode()
    twilio_request = requests.Request("GET", f"{VIDEO_HOST}/v1/Rooms/standup").prepare()
    with pytest.raises(InvalidData):
        specs.video.validate_response(
            RequestsOpenAPIRequest(twilio_request), RequestsOpenAPIResponse(response)
        )


def test_date_formats() -> None:
    moment = 1438286400.7  # 2015-07-30T20:00:00Z
    assert iso8601(moment) == "2015-07-30T20:00:00Z"
    assert rfc2822(moment) == "Thu, 30 Jul 2015 20:00:00 +0000"
    assert iso8601(None) is None and rfc2822(None) is None


def test_formatted_numbers() -> None:
    assert formatted_number("+14158675309") == "(415) 867-5309"
    assert formatted_number("+442071838750") == "+442071838750"
