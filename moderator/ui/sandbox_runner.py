"""The in-process local Twilio behind the "Sandbox (local)" profile.

The app must be usable with no account and no network, so the sandbox server runs on a daemon
thread inside the app, on loopback, in real time, with demo traffic so a first start looks alive.
The app reaches it like real Twilio: through the SDK, with the sandbox's own API key.
"""

from __future__ import annotations

import logging

from moderator.core.credentials import Credentials
from moderator.sandbox.clock import Clock, RealClock
from moderator.sandbox.server import SandboxOptions, SandboxServer

log = logging.getLogger(__name__)


class SandboxRunner:
    """Owns one SandboxServer: start it once, hand out its URL and credentials, stop it on quit."""

    def __init__(
        self,
        *,
        demo: bool = True,
        seed: int | None = None,
        latency_ms: int = 0,
        clock: Clock | None = None,
    ) -> None:
        options = SandboxOptions(seed=seed, demo=demo, latency_ms=latency_ms)
        self._server = SandboxServer(options, clock=clock if clock is not None else RealClock())
        self._started = False

    @property
    def server(self) -> SandboxServer:
        """The running server (tests and the screenshot mode reach its world through this)."""
        return self._server

    def start(self) -> None:
        """Bind the socket and serve on a daemon thread; idempotent."""
        if not self._started:
            self._server.start()
            self._started = True
            log.info("sandbox listening on %s", self._server.base_url)

    @property
    def base_url(self) -> str:
        """Where the app sends requests for `*.twilio.com`."""
        return str(self._server.base_url)

    def credentials(self) -> Credentials:
        """The sandbox's API key, the recommended way to authenticate (as with real Twilio)."""
        creds = self._server.credentials
        return Credentials(
            account_sid=creds.account_sid,
            username=creds.api_key_sid,
            secret=creds.api_key_secret,
        )

    def stop(self) -> None:
        """Shut the server down and join its thread; safe to call twice."""
        if self._started:
            self._started = False
            self._server.stop()
