"""Run blocking Twilio calls off the GUI thread and hand results back on it.

The pattern is Picard's / superqt's: a `QRunnable` per call on a private `QThreadPool`, results
carried back by a signal on a companion `QObject` that lives in the GUI thread, so callbacks always
run on the GUI thread and workers never touch widgets. Keys de-duplicate work: a poll of something
that is still in flight is refused rather than queued twice.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from moderator.core.errors import ErrorKind, TwilioError, to_twilio_error

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_MAX_THREADS = 4
"""Enough to overlap a slow poll with an action; Twilio's 80 reads/s are never in reach."""

ErrorConverter = Callable[[BaseException], TwilioError]


class _Relay(QObject):
    """Companion object living in the GUI thread; its signals cross threads as queued calls."""

    finished = Signal(int, object)
    failed = Signal(int, object)


class _Worker(QRunnable):
    """Runs one callable on a pool thread and reports through the relay, never raising."""

    def __init__(
        self, task_id: int, fn: Callable[[], Any], relay: _Relay, convert: ErrorConverter
    ) -> None:
        super().__init__()
        self._task_id = task_id
        self._fn = fn
        self._relay = relay
        self._convert = convert

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as exc:  # every failure must reach the GUI thread, typed
            try:
                error = self._convert(exc)
            except BaseException:  # a broken converter must not kill the pool thread
                log.exception("error converter failed")
                error = TwilioError(
                    "Something unexpected went wrong.", action="Try again.", kind=ErrorKind.UNKNOWN
                )
            self._emit(self._relay.failed, error)
        else:
            self._emit(self._relay.finished, result)
        finally:
            self._fn = _noop  # drop captured state (responses, closures) as soon as possible

    def _emit(self, signal: Any, payload: object) -> None:
        try:
            signal.emit(self._task_id, payload)
        except RuntimeError:  # relay already deleted: the session is gone, nobody wants this
            log.debug("task %d finished after its runner was deleted", self._task_id)


def _noop() -> None:
    return None


_retired: list[tuple[QThreadPool, QObject]] = []
"""Pools of shut-down runners whose last requests are still running, kept until they finish."""


def _retire(pool: QThreadPool, relay: QObject) -> None:
    _retired[:] = [(p, r) for p, r in _retired if p.activeThreadCount() > 0]
    _retired.append((pool, relay))


@dataclass(slots=True)
class _Task:
    key: str | None
    on_done: Callable[[Any], None]
    on_error: Callable[[TwilioError], None]
    worker: _Worker


class TaskRunner(QObject):
    """Starts keyed background tasks and delivers each outcome exactly once, on the GUI thread."""

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        max_threads: int = DEFAULT_MAX_THREADS,
        convert_error: ErrorConverter = to_twilio_error,
    ) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._pool.setObjectName("twilio-workers")
        self._relay = _Relay(self)
        self._relay.finished.connect(self._on_finished)
        self._relay.failed.connect(self._on_failed)
        self._convert = convert_error
        self._ids = itertools.count(1)
        self._tasks: dict[int, _Task] = {}
        self._keys: dict[str, int] = {}
        self._accepting = True

    # -- public API ---------------------------------------------------------------------------

    def run(
        self,
        key: str | None,
        fn: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Callable[[TwilioError], None],
    ) -> bool:
        """Start `fn` on the pool; False (nothing started) if `key` is in flight or shut down."""
        if not self._accepting:
            return False
        if key is not None and key in self._keys:
            return False
        task_id = next(self._ids)
        worker = _Worker(task_id, fn, self._relay, self._convert)
        self._tasks[task_id] = _Task(key, on_done, on_error, worker)
        if key is not None:
            self._keys[key] = task_id
        self._pool.start(worker)
        return True

    def in_flight(self, key: str) -> bool:
        """Whether a task with this key has started and not yet delivered its outcome."""
        return key in self._keys

    def in_flight_count(self) -> int:
        return len(self._tasks)

    def keys_in_flight(self, prefix: str = "") -> list[str]:
        return [key for key in self._keys if key.startswith(prefix)]

    @property
    def accepting(self) -> bool:
        return self._accepting

    def shutdown(self, wait_ms: int = 250) -> bool:
        """Stop accepting, drop queued work, wait briefly; True if nothing was left running.

        Outcomes that arrive later are ignored: they belong to a session the user has left.
        The wait is short on purpose: the UI thread must not hang on a slow network.
        """
        self._accepting = False
        self._pool.clear()
        done = bool(self._pool.waitForDone(wait_ms))
        self._tasks.clear()
        self._keys.clear()
        if not done:
            # Destroying a pool waits for its threads: hand it (and the relay its workers emit
            # on) to a holding list instead, so deleting this runner never blocks the GUI.
            self._pool.setParent(None)
            self._relay.setParent(None)
            _retire(self._pool, self._relay)
        return done

    # -- delivery (GUI thread) ----------------------------------------------------------------

    def _take(self, task_id: int) -> _Task | None:
        task = self._tasks.pop(task_id, None)
        if task is not None and task.key is not None and self._keys.get(task.key) == task_id:
            del self._keys[task.key]
        return task

    @Slot(int, object)
    def _on_finished(self, task_id: int, result: object) -> None:
        task = self._take(task_id)
        if task is None or not self._accepting:
            return
        task.on_done(result)

    @Slot(int, object)
    def _on_failed(self, task_id: int, error: object) -> None:
        task = self._take(task_id)
        if task is None or not self._accepting:
            return
        assert isinstance(error, TwilioError)
        task.on_error(error)
