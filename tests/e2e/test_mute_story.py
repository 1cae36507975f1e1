"""End to end: a host mutes a participant for everyone in a 10-person room, a latecomer gets the
mute too, the host unmutes, mutes all phone guests, and a restarted app shows the mutes it did
not make. The app as `main()` wires it, on the in-process sandbox; what Twilio has is read back
from the sandbox's side (`world.subscribe_rules_of`), and its request log proves the write rate.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QProgressBar, QPushButton, QToolButton
from pytestqt.qtbot import QtBot

from moderator.core.guest_state import GuestStatus
from moderator.core.mute_rules import Member, SubscribeRule, hears
from moderator.sandbox.clock import ManualClock
from moderator.sandbox.request_log import RequestRecord
from moderator.ui.dialogs.dial_dialog import DialDialog
from moderator.ui.main_window import MainWindow
from moderator.ui.models.roster_model import RosterColumn
from moderator.ui.sandbox_runner import SandboxRunner
from tests.e2e.app_harness import HOST_NAME, open_app_window, until
from tests.ui.window_harness import WAIT_MS, answer_message_box, by_name, click, wait_for_dialog

ROOM = "town-hall"
NUMBERS = ("+14155552671", "+14155550177")


@pytest.fixture
def runner(isolated_config_dir: Path) -> Iterator[SandboxRunner]:
    runner = SandboxRunner(demo=False, seed=11, clock=ManualClock())
    runner.start()
    world = runner.server.world
    world.create_room(ROOM)
    for i in range(10):
        world.join_app_participant(ROOM, f"user{i}")
    yield runner
    runner.stop()


def open_window(qtbot: QtBot, runner: SandboxRunner) -> MainWindow:
    window = open_app_window(qtbot, runner)
    qtbot.waitUntil(lambda: window.rooms_pane.selected_sid() is not None, timeout=WAIT_MS)
    session = window.session
    assert session is not None
    room_sid = window.rooms_pane.selected_sid()
    assert room_sid is not None
    qtbot.waitUntil(lambda: session.mutes.synced(room_sid), timeout=WAIT_MS)
    return window


def people(runner: SandboxRunner) -> dict[str, str]:
    """Identity → PA… SID of everyone connected to the room now."""
    world = runner.server.world
    room_sid = world.find_room(ROOM).sid
    return {p.identity: p.sid for p in world.participants(room_sid) if p.status == "connected"}


def rules(runner: SandboxRunner, participant_sid: str) -> tuple[SubscribeRule, ...]:
    raw = runner.server.world.subscribe_rules_of(participant_sid)
    return tuple(SubscribeRule.from_json(rule) for rule in raw)


def nobody_hears(runner: SandboxRunner, identity: str) -> bool:
    everyone = people(runner)
    publisher = Member(identity, everyone[identity])
    return all(
        not hears(rules(runner, sid), publisher) for who, sid in everyone.items() if who != identity
    )


def everybody_hears(runner: SandboxRunner, identity: str) -> bool:
    everyone = people(runner)
    publisher = Member(identity, everyone[identity])
    return all(hears(rules(runner, sid), publisher) for sid in everyone.values())


def noted_muted_by(runner: SandboxRunner) -> set[str]:
    """The `muted_by` names of the phone guests' items in the shared guest book (Sync)."""
    world = runner.server.world
    names: set[str] = set()
    for service in world.sync_services():
        for item in world.sync_map_items(service.sid, "room-moderator-guests"):
            if item.key.startswith("phone-"):
                names.add(str(item.data.get("muted_by", "")))
    return names


def rule_writes(runner: SandboxRunner) -> list[RequestRecord]:
    entries = runner.server.request_log.entries()
    return [r for r in entries if r.is_write and r.path.endswith("/SubscribeRules")]


def peak_per_second(records: list[RequestRecord]) -> int:
    times = sorted(r.perf_time for r in records)
    return max((sum(1 for t in times if s <= t < s + 1.0) for s in times), default=0)


def select(qtbot: QtBot, window: MainWindow, identity: str) -> int:
    """Select the roster row of `identity`; returns its row number."""
    model = window.roster_model

    def row_of() -> int:
        for row in range(model.rowCount()):
            candidate = model.row_at(row)
            if candidate is not None and candidate.identity == identity:
                return row
        return -1

    qtbot.waitUntil(lambda: row_of() >= 0, timeout=WAIT_MS)
    row = row_of()
    window.roster_pane.view.selectRow(row)
    return row


def muted_cell(window: MainWindow, identity: str) -> tuple[str, str]:
    """The Muted column's text and accessible text for `identity`'s row."""
    model = window.roster_model
    for row in range(model.rowCount()):
        candidate = model.row_at(row)
        if candidate is not None and candidate.identity == identity:
            index = model.index(row, RosterColumn.MUTED)
            return (
                str(index.data() or ""),
                str(index.data(Qt.ItemDataRole.AccessibleTextRole) or ""),
            )
    raise AssertionError(f"no row for {identity}")


def dial(qtbot: QtBot, window: MainWindow, runner: SandboxRunner, number: str) -> None:
    click(qtbot, by_name(window, QToolButton, "Dial phone guest"))
    dialog = wait_for_dialog(qtbot, DialDialog)
    caller_ids = by_name(dialog, QComboBox, "Caller ID")
    qtbot.waitUntil(lambda: caller_ids.count() >= 1, timeout=WAIT_MS)
    qtbot.keyClicks(by_name(dialog, QLineEdit, "Phone number"), number)
    dial_button = by_name(dialog, QPushButton, "Dial")
    qtbot.waitUntil(dial_button.isEnabled, timeout=WAIT_MS)
    with qtbot.waitSignal(dialog.dialed) as dialed:
        click(qtbot, dial_button)
    key = str(dialed.args[0])

    def connected() -> bool:
        row = window.roster_model.object_for(key)
        return row is not None and row.status is GuestStatus.CONNECTED

    until(qtbot, runner, connected, 0.5)


def test_mute_for_everyone_story(qtbot: QtBot, runner: SandboxRunner) -> None:
    window = open_window(qtbot, runner)
    session = window.session
    assert session is not None
    room_sid = window.rooms_pane.selected_sid()
    assert room_sid is not None
    mute_button = by_name(window, QToolButton, "Mute for everyone")
    unmute_button = by_name(window, QToolButton, "Unmute")
    assert "still hear" in window.commands.mute.statusTip()

    # Mute user3: every other participant's rules leave out user3's audio.
    select(qtbot, window, "user3")
    qtbot.waitUntil(mute_button.isEnabled, timeout=WAIT_MS)
    assert not unmute_button.isEnabled()
    click(qtbot, mute_button)
    qtbot.waitUntil(lambda: nobody_hears(runner, "user3"), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: muted_cell(window, "user3")[0] == "Muted", timeout=WAIT_MS)
    spoken = muted_cell(window, "user3")[1]
    assert "Muted for everyone by you since" in spoken and "still hears everyone" in spoken
    assert rules(runner, people(runner)["user3"]) == (SubscribeRule("include", all=True),)
    qtbot.waitUntil(unmute_button.isEnabled, timeout=WAIT_MS)
    log_texts = lambda: [e.event.text for e in window.event_model.rows()]  # noqa: E731
    qtbot.waitUntil(lambda: "Muted user3 for everyone" in log_texts(), timeout=WAIT_MS)

    # A latecomer is given the mute within a participants poll.
    runner.server.world.join_app_participant(ROOM, "late")
    qtbot.waitUntil(lambda: "late" in people(runner), timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: not hears(rules(runner, people(runner)["late"]), Member("user3")),
        timeout=WAIT_MS,
    )

    # Unmute: everyone hears user3 again.
    select(qtbot, window, "user3")
    qtbot.waitUntil(unmute_button.isEnabled, timeout=WAIT_MS)
    click(qtbot, unmute_button)
    qtbot.waitUntil(lambda: everybody_hears(runner, "user3"), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: muted_cell(window, "user3")[0] == "", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "Unmuted user3" in log_texts(), timeout=WAIT_MS)

    # Two phone guests dialed through the app, then "Mute all phone guests" from the Room menu.
    for number in NUMBERS:
        dial(qtbot, window, runner, number)
    phones = [who for who in people(runner) if who.startswith("phone-")]
    assert len(phones) == 2
    qtbot.waitUntil(window.commands.mute_phone_guests.isEnabled, timeout=WAIT_MS)
    runner.server.request_log.clear()
    window.commands.mute_phone_guests.trigger()
    question = answer_message_box(qtbot, "Mute all phone guests")
    assert "all 2 phone guests" in question and "not told" in question
    qtbot.waitUntil(lambda: all(nobody_hears(runner, who) for who in phones), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: session.mutes.progress(room_sid) is None, timeout=WAIT_MS)
    for who in phones:
        qtbot.waitUntil(lambda who=who: muted_cell(window, who)[0] == "Muted", timeout=WAIT_MS)
    assert peak_per_second(rule_writes(runner)) <= 20
    # The log names phone guests by their masked numbers, never in full.
    qtbot.waitUntil(
        lambda: (
            "Muted ••• 2671, ••• 0177 for everyone" in log_texts()
            or "Muted ••• 0177, ••• 2671 for everyone" in log_texts()
        ),
        timeout=WAIT_MS,
    )
    assert not any(number[2:] in text for number in NUMBERS for text in log_texts())
    assert not window.roster_pane.mute_progress.isVisible()
    writes = len(rule_writes(runner))
    # Who muted them is noted in the shared guest book; wait for it before quitting.
    qtbot.waitUntil(lambda: noted_muted_by(runner) == {HOST_NAME}, timeout=WAIT_MS)
    window.close()

    # A restarted app shows the mutes it did not make itself, and does not rewrite them; the
    # shared guest book (co-hosting is on) still says who muted them.
    again = open_window(qtbot, runner)
    try:
        for who in phones:
            qtbot.waitUntil(lambda who=who: muted_cell(again, who)[0] == "Muted", timeout=WAIT_MS)
            qtbot.waitUntil(
                lambda who=who: f"by {HOST_NAME}" in muted_cell(again, who)[1], timeout=WAIT_MS
            )
        assert muted_cell(again, "user3")[0] == ""
        assert len(rule_writes(runner)) == writes
    finally:
        again.close()


def test_the_progress_line_shows_while_rules_are_written(
    qtbot: QtBot, runner: SandboxRunner
) -> None:
    """A batch of rules in flight shows "Writing subscribe rules: n of m" until it is done."""
    runner.server.controls.latency_ms = 300  # each write takes a while: the line is seen
    window = open_window(qtbot, runner)
    try:
        bar = window.roster_pane.mute_progress
        select(qtbot, window, "user1")
        mute_button = by_name(window, QToolButton, "Mute for everyone")
        qtbot.waitUntil(mute_button.isEnabled, timeout=WAIT_MS)
        click(qtbot, mute_button)
        qtbot.waitUntil(bar.isVisible, timeout=WAIT_MS)
        assert bar.format().startswith("Writing subscribe rules: ") and bar.maximum() == 9
        assert by_name(window, QProgressBar, "Mute progress") is bar
        qtbot.waitUntil(lambda: nobody_hears(runner, "user1"), timeout=WAIT_MS)
        qtbot.waitUntil(lambda: not bar.isVisible(), timeout=WAIT_MS)
    finally:
        runner.server.controls.latency_ms = 0
        window.close()
