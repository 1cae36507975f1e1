"""Explains that no usable OS keyring exists, what to install or unlock, and that work goes on.

Room Moderator never falls back to storing Twilio secrets in a file, so without a keyring the
only honest thing is to say so plainly, tell the user how to fix it for their platform, and keep
the local sandbox available meanwhile.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from moderator.core.profiles import KeyringProblem, KeyringUnavailable

_TITLES = {
    KeyringProblem.LOCKED: "The system keyring is locked",
    KeyringProblem.NO_BACKEND: "No system keyring available",
    KeyringProblem.FAILED: "The system keyring refused",
}


class KeyringProblemDialog(QDialog):
    """Shows a `KeyringUnavailable`: its message, what to do, and a Try again button.

    Emits `retryRequested` when the user says they have installed or unlocked a keyring; the
    caller repeats what failed. Closing keeps the app on the sandbox.
    """

    retryRequested = Signal()

    def __init__(self, problem: KeyringUnavailable, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.problem = problem
        title = _TITLES[problem.problem]
        self.setWindowTitle(title)
        self.setAccessibleName("Keyring problem")

        icon = QLabel(self)
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_MessageBoxIconSize, None, self)
        icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(size)
        )
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)

        self.heading = QLabel(f"<b>{title}</b>", self)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.message_label = QLabel(problem.message, self)
        self.message_label.setWordWrap(True)
        self.message_label.setAccessibleName("Keyring problem message")
        self.action_label = QLabel(problem.action, self)
        self.action_label.setWordWrap(True)
        self.action_label.setAccessibleName("What to do")
        self.action_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.why_label = QLabel(
            "Room Moderator keeps Twilio auth tokens and API key secrets only in the system "
            "keyring, never in a file, so saved profiles cannot be used until one is available.",
            self,
        )
        self.why_label.setObjectName("fieldHint")
        self.why_label.setWordWrap(True)
        self.detail_label = QLabel(f"Details: {problem.detail}" if problem.detail else "", self)
        self.detail_label.setObjectName("fieldHint")
        self.detail_label.setWordWrap(True)
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_label.setVisible(bool(problem.detail))

        self.buttons = QDialogButtonBox(self)
        self.retry_button = QPushButton("Try again", self)
        self.retry_button.setAccessibleName("Try again")
        self.close_button = QPushButton("Keep using the sandbox", self)
        self.close_button.setAccessibleName("Keep using the sandbox")
        self.close_button.setDefault(True)
        self.buttons.addButton(self.retry_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(self.close_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.retry_button.clicked.connect(self._retry)
        self.close_button.clicked.connect(self.reject)

        text = QVBoxLayout()
        for label in (
            self.heading,
            self.message_label,
            self.action_label,
            self.why_label,
            self.detail_label,
        ):
            text.addWidget(label)
        body = QHBoxLayout()
        body.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        body.addLayout(text, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)

    def _retry(self) -> None:
        self.accept()
        self.retryRequested.emit()
