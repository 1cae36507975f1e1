"""The Help menu's boxes: About, and the sandbox's phone numbers (what each one does)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from moderator import __version__
from moderator.ui import resources

SANDBOX_CHEAT_SHEET = """
<p>The local sandbox behaves like Twilio. Numbers it understands (To):</p>
<table cellspacing="0" cellpadding="3">
<tr><td><b>+1 500-555-0001</b></td><td>refused: 21211 invalid number</td></tr>
<tr><td><b>+1 500-555-0002</b></td><td>refused: 21214 number cannot be reached</td></tr>
<tr><td><b>+1 500-555-0003</b></td><td>refused: 21215 no geo permission</td></tr>
<tr><td>ends in <b>1111</b></td><td>busy</td></tr>
<tr><td>ends in <b>2222</b></td><td>rings until the timeout, then no answer</td></tr>
<tr><td>ends in <b>3333</b></td><td>fails</td></tr>
<tr><td>any other valid number</td><td>answers and joins the room,
e.g. <b>(415) 555-2671</b></td></tr>
</table>
<p>Caller IDs are the sandbox account's own numbers (shown in the Dial dialog).</p>
"""


def show_about(parent: QWidget) -> None:
    """Help ▸ About (non-blocking, like every dialog here)."""
    box = QMessageBox(
        QMessageBox.Icon.NoIcon,
        "About Room Moderator",
        f"<h3>Room Moderator {__version__}</h3>"
        "<p>Watch your Twilio Video rooms live, dial phone guests in with one click, and "
        "remove participants. Credentials stay in your operating system's keyring.</p>"
        "<p>No account? The built-in <b>Sandbox (local)</b> profile behaves like Twilio, "
        "with demo rooms, and needs no network.</p>",
        QMessageBox.StandardButton.Close,
        parent,
    )
    box.setIconPixmap(resources.icon("room-moderator").pixmap(64, 64))
    _open(box)


def show_sandbox_cheat_sheet(parent: QWidget) -> None:
    """Help ▸ Sandbox phone numbers."""
    box = QMessageBox(
        QMessageBox.Icon.Information,
        "Sandbox phone numbers",
        SANDBOX_CHEAT_SHEET,
        QMessageBox.StandardButton.Close,
        parent,
    )
    _open(box)


def _open(box: QMessageBox) -> None:
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
