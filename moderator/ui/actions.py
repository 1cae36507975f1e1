"""Every user command as one QAction, with its shortcuts, and the menu bar built from them.

Menus, toolbar buttons and context menus share these actions, so enabling/disabling one place
updates them all and the shortcut shown in a tooltip is always the one that works.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar

from moderator.core.action_states import REMOVE_TEXT, ActionStates, RecordingStates
from moderator.ui import resources

MUTE_STATUS_TIP = (
    "Others stop receiving this person's audio; they still hear everyone and are not told"
)


def _tooltip(text: str, shortcuts: list[QKeySequence]) -> str:
    """Tooltip text that names the action's shortcuts, e.g. "Refresh now (F5, Ctrl+R)"."""
    keys = ", ".join(
        s.toString(QKeySequence.SequenceFormat.NativeText) for s in shortcuts if not s.isEmpty()
    )
    plain = text.replace("&", "").removesuffix("…")
    return f"{plain} ({keys})" if keys else plain


class Actions(QObject):
    """The app's commands. The main window connects `triggered` and manages enabled states."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        # File
        self.quit = self._make("&Quit", None, ["Ctrl+Q"])
        self.quit.setMenuRole(QAction.MenuRole.QuitRole)
        self.preferences = self._make("&Preferences…", None, [])
        self.preferences.setMenuRole(QAction.MenuRole.PreferencesRole)
        self._set_shortcuts(self.preferences, _standard_keys(QKeySequence.StandardKey.Preferences))
        # Room
        self.refresh = self._make("&Refresh now", "refresh", ["F5", "Ctrl+R"])
        self.new_room = self._make("&Create room…", "room-add", ["Ctrl+N"])
        self.end_room = self._make("&End room…", "room-end", [])
        self.dial_in = self._make("Set up d&ial-in…", None, [])
        self.room_history = self._make("Room &history…", None, ["Ctrl+Shift+H"])
        #: The selected room's roster in a window of its own (ui/room_window.py).
        self.open_room_window = self._make("Open in ne&w window", None, [])
        # Recording (issue 10): accessible names are exactly these words.
        self.start_recording = self._make("&Start recording", None, [])
        self.stop_recording = self._make("S&top recording", None, [])
        self.recordings = self._make("Recor&dings…", None, [])
        self.next_room = self._make("&Next room", None, ["Ctrl+PgDown", "Alt+Down"])
        self.previous_room = self._make("&Previous room", None, ["Ctrl+PgUp", "Alt+Up"])
        # Participant
        self.dial = self._make("&Dial phone guest…", "dial", ["Ctrl+D"])
        self.remove = self._make(REMOVE_TEXT, "remove", ["Delete"])
        self._remove_hangs_up = False
        self.redial = self._make("Re&dial", "redial", ["Ctrl+Shift+D"])
        self.reveal = self._make("Re&veal number", "reveal", ["Ctrl+Shift+V"])
        self.reveal.setCheckable(True)
        self.show_timeline = self._make("Show &timeline…", None, [])
        # Mute for everyone (Twilio subscribe rules): what it does is said in the status tip.
        self.mute = self._make("&Mute for everyone", "mute", ["Ctrl+M"])
        self.unmute = self._make("&Unmute", "unmute", ["Ctrl+Shift+M"])
        self.mute_phone_guests = self._make("Mute all p&hone guests…", None, [])
        for action in (self.mute, self.unmute, self.mute_phone_guests):
            action.setStatusTip(MUTE_STATUS_TIP)
        self.set_note(self.mute, MUTE_STATUS_TIP.lower().replace("others", "others in the room"))
        # View
        self.scope_group = QActionGroup(self)
        self.scope_group.setExclusive(True)
        self.scope_this_room = self._make("Event log: &This room", None, ["Ctrl+1"])
        self.scope_all_rooms = self._make("Event log: &All rooms", None, ["Ctrl+2"])
        for action in (self.scope_this_room, self.scope_all_rooms):
            action.setCheckable(True)
            self.scope_group.addAction(action)
        self.scope_this_room.setChecked(True)
        self.notifications = self._make("Desktop &notifications", None, [])
        self.notifications.setCheckable(True)
        self.notifications.setChecked(True)
        self.history = self._make("Call &history…", None, ["Ctrl+H"])
        self.command_palette = self._make("&Command palette…", None, ["Ctrl+K"])
        # Help
        self.sandbox_cheat_sheet = self._make("&Sandbox phone numbers", None, [])
        self.about = self._make("&About Room Moderator", "about", [])
        self.about.setMenuRole(QAction.MenuRole.AboutRole)

    def _make(
        self,
        text: str,
        icon_name: str | None,
        shortcuts: list[str] | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if icon_name is not None:
            action.setIcon(resources.icon(icon_name))
        keys = [QKeySequence(s) for s in (shortcuts or [])]
        if keys:
            action.setShortcuts(keys)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip(_tooltip(text, keys))
        action.setStatusTip(_tooltip(text, keys))
        return action

    def _set_shortcuts(self, action: QAction, keys: list[QKeySequence]) -> None:
        action.setShortcuts(keys)
        action.setToolTip(_tooltip(action.text(), keys))
        action.setStatusTip(_tooltip(action.text(), keys))

    def set_text(self, action: QAction, text: str) -> None:
        """Change an action's label and keep its tooltip (with shortcuts) in step."""
        action.setText(text)
        action.setToolTip(_tooltip(text, action.shortcuts()))

    def set_note(self, action: QAction, note: str) -> None:
        """Add `note` after the action's usual tooltip ("" restores the usual one)."""
        plain = _tooltip(action.text(), action.shortcuts())
        action.setToolTip(f"{plain} — {note}" if note else plain)

    def apply_states(self, states: ActionStates) -> None:
        """Enable, label and check the commands as `states` (from `action_states`) says."""
        self.refresh.setEnabled(states.refresh)
        self.new_room.setEnabled(states.new_room)
        self.end_room.setEnabled(states.end_room)
        self.dial_in.setEnabled(states.refresh)
        self.room_history.setEnabled(states.end_room)  # a room is selected
        self.open_room_window.setEnabled(states.end_room)
        self.next_room.setEnabled(states.step_rooms)
        self.previous_room.setEnabled(states.step_rooms)
        self.dial.setEnabled(states.dial)
        self.set_note(self.dial, states.dial_note)
        self.remove.setEnabled(states.remove)
        if self.remove.text() != states.remove_text:
            self.set_text(self.remove, states.remove_text)
        if self._remove_hangs_up is not states.remove_hangs_up:  # the window updates often
            self._remove_hangs_up = states.remove_hangs_up
            self.remove.setIcon(resources.icon("hangup" if states.remove_hangs_up else "remove"))
        self.redial.setEnabled(states.redial)
        self.reveal.setEnabled(states.reveal)
        self.reveal.blockSignals(True)  # mirroring the selection is not the host toggling it
        self.reveal.setChecked(states.revealed)
        self.reveal.blockSignals(False)
        self.history.setEnabled(states.history)
        self.show_timeline.setEnabled(states.show_timeline)
        self.mute.setEnabled(states.mute)
        self.unmute.setEnabled(states.unmute)
        self.mute_phone_guests.setEnabled(states.mute_phone_guests)

    def apply_recording_states(self, states: RecordingStates) -> None:
        """Enable Start / Stop recording and Recordings… as `recording_states` says."""
        self.start_recording.setEnabled(states.start)
        self.set_note(self.start_recording, states.start_note)
        self.stop_recording.setEnabled(states.stop)
        self.recordings.setEnabled(states.recordings)

    def build_menus(self, menubar: QMenuBar, profile_actions: Sequence[QAction] = ()) -> None:
        """Fill the menu bar: File (profile actions, Quit), Room, Participant, View, Help."""
        profile_part: list[QAction | None] = [*profile_actions, None] if profile_actions else []
        _fill(menubar.addMenu("&File"), [*profile_part, self.preferences, None, self.quit])
        _fill(
            menubar.addMenu("&Room"),
            [
                self.new_room,
                self.end_room,
                None,
                self.start_recording,
                self.stop_recording,
                self.recordings,
                None,
                self.dial_in,
                self.room_history,
                self.open_room_window,
                None,
                self.mute_phone_guests,
                None,
                self.next_room,
                self.previous_room,
                None,
                self.refresh,
            ],
        )
        self.participant_context_menu(menubar.addMenu("&Participant"))
        _fill(
            menubar.addMenu("&View"),
            [
                self.scope_this_room,
                self.scope_all_rooms,
                None,
                self.notifications,
                None,
                self.history,
                None,
                self.command_palette,
            ],
        )
        _fill(menubar.addMenu("&Help"), [self.sandbox_cheat_sheet, self.about])

    def participant_context_menu(self, parent: QMenu) -> None:
        """Fill a roster context menu (and the Participant menu) with the participant commands."""
        _fill(
            parent,
            [
                self.dial,
                self.redial,
                self.remove,
                None,
                self.mute,
                self.unmute,
                None,
                self.reveal,
                None,
                self.show_timeline,
            ],
        )

    def room_context_menu(self, parent: QMenu) -> None:
        """Fill a rooms-table context menu with the room commands."""
        _fill(
            parent,
            [
                self.new_room,
                self.end_room,
                None,
                self.start_recording,
                self.stop_recording,
                self.recordings,
                None,
                self.open_room_window,
                None,
                self.refresh,
            ],
        )


def _standard_keys(key: QKeySequence.StandardKey) -> list[QKeySequence]:
    """The platform's keys for `key` plus Ctrl+, (Linux desktops often define none)."""
    keys = list(QKeySequence.keyBindings(key))
    fallback = QKeySequence("Ctrl+,")
    if all(k != fallback for k in keys):
        keys.append(fallback)
    return keys


def _fill(menu: QMenu, entries: Sequence[QAction | None]) -> None:
    """Add `entries` to `menu` in order; None stands for a separator."""
    for entry in entries:
        if entry is None:
            menu.addSeparator()
        else:
            menu.addAction(entry)
