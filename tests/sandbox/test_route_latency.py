"""Per-route latency: one slow operation (create-call) while the rest of the API stays quick."""

from __future__ import annotations

import time

import pytest
import requests

from moderator.sandbox.controls import Controls
from moderator.sandbox.server import SandboxServer

from .conftest import CALLEE, CALLER, ROOM_TWIML


def test_latency_for_adds_matching_routes_only() -> None:
    controls = Controls(latency_ms=10)
    controls.set_route_latency("post", "/Calls.json", 500)
    assert controls.latency_for("POST", "/2010-04-01/Accounts/AC1/Calls.json") == 510
    assert controls.latency_for("GET", "/2010-04-01/Accounts/AC1/Calls.json") == 10
    assert controls.latency_for("POST", "/2010-04-01/Accounts/AC1/Calls/CA1.json") == 10
    controls.set_route_latency("POST", "/Calls.json", 0)
    assert controls.latency_for("POST", "/2010-04-01/Accounts/AC1/Calls.json") == 10
    controls.set_route_latency("POST", "/Calls.json", 500)
    controls.reset()
    assert controls.latency_for("POST", "/2010-04-01/Accounts/AC1/Calls.json") == 0
    with pytest.raises(ValueError):
        controls.set_route_latency("POST", "/Calls.json", -1)


def test_slow_create_call_times_out_while_reads_answer(sandbox: SandboxServer) -> None:
    """The client gives up on the POST, yet the call is placed: Twilio's "outcome unknown"."""
    creds = sandbox.credentials
    auth = (creds.account_sid, creds.auth_token)
    calls_url = f"{sandbox.base_url}/2010-04-01/Accounts/{creds.account_sid}/Calls.json"
    sandbox.controls.set_route_latency("POST", "/Calls.json", 1500)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(
            calls_url,
            data={"To": CALLEE, "From": CALLER, "Twiml": ROOM_TWIML.format(identity="a", room="r")},
            auth=auth,
            timeout=0.3,
        )
    listed = requests.get(calls_url, auth=auth, timeout=1.0)  # reads are not slowed
    assert listed.status_code == 200
    sandbox.controls.set_route_latency("POST", "/Calls.json", 0)
    # The server finished the slow POST on its own: exactly one call exists.
    deadline = time.monotonic() + 10
    while sandbox.request_log.count("POST", "/Calls.json") == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandbox.request_log.count("POST", "/Calls.json") == 1
    assert len(sandbox.world.calls()) == 1
