"""Fixtures for the reliability tests: the observation recorder, a UI heartbeat, and journals.

The `reliability` fixture is how a test tells docs/RELIABILITY.md what it tried and saw; the run
record is written only when `ROOM_MODERATOR_RELIABILITY_JSON` names a file (the report tool sets
it), so ordinary runs write nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from moderator.sandbox.server import SandboxServer
from tests.gui_thread import network_on_gui_thread
from tests.reliability.heartbeat import Heartbeat
from tests.reliability.recorder import RECORD_ENV, Recorder, RunRecord
from tests.reliability.support import start_session, stop_and_drain
from tests.ui.session_fixtures import Harness

# One record per pytest run; pytest_configure is historic, so it runs for this late conftest too.
_RUN: dict[str, RunRecord] = {}


def pytest_configure(config: pytest.Config) -> None:
    _RUN["run"] = RunRecord()


def _run() -> RunRecord:
    return _RUN.setdefault("run", RunRecord())


@pytest.fixture
def reliability(request: pytest.FixtureRequest) -> Recorder:
    """`reliability.record(case=..., produced_by=..., outcome=...)`: what this test observed.

    The section comes from the test module's `SECTION` constant.
    """
    section = str(getattr(request.module, "SECTION", "Other"))
    return Recorder(_run(), request.node.nodeid, section)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "tests/reliability/" not in report.nodeid.replace("\\", "/"):
        return
    results = _run().results
    # A failed setup or teardown marks the test failed even after a passing call.
    if (report.when == "call" or report.outcome != "passed") and results.get(
        report.nodeid
    ) != "failed":
        results[report.nodeid] = report.outcome


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = os.environ.get(RECORD_ENV, "").strip()
    if target:
        _run().dump(Path(target))


@pytest.fixture
def journal_path(tmp_path: Path) -> Iterator[Path]:
    """Where this test's call journal lives (a real file, so WAL and reopening are real)."""
    yield tmp_path / "journal.sqlite3"


@pytest.fixture
def heartbeat(qapp: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[Heartbeat]:
    """A running 10 ms heartbeat that also notes every request sent from the GUI thread; under a
    fault, assert `heartbeat.network_on_gui_thread == []` (the stall is reported, not judged:
    how late a timer fires also depends on what else the machine runs)."""
    beat = Heartbeat().start()
    with network_on_gui_thread(monkeypatch) as sent:
        beat.network_on_gui_thread = sent
        yield beat
    beat.stop()


SessionFactory = Callable[..., Harness]


@pytest.fixture
def sessions(qtbot: QtBot) -> Iterator[SessionFactory]:
    """`sessions(sandbox, journal_path, timeout_s=…)`: journaled sessions, stopped and drained
    at teardown."""
    made: list[Harness] = []

    def make(sandbox: SandboxServer, journal_path: Path, **options: Any) -> Harness:
        harness = start_session(qtbot, sandbox, journal_path, **options)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        stop_and_drain(harness)
