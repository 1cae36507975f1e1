"""Destructive commands ask first: a non-blocking box whose default button is Cancel."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget


def ask_destructive(
    parent: QWidget,
    icon: QMessageBox.Icon,
    title: str,
    question: str,
    details: str,
    button_text: str,
    act: Callable[[], None],
) -> QMessageBox:
    """Ask; `act` runs only if the host clicks `button_text` (Enter and Escape cancel)."""
    box = QMessageBox(icon, title, question, QMessageBox.StandardButton.Cancel, parent)
    box.setInformativeText(details)
    confirm_button = box.addButton(button_text, QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def on_clicked(button: object) -> None:
        if button is confirm_button:
            act()

    box.buttonClicked.connect(on_clicked)
    box.open()
    return box
