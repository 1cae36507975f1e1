"""The command palette (Ctrl+K): every command by name, rooms to go to, people to find.

The host types a few letters; `core.palette.rank` orders what matches (recent commands first
when nothing is typed); Enter runs the highlighted line. Lines are built when the palette opens
from what the window knows then: its enabled actions (with their shortcuts), the rooms in
progress, the participants of every room counted so far, and — when the text reads "dial
<number> [into <room>]" — a line that opens the dial dialog with the number filled in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, Qt, Slot
from PySide6.QtGui import QAction, QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from moderator.core.palette import Entry, Recents, match_score, rank

if TYPE_CHECKING:
    from moderator.ui.main_window import MainWindow

__all__ = ["CommandPalette", "PaletteController"]

MAX_SHOWN = 50
DETAIL_ROLE = int(Qt.ItemDataRole.UserRole) + 1
#: Commands that end something, listed after the rest: an Enter on an empty palette must never
#: quit the app or end a room.
_LAST = ("end_room", "quit")


class _LineDelegate(QStyledItemDelegate):
    """A palette line: the title on the left, its shortcut or room dimmer on the right."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        detail = str(index.data(DETAIL_ROLE) or "")
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        if detail:
            opt.text = opt.text[: -len(detail)].rstrip() if opt.text.endswith(detail) else opt.text
        style = opt.widget.style() if opt.widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        if not detail:
            return
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        role = (
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.PlaceholderText
        )
        painter.save()
        painter.setPen(opt.palette.color(role))
        box = opt.rect.adjusted(0, 0, -8, 0)
        painter.drawText(
            box, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), detail
        )
        painter.restore()


_DIAL = re.compile(r"^\s*dial\s+(?P<number>\S(?:.*?\S)?)(?:\s+into\s+(?P<room>\S+))?\s*$", re.I)


class CommandPalette(QDialog):
    """A search box over a list; emits nothing, runs the chosen entry's callback."""

    def __init__(
        self,
        entries: list[tuple[Entry, Callable[[], None]]],
        recents: Recents,
        extra: Callable[[str], list[tuple[Entry, Callable[[], None]]]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Command palette")
        self.setAccessibleName("Command palette")
        self._entries = entries
        self._actions = {entry.key: run for entry, run in entries}
        self._recents = recents
        self._extra = extra
        self.search = QLineEdit(self)
        self.search.setAccessibleName("Command palette")
        self.search.setPlaceholderText(
            "Type a command, a room, a person, or “dial +1 415… into room”"
        )
        self.list = QListWidget(self)
        self.list.setAccessibleName("Commands")
        self.list.setItemDelegate(_LineDelegate(self.list))
        self.list.itemActivated.connect(self._run_item)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        self.search.textChanged.connect(self._filter)
        self.search.installEventFilter(self)
        self.resize(560, 360)
        self._filter("")

    def titles(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def run_current(self) -> bool:
        item = self.list.currentItem()
        if item is None:
            return False
        self._run_item(item)
        return True

    @Slot(str)
    def _filter(self, text: str) -> None:
        extra = self._extra(text)
        for entry, run in extra:
            self._actions[entry.key] = run
        ranked = rank(
            text, [e for e, _ in extra] + [e for e, _ in self._entries], self._recents.keys()
        )
        if extra:  # what the text spells out ("dial …") is first, whatever the letters match
            extra_keys = {e.key for e, _ in extra}
            ranked = [e for e, _ in extra] + [e for e in ranked if e.key not in extra_keys]
        self.list.clear()
        for entry in ranked[:MAX_SHOWN]:
            label = f"{entry.title}    {entry.detail}" if entry.detail else entry.title
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, entry.key)
            item.setData(DETAIL_ROLE, entry.detail)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{entry.group}: {entry.title}")
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)

    def _run_item(self, item: QListWidgetItem) -> None:
        key = str(item.data(Qt.ItemDataRole.UserRole))
        run = self._actions.get(key)
        self.accept()
        if run is not None:
            self._recents.used(key)
            run()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Up/Down move in the list while typing; Enter runs."""
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                step = 1 if key == Qt.Key.Key_Down else -1
                row = max(0, min(self.list.count() - 1, self.list.currentRow() + step))
                self.list.setCurrentRow(row)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.run_current()
                return True
        return super().eventFilter(watched, event)


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


class PaletteController(QObject):
    """Builds the palette's lines from the window and runs what the host picks."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.recents = Recents()
        self.palette: CommandPalette | None = None

    @Slot()
    def open(self) -> CommandPalette:
        if self.palette is not None:
            self.palette.close()
        palette = CommandPalette(self._entries(), self.recents, self._spelled_out, self._window)
        palette.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        palette.destroyed.connect(lambda *_: self._closed(palette))
        self.palette = palette
        palette.show()
        palette.search.setFocus()
        return palette

    def _closed(self, palette: CommandPalette) -> None:
        if self.palette is palette:
            self.palette = None

    def _entries(self) -> list[tuple[Entry, Callable[[], None]]]:
        window = self._window
        entries: list[tuple[Entry, Callable[[], None]]] = []
        commands = sorted(vars(window.commands).items(), key=lambda item: item[0] in _LAST)
        for name, action in commands:
            if not isinstance(action, QAction) or not action.isEnabled() or action.isSeparator():
                continue
            if name == "command_palette":
                continue
            shortcut = action.shortcut().toString()
            entries.append(
                (Entry(f"action:{name}", _plain(action.text()), shortcut), action.trigger)
            )
        for row in window.rooms_model.rows():
            room = row.room
            entries.append(
                (
                    Entry(f"room:{room.sid}", f"Go to room: {room.unique_name}", group="Room"),
                    self._go_to(room.sid),
                )
            )
        session = window.session
        if session is not None:
            for row in window.rooms_model.rows():
                for person in session.roster(row.room.sid):
                    who = person.name or person.identity
                    entries.append(
                        (
                            Entry(
                                f"person:{row.room.sid}:{person.key}",
                                f"Find participant: {who}",
                                row.room.unique_name,
                                group="Participant",
                            ),
                            self._finder(row.room.sid, person.key),
                        )
                    )
        return entries

    def _go_to(self, room_sid: str) -> Callable[[], None]:
        def go() -> None:
            self._window.rooms_pane.select_sid(room_sid)

        return go

    def _finder(self, room_sid: str, key: str) -> Callable[[], None]:
        return lambda: self._find(room_sid, key)

    def _find(self, room_sid: str, key: str) -> None:
        window = self._window
        window.rooms_pane.select_sid(room_sid)
        roster = window.roster_pane

        def select() -> None:
            roster.select_key(key)

        select()
        # the roster fills on the session's next flush after the room changes
        window.roster_model.rowsInserted.connect(select, Qt.ConnectionType.SingleShotConnection)

    def _spelled_out(self, text: str) -> list[tuple[Entry, Callable[[], None]]]:
        """ "dial +1 415 555 2671 into town-hall": a line that opens the dial dialog filled in."""
        found = _DIAL.match(text)
        window = self._window
        if found is None or window.session is None:
            return []
        number = found.group("number")
        wanted = (found.group("room") or "").casefold()
        rows = window.rooms_model.rows()
        if wanted:  # the room named, or the one its letters match best ("town" → town-hall)
            scored = [
                (score, row)
                for row in rows
                if (score := match_score(wanted, row.room.unique_name)) is not None
            ]
            exact = [row for row in rows if row.room.unique_name.casefold() == wanted]
            best = max(scored, key=lambda pair: pair[0])[1] if scored else None
            room = exact[0] if exact else best
            if room is None:
                return []  # no such room: nothing to dial into, rather than the wrong one
        else:
            room = window.rooms_pane.selected_room()
        if room is None:
            return []
        sid, name = room.room.sid, room.room.unique_name

        def dial() -> None:
            window.rooms_pane.select_sid(sid)
            dialog = window.open_dial_dialog()
            if dialog is not None:
                dialog.number_edit.setText(number)

        return [(Entry(f"dial:{number}:{sid}", f"Dial {number} into {name}", group="Dial"), dial)]
