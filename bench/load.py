"""The load run: 50 rooms × 40 participants at the benchmark's latency, with churn and host actions.

Measured on the real window and session (the sandbox is another process, as Twilio would be):
- ui_stall_*: lag of a 5 ms QTimer heartbeat on the UI thread, i.e. how late the event loop
  gets round to a due timer while the app polls, diffs models, repaints and handles actions;
- join_to_screen: an app participant joins the selected room in the sandbox (its time.time()
  there) → the participant's row is inserted into the roster model (time.time() here);
- rss_mb: this process's VmRSS at the end (the app; the sandbox's memory is its own process's);
- dial_click_to_request_ms: afterwards, the real Dial dialog is filled in with key clicks, and
  the time from the QTest click on its Dial button to the sandbox receiving Calls.json POST.
Load meanwhile: a driver thread makes one participant join the selected room and one join and
one leave another room each second, and old participants leave to keep rooms near 40; on the UI
thread the host removes a participant (Session.remove) every 3 s and dials a phone guest
(Session.dial) every 6 s.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtTest import QTest

from bench.common import log, percentile, rss_mb, spin, spin_until
from bench.harness import close_window, open_window, select_room
from bench.sandbox_process import SandboxProcess
from moderator.core.dialer import DialRequest
from moderator.core.roster import GuestKind
from moderator.ui.dialogs.dial_dialog import DialDialog
from moderator.ui.main_window import MainWindow

ROOMS = 50
PARTICIPANTS = 40
HEARTBEAT_MS = 5
REMOVE_EVERY_MS = 3000
DIAL_EVERY_MS = 6000
SETTLED_S = 5.0


@dataclass
class _Churn:
    """Sandbox-side traffic on a thread of its own, so the UI thread never waits on the pipe."""

    sandbox: SandboxProcess
    selected: str
    others: list[str]
    veterans: dict[str, list[str]]  # room SID -> participants present from the start, to leave
    joins: list[tuple[str, float]] = field(default_factory=list)
    left_walk_ins: int = 0
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        rng = random.Random(11)
        n = 0
        while not self.stop.wait(1.0):
            n += 1
            try:
                psid, at = self.sandbox.join(self.selected, f"walk-in-{n:04d}")
                self.joins.append((psid, at))
                self._trim(self.selected)
                other = rng.choice(self.others)
                self.sandbox.join(other, f"visitor-{n:04d}")
                self._trim(other)
            except RuntimeError as exc:  # e.g. a room momentarily full: note it, keep going
                self.errors.append(str(exc))

    def _trim(self, room_sid: str) -> None:
        """Old participants leave (those present from the start first) to keep ~40 in the room."""
        pool = self.veterans[room_sid]
        if not pool and room_sid == self.selected:
            # Walk-ins leave once long on screen, so their join has been measured already.
            cutoff = time.time() - 2 * SETTLED_S
            pool.extend(psid for psid, at in self.joins[self.left_walk_ins :] if at < cutoff)
            self.left_walk_ins += len(pool)
        while len(self.sandbox.connected(room_sid)) > PARTICIPANTS and pool:
            self.sandbox.leave(pool.pop(0))


class _HostActions:
    """What the host does on the UI thread: remove someone, dial someone."""

    def __init__(self, window: MainWindow, room_sid: str, room_name: str) -> None:
        self.window = window
        self.room_sid = room_sid
        self.room_name = room_name
        self.removes = 0
        self.dials = 0
        self._rng = random.Random(5)

    def remove_one(self) -> None:
        session = self.window.session
        if session is None:
            return
        rows = [
            r
            for r in self.window.roster_model.rows()
            if r.can_remove and (r.kind is GuestKind.PHONE or not r.identity.startswith("walk-in"))
        ]
        if rows:
            session.remove(self._rng.choice(rows))
            self.removes += 1

    def dial_one(self) -> None:
        session = self.window.session
        if session is None or not session.caller_ids:
            return
        self.dials += 1
        session.dial(
            DialRequest(
                room_sid=self.room_sid,
                room_name=self.room_name,
                number=f"+1415555{self._rng.randrange(4000, 9999):04d}",
                label=f"Load {self.dials}",
                identity=f"phone-load-{self.dials:03d}",
                caller_id=session.caller_ids[0].phone_number,
            )
        )


def _measure_dial_clicks(window: MainWindow, sandbox: SandboxProcess, clicks: int) -> list[float]:
    """Fill the real dial dialog and click Dial; ms from the click to the sandbox's receipt."""
    results: list[float] = []
    for i in range(clicks):
        dialog = window.open_dial_dialog()
        if dialog is None:
            raise RuntimeError("the dial dialog did not open")
        QTest.keyClicks(dialog.number_edit, f"(415) 555-{6100 + i:04d}")
        if not spin_until(dialog.dial_button.isEnabled, 20.0):
            log(f"dial click {i + 1}: Dial never enabled: {dialog.dial_button.toolTip()}")
            dialog.reject()
            spin(0.3)
            continue
        since = time.time()
        clicked = time.perf_counter()
        QTest.mouseClick(dialog.dial_button, Qt.MouseButton.LeftButton)

        def posted(since: float = since, clicked: float = clicked) -> list[float]:
            return [
                r[4]
                for r in sandbox.requests(since)
                if r[0] == "POST" and r[1].endswith("/Calls.json") and r[4] >= clicked
            ]

        if not spin_until(lambda: bool(posted()), 10.0, step_s=0.05):
            log(f"dial click {i + 1}: Calls.create never reached the sandbox")
            continue
        results.append((min(posted()) - clicked) * 1000.0)
        dial_id = dialog.dial_id
        spin_until(lambda: not isinstance(window.findChild(DialDialog), DialDialog), 2.0)
        spin(0.3)
        # Hang the guest up again so the room never fills however many clicks are measured.
        row = next((r for r in window.roster_model.rows() if r.key == dial_id), None)
        if row is not None and row.can_remove and window.session is not None:
            window.session.remove(row)
    return results


def measure(latency_ms: float, warmup_s: float, load_s: float, clicks: int) -> dict[str, object]:
    sandbox = SandboxProcess(latency_ms).start()
    try:
        sids = sandbox.setup(ROOMS, PARTICIPANTS)
        veterans = {sid: sandbox.connected(sid) for sid in sids}
        window = open_window(sandbox)
        try:
            return _run(window, sandbox, sids, veterans, warmup_s, load_s, clicks)
        finally:
            close_window(window)
    finally:
        sandbox.stop()


def _run(
    window: MainWindow,
    sandbox: SandboxProcess,
    sids: list[str],
    veterans: dict[str, list[str]],
    warmup_s: float,
    load_s: float,
    clicks: int,
) -> dict[str, object]:
    selected = sids[0]
    select_room(window, selected)
    room_name = "bench-room-00"

    first_seen: dict[str, float] = {}

    def rows_inserted(_parent: QModelIndex, first: int, last: int) -> None:
        now = time.time()
        rows = window.roster_model.rows()
        for i in range(first, last + 1):
            first_seen.setdefault(rows[i].key, now)

    window.roster_model.rowsInserted.connect(rows_inserted)

    churn = _Churn(sandbox, selected, sids[1:], veterans)
    driver = threading.Thread(target=churn.run, name="bench-churn", daemon=True)
    host = _HostActions(window, selected, room_name)
    remove_timer = QTimer(window)
    remove_timer.setInterval(REMOVE_EVERY_MS)
    remove_timer.timeout.connect(host.remove_one)
    dial_timer = QTimer(window)
    dial_timer.setInterval(DIAL_EVERY_MS)
    dial_timer.timeout.connect(host.dial_one)

    lags: list[float] = []
    last = [0.0]

    def beat() -> None:
        now = time.perf_counter()
        if last[0]:
            lags.append(max(0.0, (now - last[0]) * 1000.0 - HEARTBEAT_MS))
        last[0] = now

    heartbeat = QTimer(window)
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.setInterval(HEARTBEAT_MS)
    heartbeat.timeout.connect(beat)

    driver.start()
    remove_timer.start()
    dial_timer.start()
    log(f"load: warming up {warmup_s:.0f} s")
    spin(warmup_s)
    measured_from = len(churn.joins)
    heartbeat.start()
    log(f"load: measuring {load_s:.0f} s")
    spin(load_s)
    heartbeat.stop()
    remove_timer.stop()
    dial_timer.stop()
    churn.stop.set()
    driver.join(timeout=10)
    spin(3.0)  # let the last joins reach the screen
    rss = rss_mb()

    joins = churn.joins[measured_from:]
    delays = [first_seen[psid] - at for psid, at in joins if psid in first_seen]
    missing = sum(1 for psid, _ in joins if psid not in first_seen)
    log(
        f"load: {len(lags)} heartbeats, {len(delays)} joins seen ({missing} missing),"
        f" {host.removes} removals, {host.dials} dials, churn errors {len(churn.errors)}"
    )
    clicks_ms = _measure_dial_clicks(window, sandbox, clicks) if clicks else []
    return {
        "ui_stall_p99_ms": round(percentile(lags, 99), 1),
        "ui_stall_max_ms": round(max(lags, default=0.0), 1),
        "join_to_screen_p95_s": round(percentile(delays, 95), 3),
        "join_to_screen_median_s": round(percentile(delays, 50), 3),
        "joins_measured": len(delays),
        "joins_missing": missing,
        "rss_mb": round(rss, 1),
        "dial_click_to_request_ms": round(percentile(clicks_ms, 50), 1) if clicks_ms else None,
        "dial_click_to_request_all_ms": [round(v, 1) for v in clicks_ms],
        "dial_clicks_failed": clicks - len(clicks_ms),
        "dial_click_path": "QTest click on the real Dial dialog's Dial button",
        "load": {
            "rooms": ROOMS,
            "participants_per_room": PARTICIPANTS,
            "heartbeats": len(lags),
            "host_removals": host.removes,
            "host_dials": host.dials,
            "churn_errors": len(churn.errors),
        },
    }
