"""Sandbox-test helpers: the stock twilio SDK, pointed at a sandbox by a tiny HTTP client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from moderator.sandbox.server import SandboxServer

ROOM_TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Connect>'
    '<Room participantIdentity="{identity}">{room}</Room></Connect>'
    "<Say>The meeting has ended. Goodbye.</Say></Response>"
)
CALLER = "+15005550006"
CALLEE = "+14155552671"


class SandboxHttpClient(TwilioHttpClient):
    """Test-local stand-in for the app's client, with the lead's URL scheme: api.twilio.com and
    video[.region].twilio.com keep their path; any other https://{product}[.…].twilio.com/{path}
    goes to {base}/{product}/{path}; https://{sub}.twil.io/{path} to {base}/twil.io/{sub}/{path}.
    """

    def __init__(self, base_url: str) -> None:
        super().__init__(timeout=10)
        self.sandbox = urlsplit(base_url)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(url)
        host = parts.hostname or ""
        path = None
        if host == "api.twilio.com" or (host.startswith("video.") and host.endswith(".twilio.com")):
            path = parts.path
        elif host.endswith(".twilio.com"):
            path = f"/{host.split('.', 1)[0]}{parts.path}"
        elif host.endswith(".twil.io"):
            path = f"/twil.io/{host[: -len('.twil.io')]}{parts.path}"
        if path is not None:
            url = urlunsplit((self.sandbox.scheme, self.sandbox.netloc, path, parts.query, ""))
        return super().request(method, url, *args, **kwargs)


def sdk_client(server: SandboxServer, *, api_key: bool = False) -> Client:
    """An unmodified twilio Client for `server`, with the auth token or the API key."""
    creds = server.credentials
    username, password = (
        (creds.api_key_sid, creds.api_key_secret)
        if api_key
        else (creds.account_sid, creds.auth_token)
    )
    return Client(
        username,
        password,
        account_sid=creds.account_sid,
        http_client=SandboxHttpClient(server.base_url),
    )


@pytest.fixture
def client(sandbox: SandboxServer) -> Client:
    """The twilio SDK talking to the `sandbox` fixture with the account's auth token."""
    return sdk_client(sandbox)


@pytest.fixture
def dial(client: Client) -> Callable[..., Any]:
    """Place a call that joins `room` as `identity` (the TwiML the app generates)."""

    def place(room: str, identity: str = "phone-guest", to: str = CALLEE, **kwargs: Any) -> Any:
        twiml = ROOM_TWIML.format(identity=identity, room=room)
        return client.calls.create(to=to, from_=CALLER, twiml=twiml, **kwargs)

    return place
