"""The status bar's co-host line: who else is moderating this account, or why sharing is off.

Its text comes whole from the session's `CoHostDesk` ("Also moderating: Ana, Bob",
"Co-host sharing paused: …"); this widget only shows it, with the full story as its tooltip.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QLabel, QWidget

if TYPE_CHECKING:  # the window paints before the session (and the twilio SDK) is imported
    from moderator.ui.session import Session

__all__ = ["CoHostStatus"]

TOOLTIP = (
    "Co-hosts on this account share their phone guests (label, masked number, who dialed, "
    "status, mute) through Twilio Sync. Full numbers never leave the machine that dialed them."
)


class CoHostStatus(QLabel):
    """Shows the attached session's co-host line; empty (hidden) without co-hosting."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Co-hosts")
        self.setToolTip(TOOLTIP)
        self.setTextFormat(Qt.TextFormat.RichText)
        self._session: Session | None = None
        self.linkActivated.connect(self._retry)
        self.hide()

    def attach(self, session: Session) -> None:
        self._session = session
        session.cohostStatusChanged.connect(self.show_text)
        self.show_text(session.cohost_status)

    def detach(self) -> None:
        self._session = None
        self.setText("")
        self.setAccessibleDescription("")
        self.hide()

    @Slot(str)
    def show_text(self, text: str) -> None:
        """Show the line; a paused or off one gets a "Try again" link."""
        shown = html.escape(text)
        if text.startswith(("Co-host sharing paused", "Co-host sharing off")):
            shown += ' <a href="retry">Try again</a>'
        self.setText(shown)
        self.setAccessibleDescription(text)
        self.setVisible(bool(text))

    @property
    def plain_text(self) -> str:
        """The line without its link, as the desk gave it."""
        return self.accessibleDescription()

    @Slot(str)
    def _retry(self, _link: str) -> None:
        desk = self._session.cohosts if self._session is not None else None
        if desk is not None:
            desk.retry_now()
