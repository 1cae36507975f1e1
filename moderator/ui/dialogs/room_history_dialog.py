"""Room history…: a room's participants and phone guests over the last 1, 8 or 24 hours.

The chart is painted by hand with QPainter: two step lines, the room's max-participants and
Twilio's 35-phone limit as dashed lines, a tick where people joined (up) or left (down), and
the value under the pointer. A few hundred points at most (minute buckets beyond the hour), so
a repaint is well under a frame; no plotting library is worth its size for this. Peak, average
and person-minutes sit above it; Export CSV writes the room's minutes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, QTimer, Slot
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from moderator.core.count_history import CountHistory, CountPoint
from moderator.core.live_state import MAX_PHONE_PARTICIPANTS

RANGES = (("Last hour", 3600.0), ("Last 8 hours", 8 * 3600.0), ("Last 24 hours", 24 * 3600.0))
PARTICIPANTS_COLOUR = QColor("#1f6feb")
PHONES_COLOUR = QColor("#2da44e")
LIMIT_COLOUR = QColor("#cf222e")
GRID_COLOUR = QColor("#d0d7de")
REFRESH_MS = 5000
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 36, 12, 10, 22


def nice_step(top: int, ticks: int = 4) -> int:
    """A round grid step giving about `ticks` lines up to `top` (1, 2, 5, 10, 20, 25, 50…)."""
    raw = max(1.0, top / ticks)
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500):
        if step >= raw:
            return step
    return int(math.ceil(raw / 1000) * 1000)


def time_ticks(since: float, until: float) -> list[float]:
    """Round local times to label along the axis: every 15 min over an hour, every hour over
    8 hours, every 4 hours over a day."""
    span = until - since
    every = 900.0 if span <= 3600 else 3600.0 if span <= 8 * 3600 else 4 * 3600.0
    offset = datetime.fromtimestamp(since).astimezone().utcoffset()
    shift = offset.total_seconds() if offset is not None else 0.0
    first = math.ceil((since + shift) / every) * every - shift
    ticks = []
    at = first
    while at <= until + 1e-6:
        ticks.append(at)
        at += every
    return ticks


class CountChart(QWidget):
    """Participants and phone guests over a time range, with the room's limits."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Participants over time")
        self.setMinimumSize(420, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self._points: list[CountPoint] = []
        self._since = 0.0
        self._until = 1.0
        self._max_participants = 0
        #: Pixel geometry of the lines, built once per data and size: a repaint (hover, expose)
        #: only hands ready polygons to Qt.
        self._geometry: tuple[tuple[int, int], list[QPolygonF], list[QLineF], list[QLineF]] | None
        self._geometry = None

    def set_series(
        self, points: list[CountPoint], since: float, until: float, max_participants: int
    ) -> None:
        self._points = points
        self._since, self._until = since, max(until, since + 1.0)
        self._max_participants = max_participants
        self._geometry = None
        self.setAccessibleDescription(self.summary())
        self.update()

    def summary(self) -> str:
        if not self._points:
            return "No counts in this range yet"
        last = self._points[-1]
        return f"Now {last.participants} participants, {last.phones} by phone"

    # -- geometry -------------------------------------------------------------------------------

    def _plot(self) -> QRectF:
        return QRectF(
            MARGIN_LEFT,
            MARGIN_TOP,
            max(1.0, self.width() - MARGIN_LEFT - MARGIN_RIGHT),
            max(1.0, self.height() - MARGIN_TOP - MARGIN_BOTTOM),
        )

    def _top_value(self) -> int:
        """The scale's top: the data with some headroom; a limit only when it is near enough
        to matter (a 50-person cap would flatten a room of 6 into the floor)."""
        peak = max((p.peak_participants for p in self._points), default=0)
        phones = max((p.peak_phones for p in self._points), default=0)
        top = max(math.ceil(peak * 1.1), peak + 2, 5)
        if 0 < self._max_participants <= top * 1.5:
            top = max(top, self._max_participants + 1)
        if phones >= MAX_PHONE_PARTICIPANTS * 0.6:
            top = max(top, MAX_PHONE_PARTICIPANTS + 1)
        step = nice_step(top)
        return math.ceil(top / step) * step  # a round top: the grid reads 0, 20, 40, 60

    def _x(self, at: float, plot: QRectF) -> float:
        return plot.left() + (at - self._since) / (self._until - self._since) * plot.width()

    def _y(self, value: float, plot: QRectF, top: int) -> float:
        return plot.bottom() - value / top * plot.height()

    # -- painting -------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        plot = self._plot()
        top = self._top_value()
        painter.setPen(QPen(GRID_COLOUR, 1))
        painter.drawRect(plot)
        metrics = painter.fontMetrics()
        for value in range(0, top + 1, nice_step(top)):
            y = self._y(value, plot, top)
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(self.palette().text().color())
            painter.drawText(
                QRectF(0, y - 8, MARGIN_LEFT - 4, 16), Qt.AlignmentFlag.AlignRight, str(value)
            )
            painter.setPen(QPen(GRID_COLOUR, 1))
        painter.setPen(self.palette().text().color())
        for at in time_ticks(self._since, self._until):
            label = datetime.fromtimestamp(at).strftime("%H:%M")
            x = self._x(at, plot)
            width = metrics.horizontalAdvance(label) + 4
            left = min(max(x - width / 2, plot.left()), plot.right() - width)
            painter.drawText(
                QRectF(left, plot.bottom() + 4, width, 16), Qt.AlignmentFlag.AlignCenter, label
            )
        size = (self.width(), self.height())
        if self._geometry is None or self._geometry[0] != size:
            steps = [self._steps(plot, top, phones) for phones in (False, True)]
            self._geometry = (size, steps, *self._changes(plot))
        _size, steps, joins, leaves = self._geometry
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)  # axis-aligned lines
        for polygon, colour in zip(steps, (PARTICIPANTS_COLOUR, PHONES_COLOUR), strict=True):
            painter.setPen(QPen(colour, 2))
            painter.drawPolyline(polygon)
        painter.setPen(QPen(PHONES_COLOUR, 1))
        painter.drawLines(joins)
        painter.setPen(QPen(GRID_COLOUR.darker(150), 1))
        painter.drawLines(leaves)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        # The limits last, so the counts' lines never cross their words.
        limit_pen = QPen(LIMIT_COLOUR, 1, Qt.PenStyle.DashLine)
        limits = ((self._max_participants, "max"), (MAX_PHONE_PARTICIPANTS, "phone limit"))
        for limit, name in limits:
            if 0 < limit < top:
                y = self._y(limit, plot, top)
                painter.setPen(limit_pen)
                painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
                label = f"{name} {limit}"
                width = metrics.horizontalAdvance(label) + 6
                text_box = QRectF(plot.right() - width - 2, y - 15, width, 14)
                painter.fillRect(text_box, self.palette().base())  # lines never cross the words
                painter.setPen(LIMIT_COLOUR)
                painter.drawText(text_box, Qt.AlignmentFlag.AlignCenter, label)
        painter.end()

    def _steps(self, plot: QRectF, top: int, phones: bool) -> QPolygonF:
        """A step function as one polyline of horizontal and vertical segments."""
        left, width, bottom, height = plot.left(), plot.width(), plot.bottom(), plot.height()
        since, span = self._since, self._until - self._since
        polygon = QPolygonF()
        previous_y: float | None = None
        for point in self._points:
            x = left + (point.at - since) / span * width
            y = bottom - (point.phones if phones else point.participants) / top * height
            if previous_y is not None:
                polygon.append(QPointF(x, previous_y))
            polygon.append(QPointF(x, y))
            previous_y = y
        return polygon

    def _changes(self, plot: QRectF) -> tuple[list[QLineF], list[QLineF]]:
        """Ticks on the time axis where people joined (up) or left (down)."""
        left, width, y = plot.left(), plot.width(), plot.bottom()
        since, span = self._since, self._until - self._since
        joins: list[QLineF] = []
        leaves: list[QLineF] = []
        for before, after in zip(self._points, self._points[1:], strict=False):
            if after.participants == before.participants:
                continue
            x = left + (after.at - since) / span * width
            if after.participants > before.participants:
                joins.append(QLineF(x, y, x, y - 5))
            else:
                leaves.append(QLineF(x, y, x, y + 5))
        return joins, leaves

    # -- hover ----------------------------------------------------------------------------------

    def value_at(self, at: float) -> CountPoint | None:
        """The point in force at `at` (the last one not after it)."""
        found = None
        for point in self._points:
            if point.at > at:
                break
            found = point
        return found

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        plot = self._plot()
        x = event.position().x()
        if not self._points or not plot.left() <= x <= plot.right():
            QToolTip.hideText()
            return
        at = self._since + (x - plot.left()) / plot.width() * (self._until - self._since)
        point = self.value_at(at)
        if point is None:
            return
        when = datetime.fromtimestamp(point.at).strftime("%H:%M:%S")
        text = f"{when}: {point.participants} participants, {point.phones} by phone"
        if point.peak_participants > point.participants:
            text += f" (peak {point.peak_participants})"
        QToolTip.showText(event.globalPosition().toPoint(), text, self)


class RoomHistoryDialog(QDialog):
    """One room's history; follows the session's counts while it is open."""

    def __init__(
        self,
        history: CountHistory,
        room_sid: str,
        room_name: str,
        max_participants: int,
        now: Callable[[], float],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Room history — {room_name}")
        self._history = history
        self._room_sid = room_sid
        self._max_participants = max_participants
        self._now = now
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.range_combo = QComboBox(self)
        self.range_combo.setAccessibleName("History range")
        for text, seconds in RANGES:
            self.range_combo.addItem(text, seconds)
        self.stats = QLabel(self)
        self.stats.setAccessibleName("History summary")
        self.chart = CountChart(self)
        legend = QLabel(
            f"<span style='color:{PARTICIPANTS_COLOUR.name()}'>━ participants</span> &nbsp; "
            f"<span style='color:{PHONES_COLOUR.name()}'>━ phone guests</span> &nbsp; "
            f"<span style='color:{LIMIT_COLOUR.name()}'>┅ limits</span>",
            self,
        )
        self.export_button = QPushButton("Export CSV…", self)
        self.export_button.setAccessibleName("Export counts")
        self.export_button.clicked.connect(self._export)
        header = QHBoxLayout()
        header.addWidget(QLabel("Show:", self))
        header.addWidget(self.range_combo)
        header.addStretch(1)
        header.addWidget(self.export_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.stats)
        layout.addWidget(self.chart, 1)
        layout.addWidget(legend)
        layout.addWidget(buttons)
        self.range_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.resize(640, 380)
        self.refresh()

    def range_s(self) -> float:
        return float(self.range_combo.currentData())

    @Slot()
    def refresh(self) -> None:
        """Redraw from the history as it is now (also every few seconds while open)."""
        now = self._now()
        since = now - self.range_s()
        points = self._history.points(self._room_sid, since, now)
        self.chart.set_series(points, since, now, self._max_participants)
        stats = self._history.stats(self._room_sid, since, now)
        self.stats.setText(
            f"Peak {stats.peak_participants} participants ({stats.peak_phones} by phone) · "
            f"average {stats.average_participants:.1f} · "
            f"{stats.person_minutes:.0f} person-minutes"
        )

    def export_to(self, path: str) -> int:
        from pathlib import Path

        return self._history.export_csv(self._room_sid, Path(path))

    @Slot()
    def _export(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, "Export counts", "room-counts.csv", "CSV files (*.csv)"
        )
        if path:
            rows = self.export_to(path)
            self.stats.setText(f"{self.stats.text()} — exported {rows} minutes")
