"""The rooms table answers a delegate's many-roles question in one call (`multiData`, through
`RoomsFilterModel`): what it paints must be exactly what asking role by role paints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QSortFilterProxyModel
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QTableView
from pytestqt.qtbot import QtBot

from moderator.core.capacity import AlertKind, AlertMark
from moderator.core.live_state import RoomRow
from moderator.core.models import Room, RoomType
from moderator.ui.models.filter_proxies import RoomsFilterModel
from moderator.ui.models.rooms_model import RoomsModel

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


def rows() -> list[RoomRow]:
    out = []
    for n in range(6):
        room = Room(f"RM{n:032d}", f"room-{n}", "in-progress", RoomType.GROUP, 40, NOW)
        stale = NOW - timedelta(seconds=60 if n % 2 else 1)  # every other count is italic
        out.append(RoomRow(room, 10 + n, n, counted_at=stale))
    return out


def painted(qtbot: QtBot, proxy: QSortFilterProxyModel, model: RoomsModel) -> QImage:
    proxy.setSourceModel(model)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(proxy)
    view.resize(900, 300)
    view.show()
    image = QImage(view.viewport().size(), QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    view.viewport().render(image)
    return image


def test_one_call_per_cell_paints_what_role_by_role_paints(qtbot: QtBot) -> None:
    model = RoomsModel(now=lambda: NOW)
    model.set_watch(
        None,
        lambda sid: (AlertMark(AlertKind.NEARLY_FULL, "Nearly full"),) if sid.endswith("2") else (),
    )
    model.set_rooms(rows())
    model.set_recording(frozenset({rows()[1].room.sid}))
    role_by_role = painted(qtbot, QSortFilterProxyModel(), model)
    one_call = painted(qtbot, RoomsFilterModel(), model)
    assert one_call == role_by_role
    blank = QImage(one_call.size(), QImage.Format.Format_ARGB32)
    blank.fill(QColor("white"))
    assert one_call != blank
