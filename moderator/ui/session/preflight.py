"""Pre-dial checks run off the GUI thread, re-run by themselves while Twilio is unwell.

`PreflightRun` is what `Session.preflight()` hands back: a small QObject whose `finished`
signal carries the check results (on the GUI thread). If Twilio did not answer (5xx, timeout,
cut-short body, 429, no network), the run says so as a failed "Twilio reachable" check with
the wait ("Twilio did not answer; checking again in 3 s") and tries again with backoff, so a
dialog left open through a storm enables Dial as soon as the checks pass. A newer run (the
inputs changed, or the host pressed Check again) supersedes it: `cancel()` stops it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from moderator.core.connection import is_transient
from moderator.core.errors import TwilioError
from moderator.core.preflight import CheckResult
from moderator.ui.tasks import TaskRunner

PREFLIGHT_TWILIO_CHECK = "Twilio reachable"
"""The check reported when the pre-flight data could not be fetched at all."""

RETRY_DELAYS_S = (3, 6, 12, 24, 30)
"""How long to wait before checking again after each transient failure (then every 30 s)."""


def retry_text(delay_s: int) -> str:
    return f"Twilio did not answer; checking again in {delay_s} s"


class PreflightRun(QObject):
    """One dialog's checks for one set of inputs; see the module docstring."""

    finished = Signal(list)  # list[CheckResult]

    def __init__(
        self,
        runner: TaskRunner,
        work: Callable[[], list[CheckResult]],
        on_failure: Callable[[TwilioError], object],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._work = work
        self._on_failure = on_failure
        self._attempt = 0
        self._canceled = False
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.timeout.connect(self.start)

    @property
    def active(self) -> bool:
        return not self._canceled

    @property
    def retry_pending(self) -> bool:
        return self._retry.isActive()

    @Slot()
    def start(self) -> None:
        """Run the checks (again) now."""
        if self._canceled:
            return
        self._retry.stop()
        if not self._runner.run(None, self._work, self._done, self._failed):
            self.cancel()  # the session is closed

    def cancel(self) -> None:
        """Deliver nothing more and stop retrying."""
        self._canceled = True
        self._retry.stop()

    def _done(self, checks: list[CheckResult]) -> None:
        if not self._canceled:
            self._attempt = 0
            self.finished.emit(list(checks))

    def _failed(self, error: TwilioError) -> None:
        self._on_failure(error)
        if self._canceled:
            return
        # The dialog shows this as a failed check (so Dial stays disabled), not as a popup.
        reason = error.details
        if is_transient(error):
            delay = RETRY_DELAYS_S[min(self._attempt, len(RETRY_DELAYS_S) - 1)]
            if error.retry_after is not None:
                delay = max(delay, math.ceil(error.retry_after))
            self._attempt += 1
            reason = retry_text(delay)
            self._retry.start(delay * 1000)
        self.finished.emit([CheckResult(PREFLIGHT_TWILIO_CHECK, False, reason)])
