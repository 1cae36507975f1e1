"""The window's size on a first start, how its panes split, and the layout it remembers."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtWidgets import QSplitter
from pytestqt.qtbot import QtBot

from moderator.core.settings import SettingsStore
from moderator.sandbox.server import SandboxServer
from moderator.ui.window_layout import PaneWidths, first_split, first_start_geometry
from tests.ui.window_harness import WAIT_MS, make_window


def test_a_roomy_screen_gets_its_share_centred() -> None:
    screen = QRect(0, 0, 1400, 900)
    rect = first_start_geometry(screen, QSize(700, 300))
    assert rect.size() == QSize(1050, 720)
    assert rect.center() == screen.center()


def test_a_small_screen_gives_at_least_what_shows_every_column() -> None:
    rect = first_start_geometry(QRect(0, 0, 1024, 700), QSize(900, 300))
    assert rect.width() == 900 and rect.height() == 560


def test_never_larger_than_the_screen() -> None:
    screen = QRect(0, 0, 800, 600)
    assert first_start_geometry(screen, QSize(1000, 700)) == screen


def test_centred_on_the_screen_it_is_on_not_the_first_one() -> None:
    second = QRect(1920, 24, 1280, 776)  # a second monitor, under a top panel
    rect = first_start_geometry(second, QSize(600, 400))
    assert second.contains(rect) and rect.center() == second.center()


ROOMS = PaneWidths(least=330, preferred=480)
ROSTER = PaneWidths(least=380, preferred=600)


def test_room_to_spare_goes_partly_to_the_first_pane() -> None:
    assert first_split(1380, ROOMS, ROSTER, share=1 / 3) == [580, 800]


def test_short_of_room_both_panes_give_up_alike_above_their_least() -> None:
    rooms, roster = first_split(960, ROOMS, ROSTER, share=1 / 3)
    assert rooms + roster == 960
    assert ROOMS.least < rooms < ROOMS.preferred and ROSTER.least < roster < ROSTER.preferred
    # Each got the same part (here two thirds) of what it wanted above its least.
    assert (rooms - ROOMS.least) * (ROSTER.preferred - ROSTER.least) == pytest.approx(
        (roster - ROSTER.least) * (ROOMS.preferred - ROOMS.least), abs=400
    )


@pytest.mark.parametrize("total", [710, 600])
def test_at_worst_the_second_pane_keeps_its_least(total: int) -> None:
    rooms, roster = first_split(total, ROOMS, ROSTER, share=1 / 3)
    assert roster == min(total, ROSTER.least) or rooms == 0
    assert rooms + roster == total


def test_splitters_and_headers_come_back_as_left(
    qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.world.create_room("alpha")
    sandbox.world.create_room("beta")
    first = make_window(qtbot, sandbox, tmp_path, size=(760, 600))  # well inside the screen
    qtbot.waitUntil(lambda: first.rooms_model.rowCount() == 2, timeout=WAIT_MS)
    top = first.findChild(QSplitter, "topSplitter")
    assert top is not None
    total = sum(top.sizes())
    top.setSizes([total - 390, 390])
    wanted = top.sizes()
    first.rooms_pane.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    first.close()

    saved = SettingsStore(tmp_path / "settings.json").load()
    assert {"topSplitter", "mainSplitter", "roomsColumns", "rosterHeader"} <= set(saved.ui_state)
    second = make_window(qtbot, sandbox, tmp_path, settings=saved, size=None)
    assert second.size() == QSize(760, 600)
    again = second.findChild(QSplitter, "topSplitter")
    assert again is not None and again.sizes() == wanted
    header = second.rooms_pane.view.horizontalHeader()
    assert header.sortIndicatorOrder() is Qt.SortOrder.DescendingOrder
