"""The sparkline delegate paints each room's line in its cell: something where counts are
known, nothing (not a zero line) where they are not, in the palette's colours, and draws a
room's picture once until it changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QTableView
from pytestqt.qtbot import QtBot

from moderator.core.count_history import CountHistory, Sparkline
from moderator.core.live_state import RoomRow
from moderator.core.models import Room, RoomType
from moderator.core.room_watch import SparklineFeed
from moderator.ui.models.rooms_model import SPARKLINE_ROLE, RoomColumn, RoomsModel, SparklineCell
from moderator.ui.models.sparkline_delegate import SparklineDelegate, step_polylines

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
SID = "RM" + "5" * 32


def table(qtbot: QtBot, samples: list[tuple[float, int]]) -> tuple[QTableView, RoomsModel]:
    """A table of one room whose history has `samples` (seconds before NOW, participants)."""
    history = CountHistory()
    for before, p in samples:
        at = (NOW - timedelta(seconds=before)).timestamp()
        history.record(SID, "town-hall", at, p, 0)
    model = RoomsModel(now=lambda: NOW)
    model.set_watch(SparklineFeed(history, lambda: NOW), lambda _sid: ())
    room = Room(SID, "town-hall", "in-progress", RoomType.GROUP, 50, NOW)
    model.set_rooms([RoomRow(room, samples[-1][1] if samples else None, 0, counted_at=NOW)])
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    delegate = SparklineDelegate(view)
    view.setItemDelegateForColumn(RoomColumn.SPARKLINE, delegate)
    for column in range(RoomColumn.SPARKLINE):
        view.setColumnHidden(column, True)
    view.setColumnWidth(RoomColumn.SPARKLINE, 200)
    view.verticalHeader().setDefaultSectionSize(40)
    view.resize(320, 120)
    view.show()
    return view, model


def rendered_cell(view: QTableView, model: RoomsModel) -> QImage:
    image = QImage(view.viewport().size(), QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    view.viewport().render(image)
    return image.copy(view.visualRect(model.index(0, RoomColumn.SPARKLINE)))


def inked(image: QImage, x_from: int = 0, x_to: int | None = None) -> list[tuple[int, int]]:
    """Pixels that differ from the cell's background (its top-left corner)."""
    background = image.pixel(0, 0)
    x_to = image.width() if x_to is None else x_to
    return [
        (x, y)
        for x in range(x_from, x_to)
        for y in range(image.height())
        if image.pixel(x, y) != background
    ]


def test_a_room_with_counts_gets_a_line_at_its_height(qtbot: QtBot) -> None:
    samples = [(float(s), 25) for s in range(1800, -1, -15)]
    view, model = table(qtbot, samples)
    cell = rendered_cell(view, model)
    pixels = inked(cell)
    assert len(pixels) > cell.width() // 2  # a line across the cell
    rows = {y for _x, y in pixels}
    assert len(rows) == 1  # a steady count is a flat line…
    (row,) = rows
    assert cell.height() * 0.3 < row < cell.height() * 0.7  # …at half of max participants
    colour = QColor(cell.pixel(*pixels[0]))
    assert colour == view.palette().color(QPalette.ColorGroup.Active, QPalette.ColorRole.Highlight)


def test_unknown_counts_are_left_blank_not_drawn_as_zero(qtbot: QtBot) -> None:
    # Known for the first ten minutes of the window and the last ten: unknown in between.
    samples = [(float(s), 25) for s in range(1800, 1199, -10)]
    samples += [(float(s), 25) for s in range(600, -1, -10)]
    view, model = table(qtbot, samples)
    cell = rendered_cell(view, model)
    width = cell.width()
    assert inked(cell, 0, width // 4) and inked(cell, 3 * width // 4)
    assert inked(cell, int(width * 0.4), int(width * 0.6)) == []  # the gap: nothing at all
    line = model.index(0, RoomColumn.SPARKLINE).data(SPARKLINE_ROLE).sparkline
    assert len(line.runs) == 2


def test_an_empty_history_paints_only_the_background(qtbot: QtBot) -> None:
    view, model = table(qtbot, [])
    assert inked(rendered_cell(view, model)) == []


def test_a_selected_row_draws_in_the_highlighted_text_colour(qtbot: QtBot) -> None:
    samples = [(float(s), 40) for s in range(1800, -1, -30)]
    view, model = table(qtbot, samples)
    palette = view.palette()
    palette.setColor(QPalette.ColorRole.Highlight, QColor("#123456"))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#fedcba"))
    view.setPalette(palette)
    view.selectRow(0)
    cell = rendered_cell(view, model)
    colours = {cell.pixel(x, y) for x in range(cell.width()) for y in range(cell.height())}
    assert QColor("#fedcba").rgb() in colours


def test_a_picture_is_drawn_once_until_its_data_or_size_changes(qtbot: QtBot) -> None:
    view, model = table(qtbot, [(60.0, 3), (0.0, 4)])
    delegate = view.itemDelegateForColumn(RoomColumn.SPARKLINE)
    assert isinstance(delegate, SparklineDelegate)
    cell = model.index(0, RoomColumn.SPARKLINE).data(SPARKLINE_ROLE)
    assert isinstance(cell, SparklineCell)
    colour = QColor("blue")
    first = delegate.picture(cell, QSize(100, 20), colour, 1.0)
    assert delegate.picture(cell, QSize(100, 20), colour, 1.0).cacheKey() == first.cacheKey()
    assert delegate.picture(cell, QSize(120, 20), colour, 1.0).cacheKey() != first.cacheKey()


def test_steps_within_one_pixel_keep_their_extremes() -> None:
    # 0 → 10 → 0 → 5 within a few seconds of a 30 min window: one pixel column.
    run = ((0.0, 0), (1.0, 10), (2.0, 0), (3.0, 5), (1800.0, 5))
    (line,) = step_polylines(Sparkline(0.0, 1800.0, (run,), 3.0), 10, 101, 11)
    points = [(line.at(i).x(), line.at(i).y()) for i in range(line.size())]
    # The column is inked from 0 to 10 people (y 10 to 0) and is left at 5, then held.
    assert points == [(0, 10), (0, 0), (0, 5), (100, 5)]
