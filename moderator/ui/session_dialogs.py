"""The dialogs that belong to the open session: the dial dialog and the call history window.

At most one of each is open; both go when the session does (the history reads its journal, which
closes with it). The window asks this object to open, raise or update them, and keeps none of
their state itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDialog, QWidget

from moderator.core.models import CallerId
from moderator.core.settings import Settings
from moderator.ui.models.roster_model import RosterModel

if TYPE_CHECKING:  # imported when first opened: the window's first paint needs neither
    from moderator.ui.dialogs.dial_dialog import DialDialog
    from moderator.ui.dialogs.history_dialog import HistoryDialog
    from moderator.ui.session import Session


class SessionDialogs(QObject):
    """Opens, raises, updates and closes the session's two dialogs."""

    def __init__(
        self,
        window: QWidget,
        settings: Settings,
        *,
        roster: RosterModel,
        on_dialed: Callable[[str], None],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._settings = settings
        self._roster = roster
        self._on_dialed = on_dialed
        self.dial: DialDialog | None = None
        self.history: HistoryDialog | None = None

    def open_dial(self, session: Session, room_sid: str, room_name: str) -> DialDialog:
        """The dial dialog for that room (the open one is raised instead of a second)."""
        if self.dial is not None:
            self.dial.raise_()
            self.dial.activateWindow()
            return self.dial
        from moderator.ui.dialogs.dial_dialog import DialDialog

        dialog = DialDialog(
            backend=session,
            room_sid=room_sid,
            room_name=room_name,
            caller_ids=session.caller_ids,
            default_region=self._settings.default_country,
            taken_identities=self.taken_identities,
            parent=self._window,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.dialed.connect(self._on_dialed)
        dialog.finished.connect(lambda _result: self._dial_closed(dialog))
        self.dial = dialog
        dialog.open()
        return dialog

    def taken_identities(self) -> set[str]:
        """Identities a new guest must not use: everyone connected or on the way in."""
        return {
            row.identity
            for row in self._roster.rows()
            if row.status is None or not row.status.is_final
        }

    def _dial_closed(self, dialog: DialDialog) -> None:
        if dialog.result() == QDialog.DialogCode.Accepted.value:
            self._settings.default_country = dialog.region()
        if self.dial is dialog:
            self.dial = None

    def open_history(
        self, session: Session, room_sid: str | None, room_name: str, dial_id: str | None
    ) -> HistoryDialog | None:
        """Call history (one window per session, raised if open), at `dial_id` if given."""
        if session.journal is None:
            return None
        dialog = self.history
        if dialog is None:
            from moderator.ui.dialogs.history_dialog import HistoryDialog

            dialog = HistoryDialog(session.journal, parent=self._window)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            session.events.connect(dialog.on_events)
            dialog.finished.connect(lambda _result: self._history_closed(dialog))
            self.history = dialog
            dialog.set_room(room_sid, room_name)
            dialog.show()
        else:  # already open, maybe behind the main window: bring it up to date and to the front
            dialog.refresh()
            dialog.raise_()
            dialog.activateWindow()
        if dial_id is not None:
            dialog.show_dial(dial_id)
        return dialog

    def _history_closed(self, dialog: HistoryDialog) -> None:
        if self.history is dialog:
            self.history = None

    def set_caller_ids(self, caller_ids: list[CallerId]) -> None:
        if self.dial is not None:
            self.dial.set_caller_ids(caller_ids)

    def set_room(self, room_sid: str | None, room_name: str) -> None:
        if self.history is not None:
            self.history.set_room(room_sid, room_name)

    def close_all(self) -> None:
        """The session is going: its dialogs go too."""
        if self.dial is not None:
            self.dial.reject()
        if self.history is not None:
            self.history.close()
            self.history = None
