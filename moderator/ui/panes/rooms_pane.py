"""The rooms pane: in-progress rooms in a sortable table, with Create room… and End room."""

from __future__ import annotations

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QModelIndex,
    QObject,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QVBoxLayout,
    QWidget,
)

from moderator.core.live_state import RoomRow
from moderator.ui.actions import Actions
from moderator.ui.models.filter_proxies import RoomsFilterModel
from moderator.ui.models.roles import SORT_ROLE
from moderator.ui.models.rooms_model import OPTION_COLUMNS, RoomColumn, RoomsModel
from moderator.ui.models.sparkline_delegate import WIDTH_CHARS as SPARKLINE_CHARS
from moderator.ui.models.sparkline_delegate import SparklineDelegate
from moderator.ui.panes.empty_state import EmptyStateOverlay
from moderator.ui.panes.filter_box import FilterBox
from moderator.ui.panes.pane_widgets import action_button, popup_context_menu, row_table_view

#: The room name's least width in average characters: narrower, the table would scroll sideways.
NAME_MIN_CHARS = 8
#: The name column's width in a first layout, in average characters, unless longer names show.
NAME_CHARS = 24
#: The widest a first layout makes the name column, in average characters.
NAME_MAX_CHARS = 28


ROOMS_TITLE = "Rooms"


class RoomsPane(QWidget):
    """Lists rooms; emits `roomSelected(sid or None)` when the host picks a different room."""

    roomSelected = Signal(object)  # str | None

    def __init__(self, model: RoomsModel, actions: Actions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._actions = actions
        self._selected_sid: str | None = None

        self.title = QLabel(ROOMS_TITLE, self)
        self.title.setObjectName("paneTitle")
        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addStretch(1)
        for action, name in ((actions.new_room, "Create room"), (actions.end_room, "End room")):
            header.addWidget(action_button(self, action, name))

        # Connected before the proxy exists, so it runs before the view reacts to a removal.
        self._selection_lost = False
        model.rowsAboutToBeRemoved.connect(self._on_rows_about_to_be_removed)
        self._proxy = RoomsFilterModel(model, self)
        # A room filtered out is a room gone from the table: the same, before the view reacts.
        self._proxy.rowsAboutToBeRemoved.connect(self._on_proxy_rows_about_to_be_removed)
        # New rooms may have longer names: they come before the sparklines' width.
        # (After the view has taken them in: it hears of them after this pane.)
        self._proxy.rowsInserted.connect(
            lambda *_args: QTimer.singleShot(0, self, self._fit_sparklines)
        )
        self._proxy.setSortRole(SORT_ROLE)
        self._proxy.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

        self.view = row_table_view(self, "Rooms", self._proxy)
        self.view.setSortingEnabled(True)
        # Each room's last 30 minutes, drawn from the counts the session keeps anyway.
        self.sparkline_delegate = SparklineDelegate(self.view)
        self.view.setItemDelegateForColumn(RoomColumn.SPARKLINE, self.sparkline_delegate)
        self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header_view = self.view.horizontalHeader()
        header_view.setStretchLastSection(False)
        header_view.setMinimumSectionSize(48)
        # The name takes what is left and elides first; the counts always show in full.
        header_view.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header_view.setSectionResizeMode(RoomColumn.NAME, QHeaderView.ResizeMode.Stretch)
        # Every sparkline has the same width, set by the pane (`_fit_sparklines`), never
        # measured row by row each time a count moves one: its preferred width where there is
        # room, down to the least section when the pane is narrow (the sparklines give way
        # before the room names do, the counts never).
        header_view.setSectionResizeMode(RoomColumn.SPARKLINE, QHeaderView.ResizeMode.Fixed)
        header_view.resizeSection(RoomColumn.SPARKLINE, self.sparkline_width())
        self.view.viewport().installEventFilter(self)
        header_view.sectionResized.connect(self._on_section_resized)
        # The create options are there for the host who wants them: hidden, listed in the
        # header's context menu.
        for column in OPTION_COLUMNS:
            header_view.setSectionHidden(column, True)
        header_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header_view.customContextMenuRequested.connect(self._show_header_menu)
        self.view.verticalScrollBar().rangeChanged.connect(lambda *_: self.fit_columns())
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._show_context_menu)
        self.view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        # A room that vanishes (ended here or elsewhere) clears the selection: the view must not
        # quietly move it to a neighbour, where the next End room or Delete would land.
        self._proxy.rowsRemoved.connect(self._after_rows_removed)

        self._empty = EmptyStateOverlay(
            self.view,
            "No rooms in progress.\nCreate one with Room ▸ Create room… (Ctrl+N).",
        )

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # "Filter rooms" narrows the table by name (core/filtering.py); Escape clears it.
        self.filter_box = FilterBox("Filter rooms", self)
        self.filter_box.setToolTip("Room name or SID; Escape clears")
        self.filter_box.textChanged.connect(self._proxy.set_filter_text)
        layout.addLayout(header)
        layout.addWidget(self.filter_box)
        layout.addWidget(self.view)
        self.fit_columns()

    def set_updating(self, updating: bool) -> None:
        """Say the rows are the last known ones, waiting for Twilio's first answer."""
        self.title.setText(f"{ROOMS_TITLE} — updating…" if updating else ROOMS_TITLE)
        self.title.setToolTip(
            "The rooms as they were last seen; Twilio's answer replaces them." if updating else ""
        )

    # -- queries ---------------------------------------------------------------------------
    def selected_sid(self) -> str | None:
        """SID of the selected room, if any."""
        return self._selected_sid

    def selected_room(self) -> RoomRow | None:
        """The selected room's current row, if it is still listed."""
        if self._selected_sid is None:
            return None
        row = self._model.row_of(self._selected_sid)
        return self._model.room_at(row) if row >= 0 else None

    def room_count(self) -> int:
        """How many rooms are listed."""
        return self._proxy.rowCount()

    def columns_width(self, name_width: int | None = None) -> int:
        """The table's width showing every column, the name `name_width` wide (else at least).

        Count columns are as wide as their header or widest cell; the frame and the vertical
        scroll bar (once the rooms outgrow the pane) come on top.
        """
        header = self.view.horizontalHeader()
        # Not the name header's own hint: its sort arrow space alone would cost a few letters.
        least_name = max(
            header.minimumSectionSize(),
            self.view.fontMetrics().averageCharWidth() * NAME_MIN_CHARS,
        )
        counts = sum(
            max(header.sectionSizeHint(column), self.view.sizeHintForColumn(column))
            for column in range(header.count())
            if column not in (RoomColumn.NAME, RoomColumn.SPARKLINE)
            and not header.isSectionHidden(column)
        )
        if not header.isSectionHidden(RoomColumn.SPARKLINE):
            counts += header.minimumSectionSize()
        scroll_bar = self.view.verticalScrollBar()
        chrome = 2 * self.view.frameWidth()
        if scroll_bar.maximum() > 0:
            chrome += scroll_bar.sizeHint().width()
        return max(least_name, name_width or 0) + counts + chrome

    def preferred_width(self) -> int:
        """Wide enough for typical room names too, or the listed ones (up to `NAME_MAX_CHARS`)."""
        char = self.view.fontMetrics().averageCharWidth()
        longest = max(self.view.sizeHintForColumn(RoomColumn.NAME), char * NAME_CHARS)
        # The sparklines at their least: a first start's window stays within small screens;
        # where it is wider, they get their share of the room to spare.
        return self.columns_width(min(longest, char * NAME_MAX_CHARS))

    def sparkline_width(self) -> int:
        """The sparkline column's width where the pane has room: its title's, or about two
        pixels a minute."""
        header = self.view.horizontalHeader()
        chars = self.view.fontMetrics().averageCharWidth() * SPARKLINE_CHARS
        return max(header.sectionSizeHint(RoomColumn.SPARKLINE), chars)

    def _fit_sparklines(self) -> None:
        """Give the sparklines what the viewport has beyond the other columns and the room
        names (whole, up to `NAME_MAX_CHARS`), up to their preferred width: a name cut short
        costs the host more than a narrower line."""
        header = self.view.horizontalHeader()
        if header.isSectionHidden(RoomColumn.SPARKLINE):
            return
        char = self.view.fontMetrics().averageCharWidth()
        least_name = max(
            header.minimumSectionSize(),
            char * NAME_MIN_CHARS,
            min(self.view.sizeHintForColumn(RoomColumn.NAME), char * NAME_MAX_CHARS),
        )
        others = sum(
            header.sectionSize(column)
            for column in range(header.count())
            if column not in (RoomColumn.NAME, RoomColumn.SPARKLINE)
        )
        room = self.view.viewport().width() - others - least_name
        width = max(header.minimumSectionSize(), min(self.sparkline_width(), room))
        if width != header.sectionSize(RoomColumn.SPARKLINE):
            header.resizeSection(RoomColumn.SPARKLINE, width)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The table's viewport changed width: the sparklines take what it has for them."""
        if watched is self.view.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_sparklines()
        return super().eventFilter(watched, event)

    # -- commands --------------------------------------------------------------------------
    def select_sid(self, sid: str | None) -> bool:
        """Select the room with `sid` (None clears); False if it is not listed."""
        if sid is None:
            self.view.clearSelection()
            return True
        source_row = self._model.row_of(sid)
        if source_row < 0:
            return False
        self._select_proxy_row(self._proxy.mapFromSource(self._model.index(source_row, 0)).row())
        return True

    def select_next(self) -> None:
        """Select the room below the current one (wrapping), e.g. for Ctrl+PgDown."""
        self._step(+1)

    def select_previous(self) -> None:
        """Select the room above the current one (wrapping), e.g. for Ctrl+PgUp."""
        self._step(-1)

    def _step(self, delta: int) -> None:
        count = self._proxy.rowCount()
        if count == 0:
            return
        current = self.view.currentIndex()
        selected = self.view.selectionModel().selectedRows()
        row = selected[0].row() if selected else (current.row() if current.isValid() else -1)
        first_or_last = 0 if delta > 0 else count - 1
        self._select_proxy_row(first_or_last if row < 0 else (row + delta) % count)

    def _select_proxy_row(self, row: int) -> None:
        index = self._proxy.index(row, 0)
        self.view.setCurrentIndex(index)
        self.view.selectRow(row)
        self.view.scrollTo(index)

    # -- internals -------------------------------------------------------------------------
    def _sid_for_proxy_index(self, index: QModelIndex) -> str | None:
        if not index.isValid():
            return None
        row = self._model.room_at(self._proxy.mapToSource(index).row())
        return row.room.sid if row is not None else None

    def _on_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        if self._selection_lost:
            return
        rows = self.view.selectionModel().selectedRows()
        sid = self._sid_for_proxy_index(rows[0]) if rows else None
        if sid != self._selected_sid:
            self._selected_sid = sid
            self.roomSelected.emit(sid)

    def _on_rows_about_to_be_removed(self, _parent: QModelIndex, first: int, last: int) -> None:
        if self._selected_sid is not None:
            row = self._model.row_of(self._selected_sid)
            if first <= row <= last:
                self._selection_lost = True

    def _on_proxy_rows_about_to_be_removed(
        self, _parent: QModelIndex, first: int, last: int
    ) -> None:
        rows = self.view.selectionModel().selectedRows()
        if rows and first <= rows[0].row() <= last:
            self._selection_lost = True

    def _after_rows_removed(self) -> None:
        if not self._selection_lost:
            return
        self.view.selectionModel().clear()
        self._selection_lost = False
        self._selected_sid = None
        self.roomSelected.emit(None)

    def _on_section_resized(self, column: int, _old: int, _new: int) -> None:
        if column not in (RoomColumn.NAME, RoomColumn.SPARKLINE):  # a count grew (9 → 10/50)
            self.fit_columns()

    def fit_columns(self) -> None:
        """Keep the table at least as wide as its columns: narrowing it narrows the sparklines,
        then elides the name."""
        self.view.setMinimumWidth(self.columns_width())
        self._fit_sparklines()

    def column_menu(self) -> QMenu:
        """The header's context menu: one check per column the host may show or hide."""
        header = self.view.horizontalHeader()
        menu = QMenu(self)
        menu.setAccessibleName("Columns")
        for column in RoomColumn:
            if column == RoomColumn.NAME:
                continue
            title = str(self._model.headers[column])
            action = menu.addAction(title)
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(column))
            action.toggled.connect(
                lambda shown, column=column: self.set_column_shown(column, shown)
            )
        return menu

    def set_column_shown(self, column: int, shown: bool) -> None:
        self.view.horizontalHeader().setSectionHidden(column, not shown)
        self.fit_columns()

    def _show_header_menu(self, pos: QPoint) -> None:
        menu = self.column_menu()
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.view.horizontalHeader().mapToGlobal(pos))

    def _show_context_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if index.isValid():
            self._select_proxy_row(index.row())
        popup_context_menu(self, self.view, pos, self._actions.room_context_menu)
