"""Every route over raw HTTP: parameters, filters, status codes, headers and error bodies."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from moderator.sandbox.server import SandboxServer

from .conftest import CALLEE, CALLER


class Http:
    """Tiny authenticated client for raw route tests."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        creds = server.credentials
        self.auth = (creds.account_sid, creds.auth_token)
        self.api = f"/2010-04-01/Accounts/{creds.account_sid}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method, self.server.base_url + path, auth=self.auth, timeout=10, **kwargs
        )

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict[str, str]) -> requests.Response:
        return self.request("POST", path, data=data)


@pytest.fixture
def http(sandbox: SandboxServer) -> Http:
    return Http(sandbox)


def error_code(response: requests.Response) -> tuple[int, int]:
    body = response.json()
    assert set(body) == {"code", "message", "more_info", "status"}
    assert body["status"] == response.status_code
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{body['code']}"
    return response.status_code, body["code"]


def test_json_headers(http: Http) -> None:
    response = http.get("/v1/Rooms")
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["Twilio-Request-Id"].startswith("RQ")


def test_head_is_a_get_without_body(http: Http) -> None:
    response = http.request("HEAD", "/v1/Rooms")
    assert response.status_code == 200 and response.content == b""


def test_room_routes(http: Http, sandbox: SandboxServer) -> None:
    created = http.post("/v1/Rooms", {"UniqueName": "standup", "MaxParticipants": "10"})
    assert created.status_code == 201
    room = created.json()
    assert room["max_participants"] == 10 and room["url"].endswith(room["sid"])
    assert http.get("/v1/Rooms/standup").json()["sid"] == room["sid"]
    assert http.get(f"/v1/Rooms/{room['sid']}").json()["unique_name"] == "standup"
    assert error_code(http.post("/v1/Rooms", {"MaxParticipants": "many"})) == (400, 20001)
    assert error_code(http.post(f"/v1/Rooms/{room['sid']}", {"Status": "failed"})) == (
        400,
        53112,
    )
    done = http.post(f"/v1/Rooms/{room['sid']}", {"Status": "completed"})
    assert done.status_code == 202 and done.json()["status"] == "completed"
    assert error_code(http.post(f"/v1/Rooms/{room['sid']}", {"Status": "completed"})) == (
        400,
        53112,
    )
    assert error_code(http.get("/v1/Rooms/standup")) == (404, 20404)
    assert error_code(http.get("/v1/Rooms/RM" + "0" * 32)) == (404, 20404)


def test_room_list_filters(http: Http, sandbox: SandboxServer) -> None:
    clock = sandbox.clock
    sandbox.world.create_room("a")
    clock.advance(86400 * 2)  # type: ignore[attr-defined]
    sandbox.world.create_room("b")
    sandbox.world.complete_room("a")

    def names(query: str) -> list[str]:
        return [r["unique_name"] for r in http.get(f"/v1/Rooms?{query}").json()["rooms"]]

    assert names("") == ["b"], "Status defaults to in-progress, as Twilio's description says"
    assert names("Status=in-progress") == ["b"]
    assert names("Status=completed") == ["a"]
    assert names("UniqueName=a") == []
    assert names("UniqueName=a&Status=completed") == ["a"]
    b_created = http.get("/v1/Rooms/b").json()["date_created"]
    assert names(f"DateCreatedAfter={b_created}") == ["b"]
    assert names(f"DateCreatedAfter={b_created}&Status=completed") == []
    assert names(f"DateCreatedBefore={b_created[:10]}&Status=completed") == ["a"]
    assert error_code(http.get("/v1/Rooms?DateCreatedAfter=yesterday")) == (400, 20001)


def test_participant_routes(http: Http, sandbox: SandboxServer) -> None:
    room = sandbox.world.create_room("standup")
    alice = sandbox.world.join_app_participant(room, "alice", ("audio",))
    sandbox.world.join_app_participant(room, "bob")
    base = f"/v1/Rooms/{room}/Participants"
    assert [p["identity"] for p in http.get(base).json()["participants"]] == ["alice", "bob"]
    assert [p["identity"] for p in http.get(f"{base}?Identity=bob").json()["participants"]] == [
        "bob"
    ]
    assert http.get("/v1/Rooms/standup/Participants/alice").json()["sid"] == alice
    assert http.get(f"{base}/{alice}").json()["identity"] == "alice"
    assert error_code(http.post(f"{base}/{alice}", {"Status": "connected"})) == (400, 53209)
    left = http.post(f"{base}/{alice}", {"Status": "disconnected"})
    assert left.status_code == 202 and left.json()["status"] == "disconnected"
    assert http.get(f"{base}/{alice}/PublishedTracks").json()["published_tracks"] == []
    assert error_code(http.get(f"{base}/alice")) == (404, 20404)  # identity: only connected
    gone = http.get(f"{base}?Status=disconnected").json()["participants"]
    assert [p["identity"] for p in gone] == ["alice"]
    assert error_code(http.get(f"{base}/PA{'0' * 32}")) == (404, 20404)
    assert error_code(http.get("/v1/Rooms/nowhere/Participants")) == (404, 20404)


def test_published_track_routes(http: Http, sandbox: SandboxServer) -> None:
    room = sandbox.world.create_room("standup")
    bob = sandbox.world.join_app_participant(room, "bob", ("audio", "video"))
    base = f"/v1/Rooms/{room}/Participants/{bob}/PublishedTracks"
    tracks = http.get(base).json()["published_tracks"]
    assert [t["kind"] for t in tracks] == ["audio", "video"]
    assert all(t["sid"].startswith("MT") and t["enabled"] for t in tracks)
    assert http.get(f"{base}/{tracks[1]['sid']}").json() == tracks[1]
    assert error_code(http.get(f"{base}/MT{'0' * 32}")) == (404, 20404)


def test_account_route(http: Http, sandbox: SandboxServer) -> None:
    account = http.get(f"{http.api}.json").json()
    assert account["sid"] == sandbox.credentials.account_sid
    assert account["status"] == "active" and account["type"] == "Full"


def test_call_routes(http: Http, sandbox: SandboxServer) -> None:
    twiml = "<Response><Pause length='30'/></Response>"
    created = http.post(f"{http.api}/Calls.json", {"To": CALLEE, "From": CALLER, "Twiml": twiml})
    assert created.status_code == 201
    call = created.json()
    assert call["sid"].startswith("CA") and call["direction"] == "outbound-api"
    assert (call["to_formatted"], call["start_time"], call["duration"]) == (
        "(415) 555-2671",
        None,
        None,
    )
    sandbox.clock.advance(1)  # type: ignore[attr-defined]
    fetched = http.get(f"{http.api}/Calls/{call['sid']}.json").json()
    assert fetched["status"] == "ringing" and fetched["start_time"] is not None
    assert error_code(http.get(f"{http.api}/Calls/CA{'0' * 32}.json")) == (404, 20404)
    redirect = http.post(f"{http.api}/Calls/{call['sid']}.json", {"Url": "https://x.example/t"})
    assert error_code(redirect) == (400, 21205)
    assert error_code(http.post(f"{http.api}/Calls/{call['sid']}.json", {"Status": "busy"})) == (
        400,
        21220,
    )
    assert error_code(
        http.post(
            f"{http.api}/Calls.json", {"To": CALLEE, "From": CALLER, "Twiml": twiml, "Timeout": "x"}
        )
    ) == (400, 20001)
    assert error_code(http.post(f"{http.api}/Calls.json", {"From": CALLER, "Twiml": twiml})) == (
        400,
        21201,
    )
    assert error_code(http.post(f"{http.api}/Calls.json", {"To": CALLEE, "Twiml": twiml})) == (
        400,
        21213,
    )
    assert error_code(http.post(f"{http.api}/Calls.json", {"To": CALLEE, "From": CALLER})) == (
        400,
        21205,
    )


def test_call_list_filters(http: Http, sandbox: SandboxServer) -> None:
    twiml = "<Response><Pause length='30'/></Response>"
    for to in ("+14155550001", "+14155551111"):
        http.post(f"{http.api}/Calls.json", {"To": to, "From": CALLER, "Twiml": twiml})
    http.post(f"{http.api}/Calls.json", {"To": CALLEE, "From": "+14155550199", "Twiml": twiml})
    sandbox.clock.advance(2)  # type: ignore[attr-defined]

    def tos(query: str) -> list[str]:
        return [c["to"] for c in http.get(f"{http.api}/Calls.json?{query}").json()["calls"]]

    assert tos("") == [CALLEE, "+14155551111", "+14155550001"]
    assert tos("Status=busy") == ["+14155551111"]
    assert tos("To=%2B14155550001") == ["+14155550001"]
    assert tos("From=%2B14155550199") == [CALLEE]
    today = http.get(f"{http.api}/Calls.json").json()["calls"][0]
    started = today["start_time"]
    assert started is not None
    from email.utils import parsedate_to_datetime

    day = parsedate_to_datetime(started).date().isoformat()
    assert len(tos(f"StartTime={day}")) == 3
    assert len(tos(f"StartTime%3E={day}")) == 3
    assert tos("StartTime%3C=2000-01-01") == []


def test_number_routes(http: Http) -> None:
    numbers = http.get(f"{http.api}/IncomingPhoneNumbers.json").json()
    assert [n["phone_number"] for n in numbers["incoming_phone_numbers"]] == [
        "+15005550006",
        "+14155550142",
    ]
    filtered = http.get(f"{http.api}/IncomingPhoneNumbers.json?PhoneNumber=%2B15005550006")
    assert len(filtered.json()["incoming_phone_numbers"]) == 1
    caller_ids = http.get(f"{http.api}/OutgoingCallerIds.json").json()["outgoing_caller_ids"]
    assert [c["phone_number"] for c in caller_ids] == ["+14155550199"]


def test_accepted_credentials_never_show_secrets(sandbox: SandboxServer) -> None:
    text = repr(sandbox.app.credentials)
    assert sandbox.credentials.auth_token not in text
    assert sandbox.credentials.api_key_secret not in text
    assert sandbox.credentials.account_sid in text


@pytest.mark.allow_log_warnings(r"sandbox failed on GET /v1/Rooms")
def test_a_sandbox_bug_still_answers_twilio_json(
    http: Http, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(sandbox.world, "list_rooms", broken)
    with caplog.at_level("ERROR", logger="moderator.sandbox.app"):
        assert error_code(http.get("/v1/Rooms")) == (500, 20500)
    assert "boom" in caplog.text
