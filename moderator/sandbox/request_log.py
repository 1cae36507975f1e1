"""What reached the sandbox: lets tests and benchmarks count reads and writes and time clicks."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

__all__ = ["RequestLog", "RequestRecord"]


@dataclass(frozen=True)
class RequestRecord:
    """One request: receipt times from time.time() and time.perf_counter(), and the answer."""

    method: str
    path: str
    query: str
    status: int
    wall_time: float
    perf_time: float

    @property
    def is_write(self) -> bool:
        """POST/PUT/DELETE count against Twilio's write limit; GETs are reads."""
        return self.method not in {"GET", "HEAD", "OPTIONS"}


class RequestLog:
    """A bounded, thread-safe record of requests, oldest dropped first."""

    def __init__(self, maxlen: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._records: deque[RequestRecord] = deque(maxlen=maxlen)
        self._in_flight: list[tuple[str, str]] = []

    def arrived(self, method: str, path: str) -> None:
        """Note a request the server has received but not answered yet."""
        with self._lock:
            self._in_flight.append((method, path))

    def in_flight(self, method: str | None = None, path_contains: str | None = None) -> int:
        """How many matching requests are being handled right now (e.g. held by latency).

        Lets a test act "while the request is in flight" without guessing at thread timing.
        """
        with self._lock:
            return sum(
                1
                for m, p in self._in_flight
                if (method is None or m == method) and (path_contains is None or path_contains in p)
            )

    def append(self, record: RequestRecord) -> None:
        """Add a record (the server does this once a request is answered)."""
        with self._lock:
            self._records.append(record)
            if (record.method, record.path) in self._in_flight:
                self._in_flight.remove((record.method, record.path))

    def entries(self) -> list[RequestRecord]:
        """A snapshot of the records, in order of completion."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        """Forget everything so far (e.g. before a measured phase)."""
        with self._lock:
            self._records.clear()

    def count(self, method: str | None = None, path_contains: str | None = None) -> int:
        """How many records match a method and/or a path fragment."""
        return sum(
            1
            for record in self.entries()
            if (method is None or record.method == method)
            and (path_contains is None or path_contains in record.path)
        )

    def reads(self) -> list[RequestRecord]:
        """The GET requests."""
        return [record for record in self.entries() if not record.is_write]

    def writes(self) -> list[RequestRecord]:
        """The POST (and other writing) requests."""
        return [record for record in self.entries() if record.is_write]

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)
