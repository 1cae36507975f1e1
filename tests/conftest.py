"""Test-wide settings: headless Qt, and the fixtures every layer's tests share (the in-process
sandbox, a throwaway config folder, an in-memory keyring)."""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

# Qt-free imports: safe before the line below.
from moderator.core.paths import CONFIG_DIR_ENV
from moderator.sandbox.clock import ManualClock
from moderator.sandbox.server import SandboxOptions, SandboxServer
from tests.keyring_memory import MemoryKeyring, installed

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SANDBOX_SEED = 20240607

#: Records at this level or above from these loggers fail the test that caused them (qutebrowser's
#: "logfail"): our code warns only when something went wrong, so a test that provokes a warning
#: on purpose declares which, with `@pytest.mark.allow_log_warnings(regex, ...)`.
LOGFAIL_LOGGER = "moderator"
LOGFAIL_LEVEL = logging.WARNING


def _process_pending_qt_events() -> None:
    """Deliver the Qt events a test left queued, if Qt is in use (this file imports no Qt)."""
    qt_widgets = sys.modules.get("PySide6.QtWidgets")
    if qt_widgets is not None and qt_widgets.QApplication.instance() is not None:
        qt_widgets.QApplication.processEvents()


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Run the Qt events a test left queued inside its call phase, where they belong.

    pytest-qt also processes events after the call, but outside pytest's output and log capture:
    a queued signal (say a proxy model's deferred headerDataChanged reaching a model tester) then
    prints into the middle of the progress line, and a warning logged by a queued slot escapes
    the test that caused it. Being the innermost wrapper, this runs while both are captured.
    """
    try:
        return (yield)
    finally:
        _process_pending_qt_events()


class _LogFailHandler(logging.Handler):
    """Collects the records of our own loggers at LOGFAIL_LEVEL or above."""

    def __init__(self) -> None:
        super().__init__(LOGFAIL_LEVEL)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def _fail_on_our_warnings(request: pytest.FixtureRequest) -> Iterator[None]:
    """A WARNING or worse logged under `moderator` fails the test, unless it declares it.

    `@pytest.mark.allow_log_warnings(r"keyring unavailable", ...)` declares the expected records
    by regular expressions searched in their messages, and asserts them: every record must match
    one of them and every one of them must match a record.

    The handler sits on the `moderator` logger itself, so `caplog.at_level` or a test's own
    handlers neither hide records from it nor are disturbed by it. It is installed for the whole
    test (setup to teardown): fixtures that start sessions or servers are checked too.
    """
    handler = _LogFailHandler()
    logger = logging.getLogger(LOGFAIL_LOGGER)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    marker = request.node.get_closest_marker("allow_log_warnings")
    expected = [re.compile(p) for p in marker.args] if marker is not None else []
    unexpected = [r for r in handler.records if not any(p.search(r.getMessage()) for p in expected)]
    missing = [
        p.pattern for p in expected if not any(p.search(r.getMessage()) for r in handler.records)
    ]
    if unexpected:
        lines = "\n".join(f"  {r.levelname} {r.name}: {r.getMessage()}" for r in unexpected[:20])
        pytest.fail(
            f"{len(unexpected)} unexpected log record(s) at WARNING or above from "
            f"{LOGFAIL_LOGGER}.* (expected? declare them with "
            f"@pytest.mark.allow_log_warnings(r'regex', ...)):\n{lines}",
            pytrace=False,
        )
    if missing:
        pytest.fail(
            f"expected a WARNING or above matching {missing}, none was logged", pytrace=False
        )


SandboxFactory = Callable[..., SandboxServer]


@pytest.fixture(autouse=True)
def _isolated_app_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test ever reads or writes the developer's real settings, profiles or journal."""
    root = tmp_path_factory.mktemp("app-dirs")
    monkeypatch.setenv("ROOM_MODERATOR_CONFIG_DIR", str(root / "config"))
    monkeypatch.setenv("ROOM_MODERATOR_DATA_DIR", str(root / "data"))


@pytest.fixture
def sandbox_factory() -> Iterator[SandboxFactory]:
    """Start sandboxes with custom options: `sandbox_factory(latency_ms=300, demo=True)`.

    Every keyword is a SandboxOptions field, plus `clock=` (a ManualClock by default). The seed
    is fixed unless given. All servers started here are stopped at teardown.
    """
    started: list[SandboxServer] = []

    def make(clock: Any = None, **options: Any) -> SandboxServer:
        options.setdefault("seed", SANDBOX_SEED)
        server = SandboxServer(SandboxOptions(**options), clock=clock or ManualClock())
        started.append(server)
        return server.start()

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def sandbox(sandbox_factory: SandboxFactory) -> SandboxServer:
    """A started sandbox on a ManualClock with a fixed seed (advance time with
    `sandbox.clock.advance(seconds)`), stopped at teardown."""
    return sandbox_factory()


@pytest.fixture
def isolated_config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the app's config folder at a fresh temporary folder."""
    folder = tmp_path / "config"
    monkeypatch.setenv(CONFIG_DIR_ENV, str(folder))
    return folder


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """An empty in-memory keyring installed as keyring's backend for one test."""
    with installed(MemoryKeyring()) as backend:
        assert isinstance(backend, MemoryKeyring)
        yield backend
