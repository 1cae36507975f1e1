"""Fault injection: 500s, 429 with Retry-After, latency, malformed bodies, revoked credentials."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException

from moderator.sandbox.controls import Controls
from moderator.sandbox.server import SandboxServer

from .conftest import sdk_client


def get_rooms(sandbox: SandboxServer) -> requests.Response:
    creds = sandbox.credentials
    return requests.get(
        f"{sandbox.base_url}/v1/Rooms", auth=(creds.account_sid, creds.auth_token), timeout=10
    )


def test_fault_rate_one_answers_500_with_twilio_body(sandbox: SandboxServer) -> None:
    sandbox.controls.fault_rate = 1.0
    response = get_rooms(sandbox)
    assert response.status_code == 500
    assert response.json() == {
        "code": 20500,
        "message": "Internal Server Error",
        "more_info": "https://www.twilio.com/docs/errors/20500",
        "status": 500,
    }
    client = sdk_client(sandbox)
    with pytest.raises(TwilioRestException) as raised:
        client.video.v1.rooms.create(unique_name="standup")
    assert (raised.value.status, raised.value.code) == (500, 20500)
    with pytest.raises(TwilioException, match="Unable to fetch page"):
        client.video.v1.rooms.list()
    assert sandbox.world.rooms() == []  # a 500 changes nothing


def test_fault_rate_is_a_share_and_seeded(sandbox: SandboxServer) -> None:
    sandbox.controls.fault_rate = 0.3
    statuses = [get_rooms(sandbox).status_code for _ in range(100)]
    assert 10 <= statuses.count(500) <= 50
    assert set(statuses) == {200, 500}


def test_rate_limit_answers_429_with_retry_after(sandbox: SandboxServer) -> None:
    sandbox.controls.rate_limit = 3
    statuses = [get_rooms(sandbox) for _ in range(6)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited, "six requests in well under a second must exceed 3/s"
    assert limited[0].json()["code"] == 20429
    assert int(limited[0].headers["Retry-After"]) >= 1
    sandbox.controls.rate_limit = None
    assert get_rooms(sandbox).status_code == 200


def test_sdk_sees_429_as_20429(sandbox: SandboxServer) -> None:
    sandbox.controls.rate_limit = 1
    client = sdk_client(sandbox)
    client.video.v1.rooms.create(unique_name="a")
    with pytest.raises(TwilioRestException) as raised:
        client.video.v1.rooms.create(unique_name="b")
    assert (raised.value.status, raised.value.code) == (429, 20429)
    assert [r.unique_name for r in sandbox.world.rooms()] == ["a"]


def test_rate_window_slides() -> None:
    controls = Controls(rate_limit=2)
    assert controls.admit(now=10.0) is None
    assert controls.admit(now=10.4) is None
    assert controls.admit(now=10.5) == 1.0  # refused requests do not count…
    assert controls.admit(now=11.01) is None  # …and the first left the window
    assert controls.admit(now=11.2) == 1.0
    assert controls.admit(now=12.5) is None


def test_latency_delays_answers_without_holding_the_world(sandbox: SandboxServer) -> None:
    sandbox.controls.latency_ms = 600
    answered: list[int] = []
    started = time.perf_counter()
    slow = threading.Thread(target=lambda: answered.append(get_rooms(sandbox).status_code))
    slow.start()
    sandbox.world.create_room("meanwhile")  # the world lock is free while a request waits
    slow.join()
    assert time.perf_counter() - started >= 0.6
    assert answered == [200]


def test_malformed_bodies(sandbox: SandboxServer) -> None:
    sandbox.controls.malformed_rate = 1.0
    response = get_rooms(sandbox)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)
    client = sdk_client(sandbox)
    with pytest.raises(ValueError):
        client.video.v1.rooms.list()
    sandbox.controls.malformed_rate = 0.0
    assert client.video.v1.rooms.list() == []


def test_revoked_then_restored_credentials(sandbox: SandboxServer) -> None:
    client = sdk_client(sandbox, api_key=True)
    sandbox.controls.revoke_credentials()
    assert sandbox.controls.credentials_revoked
    with pytest.raises(TwilioRestException) as raised:
        client.video.v1.rooms.create(unique_name="standup")
    assert (raised.value.status, raised.value.code) == (401, 20003)
    sandbox.controls.restore_credentials()
    assert client.video.v1.rooms.create(unique_name="standup").status == "in-progress"


def test_options_set_initial_faults(sandbox_factory: object) -> None:
    from collections.abc import Callable

    assert callable(sandbox_factory)
    make: Callable[..., SandboxServer] = sandbox_factory
    server = make(fault_rate=1.0, latency_ms=5, rate_limit=100.0, malformed_rate=0.5)
    assert server.controls.fault_rate == 1.0
    assert server.controls.latency_ms == 5
    assert server.controls.rate_limit == 100.0
    assert server.controls.malformed_rate == 0.5
    assert get_rooms(server).status_code == 500
    server.controls.reset()
    assert get_rooms(server).status_code == 200


@pytest.mark.parametrize(
    ("name", "value"),
    [("fault_rate", 1.5), ("malformed_rate", -0.1), ("latency_ms", -1), ("rate_limit", 0)],
)
def test_controls_refuse_nonsense(name: str, value: float) -> None:
    with pytest.raises(ValueError):
        setattr(Controls(), name, value)
