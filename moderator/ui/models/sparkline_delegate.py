"""Draws the rooms table's sparkline cells: each room's participants over the last 30 minutes.

A full repaint of a 50-room table must stay within a few milliseconds, so nothing is computed
while painting: each room's line (integer points, axis-aligned steps, no antialiasing needed)
is drawn once per picture, with one `drawPolyline` per stretch of known counts (one, unless the
count was unknown for a while: a gap is left blank, never drawn as zero), into a transparent
pixmap kept by room and colour and keyed by what it was drawn from (the sparkline's window and
version, its scale, the cell's size). A paint is the item's panel and one `drawPixmap`.
Colours come from the view's palette, so the line follows dark mode and turns to the
highlighted text colour on a selected row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QPoint, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen, QPixmap, QPolygon
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from moderator.ui.models.rooms_model import SPARKLINE_ROLE, SparklineCell

if TYPE_CHECKING:  # the window paints before SQLite (count_history's store) is imported
    from moderator.core.count_history import Sparkline

__all__ = ["SparklineDelegate", "step_polylines"]

#: Space kept clear around the line inside its cell, in pixels.
MARGIN = 3
#: The cell's preferred width, in average characters (about 2 px per minute at usual fonts).
WIDTH_CHARS = 12
#: More cached pictures than this (rooms come and go) and the cache starts afresh.
CACHE_LIMIT = 512

ModelIndex = QModelIndex | QPersistentModelIndex
_CacheKey = tuple[float, float, float | None, int, int, int, float]


def step_polylines(sparkline: Sparkline, top: int, width: int, height: int) -> list[QPolygon]:
    """The sparkline's runs as polylines in a `width` × `height` box (y down, `top` at 0).

    Counts are steps (a count holds until the next one): a horizontal then a vertical segment
    per change. Changes that fall in one pixel column keep only what a pixel can show there:
    the value entering it, its lowest and highest (in the order they came), the value leaving.
    """
    span = sparkline.until - sparkline.since
    if width < 2 or height < 2 or span <= 0:
        return []
    sx = (width - 1) / span
    sy = (height - 1) / max(1, top)
    bottom = height - 1
    since = sparkline.since
    polylines: list[QPolygon] = []
    for run in sparkline.runs:
        points: list[tuple[int, int]] = []
        # The pixel column being filled: its x, the y entering it, its extreme ys (and which
        # of them came first), the y leaving it.
        column = -1
        entry = low = high = exit_ = 0
        low_first = True
        for at, value in run:
            x = round((at - since) * sx)
            y = bottom - round((value if value < top else top) * sy)
            if x != column:
                if column >= 0:
                    _column_points(points, column, entry, low, high, low_first, exit_)
                    entry = low = high = exit_  # the value held up to this column
                else:
                    entry = low = high = y
                column = x
            if y < low:
                low, low_first = y, False  # the highest y (if any) came before
            elif y > high:
                high, low_first = y, True
            exit_ = y
        if column >= 0:
            _column_points(points, column, entry, low, high, low_first, exit_)
        if len(points) == 1:  # one known moment: a dot wide enough to see
            points.append((points[0][0] + 1, points[0][1]))
        polylines.append(QPolygon([QPoint(x, y) for x, y in points]))
    return polylines


def _column_points(
    points: list[tuple[int, int]],
    x: int,
    entry: int,
    low: int,
    high: int,
    low_first: bool,
    exit_: int,
) -> None:
    """Append a pixel column's steps: entry, extremes in time order, exit; no repeats."""
    for y in (entry, low, high, exit_) if low_first else (entry, high, low, exit_):
        if not points or points[-1] != (x, y):
            points.append((x, y))


_ENABLED = int(QStyle.StateFlag.State_Enabled.value)
_SELECTED = int(QStyle.StateFlag.State_Selected.value)
_ACTIVE = int(QStyle.StateFlag.State_Active.value)


def line_colour(option: QStyleOptionViewItem) -> QColor:
    """The palette's highlight on a plain row, its highlighted text on a selected one (the
    selection's background is the highlight); greyed when the view is disabled."""
    state = int(option.state.value)  # type: ignore[attr-defined]
    palette: QPalette = option.palette  # type: ignore[attr-defined]
    if not state & _ENABLED:
        group = QPalette.ColorGroup.Disabled
    elif state & _SELECTED and not state & _ACTIVE:
        group = QPalette.ColorGroup.Inactive  # the selection fades with the window: follow it
    else:
        group = QPalette.ColorGroup.Active
    selected = bool(state & _SELECTED)
    role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Highlight
    return palette.color(group, role)


class SparklineDelegate(QStyledItemDelegate):
    """Paints `SPARKLINE_ROLE` cells; any other cell as the default delegate would."""

    def __init__(self, parent: QObject | None = None, *, role: int = SPARKLINE_ROLE) -> None:
        super().__init__(parent)
        self._role = role
        self._cache: dict[tuple[str, int], tuple[_CacheKey, QPixmap]] = {}

    def polylines(self, cell: SparklineCell, width: int, height: int) -> list[QPolygon]:
        """The cell's polylines in a `width` × `height` box (built anew: see `picture`)."""
        top = max(cell.max_participants, cell.sparkline.high or 0, 1)
        return step_polylines(cell.sparkline, top, width, height)

    def picture(self, cell: SparklineCell, size: QSize, colour: QColor, ratio: float) -> QPixmap:
        """The cell's line drawn on a transparent pixmap, built only when its picture, size or
        colour changed. Stroking a polyline of a few hundred points costs this machine over
        100 µs; blitting the pixmap a few."""
        sparkline = cell.sparkline
        key: _CacheKey = (
            sparkline.since,
            sparkline.until,
            sparkline.version,
            cell.max_participants,
            size.width(),
            size.height(),
            ratio,
        )
        slot = (cell.room_sid, colour.rgba())
        cached = self._cache.get(slot)
        if cached is not None and cached[0] == key:
            return cached[1]
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()
        pixmap = QPixmap(size * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        pen = QPen(colour, 1)
        pen.setCosmetic(True)
        painter.setPen(pen)
        for line in self.polylines(cell, size.width(), size.height()):
            painter.drawPolyline(line)  # one per stretch of known counts
        painter.end()
        self._cache[slot] = (key, pixmap)
        return pixmap

    def cached_pictures(self) -> int:
        """How many cell pictures are kept (for tests)."""
        return len(self._cache)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        cell = index.data(self._role)
        if not isinstance(cell, SparklineCell):
            super().paint(painter, option, index)
            return
        # The view's option already has what the panel needs (rect, state, palette, alternate
        # row): initStyleOption would ask the model for every role of the cell first.
        widget = option.widget  # type: ignore[attr-defined]
        style = widget.style() if widget is not None else QApplication.style()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, widget)
        rect = option.rect.adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)  # type: ignore[attr-defined]
        if rect.width() < 2 or rect.height() < 2 or not cell.sparkline.runs:
            return
        ratio = widget.devicePixelRatioF() if widget is not None else 1.0
        pixmap = self.picture(cell, rect.size(), line_colour(option), ratio)
        painter.drawPixmap(rect.topLeft(), pixmap)

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        """The same for every room (with or without history yet): the column never jumps."""
        metrics = option.fontMetrics  # type: ignore[attr-defined]
        return QSize(metrics.averageCharWidth() * WIDTH_CHARS, metrics.height() + 2 * MARGIN)
