"""The sandbox in a process of its own, driven over a pipe.

With real Twilio the API is on another machine; an in-process sandbox would compete with the UI
thread for the GIL and make the app look slower than it is. So the benchmarks run the real
`SandboxServer` (RealClock, the benchmark's latency) in a spawned process, and drive its world
(rooms, app participants joining and leaving) and read its request log through this proxy.
Receipt times are `time.time()` / `time.perf_counter()` (CLOCK_MONOTONIC, system-wide on Linux),
so they compare with the app process's clocks.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
from multiprocessing.connection import Connection
from typing import Any

from moderator.core.credentials import Credentials


def _serve(conn: Connection, latency_ms: float, seed: int) -> None:
    from moderator.sandbox.clock import RealClock
    from moderator.sandbox.errors import ApiError
    from moderator.sandbox.server import SandboxOptions, SandboxServer

    server = SandboxServer(
        SandboxOptions(seed=seed, latency_ms=latency_ms, request_log_size=200_000),
        clock=RealClock(),
    ).start()
    world = server.world
    creds = server.credentials
    conn.send((server.base_url, creds.account_sid, creds.api_key_sid, creds.api_key_secret))
    import time

    while True:
        command, args = conn.recv()
        try:
            if command == "stop":
                server.stop()
                conn.send(None)
                return
            if command == "setup":
                rooms, participants = args
                sids = []
                for r in range(rooms):
                    sid = world.create_room(f"bench-room-{r:02d}", "group")
                    for p in range(participants):
                        world.join_app_participant(sid, f"guest-{r:02d}-{p:02d}")
                    sids.append(sid)
                conn.send(sids)
            elif command == "join":
                room_sid, identity = args
                psid = world.join_app_participant(room_sid, identity)
                conn.send((psid, time.time()))
            elif command == "leave":
                world.disconnect_participant(args)
                conn.send(None)
            elif command == "connected":
                conn.send([p.sid for p in world.participants(args) if p.status == "connected"])
            elif command == "requests":
                since_wall = args
                conn.send(
                    [
                        (r.method, r.path, r.status, r.wall_time, r.perf_time)
                        for r in server.request_log.entries()
                        if r.wall_time >= since_wall
                    ]
                )
            else:
                conn.send(ValueError(f"unknown command {command!r}"))
        except ApiError as exc:  # its constructor does not pickle; the message is what matters
            conn.send(RuntimeError(str(exc)))


class SandboxProcess:
    """Start with `start()`; every method is a thread-safe round trip to the sandbox process."""

    def __init__(self, latency_ms: float, seed: int = 7) -> None:
        ctx = mp.get_context("spawn")  # never fork a process that has Qt threads
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child, latency_ms, seed), daemon=True)
        self._lock = threading.Lock()
        self.base_url = ""
        self.credentials: Credentials | None = None

    def start(self) -> SandboxProcess:
        self._proc.start()
        base_url, account_sid, key_sid, key_secret = self._conn.recv()
        self.base_url = base_url
        self.credentials = Credentials(account_sid, key_sid, key_secret)
        return self

    def _call(self, command: str, args: Any = None) -> Any:
        with self._lock:
            self._conn.send((command, args))
            answer = self._conn.recv()
        if isinstance(answer, Exception):
            raise answer
        return answer

    def setup(self, rooms: int, participants: int) -> list[str]:
        """`rooms` in-progress group rooms, each with `participants` app participants."""
        return list(self._call("setup", (rooms, participants)))

    def join(self, room_sid: str, identity: str) -> tuple[str, float]:
        """An app participant joins; returns its SID and the sandbox's time.time() of the join."""
        psid, at = self._call("join", (room_sid, identity))
        return str(psid), float(at)

    def leave(self, participant_sid: str) -> None:
        self._call("leave", participant_sid)

    def connected(self, room_sid: str) -> list[str]:
        return list(self._call("connected", room_sid))

    def requests(self, since_wall: float = 0.0) -> list[tuple[str, str, int, float, float]]:
        """(method, path, status, wall_time, perf_time) of requests received since `since_wall`."""
        return list(self._call("requests", since_wall))

    def stop(self) -> None:
        try:
            self._call("stop")
        finally:
            self._proc.join(timeout=10)
            if self._proc.is_alive():
                self._proc.terminate()
