"""`python -m moderator.sandbox` / `room-moderator-sandbox`: a local Twilio in real time.

The first stdout line is one JSON object (base_url and the four credentials) so scripts can read
it; everything meant for people goes to stderr. `--write-config FILE` also writes that object to
FILE (atomically, mode 0600: it holds credentials) before the line is printed, for launchers
that would rather read a file than a pipe. Runs until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType

from moderator.sandbox.clock import RealClock
from moderator.sandbox.credentials import SandboxCredentials
from moderator.sandbox.server import SandboxOptions, SandboxServer

__all__ = ["main", "parse_args", "write_config"]

CONFIG_MODE = 0o600
"""--write-config files hold credentials: readable by their owner only."""


def _share(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def _non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="room-moderator-sandbox",
        description="A local stand-in for Twilio's Video and Voice REST APIs.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    parser.add_argument(
        "--latency-ms", type=_non_negative, default=0.0, help="delay before every answer"
    )
    parser.add_argument(
        "--fault-rate", type=_share, default=0.0, help="share of requests answered 500"
    )
    parser.add_argument(
        "--malformed-rate", type=_share, default=0.0, help="share of answers with broken JSON"
    )
    parser.add_argument(
        "--rate-limit",
        type=_positive,
        default=None,
        help="requests per second above which the answer is 429 with Retry-After",
    )
    parser.add_argument("--seed", type=int, default=None, help="repeatable SIDs, credentials…")
    parser.add_argument(
        "--demo", action="store_true", help="live rooms where participants come and go"
    )
    parser.add_argument(
        "--write-config",
        type=Path,
        default=None,
        metavar="FILE",
        help="also write the JSON line (with credentials) to FILE, mode 0600",
    )
    parser.add_argument(
        "--listen-fd",
        type=int,
        default=None,
        metavar="FD",
        help="serve on this inherited, already listening socket (instead of --host/--port)",
    )
    parser.add_argument(
        "--attached",
        action="store_true",
        help="started by the app: credentials come as a JSON line on stdin, and the sandbox "
        "stops when stdin closes (so it never outlives the app, even one that was killed)",
    )
    return parser


def _options(args: argparse.Namespace) -> SandboxOptions:
    return SandboxOptions(
        seed=args.seed,
        demo=args.demo,
        latency_ms=args.latency_ms,
        fault_rate=args.fault_rate,
        malformed_rate=args.malformed_rate,
        rate_limit=args.rate_limit,
        host=args.host,
        port=args.port,
    )


def parse_args(argv: Sequence[str] | None = None) -> SandboxOptions:
    """Command-line options → SandboxOptions (--write-config is the CLI's own, not the server's)."""
    return _options(_parser().parse_args(argv))


def write_config(path: Path, config: Mapping[str, str]) -> None:
    """Write `config` as one JSON line to `path`, atomically and readable by the owner only.

    A temporary file in the same directory gets the content and mode 0600 first, then replaces
    `path`, so a reader never sees a half-written file nor, even briefly, credentials with wider
    permissions. Raises OSError (and leaves no temporary file) if that fails.
    """
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            if hasattr(os, "fchmod"):  # POSIX; mkstemp's file is already private elsewhere
                os.fchmod(handle.fileno(), CONFIG_MODE)
            handle.write(json.dumps(dict(config)) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    """Start the sandbox, print its JSON line, and serve until interrupted."""
    args = _parser().parse_args(argv)
    credentials = None
    stop = threading.Event()
    if args.attached:
        try:
            credentials = SandboxCredentials(**json.loads(sys.stdin.readline()))
        except (TypeError, ValueError) as exc:
            print(f"room-moderator-sandbox: no credentials on stdin: {exc}", file=sys.stderr)
            return 1
        threading.Thread(target=_wait_for_eof, args=(stop,), daemon=True).start()
    listener = socket.socket(fileno=args.listen_fd) if args.listen_fd is not None else None
    server = SandboxServer(
        _options(args), clock=RealClock(), credentials=credentials, listen_socket=listener
    )
    try:
        server.start()
    except OSError as exc:
        print(f"room-moderator-sandbox: {exc}", file=sys.stderr)
        return 1
    line = {"base_url": server.base_url, **server.credentials.as_dict()}
    if args.write_config is not None:
        try:
            write_config(args.write_config, line)
        except OSError as exc:
            server.stop()
            print(f"room-moderator-sandbox: cannot write config: {exc}", file=sys.stderr)
            return 1
    print(json.dumps(line), flush=True)
    if not args.attached:
        print(
            f"Sandbox Twilio at {server.base_url}. Dial numbers ending 1111 (busy), 2222 (no "
            "answer), 3333 (failed); any other valid number answers. Ctrl-C stops.",
            file=sys.stderr,
            flush=True,
        )

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def _wait_for_eof(stop: threading.Event) -> None:
    """Attached: the app holds our stdin open; EOF means it quit (or died)."""
    with contextlib.suppress(OSError, ValueError):
        while sys.stdin.buffer.read(4096):
            pass
    stop.set()


if __name__ == "__main__":
    sys.exit(main())
