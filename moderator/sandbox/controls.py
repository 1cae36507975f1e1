"""Runtime-mutable faults: latency, 500s, 429s, malformed bodies, revoked credentials, a product
the credentials lack permission for, and one route failing with a chosen status once, N times or
always.

Tests and benchmarks flip these while the app runs, so every knob is read and written under a
lock, and the random draws come from one seeded generator so a run repeats.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from dataclasses import dataclass
from fnmatch import fnmatchcase

from moderator.sandbox.errors import error_body

__all__ = ["Controls", "RouteFailure"]

RATE_WINDOW_S = 1.0


# Twilio's generic codes for the statuses a test is likely to inject.
_DEFAULT_CODES = {400: 20001, 401: 20003, 403: 20403, 404: 20404, 409: 20409, 429: 20429}
_REASONS = {
    400: "Bad Request",
    401: "Authenticate",
    403: "Forbidden",
    404: "The requested resource was not found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class RouteFailure:
    """What a failing route answers: Twilio's error body with this status and code."""

    status: int
    code: int
    message: str

    def body(self) -> dict[str, object]:
        """The legacy Twilio error JSON."""
        return error_body(self.status, self.code, self.message)


@dataclass
class _FailingRoute:
    failure: RouteFailure
    remaining: int | None  # None = always


def _route_matches(path: str, pattern: str) -> bool:
    """A path suffix ("/Builds"), or a glob on the whole path when it has * or ?."""
    if any(c in pattern for c in "*?["):
        return fnmatchcase(path, pattern)
    return path.endswith(pattern)


def _share(name: str, value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} is a share of requests, between 0 and 1; got {value}")
    return float(value)


class Controls:
    """The fault knobs of one sandbox server; safe to change from any thread at any time."""

    def __init__(
        self,
        *,
        latency_ms: float = 0.0,
        fault_rate: float = 0.0,
        rate_limit: float | None = None,
        malformed_rate: float = 0.0,
        seed: int | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(f"controls:{seed}") if seed is not None else random.Random()
        self._admitted: deque[float] = deque()
        self._revoked = False
        self._latency_ms = 0.0
        self._fault_rate = 0.0
        self._rate_limit: float | None = None
        self._malformed_rate = 0.0
        self._route_latency: dict[tuple[str, str], float] = {}
        self._failing_routes: dict[tuple[str, str], _FailingRoute] = {}
        self._denied_products: set[str] = set()
        self.latency_ms = latency_ms
        self.fault_rate = fault_rate
        self.rate_limit = rate_limit
        self.malformed_rate = malformed_rate

    @property
    def latency_ms(self) -> float:
        """Milliseconds every request waits before it is answered (no lock held meanwhile)."""
        with self._lock:
            return self._latency_ms

    @latency_ms.setter
    def latency_ms(self, value: float) -> None:
        if value < 0:
            raise ValueError("latency_ms cannot be negative")
        with self._lock:
            self._latency_ms = float(value)

    def set_route_latency(self, method: str, path_suffix: str, latency_ms: float) -> None:
        """Extra milliseconds for requests of `method` whose path ends with `path_suffix`.

        E.g. ("POST", "/Calls.json") makes only create-call slow, so a client can time out on it
        while its reads still get through. 0 removes the entry.
        """
        if latency_ms < 0:
            raise ValueError("latency_ms cannot be negative")
        key = (method.upper(), path_suffix)
        with self._lock:
            if latency_ms:
                self._route_latency[key] = float(latency_ms)
            else:
                self._route_latency.pop(key, None)

    def latency_for(self, method: str, path: str) -> float:
        """Milliseconds this request waits: `latency_ms` plus any matching route latency."""
        method = method.upper()
        with self._lock:
            extra = sum(
                ms
                for (route_method, suffix), ms in self._route_latency.items()
                if route_method == method and path.endswith(suffix)
            )
            return self._latency_ms + extra

    def fail_route(
        self,
        method: str,
        path_pattern: str,
        status: int = 500,
        *,
        code: int | None = None,
        message: str | None = None,
        times: int | None = 1,
    ) -> None:
        """Answer requests of `method` on one route with `status` and Twilio's error body.

        `path_pattern` is a path suffix like route latency's ("/Builds", "/Calls.json") or a glob
        on the whole path ("/serverless/v1/Services/*/Environments"); `times` is how many
        matching requests fail (1 = once, the default; None = always, until cleared). `code`
        defaults to Twilio's generic one for the status (500 → 20500, 404 → 20404…). The
        request is answered without reaching the world: nothing changes.
        """
        if not 400 <= status <= 599:
            raise ValueError(f"a failure status is 4xx or 5xx; got {status}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for always)")
        failure = RouteFailure(
            status,
            code if code is not None else _DEFAULT_CODES.get(status, 20000 + status),
            message or _REASONS.get(status, "Error"),
        )
        with self._lock:
            self._failing_routes[(method.upper(), path_pattern)] = _FailingRoute(failure, times)

    def clear_route_failure(self, method: str, path_pattern: str) -> None:
        """Stop failing one route set up with `fail_route`."""
        with self._lock:
            self._failing_routes.pop((method.upper(), path_pattern), None)

    def route_failure(self, method: str, path: str) -> RouteFailure | None:
        """The failure this request gets, if a failing route matches (counting it down)."""
        method = method.upper()
        with self._lock:
            for key, entry in self._failing_routes.items():
                route_method, pattern = key
                if route_method == method and _route_matches(path, pattern):
                    if entry.remaining is not None:
                        entry.remaining -= 1
                        if entry.remaining <= 0:
                            del self._failing_routes[key]
                    return entry.failure
            return None

    @property
    def fault_rate(self) -> float:
        """Share of requests answered 500 / 20500."""
        with self._lock:
            return self._fault_rate

    @fault_rate.setter
    def fault_rate(self, value: float) -> None:
        with self._lock:
            self._fault_rate = _share("fault_rate", value)

    @property
    def malformed_rate(self) -> float:
        """Share of successful answers whose JSON body is cut short."""
        with self._lock:
            return self._malformed_rate

    @malformed_rate.setter
    def malformed_rate(self, value: float) -> None:
        with self._lock:
            self._malformed_rate = _share("malformed_rate", value)

    @property
    def rate_limit(self) -> float | None:
        """Requests per second (sliding 1 s window) above which requests get 429; None = off."""
        with self._lock:
            return self._rate_limit

    @rate_limit.setter
    def rate_limit(self, value: float | None) -> None:
        if value is not None and value <= 0:
            raise ValueError("rate_limit must be positive (or None for no limit)")
        with self._lock:
            self._rate_limit = None if value is None else float(value)
            self._admitted.clear()

    @property
    def credentials_revoked(self) -> bool:
        """True while every request is refused 401 / 20003."""
        with self._lock:
            return self._revoked

    def revoke_credentials(self) -> None:
        """Refuse the sandbox credentials from now on, as if the token were rotated."""
        with self._lock:
            self._revoked = True

    def restore_credentials(self) -> None:
        """Accept the sandbox credentials again."""
        with self._lock:
            self._revoked = False

    def deny_product(self, product: str) -> None:
        """Answer every request under `/{product}/` (e.g. "sync") 403 / 70051, as Twilio answers
        a restricted API key that lacks the permission; auth and revoked credentials come first.
        """
        with self._lock:
            self._denied_products.add(product.strip("/").lower())

    def allow_product(self, product: str) -> None:
        """Undo `deny_product`."""
        with self._lock:
            self._denied_products.discard(product.strip("/").lower())

    def product_denied(self, path: str) -> bool:
        """Whether this path belongs to a product denied with `deny_product`."""
        product = path.lstrip("/").split("/", 1)[0].lower()
        with self._lock:
            return product in self._denied_products

    def reset(self) -> None:
        """Switch every fault off."""
        self.latency_ms = 0.0
        self.fault_rate = 0.0
        self.malformed_rate = 0.0
        self.rate_limit = None
        with self._lock:
            self._route_latency.clear()
            self._failing_routes.clear()
            self._denied_products.clear()
        self.restore_credentials()

    def draw_fault(self) -> bool:
        """Whether this request is answered with a 500."""
        with self._lock:
            return self._fault_rate > 0 and self._rng.random() < self._fault_rate

    def draw_malformed(self) -> bool:
        """Whether this answer's body is cut short."""
        with self._lock:
            return self._malformed_rate > 0 and self._rng.random() < self._malformed_rate

    def admit(self, now: float | None = None) -> float | None:
        """Count a request against the rate limit: None if admitted, else Retry-After seconds.

        Only admitted requests count, so a client that backs off as told gets through.
        """
        moment = time.monotonic() if now is None else now
        with self._lock:
            if self._rate_limit is None:
                return None
            while self._admitted and self._admitted[0] <= moment - RATE_WINDOW_S:
                self._admitted.popleft()
            if len(self._admitted) + 1 > self._rate_limit:
                oldest = self._admitted[0] if self._admitted else moment
                return max(1.0, float(math.ceil(oldest + RATE_WINDOW_S - moment)))
            self._admitted.append(moment)
            return None
