"""Toolbar widgets that say how the link to Twilio is doing and when data was last fresh."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from moderator.core.connection import ConnectionKind, ConnectionState


class ConnectionIndicator(QWidget):
    """A coloured pill ("Online", "Problem — retrying in 4 s", …) and "Last refresh 12:03:04"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pill = QLabel(self)
        self.pill.setObjectName("connectionIndicator")
        self.pill.setAccessibleName("Connection status")
        self.last_refresh = QLabel(self)
        self.last_refresh.setObjectName("lastRefresh")
        self.last_refresh.setAccessibleName("Last refresh")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.pill)
        layout.addWidget(self.last_refresh)
        self.set_state(ConnectionState(ConnectionKind.CONNECTING))

    def set_state(self, state: ConnectionState) -> None:
        """Show `state`: text and colour, a tooltip with the reason, and the last refresh time."""
        self.pill.setText(state.label)
        self.pill.setProperty("state", state.kind.value)
        self.pill.style().unpolish(self.pill)
        self.pill.style().polish(self.pill)
        tooltip = state.message or {
            ConnectionKind.CONNECTING: "Waiting for the first answer from Twilio",
            ConnectionKind.ONLINE: "Twilio is answering; the view refreshes by itself",
        }.get(state.kind, "")
        if state.kind is ConnectionKind.AUTH_REJECTED:
            tooltip = (
                (state.message + " " if state.message else "")
                + "Update the profile's credentials (File ▸ Add Twilio profile…)."
            ).strip()
        self.pill.setToolTip(tooltip)
        self.set_last_refresh(state.last_success)

    def set_last_refresh(self, when: datetime | None) -> None:
        """`when` in local time, or a dash before the first successful refresh."""
        if when is None:
            self.last_refresh.setText("Last refresh —")
            self.last_refresh.setToolTip("No successful refresh yet")
        else:
            local = when.astimezone()
            self.last_refresh.setText(f"Last refresh {local:%H:%M:%S}")
            self.last_refresh.setToolTip(f"Last successful refresh: {local:%Y-%m-%d %H:%M:%S}")
