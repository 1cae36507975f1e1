"""Custom item data roles shared by the app's table models.

Views and delegates ask for these instead of parsing display text: the row object behind an index
(what Remove or Redial acts on), a sort key of the right type (durations sort as numbers, not as
"10:02" < "9:59"), and the row's stable key.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

ROW_ROLE = int(Qt.ItemDataRole.UserRole) + 1
"""The row's object (RoomRow, RosterRow, LogEntry)."""

SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 2
"""A comparable value for sorting that column (use as the proxy's sortRole)."""

KEY_ROLE = int(Qt.ItemDataRole.UserRole) + 3
"""The row's stable key (room SID, roster key, log sequence number) as a string."""

__all__ = ["KEY_ROLE", "ROW_ROLE", "SORT_ROLE"]
