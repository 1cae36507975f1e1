"""Ask for a SIP guest's digest password again, for a redial.

The password is not kept between dials unless the host had it remembered in the OS keyring, so
a redial asks for it. The box is window-modal and non-blocking (opened, never exec'd): the
window keeps repainting while it waits, and the answer arrives through a callback.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QLineEdit, QWidget


def ask_sip_password(
    parent: QWidget, guest_name: str, on_password: Callable[[str], None]
) -> QInputDialog:
    """Ask for the password to redial `guest_name` (as the roster shows it: masked);
    `on_password` runs only when the host typed one and clicked Redial."""
    dialog = QInputDialog(parent)
    dialog.setWindowTitle("SIP password")
    dialog.setInputMode(QInputDialog.InputMode.TextInput)
    dialog.setLabelText(f"The SIP endpoint asks for a password. Password to redial {guest_name}:")
    dialog.setTextEchoMode(QLineEdit.EchoMode.Password)
    dialog.setOkButtonText("Redial")
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    line = dialog.findChild(QLineEdit)
    if line is not None:
        line.setAccessibleName("SIP password")

    def selected(text: str) -> None:
        if text:
            on_password(text)

    dialog.textValueSelected.connect(selected)
    dialog.open()
    return dialog
