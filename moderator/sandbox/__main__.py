"""`python -m moderator.sandbox` / `room-moderator-sandbox`: a local Twilio in real time.

The first stdout line is one JSON object (base_url and the four credentials) so scripts can read
it; everything meant for people goes to stderr. Runs until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from moderator.sandbox.clock import RealClock
from moderator.sandbox.server import SandboxOptions, SandboxServer

__all__ = ["main", "parse_args"]


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


def parse_args(argv: Sequence[str] | None = None) -> SandboxOptions:
    """Command-line options → SandboxOptions."""
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
    args = parser.parse_args(argv)
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


def main(argv: Sequence[str] | None = None) -> int:
    """Start the sandbox, print its JSON line, and serve until interrupted."""
    options = parse_args(argv)
    server = SandboxServer(options, clock=RealClock())
    try:
        server.start()
    except OSError as exc:
        print(f"room-moderator-sandbox: {exc}", file=sys.stderr)
        return 1
    line = {"base_url": server.base_url, **server.credentials.as_dict()}
    print(json.dumps(line), flush=True)
    print(
        f"Sandbox Twilio at {server.base_url}. Dial numbers ending 1111 (busy), 2222 (no answer),"
        " 3333 (failed); any other valid number answers. Ctrl-C stops.",
        file=sys.stderr,
        flush=True,
    )
    stop = threading.Event()

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


if __name__ == "__main__":
    sys.exit(main())
