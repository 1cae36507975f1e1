"""Twilio's date filters (DateCreatedAfter/Before, StartTime>/</=) as tests on clock times.

Shared by every family whose list operation filters by time, so each parses ISO 8601 and
compares by second or by day the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from moderator.sandbox.errors import ApiError

__all__ = ["compare_time", "created_between", "parse_filter_time"]


def parse_filter_time(name: str, raw: str) -> datetime | date:
    """A filter's value: a day (YYYY-MM-DD) or a moment (naive means UTC); else 20001."""
    try:
        if len(raw) == 10:
            return date.fromisoformat(raw)
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ApiError(400, 20001, f"{name} is not a valid ISO 8601 date: {raw!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def created_between(
    created_after: str | None, created_before: str | None
) -> Callable[[float], bool]:
    """The DateCreatedAfter/DateCreatedBefore filter (both inclusive) as a test on created_at."""
    after = parse_filter_time("DateCreatedAfter", created_after) if created_after else None
    before = parse_filter_time("DateCreatedBefore", created_before) if created_before else None

    def accepts(created_at: float) -> bool:
        return (after is None or compare_time(created_at, after) >= 0) and (
            before is None or compare_time(created_at, before) <= 0
        )

    return accepts


def _as_datetime(timestamp: float) -> datetime:
    return datetime.fromtimestamp(int(timestamp), tz=UTC)


def compare_time(timestamp: float, bound: datetime | date) -> int:
    """-1/0/1 comparing a clock time with a filter bound (a date compares by day)."""
    moment = _as_datetime(timestamp)
    if isinstance(bound, datetime):
        left, right = moment, bound
        return (left > right) - (left < right)
    day = moment.date()
    return (day > bound) - (day < bound)
