"""The moderator window: rooms, the selected room's roster, the event log, and every command.

The window owns the table models and the widgets; a `Session` (one per profile) owns everything
that talks to Twilio. Switching profile swaps the session and clears the models; the widgets stay.
Routine errors go to the status bar, never to a modal popup; only destructive commands ask first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSize, Qt, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QSizePolicy,
    QToolBar,
    QWidget,
)

from moderator.core.capacity import totals
from moderator.core.changes import ErrorTopic, Report
from moderator.core.connection import ConnectionKind, ConnectionState
from moderator.core.credentials import Credentials
from moderator.core.guest_state import GuestEvent
from moderator.core.live_state import RoomRow
from moderator.core.models import CallerId
from moderator.core.profiles import SANDBOX_LABEL, SANDBOX_PROFILE
from moderator.core.room_cache import RoomCache
from moderator.core.roster import RosterRow
from moderator.core.settings import EventLogScope, Settings, SettingsStore
from moderator.ui import help_boxes, resources
from moderator.ui.actions import Actions
from moderator.ui.cohost_status import CoHostStatus
from moderator.ui.command_palette import PaletteController
from moderator.ui.connection_indicator import ConnectionIndicator
from moderator.ui.error_line import ErrorLine
from moderator.ui.lobby_controller import LobbyController
from moderator.ui.models.event_log_model import EventLogFilterModel, EventLogModel
from moderator.ui.models.lobby_model import LobbyModel
from moderator.ui.models.rooms_model import RoomsModel
from moderator.ui.models.roster_model import RosterModel
from moderator.ui.mute_controller import MuteController
from moderator.ui.notifier import Notifier
from moderator.ui.pane_area import PaneArea
from moderator.ui.panes.event_log_pane import EventLogPane
from moderator.ui.panes.lobby_pane import LobbyPane
from moderator.ui.panes.rooms_pane import RoomsPane
from moderator.ui.panes.roster_pane import RosterPane
from moderator.ui.participant_commands import ParticipantCommands
from moderator.ui.recording_controller import RecordingController
from moderator.ui.room_commands import RoomCommands
from moderator.ui.room_window import RoomWindows
from moderator.ui.roster_scope import RosterScope, scoped_action_states
from moderator.ui.session_dialogs import SessionDialogs
from moderator.ui.window_layout import WindowLayout

if TYPE_CHECKING:  # imported where used: the window's first paint needs none of them
    from moderator.ui.dialogs.dial_dialog import DialDialog
    from moderator.ui.dialogs.history_dialog import HistoryDialog
    from moderator.ui.dialogs.preferences_dialog import PreferencesDialog
    from moderator.ui.profile_switcher import ProfileSwitcher
    from moderator.ui.session import Session

log = logging.getLogger(__name__)

SessionFactory = Callable[[str, Credentials | None, QObject], "Session"]
"""Builds the (not yet started) session for a profile: its name, its credentials (None for the
local sandbox, whose credentials the factory knows), and the parent to give it."""


class MainWindow(QMainWindow):
    """Room Moderator's main window."""

    def __init__(
        self,
        *,
        settings: Settings,
        settings_store: SettingsStore | None,
        session_factory: SessionFactory,
        profile_switcher: ProfileSwitcher | None = None,
        notifier: Notifier | None = None,
        room_cache: RoomCache | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """Build the window with no session; `open_profile` (or the switcher) starts one.

        `room_cache` keeps each profile's last known rooms, shown ("updating…") until the
        session's first rooms list arrives."""
        super().__init__(parent)
        self.setObjectName("MainWindow")
        self.setWindowIcon(resources.icon("room-moderator"))
        self._settings = settings
        self._settings_store = settings_store
        self._session_factory = session_factory
        self._profile = SANDBOX_PROFILE
        self._session: Session | None = None
        #: The first rooms list of a session selects a room: the last one used, else the first.
        self._pick_initial_room = True
        self._room_cache = room_cache
        self._rooms_live = False  # the session's first rooms list has arrived

        self.commands = Actions(self)
        self.rooms_model = RoomsModel(self)
        self.roster_model = RosterModel(self)
        self.dialogs = SessionDialogs(
            self,
            settings,
            roster=self.roster_model,
            on_dialed=self._on_dialed,
        )
        self.event_model = EventLogModel(self)
        self.event_proxy = EventLogFilterModel(self)
        self.event_proxy.setSourceModel(self.event_model)

        self.rooms_pane = RoomsPane(self.rooms_model, self.commands, self)
        self.roster_pane = RosterPane(self.roster_model, self.commands, self)
        self.event_log_pane = EventLogPane(self.event_proxy, self)
        self.lobby_model = LobbyModel(self)
        self.lobby_pane = LobbyPane(self.lobby_model, self)

        self.panes = PaneArea(
            self.rooms_pane, self.roster_pane, self.event_log_pane, self.lobby_pane, self
        )
        self.setCentralWidget(self.panes)

        self.profile_switcher = profile_switcher
        self.connection_indicator = ConnectionIndicator(self)
        self.notifier = (
            notifier
            if notifier is not None
            else Notifier(self, enabled=settings.notifications_enabled)
        )
        self._build_toolbar()
        profile_actions = []
        if profile_switcher is not None:
            profile_actions = [profile_switcher.add_action, profile_switcher.remove_action]
            profile_switcher.setParent(self.toolbar)
            profile_switcher.profileChosen.connect(self._on_profile_chosen)
            profile_switcher.profileReady.connect(self.open_profile)
        self.commands.build_menus(self.menuBar(), profile_actions)

        self.error_label = ErrorLine(self)
        self.statusBar().addWidget(self.error_label, 1)
        self.totals_label = QLabel(self)
        self.totals_label.setAccessibleName("Account totals")
        self.statusBar().addPermanentWidget(self.totals_label)
        self.cohost_status = CoHostStatus(self)
        self.statusBar().addPermanentWidget(self.cohost_status)

        self.lobby = LobbyController(
            self,
            self.lobby_pane,
            self.lobby_model,
            region=lambda: self._settings.default_country,
            selected_room_name=self._selected_room_name,
        )
        self.room_commands = RoomCommands(self, lambda: self._session)
        self.palette_commands = PaletteController(self)
        self.recording = RecordingController(
            self, self.commands, self.rooms_model, self.roster_pane, self.rooms_pane.selected_room
        )
        self.participant_commands = ParticipantCommands(self, lambda: self._session)
        self.mutes = MuteController(self, self._update_actions)
        self.roster_scope = RosterScope(self, settings, self.mutes.refresh)
        self.room_windows = RoomWindows(self, settings)
        if profile_switcher is not None:  # a removed profile's room windows close with it
            profile_switcher.profilesChanged.connect(
                lambda: self.room_windows.keep_profiles(profile_switcher.profile_names())
            )
        self._connect_actions()
        self.rooms_pane.roomSelected.connect(self._on_room_selected)
        self.roster_pane.currentRowChanged.connect(self._update_actions)
        self.event_log_pane.scopeChanged.connect(self._set_all_rooms_scope)

        self.window_layout = WindowLayout(
            self,
            (self.panes.top, self.panes.main, self.panes.left),
            {
                # Renamed when the rooms table grew its option columns: a state saved with five
                # columns would show all the new ones instead of leaving them hidden.
                "roomsColumns": self.rooms_pane.view.horizontalHeader(),
                "rosterHeader": self.roster_pane.view.horizontalHeader(),
                "eventLogHeader": self.event_log_pane.view.horizontalHeader(),
                "lobbyHeader": self.lobby_pane.view.horizontalHeader(),
            },
        )
        self._restore_settings()
        self._update_actions()

    # -- construction --------------------------------------------------------------------------
    def _build_toolbar(self) -> None:
        toolbar = QToolBar("Main toolbar", self)
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        if self.profile_switcher is not None:
            toolbar.addWidget(QLabel("Profile:", toolbar))
            toolbar.addWidget(self.profile_switcher)
            toolbar.addSeparator()
        toolbar.addAction(self.commands.refresh)
        toolbar.addAction(self.commands.dial)
        spacer = QWidget(toolbar)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        toolbar.addWidget(self.connection_indicator)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        self.toolbar = toolbar

    def _connect_actions(self) -> None:
        a = self.commands
        a.quit.triggered.connect(self.close)
        a.refresh.triggered.connect(self.refresh_now)
        a.new_room.triggered.connect(self.open_create_room_dialog)
        a.end_room.triggered.connect(self.confirm_end_room)
        a.dial_in.triggered.connect(self.lobby.open_dialog)
        a.room_history.triggered.connect(self.room_commands.open_room_history)
        a.open_room_window.triggered.connect(self.open_room_window)
        a.command_palette.triggered.connect(self.palette_commands.open)
        a.next_room.triggered.connect(self.rooms_pane.select_next)
        a.previous_room.triggered.connect(self.rooms_pane.select_previous)
        a.dial.triggered.connect(self.open_dial_dialog)
        a.remove.triggered.connect(self.remove_current)
        a.redial.triggered.connect(self.redial_current)
        a.reveal.toggled.connect(self.participant_commands.reveal_current)
        a.scope_all_rooms.toggled.connect(self._set_all_rooms_scope)
        a.notifications.toggled.connect(self._set_notifications)
        self.notifier.activated.connect(self._raise_window)
        a.about.triggered.connect(self.show_about)
        a.sandbox_cheat_sheet.triggered.connect(self.show_sandbox_cheat_sheet)
        a.history.triggered.connect(lambda: self.open_history_dialog())
        a.show_timeline.triggered.connect(self.show_timeline_current)
        a.preferences.triggered.connect(self.open_preferences_dialog)
        self.roster_pane.view.doubleClicked.connect(
            lambda _index: self.participant_commands.reveal_toggle_current()
        )

    # -- session -------------------------------------------------------------------------------
    @property
    def session(self) -> Session | None:
        """The live session, if any."""
        return self._session

    @property
    def profile(self) -> str:
        """The current profile name ("" is the local sandbox)."""
        return self._profile

    def _on_profile_chosen(self, profile: str) -> None:
        """The host picked another profile: drop the old session now, before its secret loads."""
        if profile != self._profile:
            self._close_session()
            self.setWindowTitle(f"Room Moderator — {self.label_of(profile)} (opening…)")

    @Slot(str, object)
    def open_profile(self, profile: str, credentials: Credentials | None) -> None:
        """Switch to `profile` ("" = sandbox): stop the old session, clear the panes, start anew."""
        self._close_session()
        self._profile = profile
        self._settings.last_profile = profile
        self.show_last_known_rooms(profile)
        self.setWindowTitle(f"Room Moderator — {self.label_of(profile)}")
        try:
            session = self._session_factory(profile, credentials, self)
        except Exception as exc:  # a broken profile must not take the window down
            log.exception("could not open profile %r", profile)
            self.show_error(
                f"Could not open {self.label_of(profile)}: {exc}",
                context="Opening profile",
                topic=ErrorTopic.PROFILE,
            )
            return
        self._session = session
        session.roomsChanged.connect(self._on_rooms_changed)
        session.rosterChanged.connect(self._on_roster_changed)
        session.events.connect(self._on_events)
        session.connectionChanged.connect(self._on_connection_changed)
        session.errorRaised.connect(self._on_error)
        session.callerIdsChanged.connect(self._on_caller_ids_changed)
        self.lobby.attach(session)
        self.recording.attach(session)
        self.mutes.attach(session)
        self.cohost_status.attach(session)
        self.roster_scope.attach(session)
        self.room_windows.attach(profile, session)
        self.rooms_model.set_watch(session.room_watch.sparklines, session.room_watch.marks)
        session.start()
        self._update_actions()

    def label_of(self, profile: str) -> str:
        """How the title and messages name a profile (the sandbox as the switcher does)."""
        if profile != SANDBOX_PROFILE:
            return profile
        switcher = self.profile_switcher
        return switcher.sandbox_label if switcher is not None else SANDBOX_LABEL

    def show_last_known_rooms(self, profile: str) -> None:
        """Show `profile`'s rooms as they were last seen, marked as updating, until live ones
        come; nothing when there are none (or no cache)."""
        rows = self._room_cache.load(profile) if self._room_cache is not None else []
        self.rooms_model.set_rooms(rows)
        self.rooms_pane.set_updating(bool(rows))

    def _remember_rooms(self, session: Session) -> None:
        if self._room_cache is not None and self._rooms_live:
            self._room_cache.save(self._profile, session.room_rows())

    def _close_session(self) -> None:
        old = self._session
        self._session = None
        if old is not None:
            self._remember_rooms(old)
            old.stop()
            old.deleteLater()
        self._rooms_live = False
        self.rooms_pane.set_updating(False)
        self.dialogs.close_all()
        self.lobby.detach()
        self.recording.detach()
        self.mutes.detach()
        self.roster_scope.detach()
        self.room_windows.detach()
        self.rooms_model.set_watch(None, None)
        self._pick_initial_room = True
        self.rooms_model.set_rooms([])
        self.roster_model.set_rows([])
        self.roster_pane.set_room(None)
        self.event_model.clear()
        self.clear_error()
        self.connection_indicator.set_state(ConnectionState(ConnectionKind.CONNECTING))
        self.totals_label.setText("")
        self.cohost_status.detach()
        self._update_actions()

    # -- session signals -----------------------------------------------------------------------
    @Slot(object)
    def _on_rooms_changed(self, rows: Sequence[RoomRow]) -> None:
        if not self._rooms_live:
            self._rooms_live = True
            self.rooms_pane.set_updating(False)
        self.rooms_model.set_rooms(rows)
        if self._pick_initial_room and rows:
            self._pick_initial_room = False
            if self.rooms_pane.selected_sid() is None:
                self._select_initial_room(rows)
        if self._session is not None:
            counts = [(row.participant_count, row.phone_count) for row in rows]
            calls = self._session.live_call_count()
            self.totals_label.setText(totals(counts, calls, self._settings.call_limit or None).text)
        self._update_actions()

    def _select_initial_room(self, rows: Sequence[RoomRow]) -> None:
        """A host opening the app wants a roster, not an empty pane: last room used, else first."""
        sid = _sid_named(rows, self._settings.last_room)
        if sid is not None:
            self.rooms_pane.select_sid(sid)
        else:
            self.rooms_pane.select_next()

    @Slot(str, object)
    def _on_roster_changed(self, room_sid: str, rows: Sequence[RosterRow]) -> None:
        if self.roster_scope.roster_changed(room_sid, rows):
            self._update_actions()

    @Slot(object)
    def _on_events(self, events: Sequence[GuestEvent]) -> None:
        self.event_model.append(events)
        self.notifier.notify_events(events)

    @Slot(object)
    def _on_connection_changed(self, state: ConnectionState) -> None:
        self.connection_indicator.set_state(state)
        if state.kind is ConnectionKind.ONLINE and self.error_label.topic is ErrorTopic.CONNECTION:
            self.clear_error()

    @Slot(object)
    def _on_error(self, report: Report) -> None:
        error = report.error
        self.show_error(error.message, error.action, context=report.context, topic=report.topic)

    @Slot(object)
    def _on_caller_ids_changed(self, caller_ids: Sequence[CallerId]) -> None:
        self.dialogs.set_caller_ids(list(caller_ids))

    # -- status bar ----------------------------------------------------------------------------
    def show_error(
        self,
        message: str,
        action: str = "",
        *,
        context: str = "",
        topic: ErrorTopic = ErrorTopic.ACTION,
    ) -> None:
        """One line in the status bar: what went wrong and what to do. An error about the
        connection (`topic`) is cleared as soon as the app is online again."""
        self.error_label.show_error(message, action, context=context, topic=topic)

    def clear_error(self) -> None:
        """Empty the status bar's error line."""
        self.error_label.clear_error()

    # -- rooms ---------------------------------------------------------------------------------
    def refresh_now(self) -> None:
        """Poll everything now (F5)."""
        if self._session is not None:
            self._session.refresh_now()

    @Slot(object)
    def _selected_room_name(self) -> str:
        room = self.rooms_pane.selected_room()
        return room.room.unique_name if room is not None else ""

    def _on_room_selected(self, sid: str | None) -> None:
        self.roster_scope.room_selected()
        room = self.rooms_pane.selected_room()
        self.roster_pane.set_room(room.room.unique_name if room is not None else None)
        if room is not None:
            self._settings.last_room = room.room.unique_name
        self._apply_log_filter()
        if self._session is not None:
            self._session.select_room(sid)
        self.dialogs.set_room(sid, room.room.unique_name if room is not None else "")
        self._update_actions()

    def open_create_room_dialog(self) -> None:
        """Create room… (Ctrl+N)."""
        self.room_commands.open_create_room_dialog()

    def open_room_window(self) -> None:
        """Open in new window: the selected room's roster in a window of its own."""
        room = self.rooms_pane.selected_room()
        if room is not None:
            self.room_windows.open(room.room.sid, room.room.unique_name)

    def confirm_end_room(self) -> None:
        """End room…: asks first, naming the room and how many people it disconnects."""
        self.room_commands.confirm_end_room()

    # -- participants --------------------------------------------------------------------------
    def open_dial_dialog(self) -> DialDialog | None:
        """Dial phone guest… (Ctrl+D) for the selected room."""
        room = self.rooms_pane.selected_room()
        if room is None or self._session is None:
            return None
        return self.dialogs.open_dial(self._session, room.room.sid, room.room.unique_name)

    @Slot(str)
    def _on_dialed(self, dial_id: str) -> None:
        # Session.dial already published the new row; select it so Remove acts on it.
        self.roster_pane.select_key(dial_id)

    def remove_current(self) -> None:
        """Remove participant (Delete): cancel, hang up or disconnect the selected row."""
        self.participant_commands.remove_current()

    def redial_current(self) -> None:
        """Redial the selected phone guest who left or whose call failed."""
        self.participant_commands.redial_current()

    # -- enabled states ------------------------------------------------------------------------
    def _update_actions(self) -> None:
        room = self.rooms_pane.selected_room()
        row = self.roster_pane.current_row()
        session = self._session
        states = scoped_action_states(
            has_session=session is not None,
            room=room.room if room is not None else None,
            row_room=self.roster_scope.room_of(row),
            room_count=self.rooms_pane.room_count(),
            row=row,
            revealed=row is not None and self.roster_model.is_revealed(row.key),
            has_journal=session is not None and session.journal is not None,
            muted=self.mutes.muted(row),
        )
        self.commands.apply_states(states)
        self.recording.update_actions()

    # -- view ----------------------------------------------------------------------------------
    def _apply_log_filter(self) -> None:
        all_rooms = self.event_log_pane.all_rooms()
        self.event_proxy.set_room(None if all_rooms else self.rooms_pane.selected_sid())

    def _set_all_rooms_scope(self, all_rooms: bool) -> None:
        self.event_log_pane.set_all_rooms(all_rooms)
        self._apply_log_filter()
        (self.commands.scope_all_rooms if all_rooms else self.commands.scope_this_room).setChecked(
            True
        )
        self._settings.event_log_scope = (
            EventLogScope.ALL_ROOMS if all_rooms else EventLogScope.SELECTED_ROOM
        )

    def _set_notifications(self, on: bool) -> None:
        self._settings.notifications_enabled = on
        self.notifier.set_enabled(on)

    # -- call history and preferences ----------------------------------------------------------
    def open_history_dialog(self, dial_id: str | None = None) -> HistoryDialog | None:
        """Call history… (Ctrl+H): one window per session, raised if already open."""
        if self._session is None:
            return None
        room = self.rooms_pane.selected_room()
        name = room.room.unique_name if room else ""
        return self.dialogs.open_history(
            self._session, self.rooms_pane.selected_sid(), name, dial_id
        )

    def show_timeline_current(self) -> HistoryDialog | None:
        """Show timeline… on a phone guest: the call history with that guest selected."""
        row = self.roster_pane.current_row()
        if row is None or row.dial_id is None:
            return None
        return self.open_history_dialog(row.dial_id)

    def open_preferences_dialog(self) -> PreferencesDialog:
        """Preferences… : on OK, save and apply at once (polling, notifications, country)."""
        from moderator.ui.dialogs.preferences_dialog import PreferencesDialog

        dialog = PreferencesDialog(self._settings, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._apply_preferences(dialog))
        dialog.open()
        return dialog

    def _apply_preferences(self, dialog: PreferencesDialog) -> None:
        dialog.apply_to(self._settings)
        if self._session is not None:
            self._session.apply_settings(self._settings)
        self.commands.notifications.setChecked(self._settings.notifications_enabled)
        self._set_notifications(self._settings.notifications_enabled)
        if self._settings_store is not None:
            try:
                self._settings_store.save(self._settings)
            except OSError as exc:
                self.show_error(f"Preferences apply now but could not be saved: {exc}")

    def _raise_window(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def show_about(self) -> None:
        """Help ▸ About."""
        help_boxes.show_about(self)

    def show_sandbox_cheat_sheet(self) -> None:
        """Help ▸ Sandbox phone numbers."""
        help_boxes.show_sandbox_cheat_sheet(self)

    # -- settings ------------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        self.ensurePolished()  # the stylesheet's fonts and paddings decide the widths needed
        # At least what shows both panes' columns at their preferred widths.
        least = self.minimumSizeHint() + QSize(self.panes.comfort_width(), 0)
        self.window_layout.restore(self._settings, self.panes.split, least)
        self.commands.notifications.setChecked(self._settings.notifications_enabled)
        self._set_all_rooms_scope(self._settings.event_log_scope is EventLogScope.ALL_ROOMS)
        self.roster_scope.restore()

    def save_settings(self) -> None:
        """Write geometry, layout, last profile and room to the settings file."""
        self.window_layout.save(self._settings)
        self._settings.last_profile = self._profile
        if self._settings_store is not None:
            try:
                self._settings_store.save(self._settings)
            except OSError as exc:
                log.warning("could not save settings: %s", exc)

    def shutdown(self) -> None:
        """Stop the session's polling and workers; idempotent."""
        self.room_windows.close_all()
        session, self._session = self._session, None
        if session is not None:
            self._remember_rooms(session)
            session.stop()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Save settings and stop background work before the window goes."""
        self.room_windows.close_all()  # first: their geometry goes into the settings saved
        self.save_settings()
        self.shutdown()
        super().closeEvent(event)


def _sid_named(rows: Sequence[RoomRow], unique_name: str) -> str | None:
    return next((row.room.sid for row in rows if row.room.unique_name == unique_name), None)
