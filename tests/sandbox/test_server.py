"""The server: credentials, auth, stop/start on the same port, the request log."""

from __future__ import annotations

import re

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from moderator.sandbox.clock import ManualClock
from moderator.sandbox.server import SandboxCredentials, SandboxOptions, SandboxServer

from .conftest import sdk_client


def test_credentials_look_like_twilio_and_repeat_per_seed() -> None:
    creds = SandboxCredentials.generate(7)
    assert re.fullmatch(r"AC[0-9a-f]{32}", creds.account_sid)
    assert re.fullmatch(r"SK[0-9a-f]{32}", creds.api_key_sid)
    assert re.fullmatch(r"[0-9a-f]{32}", creds.auth_token)
    assert len(creds.api_key_secret) == 32
    assert SandboxCredentials.generate(7) == creds
    assert SandboxCredentials.generate(8) != creds
    assert creds.auth_token not in repr(creds)
    assert creds.api_key_secret not in repr(creds)


def test_unseeded_credentials_differ() -> None:
    assert SandboxCredentials.generate(None) != SandboxCredentials.generate(None)


@pytest.mark.parametrize("api_key", [False, True])
def test_both_credential_pairs_work(sandbox: SandboxServer, api_key: bool) -> None:
    client = sdk_client(sandbox, api_key=api_key)
    assert client.api.v2010.accounts(sandbox.credentials.account_sid).fetch().status == "active"


@pytest.mark.parametrize(
    "auth",
    [
        None,
        ("ACnope", "nope"),
        "token-for-key",
        "key-for-token",
    ],
)
def test_other_credentials_are_refused(sandbox: SandboxServer, auth: object) -> None:
    creds = sandbox.credentials
    pairs = {
        "token-for-key": (creds.api_key_sid, creds.auth_token),
        "key-for-token": (creds.account_sid, creds.api_key_secret),
    }
    basic = pairs.get(auth, auth) if isinstance(auth, str) else auth
    response = requests.get(f"{sandbox.base_url}/v1/Rooms", auth=basic, timeout=5)  # type: ignore[arg-type]
    assert response.status_code == 401
    assert response.json() == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }


def test_sdk_sees_bad_credentials_as_20003(sandbox: SandboxServer) -> None:
    from twilio.rest import Client

    from .conftest import SandboxHttpClient

    client = Client(
        sandbox.credentials.account_sid,
        "wrong",
        http_client=SandboxHttpClient(sandbox.base_url),
    )
    with pytest.raises(TwilioRestException) as raised:
        client.api.v2010.accounts(sandbox.credentials.account_sid).fetch()
    assert (raised.value.status, raised.value.code) == (401, 20003)


def test_binds_to_loopback_by_default(sandbox: SandboxServer) -> None:
    assert sandbox.base_url.startswith("http://127.0.0.1:")


def test_stop_refuses_connections_then_start_serves_same_world_on_same_port(
    sandbox: SandboxServer,
) -> None:
    room_sid = sandbox.world.create_room("standup")
    url, port = sandbox.base_url, sandbox.port
    client = sdk_client(sandbox)
    sandbox.stop()
    assert not sandbox.running
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/v1/Rooms", timeout=2)
    sandbox.start()
    assert sandbox.port == port and sandbox.base_url == url
    assert client.video.v1.rooms(room_sid).fetch().unique_name == "standup"
    sandbox.restart()
    assert client.video.v1.rooms("standup").fetch().sid == room_sid


def test_request_log_records_receipt_and_answer(sandbox: SandboxServer) -> None:
    client = sdk_client(sandbox)
    sandbox.request_log.clear()
    client.video.v1.rooms.create(unique_name="standup")
    client.video.v1.rooms.list()
    entries = sandbox.request_log.entries()
    assert [(e.method, e.path, e.status) for e in entries] == [
        ("POST", "/v1/Rooms", 201),
        ("GET", "/v1/Rooms", 200),
    ]
    assert entries[0].wall_time <= entries[1].wall_time
    assert entries[0].perf_time <= entries[1].perf_time
    assert [e.is_write for e in entries] == [True, False]
    assert sandbox.request_log.count(method="GET") == 1
    assert len(sandbox.request_log.writes()) == 1 and len(sandbox.request_log.reads()) == 1
    sandbox.request_log.clear()
    assert len(sandbox.request_log) == 0


def test_request_log_is_bounded(sandbox_factory: object) -> None:
    server = SandboxServer(SandboxOptions(seed=1, request_log_size=3), clock=ManualClock())
    with server:
        for _ in range(5):
            requests.get(f"{server.base_url}/v1/Rooms", timeout=5)
        assert len(server.request_log) == 3


def test_unknown_path_is_20404_and_wrong_method_is_405(sandbox: SandboxServer) -> None:
    creds = sandbox.credentials
    auth = (creds.account_sid, creds.auth_token)
    response = requests.get(f"{sandbox.base_url}/v1/Nope", auth=auth, timeout=5)
    assert (response.status_code, response.json()["code"]) == (404, 20404)
    response = requests.delete(f"{sandbox.base_url}/v1/Rooms", auth=auth, timeout=5)
    assert response.status_code == 405
    other = "AC" + "0" * 32
    response = requests.get(
        f"{sandbox.base_url}/2010-04-01/Accounts/{other}/Calls.json", auth=auth, timeout=5
    )
    assert (response.status_code, response.json()["code"]) == (404, 20404)
