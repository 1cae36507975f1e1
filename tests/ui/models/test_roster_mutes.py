"""RosterModel's Muted column: text, icon, accessible text (by whom, since when), repaints."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from pytestqt.qtbot import QtBot

from moderator.core.guest_state import GuestStatus
from moderator.core.mutes import MuteView
from moderator.ui.models.roster_model import RosterColumn, RosterModel
from tests.ui.models.test_roster_model import NOW, phone_row

SINCE = datetime(2025, 1, 1, 11, 58, tzinfo=UTC)


def test_the_muted_column_says_who_muted_whom_and_since_when(qtbot: QtBot) -> None:
    model = RosterModel(now=lambda: NOW)
    model.set_rows([phone_row(1), phone_row(2), phone_row(3, GuestStatus.RINGING)])
    changed: list[int] = []
    model.dataChanged.connect(lambda top, _bottom, _roles: changed.append(top.column()))
    views = {
        "phone-1": MuteView("phone-1", True, by_you=True, since=SINCE),
        "phone-2": MuteView("phone-2", False, changing="muting"),
        "phone-3": MuteView("phone-3", True, by_you=False, since=SINCE),
    }
    model.set_mutes(views)
    assert changed == [RosterColumn.MUTED]
    assert model.headerData(RosterColumn.MUTED, Qt.Orientation.Horizontal) == "Muted"
    muted, muting, ringing = (model.index(row, RosterColumn.MUTED) for row in range(3))
    assert muted.data() == "Muted"
    assert isinstance(muted.data(Qt.ItemDataRole.DecorationRole), QIcon)
    spoken = str(muted.data(Qt.ItemDataRole.AccessibleTextRole))
    assert spoken.startswith("Muted for everyone by you since ")
    assert spoken.endswith("still hears everyone")
    assert muted.data(Qt.ItemDataRole.ToolTipRole) == spoken
    assert muting.data() == "Muting…"
    assert muting.data(Qt.ItemDataRole.AccessibleTextRole) == "Being muted for everyone"
    # A guest not in the room (still ringing) shows no mute, whatever the rules say.
    assert ringing.data() == ""
    assert ringing.data(Qt.ItemDataRole.AccessibleTextRole) == "Not muted"
    changed.clear()
    model.set_mutes(dict(views))  # the same views: nothing repaints
    assert changed == []


def test_another_apps_mute_says_so(qtbot: QtBot) -> None:
    model = RosterModel(now=lambda: NOW)
    model.set_rows([phone_row(1)])
    model.set_mutes({"phone-1": MuteView("phone-1", True, by_you=False, since=SINCE)})
    spoken = str(model.index(0, RosterColumn.MUTED).data(Qt.ItemDataRole.AccessibleTextRole))
    assert "by another app" in spoken
