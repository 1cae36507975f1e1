"""The whole window keeps its event loop turning while Twilio is slow (300 ms per request)."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLineEdit, QPushButton
from pytestqt.qtbot import QtBot

from moderator.sandbox.server import SandboxServer
from tests.ui.test_main_window import open_dial_dialog, phone_rows, select_room
from tests.ui.window_harness import WAIT_MS, by_name, click, make_window

MAX_STALL_MS = 100


def test_refresh_and_dial_at_300ms_latency_never_stall_the_ui(
    qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path
) -> None:
    for name in ("standup", "retro", "all-hands"):
        sandbox.world.create_room(name)
        sandbox.world.join_app_participant(name, f"{name}-host")
    sandbox.controls.latency_ms = 300
    window = make_window(qtbot, sandbox, tmp_path)
    qtbot.waitUntil(lambda: window.rooms_model.rowCount() == 3, timeout=WAIT_MS)

    last = time.perf_counter()
    worst = 0.0

    def beat() -> None:
        nonlocal last, worst
        now = time.perf_counter()
        worst = max(worst, (now - last) * 1000 - 10)
        last = now

    heartbeat = QTimer()
    heartbeat.setInterval(10)
    heartbeat.timeout.connect(beat)
    heartbeat.start()
    try:
        select_room(qtbot, window, "standup")
        qtbot.waitUntil(lambda: len(window.roster_model.rows()) == 1, timeout=WAIT_MS)
        window.commands.refresh.trigger()
        reads = len(sandbox.request_log)
        qtbot.waitUntil(lambda: len(sandbox.request_log) > reads, timeout=WAIT_MS)
        dialog = open_dial_dialog(qtbot, window)
        qtbot.keyClicks(by_name(dialog, QLineEdit, "Phone number"), "4155552671")
        dial = by_name(dialog, QPushButton, "Dial")
        qtbot.waitUntil(dial.isEnabled, timeout=WAIT_MS)  # checks ran at 300 ms per request
        click(qtbot, dial)
        qtbot.waitUntil(lambda: phone_rows(window)[0].call_sid is not None, timeout=WAIT_MS)
    finally:
        heartbeat.stop()
    assert worst < MAX_STALL_MS, f"the UI thread stalled {worst:.0f} ms"
