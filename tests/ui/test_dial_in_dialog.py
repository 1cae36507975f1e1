"""The "Set up dial-in" dialog: what it offers, what it refuses, and what it warns about."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
)
from pytestqt.qtbot import QtBot

from moderator.core.dialin import AdmitMode, AllowEntry
from moderator.sandbox.server import SandboxServer
from moderator.ui.dialogs.dial_in_dialog import DialInDialog, parse_allow_list
from tests.ui.session_fixtures import Harness, make_harness
from tests.ui.window_harness import WAIT_MS, by_name, click


@pytest.fixture
def h(qtbot: QtBot, sandbox: SandboxServer) -> Iterator[Harness]:
    harness = make_harness(qtbot, sandbox)
    yield harness
    harness.session.stop()


def dialog_for(qtbot: QtBot, h: Harness) -> DialInDialog:
    dialog = DialInDialog(h.session.dial_in, room_names=["town-hall"], default_room="town-hall")
    qtbot.addWidget(dialog)
    dialog.show()
    combo = by_name(dialog, QComboBox, "Dial-in number")
    qtbot.waitUntil(combo.isEnabled, timeout=WAIT_MS)
    return dialog


def test_it_offers_the_accounts_voice_numbers_and_starts_enabled(qtbot: QtBot, h: Harness) -> None:
    dialog = dialog_for(qtbot, h)
    combo = by_name(dialog, QComboBox, "Dial-in number")
    offered = {combo.itemData(i).phone_number for i in range(combo.count())}
    assert offered == {n.phone_number for n in h.sandbox.world.incoming_numbers}
    assert by_name(dialog, QPushButton, "Start dial-in").isEnabled()
    assert not by_name(dialog, QPushButton, "Stop dial-in").isEnabled()  # nothing to stop yet


def test_a_number_on_a_twiml_app_says_what_setting_up_changes(qtbot: QtBot, h: Harness) -> None:
    number = h.sandbox.world.incoming_numbers[0]
    app_sid = h.sandbox.world.create_application("IVR", voice_url="https://example.com/ivr")
    h.sandbox.world.set_number_voice(number.sid, voice_application_sid=app_sid)
    dialog = dialog_for(qtbot, h)
    combo = by_name(dialog, QComboBox, "Dial-in number")
    combo.setCurrentIndex(
        next(i for i in range(combo.count()) if combo.itemData(i).sid == number.sid)
    )
    warning = dialog.warning
    assert warning.isVisible() and f"TwiML App {app_sid}" in warning.text()
    assert "puts it back" in warning.text()


def test_bad_choices_disable_start_with_the_reason(qtbot: QtBot, h: Harness) -> None:
    dialog = dialog_for(qtbot, h)
    start = by_name(dialog, QPushButton, "Start dial-in")
    by_name(dialog, QComboBox, "Dial-in room").setEditText("")
    assert not start.isEnabled() and start.toolTip()
    by_name(dialog, QComboBox, "Dial-in room").setEditText("town-hall")
    click(qtbot, by_name(dialog, QCheckBox, "Admit automatically"))
    click(qtbot, by_name(dialog, QRadioButton, "Admit only the allow-list"))
    assert not start.isEnabled() and "allow-list" in start.toolTip()
    qtbot.keyClicks(by_name(dialog, QPlainTextEdit, "Allow-list"), "12 Bob")
    assert not start.isEnabled() and "line 1" in start.toolTip()
    by_name(dialog, QPlainTextEdit, "Allow-list").setPlainText("+1 415 555 2671 Ana")
    assert start.isEnabled()
    request = dialog.request()
    assert not isinstance(request, str)
    assert request.mode is AdmitMode.ALLOW_LIST
    assert request.allow_list == (AllowEntry("+14155552671", "Ana"),)
    assert by_name(dialog, QLabel, "Dial-in message").text() == ""


@pytest.mark.parametrize(
    ("text", "entries"),
    [
        (
            "+1 415 555 2671 Ana\n\n+44 20 7946 0958, Bob Jones",
            [("+14155552671", "Ana"), ("+442079460958", "Bob Jones")],
        ),
        ("(415) 555-2671", [("+14155552671", "")]),
    ],
)
def test_allow_list_lines(text: str, entries: list[tuple[str, str]]) -> None:
    parsed, problem = parse_allow_list(text, "US")
    assert problem == ""
    assert [(e.number, e.label) for e in parsed] == entries
