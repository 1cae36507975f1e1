"""The window's panes and the splitters between them: rooms (over the lobby) | roster above,
the log below.

It owns the splitters, so it also knows the panes' least and preferred widths and how to split
the space on a first start (each pane as wide as its columns want, as far as the window allows).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from moderator.ui.panes.event_log_pane import EventLogPane
from moderator.ui.panes.lobby_pane import LobbyPane
from moderator.ui.panes.rooms_pane import RoomsPane
from moderator.ui.panes.roster_pane import RosterPane
from moderator.ui.window_layout import PaneWidths, first_split

MARGIN = 8


class PaneArea(QWidget):
    """The main window's central widget."""

    def __init__(
        self,
        rooms: RoomsPane,
        roster: RosterPane,
        event_log: EventLogPane,
        lobby: LobbyPane,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._rooms, self._roster = rooms, roster
        self.top = QSplitter(Qt.Orientation.Horizontal, self)
        self.top.setObjectName("topSplitter")
        # The lobby sits under the rooms: callers on hold and the room they want, side by side.
        self.left = QSplitter(Qt.Orientation.Vertical, self.top)
        self.left.setObjectName("leftSplitter")
        self.left.setChildrenCollapsible(False)
        self.left.addWidget(rooms)
        self.left.addWidget(lobby)
        self.left.setStretchFactor(0, 3)
        self.left.setStretchFactor(1, 2)
        self.top.addWidget(self.left)
        self.top.addWidget(roster)
        self.top.setStretchFactor(0, 2)
        self.top.setStretchFactor(1, 3)
        self.main = QSplitter(Qt.Orientation.Vertical, self)
        self.main.setObjectName("mainSplitter")
        self.main.addWidget(self.top)
        self.main.addWidget(event_log)
        self.main.setStretchFactor(0, 3)
        self.main.setStretchFactor(1, 1)
        # Margins on a layout around the splitter count in the window's minimum size (a
        # splitter's own contents margins do not, and would let the roster be squeezed).
        layout = QVBoxLayout(self)
        layout.setContentsMargins(MARGIN, MARGIN, MARGIN, MARGIN)
        layout.addWidget(self.main)

    def pane_widths(self) -> tuple[PaneWidths, PaneWidths]:
        """The rooms and roster panes' least and preferred widths, as the splitter sees them."""
        rooms_least = self._rooms.minimumSizeHint().width()
        names = self._rooms.preferred_width() - self._rooms.columns_width()
        roster_least = self._roster.minimumSizeHint().width()
        roster_preferred = max(roster_least, self._roster.preferred_width())
        return (
            PaneWidths(rooms_least, rooms_least + names),
            PaneWidths(roster_least, roster_preferred),
        )

    def comfort_width(self) -> int:
        """Extra width, beyond the least, that shows both panes' columns at preferred widths."""
        rooms, roster = self.pane_widths()
        return rooms.preferred - rooms.least + roster.preferred - roster.least

    def split(self, size: QSize) -> None:
        """First start: share `size` (the window's) between the panes."""
        width = size.width() - 2 * MARGIN - self.top.handleWidth()
        self.top.setSizes(first_split(width, *self.pane_widths(), share=1 / 3))
        self.main.setSizes([size.height() * 3 // 4, size.height() // 4])
