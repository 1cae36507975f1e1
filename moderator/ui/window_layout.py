"""Where the main window opens and how its panes are split, remembered from one start to the next.

The first start has nothing saved: the window takes a share of the screen it is on (never less
than it needs to show every column, never more than the screen), centred, and the splitters give
each pane what it needs. From then on the saved geometry, splitter and header states win.
Settings keep each state as base64 text (`Settings.window_geometry`, `window_state`, `ui_state`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QRect, QSize
from PySide6.QtWidgets import QHeaderView, QMainWindow, QSplitter

from moderator.core.settings import Settings

#: Share of the screen's available width and height a first start opens at.
SCREEN_SHARE = (0.75, 0.80)

FirstStart = Callable[[QSize], None]
"""Lays the panes out for a window of this (client) size, when nothing was saved."""


def first_start_geometry(
    available: QRect, least: QSize, share: tuple[float, float] = SCREEN_SHARE
) -> QRect:
    """`share` of `available`, at least `least` and at most `available`, centred in it."""
    width = min(max(round(available.width() * share[0]), least.width()), available.width())
    height = min(max(round(available.height() * share[1]), least.height()), available.height())
    rect = QRect(0, 0, width, height)
    rect.moveCenter(available.center())
    return rect


@dataclass(frozen=True, slots=True)
class PaneWidths:
    """What a pane in a splitter needs (`least`) and what shows it comfortably (`preferred`)."""

    least: int
    preferred: int


def first_split(total: int, first: PaneWidths, second: PaneWidths, *, share: float) -> list[int]:
    """Two panes' sizes in `total`: both at their preferred widths, the first pane taking
    `share` of any room to spare; short of room, each gives up the same part of what it would
    like above its least, and at worst both get their least."""
    spare = total - first.preferred - second.preferred
    if spare >= 0:
        size = first.preferred + round(spare * share)
    else:
        wanted = (first.preferred - first.least) + (second.preferred - second.least)
        room = max(0, total - first.least - second.least)
        part = min(1.0, room / wanted) if wanted > 0 else 1.0
        size = first.least + round((first.preferred - first.least) * part)
    size = max(0, min(size, total - second.least))
    return [size, total - size]


class WindowLayout:
    """Saves and restores `window`'s geometry and state, its splitters' and its headers'."""

    def __init__(
        self,
        window: QMainWindow,
        splitters: Sequence[QSplitter],
        headers: Mapping[str, QHeaderView],
    ) -> None:
        self._window = window
        self._splitters = tuple(splitters)
        self._headers = dict(headers)

    def restore(self, settings: Settings, first_start: FirstStart, least: QSize) -> bool:
        """Apply what `settings` saved; False if there was no geometry (a first start), after
        sizing the window on its screen, at least `least`, and letting `first_start` split
        the panes."""
        window = self._window
        restored = bool(settings.window_geometry) and window.restoreGeometry(
            _blob(settings.window_geometry)
        )
        if not restored:
            screen = window.screen()
            if screen is not None:
                geometry = first_start_geometry(screen.availableGeometry(), least)
                window.resize(geometry.size())
                window.move(geometry.topLeft())
            first_start(window.size())
        if settings.window_state:
            window.restoreState(_blob(settings.window_state))
        for splitter in self._splitters:
            blob = settings.ui_state.get(splitter.objectName())
            if blob:
                splitter.restoreState(_blob(blob))
        for name, header in self._headers.items():
            blob = settings.ui_state.get(name)
            if blob:
                default = header.saveState()
                header.restoreState(_blob(blob))
                if not _consistent(header):  # saved before a column was added: start afresh
                    header.restoreState(default)
        return restored

    def save(self, settings: Settings) -> None:
        """Record the current geometry, state, splitters and headers into `settings`."""
        settings.window_geometry = _b64(self._window.saveGeometry())
        settings.window_state = _b64(self._window.saveState())
        for splitter in self._splitters:
            settings.ui_state[splitter.objectName()] = _b64(splitter.saveState())
        for name, header in self._headers.items():
            settings.ui_state[name] = _b64(header.saveState())


def _blob(text: str) -> QByteArray:
    return QByteArray.fromBase64(text.encode("ascii"))


def _b64(data: QByteArray) -> str:
    return bytes(data.toBase64().data()).decode("ascii")


__all__ = ["SCREEN_SHARE", "PaneWidths", "WindowLayout", "first_split", "first_start_geometry"]


def _consistent(header: QHeaderView) -> bool:
    """Whether a restored header's length is its sections' sum (Qt keeps the saved length when
    the state has fewer sections than the model, and leaves the new ones unpainted)."""
    total = sum(
        header.sectionSize(index)
        for index in range(header.count())
        if not header.isSectionHidden(index)
    )
    return header.length() == total
