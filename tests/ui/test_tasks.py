"""TaskRunner: outcomes arrive once, on the GUI thread; keys in flight are refused."""

from __future__ import annotations

import threading

import requests
import shiboken6
from PySide6.QtCore import QThread
from pytestqt.qtbot import QtBot

from moderator.core.errors import ErrorKind, TwilioError
from moderator.ui.tasks import TaskRunner


def test_result_is_delivered_on_the_gui_thread(qtbot: QtBot) -> None:
    runner = TaskRunner()
    gui_thread = QThread.currentThread()
    seen: dict[str, object] = {}

    def work() -> int:
        seen["worker_is_gui"] = QThread.currentThread() is gui_thread
        return 42

    def done(value: int) -> None:
        seen["value"] = value
        seen["callback_is_gui"] = QThread.currentThread() is gui_thread

    assert runner.run("answer", work, done, lambda error: seen.setdefault("error", error))
    qtbot.waitUntil(lambda: "value" in seen)
    assert seen == {"worker_is_gui": False, "value": 42, "callback_is_gui": True}
    assert not runner.in_flight("answer")
    runner.shutdown()


def test_second_task_with_same_key_is_refused_while_first_runs(qtbot: QtBot) -> None:
    runner = TaskRunner()
    release = threading.Event()
    calls: list[str] = []
    results: list[str] = []

    def slow(name: str) -> str:
        calls.append(name)
        release.wait(5)
        return name

    assert runner.run("poll:rooms", lambda: slow("first"), results.append, print)
    assert not runner.run("poll:rooms", lambda: slow("second"), results.append, print)
    assert runner.in_flight("poll:rooms")
    assert runner.run("poll:other", lambda: slow("other"), results.append, print)
    release.set()
    qtbot.waitUntil(lambda: len(results) == 2)
    assert sorted(results) == ["first", "other"]
    assert sorted(calls) == ["first", "other"]
    # once delivered, the key is free again
    assert runner.run("poll:rooms", lambda: "third", results.append, print)
    qtbot.waitUntil(lambda: len(results) == 3)
    runner.shutdown()


def test_exceptions_become_twilio_errors(qtbot: QtBot) -> None:
    runner = TaskRunner()
    errors: list[TwilioError] = []

    def fail() -> None:
        raise requests.exceptions.ConnectionError("refused")

    assert runner.run(None, fail, lambda _: None, errors.append)
    qtbot.waitUntil(lambda: bool(errors))
    assert errors[0].kind is ErrorKind.NETWORK
    assert errors[0].message
    runner.shutdown()


def test_unkeyed_tasks_run_concurrently_and_all_report(qtbot: QtBot) -> None:
    runner = TaskRunner(max_threads=2)
    results: list[int] = []
    for i in range(20):
        assert runner.run(None, lambda i=i: i * i, results.append, print)
    qtbot.waitUntil(lambda: len(results) == 20)
    assert sorted(results) == [i * i for i in range(20)]
    assert runner.in_flight_count() == 0
    runner.shutdown()


def test_after_shutdown_nothing_starts_and_late_results_are_dropped(qtbot: QtBot) -> None:
    runner = TaskRunner()
    release = threading.Event()
    finished = threading.Event()
    delivered: list[str] = []

    def slow() -> str:
        release.wait(5)
        finished.set()
        return "late"

    assert runner.run("slow", slow, delivered.append, print)
    assert runner.shutdown(wait_ms=10) is False  # still running: we did not wait for it
    assert not runner.run("new", lambda: "x", delivered.append, print)
    release.set()
    assert finished.wait(5)
    qtbot.wait(50)  # let a (wrongly) queued delivery run, if there were one
    assert delivered == []


def test_deleting_a_shut_down_runner_does_not_wait_for_running_work(qtbot: QtBot) -> None:
    runner = TaskRunner()
    release = threading.Event()
    finished = threading.Event()
    safety = threading.Timer(10, release.set)  # never hang the suite, whatever happens
    safety.start()

    def slow() -> None:
        release.wait()
        finished.set()

    assert runner.run("slow", slow, lambda _: None, print)
    runner.shutdown(wait_ms=10)
    shiboken6.delete(runner)  # a pool destroyed with it would block here until `release`
    assert not release.is_set()
    release.set()
    safety.cancel()
    assert finished.wait(5)
