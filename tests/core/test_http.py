"""URL rewriting to the sandbox, and the per-thread last response the retry layer reads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from twilio.rest import Client

from moderator.core.credentials import Credentials
from moderator.core.http import (
    DEFAULT_TIMEOUT_S,
    RewritingHttpClient,
    is_assets_url,
    is_twilio_url,
    make_client,
    rewrite_url,
)

BASE = "http://127.0.0.1:8123"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://video.twilio.com/v1/Rooms?Status=in-progress&PageSize=50",
            f"{BASE}/v1/Rooms?Status=in-progress&PageSize=50",
        ),
        (
            "https://api.twilio.com/2010-04-01/Accounts/AC1/Calls.json",
            f"{BASE}/2010-04-01/Accounts/AC1/Calls.json",
        ),
        ("https://video.us1.twilio.com/v1/Rooms", f"{BASE}/v1/Rooms"),
        ("https://api.dublin.ie1.twilio.com/2010-04-01/x.json", f"{BASE}/2010-04-01/x.json"),
        ("https://API.SYDNEY.AU1.TWILIO.COM/a", f"{BASE}/a"),
        ("https://twilio.com/a", f"{BASE}/a"),
        ("https://api.twilio.com:443/a?b=c%20d", f"{BASE}/a?b=c%20d"),
        ("https://api.twilio.com", f"{BASE}/"),
        ("https://serverless.twilio.com/v1/Services", f"{BASE}/serverless/v1/Services"),
        (
            "https://serverless-upload.twilio.com/v1/Services/ZS1/Assets/ZH1/Versions",
            f"{BASE}/serverless-upload/v1/Services/ZS1/Assets/ZH1/Versions",
        ),
        ("https://sync.us1.twilio.com/v1/Services?x=1", f"{BASE}/sync/v1/Services?x=1"),
    ],
)
def test_twilio_urls_are_rewritten_keeping_path_and_query(url: str, expected: str) -> None:
    assert is_twilio_url(url)
    assert rewrite_url(url, BASE) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/v1/Rooms",
        "https://eviltwilio.com/v1/Rooms",
        "https://twilio.com.evil.org/v1/Rooms",
        "https://api.twilio.co/v1",
        "http://api.twilio.com/v1/Rooms",  # the SDK only speaks https to Twilio
        "https://evil.org/?next=https://api.twilio.com/",
        "https://user@evil.org/.twilio.com",
    ],
)
def test_other_urls_pass_through(url: str) -> None:
    assert not is_twilio_url(url)
    assert rewrite_url(url, BASE) == url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://lobby-1234-dev.twil.io/lobby.xml", f"{BASE}/twil.io/lobby-1234-dev/lobby.xml"),
        ("https://A-1.TWIL.IO/x?y=1", f"{BASE}/twil.io/a-1/x?y=1"),
    ],
)
def test_deployed_asset_domains_go_to_the_sandbox_under_their_name(url: str, expected: str) -> None:
    assert is_assets_url(url)
    assert rewrite_url(url, BASE) == expected
    assert rewrite_url(url, None) == url


@pytest.mark.parametrize(
    "url",
    ["https://twil.io/x", "https://evil.org/a.twil.io", "http://a.twil.io/x", "https://atwil.io/"],
)
def test_not_an_assets_domain(url: str) -> None:
    assert not is_assets_url(url)
    assert rewrite_url(url, BASE) == url


def test_no_base_url_means_real_twilio() -> None:
    url = "https://video.twilio.com/v1/Rooms"
    assert rewrite_url(url, None) == url


def test_base_url_with_path_prefix() -> None:
    assert rewrite_url("https://api.twilio.com/x", "http://h:1/prefix/") == "http://h:1/prefix/x"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = int(self.path.split("/")[-1] or 200)
        body = f'{{"path": "{self.path}"}}'.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Retry-After", "7")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_requests_reach_the_base_url_and_last_response_is_per_thread(local_server: str) -> None:
    client = RewritingHttpClient(local_server)
    try:
        response = client.request("GET", "https://video.twilio.com/v1/429")
        assert response.status_code == 429
        assert '"/v1/429"' in response.text
        assert client.last_response is response
        assert client.last_response.headers["retry-after"] == "7"

        seen: list[object] = []

        def other_thread() -> None:
            seen.append(client.last_response)  # nothing yet on this thread
            client.request("GET", "https://api.twilio.com/200")
            seen.append(client.last_response.status_code if client.last_response else None)

        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
        assert seen == [None, 200]
        assert client.last_response is response  # untouched by the other thread
    finally:
        client.close()


def test_last_response_is_cleared_when_a_request_fails() -> None:
    client = RewritingHttpClient("http://127.0.0.1:1", timeout=2)
    client._local.response = "stale"
    with pytest.raises(requests.exceptions.ConnectionError):
        client.request("GET", "https://api.twilio.com/x")
    assert client.last_response is None
    client.close()


def test_make_client_wires_credentials_and_our_http_client() -> None:
    credentials = Credentials("AC" + "1" * 32, "SK" + "2" * 32, "very-secret")
    client = make_client(credentials, "http://127.0.0.1:9")
    assert isinstance(client, Client)
    assert client.account_sid == credentials.account_sid
    assert client.username == credentials.username
    assert isinstance(client.http_client, RewritingHttpClient)
    assert client.http_client.base_url == "http://127.0.0.1:9"
    assert client.http_client.timeout == DEFAULT_TIMEOUT_S


def test_make_client_without_base_url_targets_twilio_with_our_class() -> None:
    client = make_client(Credentials("AC" + "1" * 32, "AC" + "1" * 32, "tok"), timeout=3)
    assert isinstance(client.http_client, RewritingHttpClient)
    assert client.http_client.base_url is None
    assert client.http_client.timeout == 3
