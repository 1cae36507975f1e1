"""Cheap, allocation-light time formatting for cells that are redrawn every second."""

from __future__ import annotations

from datetime import datetime


def seconds_between(start: datetime, end: datetime) -> int:
    """Whole seconds from start to end, never negative (clocks of two machines disagree)."""
    return max(0, int((end - start).total_seconds()))


def clock_duration(seconds: int) -> str:
    """A running duration as a stopwatch shows it: 0:07, 12:34, 1:02:03."""
    minutes, secs = divmod(max(0, seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def spoken_duration(seconds: int) -> str:
    """A duration for screen readers and tooltips: "1 h 2 min", "12 min 34 s", "7 s"."""
    minutes, secs = divmod(max(0, seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def age(seconds: int) -> str:
    """How old something is, coarse on purpose: "40 s", "12 min", "3 h 05 min", "2 d 4 h"."""
    seconds = max(0, seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"
