"""CSV and JSON exports of the call journal, for hosts who keep records or file a bug report.

The inputs come from the journal, which already holds masked numbers only, so the exports can be
shared as they are.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from moderator.core.journal import JournalEntry, TimelineEvent

CSV_COLUMNS = (
    "dial_id",
    "room_name",
    "room_sid",
    "identity",
    "masked_number",
    "label",
    "caller_id",
    "call_sid",
    "step",
    "at",
    "detail",
    "final_status",
    "end_reason",
    "direction",
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def write_csv(path: Path, dials: Sequence[tuple[JournalEntry, list[TimelineEvent]]]) -> int:
    """One row per timeline step, the dial's columns repeated: easy to filter in a spreadsheet."""
    written = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for entry, timeline in dials:
            for step in timeline:
                writer.writerow(
                    (
                        entry.dial_id,
                        entry.room_name,
                        entry.room_sid,
                        entry.identity,
                        entry.masked_number,
                        entry.label,
                        entry.caller_id,
                        entry.call_sid or "",
                        step.status,
                        step.at.isoformat(),
                        step.detail,
                        entry.status.value,
                        entry.end_reason,
                        entry.direction.text,
                    )
                )
                written += 1
    return written


def entry_to_json(entry: JournalEntry, timeline: Sequence[TimelineEvent]) -> dict[str, Any]:
    """A dial as plain JSON types: ISO 8601 times, status strings, its timeline nested."""
    data: dict[str, Any] = {}
    for key, value in asdict(entry).items():
        data[key] = _iso(value) if isinstance(value, datetime) else value
    data["status"] = entry.status.value
    data["direction"] = entry.direction.text
    data["timeline"] = [
        {"status": step.status, "at": step.at.isoformat(), "detail": step.detail}
        for step in timeline
    ]
    return data


def write_json(path: Path, dials: Sequence[tuple[JournalEntry, list[TimelineEvent]]]) -> int:
    """A JSON array of dials, each with its timeline; returns how many dials were written."""
    payload = [entry_to_json(entry, timeline) for entry, timeline in dials]
    with path.open("w", encoding="utf-8") as handle:
        json.dump(payload, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
    return len(payload)
