"""Where the main window opens and how its panes are split, remembered from one start to the next.

The first start has nothing saved: the window takes a share of the screen it is on (never less
than it needs to show every column, never more than the screen), centred, and the splitters give
each pane what it needs. From then on the saved geometry, splitter and header states win.
Settings keep each state as base64 text (`Settings.window_geometry`, `window_state`, `ui_state`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QDataStream, QRect, QSize
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
                _restore_header(header, _blob(blob))
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


def _restore_header(header: QHeaderView, state: QByteArray) -> None:
    """Restore `state` into `header`, keeping a state saved before columns were appended.

    Qt restores such a state's sections but keeps its length (the sum of the saved visible
    sections) and leaves the new ones unpainted. So the host's choices in it (widths, hidden
    columns, order, sort) are read from the restored header, then laid over a first layout,
    which has the new columns as it wants them. A state of some other table (more sections
    than this one) is ignored: the first layout stays.
    """
    saved = saved_section_count(state)
    count = header.count()
    if saved is None or saved == count:
        header.restoreState(state)
        return
    if saved > count or saved == 0:
        return
    default = header.saveState()
    if not header.restoreState(state):
        return
    sizes = [header.sectionSize(i) for i in range(saved)]
    hidden = [header.isSectionHidden(i) for i in range(saved)]
    order = sorted(range(saved), key=header.visualIndex)
    sort = header.sortIndicatorSection(), header.sortIndicatorOrder()
    header.restoreState(default)
    for i in range(saved):
        header.setSectionHidden(i, hidden[i])
        if not hidden[i]:
            header.resizeSection(i, sizes[i])
    for place, logical in enumerate(order):
        header.moveSection(header.visualIndex(logical), place)
    if 0 <= sort[0] < saved:
        header.setSortIndicator(*sort)


#: What `QHeaderView.saveState` writes first (Qt 4.5 to 6).
_HEADER_STATE_MARKER = 0xFF


def saved_section_count(state: QByteArray) -> int | None:
    """How many sections a `QHeaderView.saveState` blob holds; None if it is not one.

    Read from the blob's fixed head (marker, version, orientation, sort indicator, visual and
    logical indices, hidden bits, hidden sizes, length, then the count), the layout Qt has
    written since 4.5, streamed as Qt 5.0 data.
    """
    stream = QDataStream(state)
    stream.setVersion(QDataStream.Version.Qt_5_0)
    if stream.readInt32() != _HEADER_STATE_MARKER or stream.readInt32() != 0:
        return None
    stream.readInt32()  # orientation
    stream.readInt32()  # sort order
    stream.readInt32()  # sort section
    stream.readBool()  # sort indicator shown
    for _list in range(2):  # visual, then logical indices
        stream.skipRawData(4 * stream.readUInt32())
    stream.skipRawData((stream.readUInt32() + 7) // 8)  # hidden sections, a bit each
    stream.skipRawData(8 * stream.readUInt32())  # hidden sections' sizes, int → int
    stream.readInt32()  # length
    count = stream.readInt32()
    if stream.status() != QDataStream.Status.Ok or count < 0:
        return None
    return count
