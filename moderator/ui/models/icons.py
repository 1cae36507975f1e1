"""Small icons the models hand to views, drawn once with QPainter and cached.

Drawn rather than loaded so the models need no resource files, and tinted with the palette's
text colour so they read in light and dark themes alike.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QApplication, QStyle

_SIZES = (16, 24, 32)


def _ink() -> QColor:
    return QGuiApplication.palette().windowText().color()


def _canvas(size: int) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    return pixmap


def _draw_phone(size: int) -> QPixmap:
    """A telephone handset: a thick arc with an ear and a mouth piece."""
    pixmap = _canvas(size)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 16.0
    painter.translate(size / 2, size / 2)
    painter.rotate(-45)
    pen = QPen(_ink(), 2.2 * s, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    path = QPainterPath(QPointF(-5.5 * s, -1.0 * s))
    path.cubicTo(QPointF(-3.0 * s, 4.5 * s), QPointF(3.0 * s, 4.5 * s), QPointF(5.5 * s, -1.0 * s))
    painter.drawPath(path)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(_ink())
    painter.drawRoundedRect(QRectF(-7.2 * s, -2.6 * s, 4.0 * s, 3.2 * s), 1.2 * s, 1.2 * s)
    painter.drawRoundedRect(QRectF(3.2 * s, -2.6 * s, 4.0 * s, 3.2 * s), 1.2 * s, 1.2 * s)
    painter.end()
    return pixmap


def _draw_app(size: int) -> QPixmap:
    """A screen on a stand: someone in the room through the Video SDK (browser or app)."""
    pixmap = _canvas(size)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 16.0
    pen = QPen(_ink(), 1.6 * s)
    painter.setPen(pen)
    painter.drawRoundedRect(QRectF(1.5 * s, 2.0 * s, 13.0 * s, 9.0 * s), 1.2 * s, 1.2 * s)
    painter.drawLine(QPointF(8.0 * s, 11.0 * s), QPointF(8.0 * s, 13.5 * s))
    painter.drawLine(QPointF(4.5 * s, 14.0 * s), QPointF(11.5 * s, 14.0 * s))
    painter.end()
    return pixmap


def _icon(draw: object) -> QIcon:
    icon = QIcon()
    for size in _SIZES:
        icon.addPixmap(draw(size))  # type: ignore[operator]
    return icon


@cache
def phone_icon() -> QIcon:
    return _icon(_draw_phone)


@cache
def app_icon() -> QIcon:
    return _icon(_draw_app)


@cache
def warning_icon() -> QIcon:
    """For errors and failed dials in the event log: the platform's own warning sign."""
    style = QApplication.style()
    return style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
