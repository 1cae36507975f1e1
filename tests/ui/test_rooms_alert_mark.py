"""Through a session on the sandbox: the rooms table's sparkline follows the polls, and a room's
alert mark appears when it crosses a capacity line and leaves when the alert re-arms."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from moderator.sandbox.server import SandboxServer
from moderator.ui.models.rooms_model import SPARKLINE_ROLE, RoomColumn, RoomsModel, SparklineCell
from tests.ui.session_fixtures import Harness, make_harness

WAIT_MS = 10_000


def participants_cell(rooms: RoomsModel, room_sid: str, role: Qt.ItemDataRole) -> object:
    return rooms.index(rooms.row_of(room_sid), RoomColumn.PARTICIPANTS).data(role)


def sparkline_values(rooms: RoomsModel, room_sid: str) -> list[int]:
    cell = rooms.index(rooms.row_of(room_sid), RoomColumn.SPARKLINE).data(SPARKLINE_ROLE)
    if not isinstance(cell, SparklineCell):
        return []
    return [p for run in cell.sparkline.runs for _t, p in run]


def test_the_alert_mark_follows_the_crossing_and_the_rearm(
    qtbot: QtBot, sandbox: SandboxServer
) -> None:
    world = sandbox.world
    room_sid = world.create_room("small-room", max_participants=5)
    h: Harness = make_harness(qtbot, sandbox)
    rooms = h.rooms
    rooms.set_watch(h.session.room_watch.sparklines, h.session.room_watch.marks)
    try:
        qtbot.waitUntil(lambda: h.room_names() == ["small-room"], timeout=WAIT_MS)
        h.session.select_room(room_sid)
        people = []
        for i in range(5):
            people.append(world.join_app_participant("small-room", f"guest-{i}"))
            sandbox.clock.advance(2)
            n = i + 1
            qtbot.waitUntil(
                lambda n=n: rooms.object_for(room_sid).participant_count == n,  # type: ignore[union-attr]
                timeout=WAIT_MS,
            )
        qtbot.waitUntil(lambda: bool(rooms.marks_of(room_sid)), timeout=WAIT_MS)
        assert [m.text for m in rooms.marks_of(room_sid)] == ["Nearly full: 5 of 5"]
        assert participants_cell(rooms, room_sid, Qt.ItemDataRole.DecorationRole) is not None
        spoken = participants_cell(rooms, room_sid, Qt.ItemDataRole.AccessibleTextRole)
        assert isinstance(spoken, str) and spoken.endswith("Alert: Nearly full: 5 of 5")
        qtbot.waitUntil(lambda: 5 in sparkline_values(rooms, room_sid), timeout=WAIT_MS)

        world.disconnect_participant(people[0])  # 4 of 5: still within the hysteresis
        sandbox.clock.advance(2)
        qtbot.waitUntil(
            lambda: rooms.object_for(room_sid).participant_count == 4,  # type: ignore[union-attr]
            timeout=WAIT_MS,
        )
        assert [m.text for m in rooms.marks_of(room_sid)] == ["Nearly full: 4 of 5"]

        world.disconnect_participant(people[1])  # 3 of 5: the alert re-arms
        sandbox.clock.advance(2)
        qtbot.waitUntil(lambda: rooms.marks_of(room_sid) == (), timeout=WAIT_MS)
        assert participants_cell(rooms, room_sid, Qt.ItemDataRole.DecorationRole) is None
        qtbot.waitUntil(lambda: sparkline_values(rooms, room_sid)[-1:] == [3], timeout=WAIT_MS)
        assert max(sparkline_values(rooms, room_sid)) == 5
        assert [e.kind for e in h.events].count("capacity") == 1
    finally:
        h.session.stop()
