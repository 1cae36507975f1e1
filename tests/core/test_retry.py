"""Retry policy: what is retried, how long it waits, and that a create-call never is."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moderator.core.errors import ErrorKind, TwilioError, error_for_code
from moderator.core.retry import NO_RETRY, Operation, RetryPolicy


class FakeSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def rate_limited(retry_after: float | None = None) -> TwilioError:
    return error_for_code(20429, 429).with_retry_after(retry_after)


def server_error() -> TwilioError:
    return TwilioError("boom", action="wait", kind=ErrorKind.SERVER, status=500, retryable=True)


def network_error() -> TwilioError:
    return TwilioError("down", action="wait", kind=ErrorKind.NETWORK, retryable=True)


class Flaky:
    """Fails with the given errors in turn, then returns "ok"."""

    def __init__(self, *errors: TwilioError) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def policy(sleep: FakeSleep, random_value: float = 0.5) -> RetryPolicy:
    return RetryPolicy(sleep=sleep, random=lambda: random_value)


def test_429_then_success_honours_retry_after() -> None:
    sleep = FakeSleep()
    request = Flaky(rate_limited(retry_after=3.0))
    assert policy(sleep).run(Operation.READ, request) == "ok"
    assert request.calls == 2
    assert sleep.waits == [3.0]


def test_429_without_retry_after_uses_jittered_backoff() -> None:
    sleep = FakeSleep()
    request = Flaky(rate_limited(), rate_limited(), rate_limited())
    assert policy(sleep, random_value=0.5).run(Operation.READ, request) == "ok"
    assert sleep.waits == [0.25, 0.5, 1.0]  # 0.5 * base * 2**(n-1)


def test_retry_after_is_a_floor_not_a_ceiling() -> None:
    sleep = FakeSleep()
    policy(sleep, random_value=0.99).run(Operation.READ, Flaky(rate_limited(0.1)))
    assert sleep.waits[0] == pytest.approx(0.99 * 0.5)


def test_429_attempts_are_bounded() -> None:
    sleep = FakeSleep()
    request = Flaky(*(rate_limited() for _ in range(10)))
    with pytest.raises(TwilioError) as caught:
        policy(sleep).run(Operation.READ, request)
    assert caught.value.kind is ErrorKind.RATE_LIMITED
    assert request.calls == RetryPolicy().max_attempts
    assert len(sleep.waits) == RetryPolicy().max_attempts - 1


def test_long_retry_after_is_not_slept_through() -> None:
    sleep = FakeSleep()
    request = Flaky(rate_limited(retry_after=60))
    with pytest.raises(TwilioError) as caught:
        policy(sleep).run(Operation.READ, request)
    assert caught.value.retry_after == 60  # left for the caller's schedule
    assert sleep.waits == [] and request.calls == 1


@pytest.mark.parametrize("make_error", [server_error, network_error])
def test_reads_retry_transient_failures_a_couple_of_times(make_error: object) -> None:
    assert callable(make_error)
    sleep = FakeSleep()
    request = Flaky(make_error(), make_error())
    assert policy(sleep).run(Operation.READ, request) == "ok"
    assert request.calls == 3

    request = Flaky(make_error(), make_error(), make_error())
    with pytest.raises(TwilioError):
        policy(FakeSleep()).run(Operation.READ, request)
    assert request.calls == RetryPolicy().max_transient_attempts


def test_writes_retry_only_on_429() -> None:
    sleep = FakeSleep()
    assert policy(sleep).run(Operation.WRITE, Flaky(rate_limited(1.0))) == "ok"
    for error in (server_error(), network_error(), error_for_code(53106, 404)):
        request = Flaky(error)
        with pytest.raises(TwilioError):
            policy(sleep).run(Operation.WRITE, request)
        assert request.calls == 1


@pytest.mark.parametrize(
    "error", [rate_limited(0.5), rate_limited(), server_error(), network_error()]
)
def test_create_call_is_never_retried(error: TwilioError) -> None:
    sleep = FakeSleep()
    request = Flaky(error)
    with pytest.raises(TwilioError):
        policy(sleep).run(Operation.CREATE_CALL, request)
    assert request.calls == 1
    assert sleep.waits == []


def test_permanent_errors_are_not_retried() -> None:
    for code, status in ((20003, 401), (20404, 404), (21211, 400)):
        request = Flaky(error_for_code(code, status))
        with pytest.raises(TwilioError):
            policy(FakeSleep()).run(Operation.READ, request)
        assert request.calls == 1


@given(st.integers(min_value=1, max_value=30), st.floats(min_value=0, max_value=0.999999))
def test_full_jitter_bounds(retry_number: int, random_value: float) -> None:
    p = RetryPolicy(random=lambda: random_value)
    delay = p.backoff_delay(retry_number)
    ceiling = min(p.max_delay_s, p.base_delay_s * 2 ** (retry_number - 1))
    assert 0 <= delay <= ceiling


@given(
    st.integers(min_value=1, max_value=10),
    st.floats(min_value=0, max_value=0.999999),
    st.floats(min_value=0, max_value=10),
)
def test_delay_is_never_below_retry_after(
    retry_number: int, random_value: float, retry_after: float
) -> None:
    p = RetryPolicy(random=lambda: random_value)
    assert p.backoff_delay(retry_number, retry_after) >= retry_after


def test_default_random_is_in_unit_interval() -> None:
    p = RetryPolicy()
    assert all(0 <= p.random() < 1 for _ in range(100))


def test_no_retry_policy() -> None:
    request = Flaky(rate_limited(0.1))
    with pytest.raises(TwilioError):
        NO_RETRY.run(Operation.READ, request)
    assert request.calls == 1
