"""Call history: a dial rings, joins and leaves in the sandbox; its row, timeline and exports.

The session's clock is the sandbox's ManualClock, so "Answered after ringing 3 s" and "Left after
3 min" are exact; the journal is a real SQLite file under tmp_path.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QLabel,
    QMenu,
    QPushButton,
    QTableView,
    QWidget,
)
from pytestqt.qtbot import QtBot

from moderator.core.credentials import Credentials
from moderator.core.guest_state import GuestStatus
from moderator.core.journal import Journal
from moderator.core.settings import Settings, SettingsStore
from moderator.sandbox.server import SandboxServer
from moderator.ui.dialogs.history_dialog import HistoryDialog
from moderator.ui.main_window import MainWindow
from moderator.ui.models.history_model import HistoryColumn
from moderator.ui.session import Session
from tests.ui.test_main_window import NUMBER_E164, dial, phone_rows, select_room
from tests.ui.window_harness import (
    FAST_POLLING,
    WAIT_MS,
    by_name,
    click,
    sandbox_credentials,
    wait_for_dialog,
)


def _sandbox_now(sandbox: SandboxServer) -> datetime:
    return datetime.fromtimestamp(sandbox.clock.now(), UTC)


@pytest.fixture
def window(qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path) -> MainWindow:
    """The main window on a session that journals to a file and tells time by the sandbox."""
    sandbox.world.create_room("standup", max_participants=10)
    sandbox.world.create_room("all-hands")

    def factory(_profile: str, _credentials: Credentials | None, parent: QObject) -> Session:
        return Session(
            sandbox_credentials(sandbox),
            base_url=sandbox.base_url,
            journal=Journal(tmp_path / "journal.sqlite3"),
            settings=FAST_POLLING,
            clock=lambda: _sandbox_now(sandbox),
            parent=parent,
        )

    window = MainWindow(
        settings=Settings(default_country="US"),
        settings_store=SettingsStore(tmp_path / "settings.json"),
        session_factory=factory,
    )
    qtbot.addWidget(window)
    window.resize(1200, 760)
    window.show()
    qtbot.waitExposed(window)
    window.open_profile("", None)
    qtbot.waitUntil(lambda: window.rooms_model.rowCount() == 2, timeout=WAIT_MS)
    return window


def guest_rings_joins_and_leaves(qtbot: QtBot, window: MainWindow, sandbox: SandboxServer) -> str:
    """Dial into "standup"; ring 3.5 s, join, stay 3 min, hang up; returns the dial ID."""
    select_room(qtbot, window, "standup")
    dial(qtbot, window)
    qtbot.waitUntil(lambda: phone_rows(window)[0].call_sid is not None, timeout=WAIT_MS)
    sandbox.clock.advance(1.5)
    qtbot.waitUntil(lambda: phone_rows(window)[0].status is GuestStatus.RINGING, timeout=WAIT_MS)
    sandbox.clock.advance(3.5)
    qtbot.waitUntil(lambda: phone_rows(window)[0].status is GuestStatus.CONNECTED, timeout=WAIT_MS)
    sandbox.clock.advance(180)
    participant_sid = phone_rows(window)[0].participant_sid
    assert participant_sid is not None
    sandbox.world.disconnect_participant(participant_sid)
    qtbot.waitUntil(lambda: phone_rows(window)[0].status is GuestStatus.LEFT, timeout=WAIT_MS)
    dial_id = phone_rows(window)[0].dial_id
    assert dial_id is not None
    return dial_id


def open_history(qtbot: QtBot, window: MainWindow) -> HistoryDialog:
    """View ▸ Call history…, the way the host opens it."""
    action = window.commands.history
    assert action.isEnabled()
    assert action.shortcut().toString() == "Ctrl+H"
    action.trigger()
    dialog = wait_for_dialog(qtbot, HistoryDialog)
    assert dialog.accessibleName() == "Call history"
    assert not dialog.isModal()
    return dialog


def table_texts(view: QTableView) -> list[list[str]]:
    model = view.model()
    return [
        [str(model.index(row, column).data() or "") for column in range(model.columnCount())]
        for row in range(model.rowCount())
    ]


def all_texts(root: QWidget) -> str:
    """Every string a host (or a screen reader) can get from the dialog's widgets and tables."""
    parts = [root.windowTitle()]
    for widget in root.findChildren(QWidget):
        for getter in ("text", "toolTip", "accessibleName", "currentText"):
            value = getattr(widget, getter, None)
            if callable(value):
                parts.append(str(value()))
    for view in root.findChildren(QTableView):
        model = view.model()
        for row in range(model.rowCount()):
            for column in range(model.columnCount()):
                index = model.index(row, column)
                for role in (
                    Qt.ItemDataRole.DisplayRole,
                    Qt.ItemDataRole.ToolTipRole,
                    Qt.ItemDataRole.AccessibleTextRole,
                ):
                    parts.append(str(index.data(role) or ""))
    return "\n".join(parts)


def test_history_lists_the_dial_and_its_timeline(
    window: MainWindow, qtbot: QtBot, sandbox: SandboxServer, qtmodeltester: Any
) -> None:
    dial_id = guest_rings_joins_and_leaves(qtbot, window, sandbox)
    identity = phone_rows(window)[0].identity
    dialog = open_history(qtbot, window)
    dials = by_name(dialog, QTableView, "Dials")
    qtbot.waitUntil(lambda: dials.model().rowCount() == 1, timeout=WAIT_MS)
    [row] = table_texts(dials)
    assert row[HistoryColumn.ROOM] == "standup"
    assert row[HistoryColumn.NAME] == "••• 2671"
    assert row[HistoryColumn.IDENTITY] == identity
    assert row[HistoryColumn.OUTCOME] == "Left the room after 3 min"
    assert row[HistoryColumn.RANG_FOR] == "3 s"
    assert row[HistoryColumn.IN_ROOM_FOR] == "3 min"

    timeline = by_name(dialog, QTableView, "Timeline")
    assert timeline.model().rowCount() == 0  # nothing selected yet
    dials.selectRow(0)
    assert dialog.selected_dial_id() == dial_id
    steps = [texts[1] for texts in table_texts(timeline)]
    assert steps[0] == "Dialed"
    assert "Ringing" in steps
    assert "Answered after ringing 3 s" in steps
    assert f"Joined as {identity}" in steps
    assert steps[-1] == "Left after 3 min"
    details = {texts[1]: texts[2] for texts in table_texts(timeline)}
    assert details["Dialed"].startswith(f"••• 2671 into standup as {identity}")
    assert details["Left after 3 min"] == "Left the room after 3 min"
    assert all(texts[0] for texts in table_texts(timeline))  # every step has its time

    qtmodeltester.check(dialog.history_model, force_py=True)
    qtmodeltester.check(dialog.timeline_model, force_py=True)
    assert NUMBER_E164 not in all_texts(dialog)
    assert "5552671" not in all_texts(dialog).replace("-", "").replace(" ", "")


def test_history_follows_call_events_and_keeps_the_selection(
    window: MainWindow, qtbot: QtBot, sandbox: SandboxServer
) -> None:
    """Open while the guest is ringing: the row moves on by itself, still selected."""
    select_room(qtbot, window, "standup")
    dial(qtbot, window)
    qtbot.waitUntil(lambda: phone_rows(window)[0].call_sid is not None, timeout=WAIT_MS)
    dialog = open_history(qtbot, window)
    dials = by_name(dialog, QTableView, "Dials")
    qtbot.waitUntil(lambda: dials.model().rowCount() == 1, timeout=WAIT_MS)
    dials.selectRow(0)
    sandbox.clock.advance(1.5)
    sandbox.clock.advance(3.5)

    def outcome() -> str:
        return str(dials.model().index(0, HistoryColumn.OUTCOME).data())

    qtbot.waitUntil(lambda: outcome() == "Connected", timeout=WAIT_MS)
    assert dialog.selected_dial_id() == phone_rows(window)[0].dial_id
    timeline = by_name(dialog, QTableView, "Timeline")
    identity = phone_rows(window)[0].identity
    assert f"Joined as {identity}" in [texts[1] for texts in table_texts(timeline)]


def test_scope_this_room_or_all_rooms(
    window: MainWindow, qtbot: QtBot, sandbox: SandboxServer
) -> None:
    select_room(qtbot, window, "standup")
    dial(qtbot, window)
    dialog = open_history(qtbot, window)
    dials = by_name(dialog, QTableView, "Dials")
    scope = by_name(dialog, QComboBox, "History scope")
    assert scope.currentText() == "This room (standup)"
    qtbot.waitUntil(lambda: dials.model().rowCount() == 1, timeout=WAIT_MS)

    select_room(qtbot, window, "all-hands")  # the dialog follows the window's room
    assert scope.currentText() == "This room (all-hands)"
    assert dials.model().rowCount() == 0
    scope.setCurrentIndex(scope.findData("all"))
    assert dials.model().rowCount() == 1
    assert table_texts(dials)[0][HistoryColumn.ROOM] == "standup"


def test_export_csv_and_json_of_the_scope_and_of_one_guest(
    window: MainWindow,
    qtbot: QtBot,
    sandbox: SandboxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = guest_rings_joins_and_leaves(qtbot, window, sandbox)
    dial(qtbot, window, "2125551111")  # busy
    qtbot.waitUntil(
        lambda: len(phone_rows(window)) == 2 and all(r.call_sid for r in phone_rows(window)),
        timeout=WAIT_MS,
    )
    busy = next(r for r in phone_rows(window) if r.dial_id != first)
    sandbox.clock.advance(5)
    qtbot.waitUntil(
        lambda: window.roster_model.object_for(busy.key).status is GuestStatus.BUSY,  # type: ignore[union-attr]
        timeout=WAIT_MS,
    )
    dialog = open_history(qtbot, window)
    dials = by_name(dialog, QTableView, "Dials")
    assert dials.model().rowCount() == 2
    assert table_texts(dials)[0][HistoryColumn.NAME] == "••• 1111"  # newest first

    asked: list[str] = []
    target: dict[str, Path] = {}

    def save_as(_parent: QWidget, caption: str, suggested: str, _filter: str) -> tuple[str, str]:
        asked.append(suggested)
        return str(target["path"]), _filter

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)

    # The whole scope (this room: both dials), as CSV: one row per timeline step.
    target["path"] = tmp_path / "history"  # no suffix: the dialog adds it
    click(qtbot, by_name(dialog, QPushButton, "Export CSV"))
    csv_path = tmp_path / "history.csv"
    with csv_path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["dial_id"] for r in rows} == {first, busy.dial_id}
    assert {r["masked_number"] for r in rows} == {"••• 2671", "••• 1111"}
    assert [r["step"] for r in rows if r["dial_id"] == first][-1] == "left"
    result = by_name(dialog, QLabel, "Export result").text()
    assert f"Exported {len(rows)} timeline steps to {csv_path}" == result
    assert asked[-1].endswith(".csv") and "standup" in asked[-1]

    # Only the selected guest, as JSON.
    dials.selectRow(dials.model().rowCount() - 1)  # the oldest: the first guest
    only = by_name(dialog, QCheckBox, "Export only the selected guest")
    assert only.isEnabled()
    only.setChecked(True)
    target["path"] = tmp_path / "guest.json"
    click(qtbot, by_name(dialog, QPushButton, "Export JSON"))
    data = json.loads((tmp_path / "guest.json").read_text(encoding="utf-8"))
    assert [d["dial_id"] for d in data] == [first]
    assert data[0]["status"] == "left"
    assert data[0]["end_reason"] == "Left the room after 3 min"
    assert data[0]["timeline"][0]["status"] == "dialing"
    assert "Exported 1 dial to" in by_name(dialog, QLabel, "Export result").text()

    for path in (csv_path, tmp_path / "guest.json"):
        text = path.read_text(encoding="utf-8")
        assert NUMBER_E164 not in text and "+12125551111" not in text

    # Cancelling the file dialog writes nothing.
    target["path"] = Path("")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_args: ("", ""))
    assert dialog.export("csv") is None


def test_show_timeline_from_the_roster_context_menu(
    window: MainWindow, qtbot: QtBot, sandbox: SandboxServer
) -> None:
    dial_id = guest_rings_joins_and_leaves(qtbot, window, sandbox)
    assert window.roster_pane.select_key(dial_id)
    # The menu the roster pops up on a right click, filled but not shown (offscreen Qt cannot
    # grab the keyboard for a popup).
    menu = QMenu(window)
    window.commands.participant_context_menu(menu)
    [action] = [a for a in menu.actions() if a.text() == "Show &timeline…"]
    assert action.isEnabled()
    action.trigger()
    dialog = wait_for_dialog(qtbot, HistoryDialog)
    assert dialog.selected_dial_id() == dial_id
    assert by_name(dialog, QCheckBox, "Export only the selected guest").isChecked()
    timeline = by_name(dialog, QTableView, "Timeline")
    assert timeline.model().rowCount() > 0
    assert timeline.selectionMode() is QAbstractItemView.SelectionMode.NoSelection


def test_app_participants_have_no_timeline_and_switching_profile_closes_history(
    window: MainWindow, qtbot: QtBot, sandbox: SandboxServer
) -> None:
    sandbox.world.join_app_participant("standup", "alice")
    select_room(qtbot, window, "standup")
    qtbot.waitUntil(lambda: window.roster_model.rowCount() == 1, timeout=WAIT_MS)
    window.roster_pane.view.selectRow(0)
    assert not window.commands.show_timeline.isEnabled()
    dialog = open_history(qtbot, window)
    assert dialog.history_model.rowCount() == 0
    assert dialog.history_model.index(0, 0, QModelIndex()).isValid() is False
    window.open_profile("", None)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
