"""End to end: a host records a room (after a confirmation about consent), sees REC in the
rooms table and by the roster's title, stops, records again, ends the room, composes it, watches
the composition go enqueued → processing → completed, downloads the file with a progress bar,
cancels a second download (no file left), deletes a composition and a recording; a restarted
window shows REC it did not start; Create room sends Twilio's room options and refuses bad ones.
The real window on the in-process sandbox, whose clock the test drives.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QToolButton,
)
from pytestqt.qtbot import QtBot

from moderator.core.models import RoomType
from moderator.core.recording import CompositionStatus
from moderator.core.recording_gateway import RecordingGateway
from moderator.sandbox.server import SandboxServer
from moderator.sandbox.world.recordings import FINALIZE_S
from moderator.ui.dialogs.create_room_dialog import CreateRoomDialog
from moderator.ui.dialogs.recordings_dialog import RecordingsDialog
from moderator.ui.main_window import MainWindow
from tests.sandbox.media_parsers import mp4_duration_s
from tests.ui.test_main_window import select_room
from tests.ui.window_harness import (
    WAIT_MS,
    answer_message_box,
    by_name,
    click,
    make_window,
    wait_for_dialog,
)

INCLUDE_ALL = [{"type": "include", "all": True}]
EXCLUDE_ALL = [{"type": "exclude", "all": True}]


def rules(sandbox: SandboxServer, name: str) -> list[dict[str, object]]:
    room = sandbox.world.room(name)
    return [dict(r) for r in sandbox.world.fetch_recording_rules(room.sid).rules]


def room_action(window: MainWindow, text: str) -> QAction:
    """The Room menu's entry `text`, also in the rooms table's context menu."""
    [menu] = [a.menu() for a in window.menuBar().actions() if a.text() == "&Room"]
    assert isinstance(menu, QMenu)
    [action] = [a for a in menu.actions() if a.text().replace("&", "") == text]
    context = QMenu()
    window.commands.room_context_menu(context)
    assert action in context.actions()
    return action


def trigger(action: QAction) -> None:
    assert action.isEnabled(), f"{action.text()!r} is disabled"
    action.trigger()


@pytest.fixture
def window(qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path) -> MainWindow:
    sandbox.world.create_room("standup")
    sandbox.world.join_app_participant("standup", "alice")
    sandbox.world.join_app_participant("standup", "bob", ("audio",))
    sandbox.world.create_room("pair", type="peer-to-peer")
    window = make_window(qtbot, sandbox, tmp_path)
    qtbot.waitUntil(lambda: window.rooms_model.rowCount() == 2, timeout=WAIT_MS)
    assert window.session is not None
    window.session.recordings.follow_interval_ms = 20
    return window


def test_record_compose_download_cancel_delete(
    qtbot: QtBot,
    window: MainWindow,
    sandbox: SandboxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world, clock = sandbox.world, sandbox.clock
    start = room_action(window, "Start recording")
    stop = room_action(window, "Stop recording")
    select_room(qtbot, window, "pair")
    assert not start.isEnabled() and "only group rooms" in start.toolTip()
    select_room(qtbot, window, "standup")
    sid = world.room("standup").sid
    rec = window.roster_pane.rec_label  # hidden until the room records
    assert not rec.isVisible() and not window.rooms_model.is_recording(sid)

    # Start asks first, and says what recording people means; Cancel records nothing.
    trigger(start)
    question = answer_message_box(qtbot, "Cancel")
    assert "standup" in question and "legal weight" in question and "consent" in question
    assert rules(sandbox, "standup") == EXCLUDE_ALL
    trigger(start)
    answer_message_box(qtbot, "Start recording")
    qtbot.waitUntil(lambda: rules(sandbox, "standup") == INCLUDE_ALL, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not start.isEnabled() and stop.isEnabled(), timeout=WAIT_MS)
    assert rec.isVisible() and window.rooms_model.is_recording(sid)

    trigger(stop)
    qtbot.waitUntil(lambda: rules(sandbox, "standup") == EXCLUDE_ALL, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: start.isEnabled() and not rec.isVisible(), timeout=WAIT_MS)
    assert not window.rooms_model.is_recording(sid)

    trigger(start)
    answer_message_box(qtbot, "Start recording")
    qtbot.waitUntil(lambda: rec.isVisible(), timeout=WAIT_MS)
    clock.advance(30)  # type: ignore[attr-defined]

    # Recordings… while the room runs: tracks appear; Compose waits for the room's end.
    trigger(room_action(window, "Recordings…"))
    dialog = wait_for_dialog(qtbot, RecordingsDialog)
    tracks = by_name(dialog, QTableWidget, "Track recordings")
    # Two recordings of each track: the first start (stopped at once) and this one.
    qtbot.waitUntil(lambda: tracks.rowCount() == 6, timeout=WAIT_MS)
    compose = by_name(dialog, QPushButton, "Compose")
    assert not compose.isEnabled()

    world.complete_room(sid)
    clock.advance(FINALIZE_S)  # type: ignore[attr-defined]
    qtbot.waitUntil(compose.isEnabled, timeout=WAIT_MS)
    click(qtbot, by_name(dialog, QPushButton, "Refresh recordings"))

    def statuses() -> set[str]:
        return {tracks.item(r, 5).text() for r in range(tracks.rowCount())}

    qtbot.waitUntil(lambda: statuses() == {"Completed"}, timeout=WAIT_MS)
    kinds = sorted(tracks.item(r, 2).text() for r in range(tracks.rowCount()))
    assert kinds == ["Audio"] * 4 + ["Video"] * 2
    names = {tracks.item(r, 1).text() for r in range(tracks.rowCount())}
    assert names == {"alice", "bob"}

    # Compose: grid video in mp4, followed enqueued → processing → completed.
    layout = by_name(dialog, QComboBox, "Composition layout")
    layout.setCurrentIndex(layout.findData(False))
    fmt = by_name(dialog, QComboBox, "Format")
    fmt.setCurrentIndex(fmt.findData("mp4"))
    assert window.session is not None
    seen: list[CompositionStatus] = []
    window.session.recordings.compositionChanged.connect(lambda c: seen.append(c.status))
    click(qtbot, compose)
    progress = dialog.composition_progress  # shown once the composition is listed

    def completed() -> bool:
        clock.advance(0.5)  # type: ignore[attr-defined]
        return progress.isVisible() and progress.format().startswith("Completed")

    qtbot.waitUntil(completed, timeout=WAIT_MS)
    assert seen[0] is CompositionStatus.ENQUEUED and CompositionStatus.PROCESSING in seen
    assert progress.value() == progress.maximum()

    # Download to the file the host picked, with a progress bar.
    target = tmp_path / "standup.mp4"
    dialog.choose_path = lambda suggested: target
    click(qtbot, by_name(dialog, QPushButton, "Download"))
    status = by_name(dialog, QLabel, "Recordings status")
    qtbot.waitUntil(lambda: status.text().startswith("Saved"), timeout=WAIT_MS)
    bar = by_name(dialog, QProgressBar, "Download progress")
    assert bar.maximum() > 0 and bar.value() == bar.maximum()
    assert mp4_duration_s(target.read_bytes()) == pytest.approx(30, abs=1)

    # Cancel a second download while it waits for its link: nothing is left under its name.
    held = threading.Event()
    media_url = RecordingGateway.media_url

    def held_media_url(self: RecordingGateway, sid: str) -> str:
        held.wait(WAIT_MS / 1000)
        return media_url(self, sid)

    monkeypatch.setattr(RecordingGateway, "media_url", held_media_url)
    other = tmp_path / "other.mp4"
    dialog.choose_path = lambda suggested: other
    click(qtbot, by_name(dialog, QPushButton, "Download"))
    click(qtbot, by_name(dialog, QPushButton, "Cancel download"))
    held.set()
    qtbot.waitUntil(lambda: status.text() == "Download cancelled", timeout=WAIT_MS)
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".mp4") == ["standup.mp4"]
    assert not any(p.name.endswith(".part") for p in tmp_path.iterdir())

    # Delete the composition, then a recording: each asks first.
    click(qtbot, by_name(dialog, QPushButton, "Delete composition"))
    assert "for good" in answer_message_box(qtbot, "Delete composition")
    qtbot.waitUntil(lambda: world.compositions()[0].status == "deleted", timeout=WAIT_MS)
    tracks.selectRow(0)
    click(qtbot, by_name(dialog, QPushButton, "Delete recording"))
    answer_message_box(qtbot, "Delete recording")
    qtbot.waitUntil(
        lambda: sum(r.status == "deleted" for r in world.recordings(sid)) == 1, timeout=WAIT_MS
    )
    qtbot.waitUntil(lambda: "Deleted" in statuses(), timeout=WAIT_MS)
    dialog.close()


def test_a_restarted_window_shows_rec_it_did_not_start(
    qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path
) -> None:
    room = sandbox.world.create_room("town-hall")
    sandbox.world.create_room("quiet")
    sandbox.world.update_recording_rules(room, '[{"type": "include", "all": true}]')
    window = make_window(qtbot, sandbox, tmp_path)
    qtbot.waitUntil(lambda: window.rooms_model.is_recording(room), timeout=WAIT_MS)
    select_room(qtbot, window, "town-hall")
    rec = window.roster_pane.rec_label  # hidden until the room records
    qtbot.waitUntil(rec.isVisible, timeout=WAIT_MS)
    assert room_action(window, "Stop recording").isEnabled()
    select_room(qtbot, window, "quiet")
    qtbot.waitUntil(lambda: not rec.isVisible(), timeout=WAIT_MS)
    assert room_action(window, "Start recording").isEnabled()


def test_create_room_sends_the_options_and_refuses_bad_ones(
    qtbot: QtBot, window: MainWindow, sandbox: SandboxServer
) -> None:
    click(qtbot, by_name(window, QToolButton, "Create room"))
    dialog = wait_for_dialog(qtbot, CreateRoomDialog)
    qtbot.keyClicks(by_name(dialog, QLineEdit, "Room name"), "webinar")
    create = by_name(dialog, QPushButton, "Create room")
    problem = by_name(dialog, QLabel, "Room options problem")
    combo = by_name(dialog, QComboBox, "Room type")
    combo.setCurrentIndex(combo.findData(RoomType.PEER_TO_PEER))
    by_name(dialog, QCheckBox, "Audio only").setChecked(True)
    assert (
        not create.isEnabled() and problem.text() == "Audio only is offered for group rooms only."
    )
    combo.setCurrentIndex(combo.findData(RoomType.GROUP))
    assert create.isEnabled() and problem.text() == ""
    by_name(dialog, QCheckBox, "Record participants on connect").setChecked(True)
    by_name(dialog, QSpinBox, "Empty-room timeout").setValue(10)
    by_name(dialog, QSpinBox, "Unused-room timeout").setValue(30)
    by_name(dialog, QSpinBox, "Max participant duration").setValue(90)
    by_name(dialog, QSpinBox, "Max participants").setValue(20)
    click(qtbot, create)
    qtbot.waitUntil(lambda: window.rooms_model.rowCount() == 3, timeout=WAIT_MS)
    options = sandbox.world.room("webinar").options
    assert options.audio_only and options.record_participants_on_connect
    assert (options.empty_room_timeout, options.unused_room_timeout) == (10, 30)
    assert options.max_participant_duration == 90 * 60
    assert sandbox.world.room("webinar").max_participants == 20

    # The rooms table can show them: hidden columns the header's context menu turns on.
    header = window.rooms_pane.view.horizontalHeader()
    menu = window.rooms_pane.column_menu()
    [audio_only] = [a for a in menu.actions() if a.text() == "Audio only"]
    assert header.isSectionHidden(8) and not audio_only.isChecked()
    audio_only.trigger()
    assert not header.isSectionHidden(8)
    model = window.rooms_pane.view.model()
    texts = {
        model.index(r, 0).data(): model.index(r, 8).data(Qt.ItemDataRole.DisplayRole)
        for r in range(model.rowCount())
    }
    assert texts["webinar"] == "Yes" and texts["standup"] == "No"
    # Recording on connect: REC shows for the new room without anyone clicking Start.
    webinar = sandbox.world.room("webinar").sid
    qtbot.waitUntil(lambda: window.rooms_model.is_recording(webinar), timeout=WAIT_MS)
