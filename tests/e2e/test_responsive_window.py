"""The whole window stays usable: its event loop keeps turning while Twilio is slow (300 ms per
request), and its first-start size shows every column and every button's whole label."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, QTimer
from PySide6.QtWidgets import QAbstractButton, QApplication, QLineEdit, QPushButton, QTableView
from pytestqt.qtbot import QtBot

from moderator.core.settings import SettingsStore
from moderator.sandbox.server import SandboxServer
from moderator.ui import resources
from moderator.ui.main_window import MainWindow
from moderator.ui.window_layout import SCREEN_SHARE
from tests.gui_thread import network_on_gui_thread
from tests.ui.test_main_window import open_dial_dialog, phone_rows, select_room
from tests.ui.window_harness import WAIT_MS, by_name, click, make_window

LONG_NAME = "quarterly-planning-with-the-whole-regional-sales-organisation-emea"


def test_refresh_and_dial_at_300ms_latency_never_wait_on_the_network(
    qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refresh, the dial dialog's checks and the dial itself, each request taking 300 ms: not one
    of them is sent from the GUI thread, and the event loop kept turning meanwhile. (How long the
    loop was late is `python -m bench`'s business, where nothing else runs.)"""
    for name in ("standup", "retro", "all-hands"):
        sandbox.world.create_room(name)
        sandbox.world.join_app_participant(name, f"{name}-host")
    sandbox.controls.latency_ms = 300
    beats = 0

    def beat() -> None:
        nonlocal beats
        beats += 1

    heartbeat = QTimer()
    heartbeat.setInterval(10)
    heartbeat.timeout.connect(beat)
    with network_on_gui_thread(monkeypatch) as on_gui_thread:
        window = make_window(qtbot, sandbox, tmp_path)
        qtbot.waitUntil(lambda: window.rooms_model.rowCount() == 3, timeout=WAIT_MS)
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
    assert len(sandbox.request_log) > reads, "requests were made"
    assert on_gui_thread == [], f"sent from the GUI thread: {on_gui_thread}"
    assert beats > 0  # the event loop turned while the requests were under way


@pytest.fixture
def styled() -> Iterator[None]:
    """The app's own stylesheet (bold headers, paddings): the widths a host really sees."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setStyleSheet(resources.stylesheet())
    try:
        yield
    finally:
        app.setStyleSheet("")


def first_start(qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path) -> MainWindow:
    """The window as a first start opens it: nothing saved, rooms of every kind listed."""
    sandbox.world.create_room(LONG_NAME)
    sandbox.world.create_room("standup", max_participants=50)
    sandbox.world.join_app_participant("standup", "alice")
    sandbox.world.create_room("one-on-one", type="peer-to-peer")
    sandbox.world.create_room("huddle", type="group-small")
    window = make_window(qtbot, sandbox, tmp_path, size=None)
    qtbot.waitUntil(
        lambda: (
            window.rooms_model.rowCount() == 4
            and all(r.participant_count is not None for r in window.rooms_model.rows())
        ),
        timeout=WAIT_MS,
    )
    return window


def assert_every_column_shows(rooms: QTableView) -> None:
    header = rooms.horizontalHeader()
    width = rooms.viewport().width()
    for column in range(header.count()):
        name = rooms.model().headerData(column, header.orientation())
        left = header.sectionViewportPosition(column)
        assert left >= 0 and left + header.sectionSize(column) <= width, f"{name} is cut off"
    assert not rooms.horizontalScrollBar().isVisible()


def assert_no_button_elided(window: MainWindow) -> None:
    for button in window.findChildren(QAbstractButton):
        if button.isVisible() and button.text():
            assert button.sizeHint().width() <= button.width(), f"{button.text()!r} is elided"


@pytest.mark.usefixtures("styled")
def test_first_start_fits_the_screen_and_shows_every_column_and_label(
    qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path
) -> None:
    window = first_start(qtbot, sandbox, tmp_path)
    screen = window.screen().availableGeometry()
    assert window.width() <= screen.width() and window.height() <= screen.height()
    assert window.width() >= min(screen.width(), round(screen.width() * SCREEN_SHARE[0]))
    assert window.height() >= min(screen.height(), round(screen.height() * SCREEN_SHARE[1]))
    centre = window.geometry().center()
    assert abs(centre.x() - screen.center().x()) <= 8
    assert abs(centre.y() - screen.center().y()) <= 8

    rooms = by_name(window, QTableView, "Rooms")
    assert_every_column_shows(rooms)
    assert_no_button_elided(window)
    select_room(qtbot, window, "standup")  # a roster, and Remove relabelled for its row
    window.roster_pane.view.selectRow(0)
    assert_no_button_elided(window)


@pytest.mark.usefixtures("styled")
def test_narrowing_the_window_elides_the_room_name_never_the_counts(
    qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path
) -> None:
    window = first_start(qtbot, sandbox, tmp_path)
    select_room(qtbot, window, LONG_NAME)
    least = window.minimumSizeHint()
    window.resize(least.width(), window.height())
    qtbot.waitUntil(lambda: window.width() == least.width(), timeout=WAIT_MS)

    rooms = by_name(window, QTableView, "Rooms")
    qtbot.waitUntil(lambda: not rooms.horizontalScrollBar().isVisible(), timeout=WAIT_MS)
    assert_every_column_shows(rooms)
    assert_no_button_elided(window)
    # The long name neither widened the window nor the roster's title: both elide it.
    assert window.width() == least.width()
    title = window.roster_pane.title
    assert title.full_text().endswith(LONG_NAME) and title.text().endswith("…")
    assert title.toolTip() == title.full_text()


def test_the_saved_geometry_wins_over_the_first_start_size(
    qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path
) -> None:
    first = first_start(qtbot, sandbox, tmp_path)
    chosen = first.minimumSizeHint() + QSize(10, 20)  # not what a first start picks
    assert chosen != first.size()
    first.resize(chosen)
    qtbot.waitUntil(lambda: first.size() == chosen, timeout=WAIT_MS)
    first.close()

    saved = SettingsStore(tmp_path / "settings.json").load()
    second = make_window(qtbot, sandbox, tmp_path, settings=saved, size=None)
    assert second.size() == chosen
