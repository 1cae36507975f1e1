"""The filter boxes' proxies: the rooms table and the roster narrowed to what the host typed.

Both ask `moderator.core.filtering` (pure, unit-tested) whether a row matches, so the rules are
the same in every view. A proxy filters in place (rows leave and come back through the proxy's
own remove/insert signals), so the views keep their selection while the selected row matches.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Signal,
)

from moderator.core.filtering import Query, room_matches, roster_row_matches
from moderator.ui.models.rooms_model import RoomsModel
from moderator.ui.models.roster_model import RosterModel


class _TextFilterProxy(QSortFilterProxyModel):
    """A proxy whose filter is a typed `Query`; `filterChanged` says the text changed."""

    filterChanged = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._query = Query.parse("")

    @property
    def filter_text(self) -> str:
        return self._text

    @property
    def query(self) -> Query:
        return self._query

    def set_filter_text(self, text: str) -> None:
        """Narrow the rows to those matching `text` ("" shows all)."""
        if text == self._text:
            return
        self.beginFilterChange()
        self._text = text
        self._query = Query.parse(text)
        self.endFilterChange()
        self.filterChanged.emit(text)


class RosterFilterModel(_TextFilterProxy):
    """The roster as "Filter participants" narrows it (the source's order is kept)."""

    def __init__(self, source: RosterModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._source = source
        self.setSourceModel(source)

    def filterAcceptsRow(self, source_row: int, source_parent: object) -> bool:
        if not self._query:
            return True
        row = self._source.row_at(source_row)
        return row is not None and roster_row_matches(row, self._query)


class RoomsFilterModel(_TextFilterProxy):
    """The rooms table as "Filter rooms" narrows it; sorting stays the view's.

    It also hands a delegate's many-roles question to the rooms model in one call (Qt's proxy
    would ask it role by role, one call into Python each): most of a repaint's cost."""

    def __init__(self, source: RoomsModel | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        if source is not None:
            self.setSourceModel(source)

    def multiData(
        self,
        index: QModelIndex | QPersistentModelIndex,
        roleDataSpan: QModelRoleDataSpan | QModelRoleData,
    ) -> None:
        source = self.sourceModel()
        if source is not None:
            source.multiData(self.mapToSource(index), roleDataSpan)

    def filterAcceptsRow(self, source_row: int, source_parent: object) -> bool:
        if not self._query:
            return True
        source = self.sourceModel()
        row = source.room_at(source_row) if isinstance(source, RoomsModel) else None
        return row is not None and room_matches(row.room.unique_name, row.room.sid, self._query)
