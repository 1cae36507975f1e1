"""A table model updated by diff keyed on a stable key, never by reset.

Views keep their selection, current index and scroll position across a refresh only if the model
reports exactly what changed: rows removed, rows inserted, rows moved and the cells whose text
changed. Resetting would make the roster jump under the host's cursor once a second.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from PySide6.QtCore import QModelIndex, QObject

from moderator.core.guest_state import utcnow
from moderator.ui.models.roles import SORT_ROLE
from moderator.ui.models.table_base import ModelIndex, RowTableModel

R = TypeVar("R")

Now = Callable[[], datetime]


class KeyedTableModel(RowTableModel[R]):
    """Rows of immutable objects identified by `row_key`; subclasses describe the columns."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._positions: dict[str, int] = {}

    # -- subclass hooks -----------------------------------------------------------------------

    def cells(self, row: R) -> tuple[object, ...]:
        """One cheap comparable value per column: a changed value means a changed cell."""
        raise NotImplementedError

    # -- access -------------------------------------------------------------------------------

    def row_of(self, key: str) -> int:
        """Model row of `key`, or -1."""
        return self._positions.get(key, -1)

    def object_for(self, key: str) -> R | None:
        position = self._positions.get(key)
        return None if position is None else self._rows[position]

    # -- the diff -----------------------------------------------------------------------------

    def set_row_objects(self, new_rows: Sequence[R]) -> None:
        """Make the model hold `new_rows` in that order, announcing only what changed. O(n)."""
        wanted: list[R] = []
        wanted_keys: list[str] = []
        seen: set[str] = set()
        for row in new_rows:  # a duplicate key would corrupt the view's bookkeeping: keep the first
            key = self.row_key(row)
            if key not in seen:
                seen.add(key)
                wanted.append(row)
                wanted_keys.append(key)

        rows = self._rows
        keys = [self.row_key(row) for row in rows]
        parent = QModelIndex()

        # 1. Removals, bottom-up, one signal per contiguous run.
        end = len(rows) - 1
        while end >= 0:
            if keys[end] in seen:
                end -= 1
                continue
            start = end
            while start - 1 >= 0 and keys[start - 1] not in seen:
                start -= 1
            self.beginRemoveRows(parent, start, end)
            del rows[start : end + 1]
            del keys[start : end + 1]
            self.endRemoveRows()
            end = start - 1

        # 2. Walk the wanted order: keep, move up, or insert runs of new rows.
        present = set(keys)
        i = 0
        while i < len(wanted):
            key = wanted_keys[i]
            if i < len(keys) and keys[i] == key:
                self._update(i, wanted[i])
                i += 1
                continue
            if key in present:
                source = keys.index(key, i + 1)
                self.beginMoveRows(parent, source, source, parent, i)
                rows.insert(i, rows.pop(source))
                keys.insert(i, keys.pop(source))
                self.endMoveRows()
                self._update(i, wanted[i])
                i += 1
                continue
            run_end = i
            while run_end + 1 < len(wanted) and wanted_keys[run_end + 1] not in present:
                run_end += 1
            self.beginInsertRows(parent, i, run_end)
            rows[i:i] = wanted[i : run_end + 1]
            keys[i:i] = wanted_keys[i : run_end + 1]
            present.update(wanted_keys[i : run_end + 1])
            self.endInsertRows()
            i = run_end + 1

        self._positions = {key: position for position, key in enumerate(keys)}

    def _update(self, position: int, new: R) -> None:
        old = self._rows[position]
        if old is new or old == new:
            return
        self._rows[position] = new
        old_cells, new_cells = self.cells(old), self.cells(new)
        changed = [c for c, (a, b) in enumerate(zip(old_cells, new_cells, strict=True)) if a != b]
        if changed:
            self.dataChanged.emit(
                self.index(position, changed[0]), self.index(position, changed[-1]), []
            )

    def _sort_value(self, value: object) -> object:
        """Sort keys must be comparable across rows: None sorts first as an empty string."""
        return "" if value is None else value


__all__ = ["SORT_ROLE", "KeyedTableModel", "ModelIndex", "Now", "utcnow"]
