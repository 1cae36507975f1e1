"""The local Twilio behind the sandbox profile: in-process, or a standalone one already running.

The app must be usable with no account and no network, so by default the sandbox server runs on a
daemon thread inside the app, on loopback, in real time, with demo traffic so a first start looks
alive. `--sandbox-config FILE` instead attaches to a standalone sandbox (`room-moderator-sandbox`,
perhaps with faults, perhaps shared by two windows) described by the JSON line it prints. Either
way the app reaches it like real Twilio: through the SDK, with the sandbox's own API key.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from moderator.core.credentials import Credentials
from moderator.core.profiles import SANDBOX_LABEL, SANDBOX_PROFILE
from moderator.sandbox.credentials import SandboxCredentials

if TYPE_CHECKING:
    from moderator.sandbox.clock import Clock
    from moderator.sandbox.server import SandboxServer

log = logging.getLogger(__name__)

CONFIG_KEYS = ("base_url", "account_sid", "auth_token", "api_key_sid", "api_key_secret")
"""The keys of the sandbox CLI's first stdout line (and of its `--write-config` file)."""
_REQUIRED_KEYS = ("base_url", "account_sid", "api_key_sid", "api_key_secret")
_WRITE_CONFIG_HINT = "write one with: room-moderator-sandbox --write-config FILE"


class LocalSandbox(Protocol):
    """What the app needs from a sandbox, whoever runs it."""

    @property
    def profile(self) -> str:
        """The profile name the window shows it under ("" is the built-in one)."""
        ...

    @property
    def label(self) -> str:
        """How the profile picker and the title name it."""
        ...

    @property
    def base_url(self) -> str:
        """Where the app sends requests for `*.twilio.com`."""
        ...

    def start(self) -> None:
        """Make it reachable; idempotent."""
        ...

    def warm_up(self) -> None:
        """Get ready ahead of use, if that costs the app's own thread nothing."""
        ...

    def credentials(self) -> Credentials:
        """The API key the app authenticates with."""
        ...

    def stop(self) -> None:
        """Release what `start` took; idempotent."""
        ...


class _BuiltInSandbox:
    """What both built-in sandboxes share: the "" profile, a loopback socket the app binds
    itself (so the URL is known at once) and credentials made here (the same for the same seed).
    """

    _host = "127.0.0.1"

    def __init__(self, seed: int | None) -> None:
        self._seed = seed
        self._credentials: SandboxCredentials | None = None
        self._port = 0

    @property
    def profile(self) -> str:
        """The built-in sandbox is the "" profile, shown as "Sandbox (local)"."""
        return SANDBOX_PROFILE

    @property
    def label(self) -> str:
        return SANDBOX_LABEL

    @property
    def base_url(self) -> str:
        """Where the app sends requests for `*.twilio.com` (known as soon as started)."""
        if not self._port:
            raise RuntimeError("the sandbox has not been started yet")
        return f"http://{self._host}:{self._port}"

    def credentials(self) -> Credentials:
        """The sandbox's API key, the recommended way to authenticate (as with real Twilio)."""
        creds = self._sandbox_credentials()
        return Credentials(
            account_sid=creds.account_sid, username=creds.api_key_sid, secret=creds.api_key_secret
        )

    def _sandbox_credentials(self) -> SandboxCredentials:
        if self._credentials is None:
            self._credentials = SandboxCredentials.generate(self._seed)
        return self._credentials

    def _listen(self) -> socket.socket:
        """A bound, listening loopback socket; its port becomes the base URL."""
        listener = socket.create_server((self._host, 0))
        self._port = listener.getsockname()[1]
        return listener


class SandboxRunner(_BuiltInSandbox):
    """Owns one in-process SandboxServer: start it once, hand out its URL and credentials, stop
    it on quit.

    `start()` binds the loopback socket and makes the credentials at once (cheap: no Werkzeug),
    so a session can be set up immediately; with `background=True` the server itself (its
    imports, the demo world, the HTTP thread) is built on a thread, and requests sent meanwhile
    simply wait in the socket's backlog. The app does that, so the window paints first.
    """

    def __init__(
        self,
        *,
        demo: bool = True,
        seed: int | None = None,
        latency_ms: int = 0,
        clock: Clock | None = None,
        background: bool = False,
    ) -> None:
        super().__init__(seed)
        self._demo = demo
        self._latency_ms = latency_ms
        self._clock = clock
        self._background = background
        self._server: SandboxServer | None = None
        self._builder: threading.Thread | None = None
        self._failure: BaseException | None = None
        self._started = False

    @property
    def server(self) -> SandboxServer:
        """The running server (tests and the screenshot mode reach its world through this);
        waits for a background start to finish."""
        self.start()
        if self._builder is not None:
            self._builder.join()
        if self._server is None:
            raise RuntimeError("the sandbox could not start") from self._failure
        return self._server

    def start(self) -> None:
        """Bind the socket and serve (on a daemon thread); idempotent, never blocks for long."""
        if self._started:
            return
        self._started = True
        listener = self._listen()
        if self._background:
            self._builder = threading.Thread(
                target=self._build, args=(listener,), name="sandbox-start", daemon=True
            )
            self._builder.start()
        else:
            self._build(listener)
            if self._server is None:
                raise RuntimeError("the sandbox could not start") from self._failure

    def warm_up(self) -> None:
        """Nothing ahead of use: in this process, building the server would slow the window."""

    def _build(self, listener: socket.socket) -> None:
        try:
            from moderator.sandbox.clock import RealClock
            from moderator.sandbox.server import SandboxOptions, SandboxServer

            options = SandboxOptions(
                seed=self._seed, demo=self._demo, latency_ms=self._latency_ms, host=self._host
            )
            server = SandboxServer(
                options,
                clock=self._clock if self._clock is not None else RealClock(),
                credentials=self._sandbox_credentials(),
                listen_socket=listener,
            )
            server.start()
        except Exception as exc:  # the socket closes: the app's requests are refused, not hung
            listener.close()
            self._failure = exc
            log.exception("the local sandbox could not start")
            return
        self._server = server
        log.info("sandbox listening on %s", server.base_url)

    def stop(self) -> None:
        """Shut the server down and join its threads; safe to call twice."""
        if not self._started:
            return
        self._started = False
        if self._builder is not None:
            self._builder.join()
            self._builder = None
        if self._server is not None:
            self._server.stop()
            self._server = None


class SandboxProcess(_BuiltInSandbox):
    """The built-in sandbox in a process of its own, so its start-up and its demo traffic run
    on the other core instead of sharing the app's interpreter (and its GIL).

    `start()` binds the loopback socket and makes the credentials here (cheap), then starts
    `python -m moderator.sandbox --attached --listen-fd N` (in a frozen app, the app itself:
    `room-moderator --run-sandbox --attached ...`, see `sandbox_command`): the child serves on
    that very socket (requests sent before it is ready wait in the backlog) and gets the
    credentials on stdin, never on its command line. It stops when stdin closes, so it never
    outlives the app, even one that was killed; it runs in a session of its own, so a Ctrl+C in
    the terminal reaches only the app, which then stops it cleanly.
    """

    def __init__(self, *, demo: bool = True, seed: int | None = None, latency_ms: int = 0) -> None:
        super().__init__(seed)
        self._args = ["--demo"] if demo else []
        if seed is not None:
            self._args += ["--seed", str(seed)]
        if latency_ms:
            self._args += ["--latency-ms", str(latency_ms)]
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Bind the socket and start the child; idempotent, never waits for the child."""
        if self._process is not None:
            return
        with self._listen() as listener:
            fd = listener.fileno()
            command = [*sandbox_command(), "--attached"]
            self._process = subprocess.Popen(
                [*command, "--listen-fd", str(fd), *self._args],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                pass_fds=(fd,),
                start_new_session=True,
            )
        assert self._process.stdin is not None
        credentials = self._sandbox_credentials().as_dict()
        self._process.stdin.write(json.dumps(credentials).encode() + b"\n")
        self._process.stdin.flush()
        log.info("sandbox process %d listening on %s", self._process.pid, self.base_url)

    def warm_up(self) -> None:
        """Start the child now: it gets ready on the other core while the window is built."""
        self.start()

    def stop(self) -> None:
        """Close the child's stdin (it stops by itself) and reap it; safe to call twice."""
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            if process.stdin is not None:
                process.stdin.close()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


STOP_TIMEOUT_S = 3.0
RUN_SANDBOX_FLAG = "--run-sandbox"
"""The first argument that makes the app's executable run the sandbox CLI instead of a window."""


def sandbox_command() -> list[str]:
    """How to start the sandbox CLI in a child: `python -m moderator.sandbox` from source, or,
    in a frozen app (whose `sys.executable` is the app itself, with no interpreter to hand
    `-m` to), the app with `--run-sandbox` first."""
    if getattr(sys, "frozen", False):
        return [sys.executable, RUN_SANDBOX_FLAG]
    return [sys.executable, "-m", "moderator.sandbox"]


def local_sandbox(*, demo: bool = True, latency_ms: int = 0) -> LocalSandbox:
    """The app's built-in sandbox: a process of its own where the platform allows it (an
    inheritable socket), else a thread in this process. A frozen app runs itself as the child."""
    if os.name == "posix":
        return SandboxProcess(demo=demo, latency_ms=latency_ms)
    return SandboxRunner(demo=demo, latency_ms=latency_ms, background=True)


class SandboxConfigError(ValueError):
    """A `--sandbox-config` file that cannot be used; the message is one line, never a secret."""


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """A running standalone sandbox: its URL and API key (the secret never reprs)."""

    base_url: str
    credentials: Credentials

    @property
    def label(self) -> str:
        """How the window names it: "Sandbox at 127.0.0.1:PORT"."""
        return f"Sandbox at {urlsplit(self.base_url).netloc}"


def read_sandbox_config(path: Path) -> SandboxConfig:
    """Parse the JSON object `room-moderator-sandbox` prints first (or writes with --write-config).

    A file holding the sandbox's whole stdout is accepted too: only its first JSON value counts.
    Raises `SandboxConfigError` with a one-line reason that quotes no value from the file, so a
    secret in it can never end up in a terminal or a bug report.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")  # Notepad may add a BOM
    except FileNotFoundError:
        raise SandboxConfigError(f"{path}: no such file ({_WRITE_CONFIG_HINT})") from None
    except IsADirectoryError:
        raise SandboxConfigError(f"{path}: is a folder, not a file") from None
    except UnicodeDecodeError:
        raise SandboxConfigError(f"{path}: not UTF-8 text ({_WRITE_CONFIG_HINT})") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SandboxConfigError(f"{path}: cannot be read ({reason})") from None
    try:
        data, _end = json.JSONDecoder().raw_decode(text.lstrip())
    except json.JSONDecodeError as exc:
        raise SandboxConfigError(
            f"{path}: not JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
            + _WRITE_CONFIG_HINT
        ) from None
    if not isinstance(data, dict):
        raise SandboxConfigError(
            f"{path}: expected a JSON object with {', '.join(CONFIG_KEYS)}; " + _WRITE_CONFIG_HINT
        )
    problems = [key for key in _REQUIRED_KEYS if not _non_empty_string(data.get(key))]
    if problems:
        raise SandboxConfigError(
            f"{path}: missing or not a text value: {', '.join(problems)}; " + _WRITE_CONFIG_HINT
        )
    base_url = str(data["base_url"]).rstrip("/")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username:
        raise SandboxConfigError(
            f"{path}: base_url is not an http:// address like http://127.0.0.1:PORT"
        )
    return SandboxConfig(
        base_url=base_url,
        credentials=Credentials(
            account_sid=str(data["account_sid"]),
            username=str(data["api_key_sid"]),
            secret=str(data["api_key_secret"]),
        ),
    )


def _non_empty_string(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


class ExternalSandbox:
    """A standalone sandbox another process runs: nothing to start, nothing to stop.

    If it is not (or no longer) running, the session sees connection errors and the window says
    "offline", exactly as with real Twilio; the app keeps retrying until it is back.
    """

    def __init__(self, config: SandboxConfig) -> None:
        self._config = config

    @property
    def profile(self) -> str:
        """The sandbox profile, as the built-in one is (it takes that one's place)."""
        return SANDBOX_PROFILE

    @property
    def label(self) -> str:
        """Named after its address, so two windows on two sandboxes can be told apart."""
        return self._config.label

    @property
    def base_url(self) -> str:
        """The URL from the file."""
        return self._config.base_url

    def start(self) -> None:
        """Nothing to start: it runs in its own process."""
        log.info("using the sandbox at %s", self._config.base_url)

    def warm_up(self) -> None:
        """Nothing to prepare: it is already running."""

    def credentials(self) -> Credentials:
        """The API key from the file."""
        return self._config.credentials

    def stop(self) -> None:
        """Nothing to stop: it belongs to whoever started it."""
