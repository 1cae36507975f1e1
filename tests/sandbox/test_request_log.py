"""The request log: answered requests in order, and the ones still being handled."""

from __future__ import annotations

import threading
import time

import requests

from moderator.sandbox.request_log import RequestLog, RequestRecord
from moderator.sandbox.server import SandboxServer


def record(method: str, path: str) -> RequestRecord:
    return RequestRecord(method, path, "", 200, 0.0, 0.0)


def test_in_flight_counts_received_until_answered() -> None:
    log = RequestLog()
    log.arrived("POST", "/2010-04-01/Accounts/AC1/Calls.json")
    log.arrived("GET", "/v1/Rooms")
    assert log.in_flight() == 2
    assert log.in_flight("POST", "/Calls.json") == 1
    log.append(record("POST", "/2010-04-01/Accounts/AC1/Calls.json"))
    assert log.in_flight("POST") == 0
    assert log.count("POST", "/Calls.json") == 1


def test_a_slow_request_is_in_flight_while_held(sandbox: SandboxServer) -> None:
    creds = sandbox.credentials
    sandbox.controls.set_route_latency("GET", "/v1/Rooms", 300)
    done = threading.Event()

    def slow_read() -> None:
        requests.get(f"{sandbox.base_url}/v1/Rooms", auth=(creds.api_key_sid, creds.api_key_secret))
        done.set()

    thread = threading.Thread(target=slow_read)
    thread.start()
    while sandbox.request_log.in_flight("GET", "/v1/Rooms") == 0:
        assert not done.is_set(), "answered before it was ever seen in flight"
        time.sleep(0.005)
    thread.join(timeout=5)
    assert done.is_set()
    assert sandbox.request_log.in_flight() == 0
    assert sandbox.request_log.count("GET", "/v1/Rooms") == 1
