"""ConnectionMonitor and Backoff: the rules behind the connection indicator, exactly."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime

from moderator.core.connection import Backoff, ConnectionKind, ConnectionMonitor, ConnectionState
from moderator.core.errors import ErrorKind, TwilioError

WHEN = datetime(2025, 1, 1, tzinfo=UTC)


def error(kind: ErrorKind, retry_after: float | None = None) -> TwilioError:
    return TwilioError("It failed.", action="Wait.", kind=kind, retry_after=retry_after)


def test_backoff_doubles_with_jitter_up_to_the_cap() -> None:
    backoff = Backoff(base_s=1.0, cap_s=30.0, jitter=0.2, rng=random.Random(1))
    delays = [backoff.next_delay() for _ in range(10)]
    for n, delay in enumerate(delays[:4]):
        assert 0.8 * 2**n <= delay <= 1.2 * 2**n
    assert all(delay <= 30.0 for delay in delays)
    assert delays[-1] >= 24.0
    backoff.reset()
    assert backoff.next_delay() <= 1.2


def test_backoff_honours_retry_after() -> None:
    backoff = Backoff(rng=random.Random(2))
    assert backoff.next_delay(retry_after=7) >= 7
    assert Backoff(cap_s=30).next_delay(retry_after=45) == 45


def test_monitor_retrying_counts_down_then_online() -> None:
    monitor = ConnectionMonitor(backoff=Backoff(rng=random.Random(3)))
    assert monitor.state(0).kind is ConnectionKind.CONNECTING
    assert monitor.failed(error(ErrorKind.SERVER), now=100.0)
    state = monitor.state(100.0)
    assert state.kind is ConnectionKind.RETRYING and state.retry_in_s is not None
    assert not monitor.may_poll(100.1)
    # a second poll failing in the same outage is not a second backoff step
    assert not monitor.failed(error(ErrorKind.SERVER), now=100.2)
    assert monitor.backoff.failures == 1
    later = monitor.paused_until + 0.01
    assert monitor.may_poll(later)
    assert monitor.succeeded(WHEN)
    assert monitor.state(later) == ConnectionState(ConnectionKind.ONLINE, None, "", WHEN)
    assert not monitor.succeeded(WHEN)  # no change, nothing to announce


def test_monitor_goes_offline_after_repeated_unreachable() -> None:
    monitor = ConnectionMonitor(backoff=Backoff(rng=random.Random(4)), offline_after=3)
    now = 0.0
    kinds = []
    for _ in range(3):
        now = monitor.paused_until + 0.01
        monitor.failed(error(ErrorKind.NETWORK), now)
        kinds.append(monitor.kind)
    assert kinds == [ConnectionKind.RETRYING, ConnectionKind.RETRYING, ConnectionKind.OFFLINE]
    assert "Offline" in monitor.state(now).label


def test_monitor_rate_limit_waits_retry_after() -> None:
    monitor = ConnectionMonitor()
    monitor.failed(error(ErrorKind.RATE_LIMITED, retry_after=12), now=50.0)
    assert monitor.state(50.0).retry_in_s == 12 or monitor.state(50.0).retry_in_s == 13
    assert not monitor.may_poll(61.0)


def test_auth_rejection_stops_until_resumed_and_says_so_once() -> None:
    monitor = ConnectionMonitor()
    assert monitor.failed(error(ErrorKind.AUTH), now=1.0)
    assert not monitor.failed(error(ErrorKind.AUTH), now=1.1)
    assert monitor.kind is ConnectionKind.AUTH_REJECTED
    assert not monitor.may_poll(math.inf)
    assert monitor.state(5).label == "Credentials rejected"
    assert not monitor.failed(error(ErrorKind.SERVER), now=2.0)  # does not lift it
    monitor.resume()
    assert monitor.kind is ConnectionKind.CONNECTING and monitor.may_poll(3.0)


def test_errors_about_the_request_leave_the_link_alone() -> None:
    monitor = ConnectionMonitor()
    monitor.succeeded(WHEN)
    for kind in (ErrorKind.NOT_FOUND, ErrorKind.INVALID_INPUT, ErrorKind.CONFLICT):
        assert not monitor.failed(error(kind), now=1.0)
    assert monitor.kind is ConnectionKind.ONLINE and monitor.may_poll(1.0)


def test_refresh_during_an_outage_does_not_lengthen_the_backoff() -> None:
    monitor = ConnectionMonitor(backoff=Backoff(jitter=0.0))
    monitor.failed(error(ErrorKind.NETWORK), now=0.0)
    monitor.failed(error(ErrorKind.NETWORK), now=monitor.paused_until + 0.01)
    assert monitor.backoff.failures == 2
    for _ in range(5):  # the host presses Refresh again and again while it is still down
        monitor.resume()
        assert monitor.may_poll(monitor.paused_until)
        monitor.failed(error(ErrorKind.NETWORK), now=10.0)
        assert monitor.paused_until == 10.0 + 2.0  # the same 2 s step, not 4, 8, 16…
    assert monitor.backoff.failures == 2
    monitor.failed(error(ErrorKind.NETWORK), now=monitor.paused_until + 0.01)
    assert monitor.backoff.failures == 3  # the app's own retries still back off
