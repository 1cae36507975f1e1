"""A read-only table over a list of immutable row objects, shared by every list the app shows.

The shape and header of the table, the item flags and the mapping from item roles to per-column
hooks are the same for rooms, roster and event log; only how the rows change (diffed, appended)
and what each column says differ, so those stay in the subclasses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from moderator.ui.models.roles import KEY_ROLE, ROW_ROLE, SORT_ROLE

R = TypeVar("R")

ModelIndex = QModelIndex | QPersistentModelIndex


class RowTableModel(QAbstractTableModel, Generic[R]):
    """Rows in `self._rows`; subclasses say what each column shows, says and sorts by."""

    headers: tuple[str, ...] = ()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[R] = []

    # -- subclass hooks -----------------------------------------------------------------------

    def row_key(self, row: R) -> str:
        """The row's stable key, as KEY_ROLE reports it."""
        raise NotImplementedError

    def _display(self, row: R, column: int) -> str | None:
        return None

    def _spoken(self, row: R, column: int) -> str | None:
        """What a screen reader says for the cell."""
        return None

    def _tooltip(self, row: R, column: int) -> str | None:
        return self._spoken(row, column)

    def _sort_key(self, row: R, column: int) -> object:
        return None

    def _other_data(self, row: R, column: int, role: int) -> object:
        """Roles beyond text, sorting and keys: icons, alignment, fonts."""
        return None

    # -- Qt model API -------------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> object:
        if (
            orientation is Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.headers)
        ):
            return self.headers[section]
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        row = self._row_for_index(index)
        if row is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._spoken(row, column)
        if role == SORT_ROLE:
            return self._sort_key(row, column)
        if role == ROW_ROLE:
            return row
        if role == KEY_ROLE:
            return self.row_key(row)
        return self._other_data(row, column, role)

    # -- access -------------------------------------------------------------------------------

    def rows(self) -> list[R]:
        """A copy of the rows in model order."""
        return list(self._rows)

    def row_object(self, row: int) -> R | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def _row_for_index(self, index: ModelIndex) -> R | None:
        if not index.isValid() or index.model() is not self:
            return None
        return self.row_object(index.row())

    def _emit_column_changed(self, column: int, roles: Sequence[int] = ()) -> None:
        """One dataChanged for a whole column: the cheap way to make times tick."""
        if self._rows:
            self.dataChanged.emit(
                self.index(0, column), self.index(len(self._rows) - 1, column), list(roles)
            )


__all__ = ["ModelIndex", "RowTableModel"]
