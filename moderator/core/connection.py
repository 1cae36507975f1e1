"""How the app's link to Twilio is doing, and when polling may try again.

Polling failures are about the link, not about one request: when Twilio (or the network) is
unhappy, every poll pauses together, backs off exponentially with jitter, honours Retry-After,
and resumes by itself. Rejected credentials stop polling until the user changes something,
because retrying them cannot help and only fills Twilio's logs.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from moderator.core.errors import ErrorKind, TwilioError

__all__ = ["Backoff", "ConnectionKind", "ConnectionMonitor", "ConnectionState"]


class ConnectionKind(StrEnum):
    CONNECTING = "connecting"  # no answer yet since the session started
    ONLINE = "online"
    RETRYING = "retrying"  # a poll failed; waiting `retry_in_s` before the next try
    OFFLINE = "offline"  # cannot reach Twilio repeatedly; still retrying, less often
    AUTH_REJECTED = "auth-rejected"  # 20003: polling stopped until credentials change


@dataclass(frozen=True, slots=True)
class ConnectionState:
    """What the connection indicator shows; emitted on every change and each retry second."""

    kind: ConnectionKind
    retry_in_s: int | None = None
    message: str = ""
    last_success: datetime | None = None

    @property
    def label(self) -> str:
        """Short text for a status-bar indicator."""
        if self.kind is ConnectionKind.CONNECTING:
            return "Connecting…"
        if self.kind is ConnectionKind.ONLINE:
            return "Online"
        if self.kind is ConnectionKind.AUTH_REJECTED:
            return "Credentials rejected"
        prefix = "Offline" if self.kind is ConnectionKind.OFFLINE else "Problem"
        if self.retry_in_s is None or self.retry_in_s <= 0:
            return f"{prefix} — retrying now"
        return f"{prefix} — retrying in {self.retry_in_s} s"


#: Failures that say nothing about the link (bad input, not found…) leave the state alone.
_LINK_KINDS = frozenset(
    {
        ErrorKind.NETWORK,
        ErrorKind.TIMEOUT,
        ErrorKind.SERVER,
        ErrorKind.RATE_LIMITED,
        ErrorKind.MALFORMED,
        ErrorKind.UNKNOWN,
    }
)
_UNREACHABLE_KINDS = frozenset({ErrorKind.NETWORK, ErrorKind.TIMEOUT})


def is_link_failure(error: TwilioError) -> bool:
    """Whether this error means Twilio (or the way to it) is unwell, not the request."""
    return error.kind in _LINK_KINDS


def is_transient(error: TwilioError) -> bool:
    """A failure that asking again later should cure: no answer, a 5xx, a cut-short body, 429.
    (Something unexpected is not: repeating it would only repeat it.)"""
    return error.kind in _LINK_KINDS and error.kind is not ErrorKind.UNKNOWN


@dataclass(slots=True)
class Backoff:
    """Exponential backoff with jitter, capped, never shorter than the server's Retry-After."""

    base_s: float = 1.0
    cap_s: float = 30.0
    jitter: float = 0.2
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def next_delay(self, retry_after: float | None = None, *, escalate: bool = True) -> float:
        """The next pause; `escalate=False` repeats the current step (a retry the host asked for
        should not make the app wait longer afterwards)."""
        if escalate or self.failures == 0:
            self.failures += 1
        delay = min(self.cap_s, self.base_s * (2.0 ** min(self.failures - 1, 16)))
        delay *= self.rng.uniform(1.0 - self.jitter, 1.0 + self.jitter)
        delay = min(delay, self.cap_s)
        if retry_after is not None and retry_after > 0:
            delay = max(delay, float(retry_after))
        return delay

    def reset(self) -> None:
        self.failures = 0


@dataclass(slots=True)
class ConnectionMonitor:
    """Turns poll outcomes into a ConnectionState and a pause deadline (monotonic seconds).

    Qt-free and clock-free so the rules can be tested exactly; the poller feeds it times.
    """

    backoff: Backoff = field(default_factory=Backoff)
    offline_after: int = 3  # consecutive unreachable failures before we say "offline"
    kind: ConnectionKind = ConnectionKind.CONNECTING
    message: str = ""
    last_success: datetime | None = None
    paused_until: float = 0.0
    unreachable_streak: int = 0
    #: The host pressed Refresh during an outage: its failure does not lengthen the backoff.
    manual_retry: bool = False

    def state(self, now: float) -> ConnectionState:
        retry_in: int | None = None
        if self.kind in (ConnectionKind.RETRYING, ConnectionKind.OFFLINE):
            retry_in = max(0, math.ceil(self.paused_until - now))
        return ConnectionState(self.kind, retry_in, self.message, self.last_success)

    def may_poll(self, now: float) -> bool:
        """False while backing off or after credentials were rejected."""
        if self.kind is ConnectionKind.AUTH_REJECTED:
            return False
        return now >= self.paused_until

    def succeeded(self, wall_now: datetime) -> bool:
        """Record a successful read; True if the visible state changed."""
        changed = self.kind is not ConnectionKind.ONLINE
        self.kind = ConnectionKind.ONLINE
        self.message = ""
        self.last_success = wall_now
        self.paused_until = 0.0
        self.unreachable_streak = 0
        self.manual_retry = False
        self.backoff.reset()
        return changed

    def failed(self, error: TwilioError, now: float) -> bool:
        """Record a failed poll; True if the state changed (a new link failure or rejection)."""
        if error.kind is ErrorKind.AUTH:
            if self.kind is ConnectionKind.AUTH_REJECTED:
                return False  # already said so: one rejection, one message
            self.kind = ConnectionKind.AUTH_REJECTED
            self.message = error.details
            self.paused_until = math.inf
            return True
        if not is_link_failure(error):
            return False
        if self.kind is ConnectionKind.AUTH_REJECTED:
            return False  # only the user can lift that
        if now < self.paused_until:
            return False  # another poll of the same outage: one failure, one backoff step
        delay = self.backoff.next_delay(error.retry_after, escalate=not self.manual_retry)
        self.manual_retry = False
        self.paused_until = max(self.paused_until, now + delay)
        if error.kind in _UNREACHABLE_KINDS:
            self.unreachable_streak += 1
        else:
            self.unreachable_streak = 0
        self.kind = (
            ConnectionKind.OFFLINE
            if self.unreachable_streak >= self.offline_after
            else ConnectionKind.RETRYING
        )
        self.message = error.details
        return True

    def resume(self) -> None:
        """Try again now (refresh clicked, credentials changed): forget the pause, keep history."""
        self.paused_until = 0.0
        self.manual_retry = self.kind in (ConnectionKind.RETRYING, ConnectionKind.OFFLINE)
        if self.kind is ConnectionKind.AUTH_REJECTED:
            self.kind = ConnectionKind.CONNECTING
            self.message = ""
            self.backoff.reset()
