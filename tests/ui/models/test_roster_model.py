"""RosterModel: diff by key (qtmodeltester), masking and reveal, the ticking column."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QItemSelectionModel, QSortFilterProxyModel, Qt
from PySide6.QtGui import QIcon
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from moderator.core.guest_state import GuestStatus
from moderator.core.roster import GuestKind, RosterRow
from moderator.ui.models.roles import KEY_ROLE, ROW_ROLE, SORT_ROLE
from moderator.ui.models.roster_model import RosterColumn, RosterModel

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def phone_row(n: int, status: GuestStatus = GuestStatus.CONNECTED, **changes: object) -> RosterRow:
    connected = status is GuestStatus.CONNECTED
    row = RosterRow(
        key=f"dial{n}",
        kind=GuestKind.PHONE,
        name=f"Guest {n} · ••• 267{n}",
        full_number=f"+1415555267{n}",
        label=f"Guest {n}",
        identity=f"phone-{n}",
        status=status,
        status_text=status.value.capitalize(),
        connected_since=NOW - timedelta(seconds=65 + n) if connected else None,
        has_audio=connected,
        has_video=False,
        participant_sid=f"PA{n}" if connected else None,
        call_sid=f"CA{n}",
        dial_id=f"dial{n}",
        can_remove=True,
        can_redial=False,
    )
    return replace(row, **changes)  # type: ignore[arg-type]


def app_row(n: int) -> RosterRow:
    return RosterRow(
        key=f"PA-app{n}",
        kind=GuestKind.APP,
        name=f"user{n}",
        full_number=None,
        label="",
        identity=f"user{n}",
        status=None,
        status_text="Connected",
        connected_since=NOW - timedelta(hours=1, seconds=n),
        has_audio=True,
        has_video=True,
        participant_sid=f"PA-app{n}",
        call_sid=None,
        dial_id=None,
        can_remove=True,
        can_redial=False,
    )


def make_model() -> RosterModel:
    return RosterModel(now=lambda: NOW)


def test_modeltester_through_every_kind_of_change(qtmodeltester: ModelTester, qtbot: QtBot) -> None:
    model = make_model()
    qtmodeltester.check(model, force_py=True)
    model.set_rows([phone_row(1, GuestStatus.DIALING), app_row(1), app_row(2)])
    model.set_rows([phone_row(1, GuestStatus.RINGING), app_row(1), app_row(2)])
    model.set_rows([phone_row(1), phone_row(2, GuestStatus.QUEUED), app_row(2), app_row(3)])
    model.set_rows([app_row(3), phone_row(1), phone_row(2, GuestStatus.QUEUED), app_row(2)])
    model.reveal("dial1", True)
    model.tick()
    model.set_rows([])
    qtmodeltester.check(model, force_py=True)


def test_columns_roles_and_masking(qtbot: QtBot) -> None:
    model = make_model()
    model.set_rows([phone_row(1), app_row(1)])
    name = model.index(0, RosterColumn.NAME)
    assert name.data() == "Guest 1 · ••• 2671"
    assert "+14155552671" not in str(name.data(Qt.ItemDataRole.ToolTipRole))
    assert model.index(0, RosterColumn.CONNECTED_FOR).data() == "1:06"
    assert model.index(1, RosterColumn.CONNECTED_FOR).data() == "1:00:01"
    assert model.index(0, RosterColumn.TRACKS).data() == "Audio"
    assert model.index(1, RosterColumn.TRACKS).data() == "Audio, video"
    kind = model.index(0, RosterColumn.KIND)
    assert isinstance(kind.data(Qt.ItemDataRole.DecorationRole), QIcon)
    assert kind.data(Qt.ItemDataRole.AccessibleTextRole) == "Phone guest"
    assert model.index(1, RosterColumn.KIND).data(Qt.ItemDataRole.AccessibleTextRole) == (
        "App participant"
    )
    assert model.index(0, 0).data(ROW_ROLE) == phone_row(1)
    assert model.index(1, 0).data(KEY_ROLE) == "PA-app1"
    assert model.index(1, RosterColumn.CONNECTED_FOR).data(SORT_ROLE) == 3601


def test_reveal_shows_one_number_and_hides_it_again(qtbot: QtBot) -> None:
    model = make_model()
    model.set_rows([phone_row(1), phone_row(2)])
    changed: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda tl, br, _r: changed.append((tl.row(), tl.column())))
    model.reveal("dial2", True)
    assert changed == [(1, RosterColumn.NAME)]
    assert "+1 415-555-2672" in model.index(1, RosterColumn.NAME).data()
    assert "2671" in model.index(0, RosterColumn.NAME).data()
    assert "+1 415" not in model.index(0, RosterColumn.NAME).data()
    # still revealed after a refresh of the same row
    model.set_rows([phone_row(1), phone_row(2, has_video=True)])
    assert model.is_revealed("dial2")
    model.reveal("dial2", False)
    assert model.index(1, RosterColumn.NAME).data() == "Guest 2 · ••• 2672"
    # a row that goes away forgets its reveal
    model.reveal("dial1", True)
    model.set_rows([phone_row(2)])
    model.set_rows([phone_row(1), phone_row(2)])
    assert not model.is_revealed("dial1")


def test_status_change_signals_only_that_cell_and_keeps_selection(qtbot: QtBot) -> None:
    model = make_model()
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    model.set_rows([phone_row(1, GuestStatus.RINGING), app_row(1), app_row(2)])
    proxy.sort(RosterColumn.IDENTITY)
    selection = QItemSelectionModel(proxy)
    target = proxy.mapFromSource(model.index(model.row_of("PA-app2"), 0))
    selection.select(
        target,
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    changes: list[tuple[int, int, int]] = []
    model.dataChanged.connect(
        lambda tl, br, _r: changes.append((tl.row(), tl.column(), br.column()))
    )
    resets: list[bool] = []
    model.modelAboutToBeReset.connect(lambda: resets.append(True))

    model.set_rows(
        [phone_row(1, GuestStatus.RINGING, status_text="Ringing 3 s"), app_row(1), app_row(2)]
    )
    assert changes == [(0, RosterColumn.STATUS, RosterColumn.STATUS)]
    model.set_rows([app_row(0), phone_row(1), app_row(2)])  # one leaves, one joins, one answers
    assert not resets
    selected = selection.selectedRows()
    assert len(selected) == 1
    assert selected[0].data(KEY_ROLE) == "PA-app2"


def test_connected_for_ticks_one_column_each_second(qtbot: QtBot) -> None:
    clock = [NOW]
    model = RosterModel(now=lambda: clock[0])
    model.set_rows([phone_row(1), phone_row(2, GuestStatus.RINGING)])
    assert model.index(0, RosterColumn.CONNECTED_FOR).data() == "1:06"
    assert model.index(1, RosterColumn.CONNECTED_FOR).data() == ""
    ticks: list[tuple[int, int, int, int]] = []
    model.dataChanged.connect(
        lambda tl, br, _r: ticks.append((tl.row(), tl.column(), br.row(), br.column()))
    )
    clock[0] = NOW + timedelta(seconds=1)
    with qtbot.waitSignal(model.dataChanged, timeout=3000):
        pass
    assert ticks[0] == (0, RosterColumn.CONNECTED_FOR, 1, RosterColumn.CONNECTED_FOR)
    assert model.index(0, RosterColumn.CONNECTED_FOR).data() == "1:07"
