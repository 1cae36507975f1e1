"""The no-keyring dialog: what is wrong, what to install or unlock, retry, or the sandbox."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from moderator.core.profiles import KeyringProblem, KeyringUnavailable
from moderator.ui.dialogs.keyring_problem_dialog import KeyringProblemDialog

LEFT = Qt.MouseButton.LeftButton


def make_dialog(qtbot: QtBot, problem: KeyringUnavailable) -> KeyringProblemDialog:
    dialog = KeyringProblemDialog(problem)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_says_what_to_install_on_linux(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    problem = KeyringUnavailable(KeyringProblem.NO_BACKEND, "NoKeyringError: no backend")
    dialog = make_dialog(qtbot, problem)
    assert dialog.windowTitle() == "No system keyring available"
    assert dialog.message_label.text() == problem.message
    action = dialog.action_label.text()
    assert "GNOME Keyring" in action
    assert "KWallet" in action
    assert "sandbox" in action
    assert "never in a file" in dialog.why_label.text()
    assert "NoKeyringError" in dialog.detail_label.text()


def test_locked_keyring_says_unlock(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    dialog = make_dialog(qtbot, KeyringUnavailable(KeyringProblem.LOCKED))
    assert dialog.windowTitle() == "The system keyring is locked"
    assert dialog.action_label.text().startswith("Unlock")
    assert dialog.detail_label.isHidden()


def test_try_again_emits_retry(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot, KeyringUnavailable(KeyringProblem.FAILED))
    with qtbot.waitSignal(dialog.retryRequested, timeout=1_000):
        qtbot.mouseClick(dialog.retry_button, LEFT)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert not dialog.isVisible()


def test_keep_using_sandbox_closes(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot, KeyringUnavailable(KeyringProblem.FAILED))
    retried: list[bool] = []
    dialog.retryRequested.connect(lambda: retried.append(True))
    qtbot.mouseClick(dialog.close_button, LEFT)
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert retried == []
