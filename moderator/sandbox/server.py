"""SandboxServer: a local Twilio on loopback, served by Werkzeug on a daemon thread.

The app runs it in-process for the "Sandbox" profile, tests start one per test with a
ManualClock, and `python -m moderator.sandbox` runs one in real time. Stopping and starting again
keeps the world and the port, so tests can show "connection refused, then back".
"""

from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from moderator.sandbox.app import AcceptedCredentials, SandboxApp
from moderator.sandbox.clock import Clock, ManualClock, RealClock
from moderator.sandbox.controls import Controls
from moderator.sandbox.credentials import SandboxCredentials
from moderator.sandbox.demo import DemoTraffic
from moderator.sandbox.request_log import RequestLog, RequestRecord
from moderator.sandbox.world import World

__all__ = [
    "Controls",
    "ManualClock",
    "RealClock",
    "RequestLog",
    "RequestRecord",
    "SandboxCredentials",
    "SandboxOptions",
    "SandboxServer",
]

TICK_S = 0.05
log = logging.getLogger(__name__)


@dataclass
class SandboxOptions:
    """How a sandbox starts; faults can be changed later through `SandboxServer.controls`."""

    seed: int | None = None
    demo: bool = False
    latency_ms: float = 0.0
    fault_rate: float = 0.0
    rate_limit: float | None = None
    malformed_rate: float = 0.0
    host: str = "127.0.0.1"
    port: int = 0
    ring_after_s: float = 1.0
    answer_after_s: float = 3.0
    request_log_size: int = 10_000


class _QuietHandler(WSGIRequestHandler):
    """No per-request log lines; one request per connection so stop() really disconnects."""

    protocol_version = "HTTP/1.0"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None

    def log(self, type: str, message: str, *args: Any) -> None:
        return None


class SandboxServer:
    """A running (or stoppable) local Twilio: world + controls + request log + HTTP listener."""

    def __init__(
        self,
        options: SandboxOptions | None = None,
        clock: Clock | None = None,
        *,
        credentials: SandboxCredentials | None = None,
        listen_socket: socket.socket | None = None,
    ) -> None:
        """`credentials` (else made from the seed) and `listen_socket`, an already bound and
        listening socket to serve on at the first start: the app makes both at once, so its
        session is set up before this module is even imported (requests sent meanwhile wait in
        the socket's backlog)."""
        self.options = options or SandboxOptions()
        self.clock: Clock = clock if clock is not None else RealClock()
        self.credentials = credentials or SandboxCredentials.generate(self.options.seed)
        self._listen_socket = listen_socket
        self.world = World(
            self.clock,
            self.credentials.account_sid,
            seed=self.options.seed,
            ring_after_s=self.options.ring_after_s,
            answer_after_s=self.options.answer_after_s,
        )
        self.controls = Controls(
            latency_ms=self.options.latency_ms,
            fault_rate=self.options.fault_rate,
            rate_limit=self.options.rate_limit,
            malformed_rate=self.options.malformed_rate,
            seed=self.options.seed,
        )
        self.request_log = RequestLog(self.options.request_log_size)
        self.demo: DemoTraffic | None = None
        if self.options.demo:
            self.demo = DemoTraffic(self.world, seed=self.options.seed)
            self.demo.start()
        self.app = SandboxApp(
            self.world,
            AcceptedCredentials(**self.credentials.as_dict()),
            self.controls,
            self.request_log,
        )
        self._port = listen_socket.getsockname()[1] if listen_socket else self.options.port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._ticker: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def running(self) -> bool:
        """True while the socket is listening."""
        return self._server is not None

    @property
    def port(self) -> int:
        """The bound port (known after the first start; kept for restarts)."""
        return self._port

    @property
    def base_url(self) -> str:
        """http://host:port, where the app's rewriting HTTP client sends *.twilio.com."""
        if not self._port:
            raise RuntimeError("the sandbox has not been started yet")
        return f"http://{self.options.host}:{self._port}"

    def start(self) -> SandboxServer:
        """Bind (the same port again after a stop) and serve on a daemon thread."""
        if self._server is not None:
            return self
        given, self._listen_socket = self._listen_socket, None
        try:
            server = make_server(
                self.options.host,
                self._port,
                self.app,
                threaded=True,
                request_handler=_QuietHandler,
                fd=given.fileno() if given is not None else None,
            )
        except SystemExit as exc:  # Werkzeug exits instead of raising when it cannot bind
            raise OSError(f"cannot listen on {self.options.host}:{self._port}") from exc
        finally:
            if given is not None:
                given.close()  # Werkzeug serves on its own duplicate of it
        self._server = server
        self._port = server.socket.getsockname()[1]
        self._stopping.clear()
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sandbox-http-{self._port}",
            daemon=True,
        )
        self._thread.start()
        if self.clock.realtime:
            self._ticker = threading.Thread(
                target=self._tick, name=f"sandbox-clock-{self._port}", daemon=True
            )
            self._ticker.start()
        return self

    def _tick(self) -> None:
        """Run due events in real time, so calls progress even when nobody polls."""
        while not self._stopping.wait(TICK_S):
            try:
                with self.clock.lock:
                    self.clock.run_due()
            except Exception:  # keep time flowing even if one event is buggy
                log.exception("sandbox clock event failed")

    def stop(self) -> None:
        """Stop listening (connections are refused); the world and the port are kept."""
        server, self._server = self._server, None
        self._stopping.set()
        if server is not None:
            server.shutdown()
            server.server_close()
        for thread in (self._thread, self._ticker):
            if thread is not None:
                thread.join(timeout=5)
        self._thread = self._ticker = None

    def restart(self) -> SandboxServer:
        """Stop, then listen again on the same port with the same world."""
        self.stop()
        return self.start()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.base_url if self._port else "not started"
        return f"<SandboxServer {where} {'running' if self.running else 'stopped'}>"
