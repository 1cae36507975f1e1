"""What the reliability tests tried and what they saw, for docs/RELIABILITY.md.

Each test in tests/reliability/ takes the `reliability` fixture and records, at run time, the
fault or bad input it produced, how, and the outcome it observed (state texts, error messages,
counts), in its own words. Nothing here asserts: the tests assert, this only remembers.
`tools/reliability_report.py` runs these tests with `RECORD_ENV` set and renders the file.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["RECORD_ENV", "Observation", "Recorder", "RunRecord", "one_line"]

#: When set to a file path, the run's observations and test results are written there as JSON.
RECORD_ENV = "ROOM_MODERATOR_RELIABILITY_JSON"


def one_line(text: str, limit: int = 400) -> str:
    """Whitespace collapsed and bounded, so one observation is one table cell."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Observation:
    section: str
    case: str
    produced_by: str
    outcome: str
    test_id: str


@dataclass
class RunRecord:
    """Everything the report needs from one pytest run."""

    observations: list[Observation] = field(default_factory=list)
    results: dict[str, str] = field(default_factory=dict)  # test id -> passed/failed/skipped

    def dump(self, path: Path) -> None:
        payload = {
            "observations": [asdict(o) for o in self.observations],
            "results": self.results,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> RunRecord:
        payload = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            observations=[Observation(**o) for o in payload["observations"]],
            results=dict(payload["results"]),
        )


class Recorder:
    """The `reliability` fixture: one per test, appending to the run's record."""

    def __init__(self, run: RunRecord, test_id: str, section: str) -> None:
        self._run = run
        self.test_id = test_id
        self.section = section

    def record(
        self, *, case: str, produced_by: str, outcome: str, section: str | None = None
    ) -> None:
        """Remember one tried case and what was observed (call it after the assertions)."""
        self._run.observations.append(
            Observation(
                section=section or self.section,
                case=one_line(case),
                produced_by=one_line(produced_by),
                outcome=one_line(outcome, limit=1200),
                test_id=self.test_id,
            )
        )
