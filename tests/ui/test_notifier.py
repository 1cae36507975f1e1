"""Desktop notifications: joins, leaves and failed dials; switchable off; bursts summed up."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from moderator.core.guest_state import GuestEvent
from moderator.ui.notifier import MAX_SEPARATE, Notifier

AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def event(kind: str, text: str, room: str = "standup") -> GuestEvent:
    return GuestEvent(at=AT, room_sid="RM" + "0" * 32, room_name=room, kind=kind, text=text)


@pytest.fixture
def owner(qtbot: QtBot) -> Iterator[QObject]:
    """The notifier's parent, as the main window would be."""
    parent = QObject()
    yield parent
    parent.deleteLater()


def make_notifier(owner: QObject, **kwargs: bool) -> tuple[Notifier, list[tuple[str, str]]]:
    notifier = Notifier(owner, **kwargs)
    shown: list[tuple[str, str]] = []
    notifier.shown.connect(lambda title, text: shown.append((title, text)))
    return notifier, shown


def test_joins_leaves_and_failed_dials_are_notified(owner: QObject) -> None:
    notifier, shown = make_notifier(owner)
    count = notifier.notify_events(
        [
            event("dialed", "Dialing Alice · ••• 2671"),
            event("ringing", "Ringing"),
            event("joined", "Alice · ••• 2671 joined by phone"),
            event("app-left", "bob left"),
            event("dial-failed", "Busy (rang 8 s)"),
            event("removed", "Removed carol"),
        ]
    )
    assert count == 3
    assert shown == [
        ("Joined · standup", "Alice · ••• 2671 joined by phone"),
        ("Left · standup", "bob left"),
        ("Dial failed · standup", "Busy (rang 8 s)"),
    ]


def test_switched_off_shows_nothing(owner: QObject) -> None:
    notifier, shown = make_notifier(owner, enabled=False)
    assert notifier.notify_events([event("joined", "Alice joined")]) == 0
    assert not notifier.notify("Title", "Text")
    notifier.set_enabled(True)
    assert notifier.notify_events([event("app-joined", "dan joined")]) == 1
    notifier.set_enabled(False)
    notifier.notify_events([event("left", "dan left")])
    assert shown == [("Joined · standup", "dan joined")]


def test_a_burst_becomes_one_summary(owner: QObject) -> None:
    notifier, shown = make_notifier(owner)
    burst = [event("app-joined", f"user{i} joined") for i in range(MAX_SEPARATE + 2)]
    burst.append(event("dial-failed", "No answer", room="retro"))
    assert notifier.notify_events(burst) == 1
    assert shown == [("Room Moderator", "5 joined, 1 dial failed in retro, standup")]


def test_never_shows_a_full_phone_number(owner: QObject) -> None:
    notifier, shown = make_notifier(owner)
    notifier.notify("Dial failed", "Could not call +1 415 555 2671")
    assert shown == [("Dial failed", "Could not call ••• 2671")]


def test_silent_without_a_system_tray(owner: QObject) -> None:
    # The offscreen platform has no tray: nothing is displayed, yet `shown` reports it.
    notifier, shown = make_notifier(owner)
    assert not notifier.tray_available
    assert notifier.notify("Hello", "World")
    assert shown == [("Hello", "World")]
