"""One Twilio profile, live: the coordinator between the core, the task pools and the widgets.

The Session is the only thing the widgets talk to. It decides nothing itself: the Qt-free core
does (`LiveState` for what is in the rooms, `Dialer` for every dial's life, `GuestBook` for the
guests and their journal), and each host action here is one small step — ask the core, run the
request it names on the actions pool, hand the answer back to the core, and pass the `Changes`
it returns to the `ChangePublisher` (what to show) and the `PollLoop` (what to poll). Polls run
on a pool of their own, so a slow poll never queues ahead of a Dial, and nothing here blocks on
the network.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from twilio.rest import Client

from moderator.core.capacity import Thresholds
from moderator.core.changes import Changes
from moderator.core.connection import ConnectionState
from moderator.core.count_history import CountHistory
from moderator.core.credentials import Credentials
from moderator.core.dialer import Dialer, DialRequest
from moderator.core.dialin import DialInStore
from moderator.core.gateway import TwilioGateway
from moderator.core.guest_state import utcnow
from moderator.core.guests import GuestBook
from moderator.core.http import make_client
from moderator.core.journal import Journal
from moderator.core.live_state import LiveState, RoomRow
from moderator.core.models import CallerId, Room, RoomType
from moderator.core.phone import DEFAULT_REGION
from moderator.core.poller import ROOMS_KEY, PollPlanner, PollSettings, call_key, participants_key
from moderator.core.retry import NO_RETRY
from moderator.core.room_options import RoomOptions
from moderator.core.room_watch import RoomWatch
from moderator.core.roster import GuestKind, RosterRow
from moderator.core.settings import Settings
from moderator.core.shared_writes import Claim
from moderator.core.write_budget import WriteBudget
from moderator.ui.session.cohosts import CoHostDesk
from moderator.ui.session.dial_in import DialInDesk
from moderator.ui.session.host_actions import HostActions
from moderator.ui.session.mutes import MuteDesk
from moderator.ui.session.poll_loop import PollLoop
from moderator.ui.session.preflight import PreflightRun
from moderator.ui.session.publisher import ChangePublisher
from moderator.ui.session.recordings import RecordingDesk

__all__ = ["Session"]

HISTORY_FLUSH_S = 60
"""How often the rooms' closed minutes of counts are written to a real profile's database."""

DEFAULT_TIMEOUT_S = 10.0
"""HTTP timeout: above the 5 s latency a poor link may add, below the host's patience."""


def thresholds_of(settings: Settings) -> Thresholds:
    """The capacity alerts' thresholds from the host's preferences."""
    return Thresholds(
        full_share=settings.alert_full_percent / 100.0,
        phones=settings.alert_phones,
        empty_minutes=float(settings.alert_empty_minutes),
    )


class Session(QObject):
    """Everything live about one profile; create one per profile, call start(), then stop()."""

    roomsChanged = Signal(list)  # list[RoomRow], sorted by unique name
    rosterChanged = Signal(str, list)  # room SID, list[RosterRow]
    events = Signal(list)  # list[GuestEvent], oldest first
    connectionChanged = Signal(object)  # ConnectionState
    errorRaised = Signal(object)  # Report: the error, what the app was doing, its topic
    callerIdsChanged = Signal(list)  # list[CallerId]
    cohostStatusChanged = Signal(str)  # the co-host line ("" when co-hosting is off)

    def __init__(
        self,
        credentials: Credentials | Client,
        *,
        base_url: str | None = None,
        journal: Journal | None = None,
        settings: PollSettings | Settings | None = None,
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_threads: int = 4,
        dial_in_store: DialInStore | None = None,
        count_history: CountHistory | None = None,
        cohost_name: str | None = None,
        parent: QObject | None = None,
    ) -> None:
        """`credentials` (or a ready twilio Client) for one account; `base_url` for the sandbox.

        `journal` makes dials survive a crash: pass one per account (the session closes it on
        stop). Without it the guest book lives in memory only. `max_threads` is split between
        the polls' pool and the host actions' pool (at least one thread each).
        """
        super().__init__(parent)
        if isinstance(credentials, Credentials):
            credentials = make_client(credentials, base_url, timeout=timeout_s)
        self._client = credentials
        self._gateway = TwilioGateway(credentials)
        thresholds = thresholds_of(settings) if isinstance(settings, Settings) else None
        if settings is None or isinstance(settings, Settings):
            settings = PollSettings.from_settings(settings) if settings else PollSettings()
        self._journal = journal
        self._clock = clock
        self._book = GuestBook.from_journal(journal, clock) if journal else GuestBook(None, clock)
        self._live = LiveState(self._book, clock)
        self._dialer = Dialer(self._book, self._live, clock, monotonic)
        self._publisher = ChangePublisher(self._live, clock, self)
        poll_threads = max(1, max_threads - max_threads // 2)
        # Polls handle failure themselves (backoff, probe); retrying inside a worker would only
        # hold a pool thread and spend reads on a link that is down.
        self._polls = PollLoop(
            TwilioGateway(credentials, retry_policy=NO_RETRY),
            self._live,
            self._dialer,
            settings,
            apply=self._apply,
            selected=lambda: self._publisher.selected,
            clock=clock,
            monotonic=monotonic,
            max_threads=poll_threads,
            parent=self,
        )
        self._actions = HostActions(
            self._gateway,
            self._book,
            self._live,
            self._dialer,
            self._publisher,
            self._polls,
            apply=self._apply,
            clock=clock,
            max_threads=max(1, max_threads // 2),
            parent=self,
        )
        self._dial_in = DialInDesk(
            self._gateway,
            self._book,
            self._live,
            self._dialer,
            dial_in_store if dial_in_store is not None else DialInStore.in_memory(),
            apply=self._apply,
            clock=clock,
            parent=self,
        )
        self._polls.lobby_numbers = self._dial_in.lobby_numbers
        self._polls.on_lobby = self._dial_in.listed
        self._watch = RoomWatch(clock, history=count_history, thresholds=thresholds)
        self._seconds = 0
        self._polls.on_counted = self._counted
        # Recording (issue 10): REC read back from each group room's rules by the polls.
        self._recordings = RecordingDesk(self._gateway, apply=self._apply, clock=clock, parent=self)
        self._publisher.roomsChanged.connect(self._recordings.rooms_listed)
        self._polls.recording_rooms = self._recordings.recording_rooms
        self._polls.on_recording_rules = self._recordings.rules_read
        self._mutes = MuteDesk(
            self._gateway, self._book, self._live, apply=self._apply, clock=clock,
            monotonic=monotonic, parent=self,
        )  # fmt: skip
        self._polls.on_participants = self._mutes.participants_polled
        self._polls.rules_unread = self._mutes.unread
        self._polls.rules_known = self._mutes.known
        self._polls.rules_read = self._mutes.rules_read
        self._caller_ids: list[CallerId] | None = None  # None until loaded
        self._state = "new"  # "new" → "running" → "stopped"
        self._cohosts: CoHostDesk | None = None
        self._monotonic = monotonic
        if cohost_name is not None:
            self._set_cohosting(cohost_name)
        for source, target in (
            (self._publisher.roomsChanged, self.roomsChanged),
            (self._publisher.rosterChanged, self.rosterChanged),
            (self._publisher.events, self.events),
            (self._publisher.errorRaised, self.errorRaised),
            (self._polls.connectionChanged, self.connectionChanged),
        ):
            source.connect(target)
        self._polls.roomsAnswered.connect(self._after_first_rooms)
        self._polls.second.connect(self._each_second)

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Begin polling, take back calls a previous run left unfinished, then load caller IDs.

        The rooms list is what the host waits for, so its request goes out first and alone; the
        caller IDs (whose first request imports the SDK's whole Api v2010: tens of ms of CPU)
        follow once it is answered instead of slowing it down.
        """
        if self._state != "new":
            return
        self._state = "running"
        self._apply(self._dialer.recover())
        self._polls.start()
        if self._cohosts is not None:
            self._cohosts.start()
        if not self._polls.runner.in_flight(ROOMS_KEY):
            self._after_first_rooms()

    def stop(self, wait_ms: int = 100) -> None:
        """Stop polling and drop late results; in-flight requests finish on their own."""
        if self._state == "stopped":
            return
        self._state = "stopped"
        self._publisher.stop()
        self._polls.stop(wait_ms)
        self._actions.shutdown(wait_ms)
        self._dial_in.shutdown(wait_ms)
        self._watch.flush()
        self._recordings.shutdown(wait_ms)
        self._mutes.shutdown(wait_ms)
        if self._cohosts is not None:
            self._cohosts.shutdown(wait_ms)
        if self._journal is not None:
            self._journal.close()
        close = getattr(self._client.http_client, "close", None)
        if callable(close):  # pooled connections: a profile switch should not leave them open
            close()

    def shutdown_pools(self, wait_ms: int) -> None:
        """Stop both task pools as if the app died now (tests of crash recovery)."""
        self._polls.runner.shutdown(wait_ms)
        self._actions.runner.shutdown(wait_ms)
        self._dial_in.runner.shutdown(wait_ms)
        self._recordings.runner.shutdown(wait_ms)
        self._mutes.runner.shutdown(wait_ms)
        if self._cohosts is not None:
            self._cohosts.halt(wait_ms)

    def requests_in_flight(self) -> int:
        """Background requests (polls and actions) started and not yet answered."""
        return (
            self._polls.runner.in_flight_count()
            + self._actions.runner.in_flight_count()
            + self._dial_in.runner.in_flight_count()
            + self._recordings.runner.in_flight_count()
            + self._mutes.runner.in_flight_count()
            + (self._cohosts.runner.in_flight_count() if self._cohosts is not None else 0)
        )

    @property
    def running(self) -> bool:
        return self._state == "running"

    # -- read-only state ----------------------------------------------------------------------

    @property
    def book(self) -> GuestBook:
        return self._book

    def live_call_count(self) -> int:
        """The app's calls under way (ringing, joining or in a room), for the totals line."""
        return len(self._dialer.live_calls())

    def now(self) -> datetime:
        """The session's clock (the sandbox's in tests)."""
        return self._clock()

    @property
    def room_watch(self) -> RoomWatch:
        """The rooms' counts over time and their capacity alerts."""
        return self._watch

    def _counted(self, room_sid: str) -> Changes:
        room = self._live.room(room_sid)
        if room is None:
            return Changes()
        participants = len(self._live.participants(room_sid))
        return self._watch.counted(room, participants, self._book.phone_connected_count(room_sid))

    @property
    def dial_in(self) -> DialInDesk:
        """Dial-in numbers and their lobby."""
        return self._dial_in

    @property
    def recordings(self) -> RecordingDesk:
        """Recording: start/stop, REC, recordings, compositions and their downloads."""
        return self._recordings

    @property
    def mutes(self) -> MuteDesk:
        """Mute for everyone: the rooms' mute state, the commands, the rules write queue."""
        return self._mutes

    @property
    def cohosts(self) -> CoHostDesk | None:
        """Co-hosting through Twilio Sync, when on (None: this app moderates alone)."""
        return self._cohosts

    @property
    def cohost_status(self) -> str:
        return self._cohosts.status if self._cohosts is not None else ""

    def _set_cohosting(self, name: str | None) -> None:
        """Turn co-hosting on under `name` (or rename this host), or off with None."""
        desk = self._cohosts
        if name is not None and desk is not None:
            desk.rename(name)
            return
        if name is None:
            if desk is None:
                return
            self._cohosts = None
            desk.shutdown(0)
            desk.deleteLater()
            self._live.shared = None
            self._actions.claimer = lambda _dial_id: None
            self._actions.cohost_check = lambda _request, _region: None
            self._actions.cohost_identities = lambda _room_sid: set()
            self._dial_in.cohost_call = lambda _call_sid: False
            self._dial_in.admit_claimer = lambda _sid, _room, _name, _identity: None
            self._mutes.mutesChanged.disconnect(self._mutes_changed)
            self._apply(Changes(rooms=True, rosters=set(self._live.rooms)))
            self.cohostStatusChanged.emit("")
            return
        desk = CoHostDesk(
            self._gateway, self._book, self._live, name, apply=self._apply,
            clock=self._clock, monotonic=self._monotonic, parent=self,
        )  # fmt: skip
        self._cohosts = desk
        desk.statusChanged.connect(self.cohostStatusChanged)
        self._actions.claimer = self._claimer
        self._actions.cohost_check = desk.preflight_check
        self._actions.cohost_identities = desk.identities_in_room
        self._dial_in.cohost_call = desk.cohost_call
        self._dial_in.admit_claimer = desk.admit_claimer
        self._mutes.mutesChanged.connect(self._mutes_changed)
        if self._state == "running":
            desk.start()

    def _claimer(self, dial_id: str) -> Callable[[], Claim] | None:
        guest = self._book.get(dial_id)
        if guest is None or guest.number is None or self._cohosts is None:
            return None
        return self._cohosts.claimer(
            guest.room_sid, guest.room_name, guest.number, guest.identity, guest.masked_number
        )

    @Slot(str)
    def _mutes_changed(self, room_sid: str) -> None:
        """Tell co-hosts which phone guests this app muted or unmuted for everyone."""
        if self._cohosts is None:
            return
        views = self._mutes.views(room_sid)
        for row in self._live.roster(room_sid):
            if row.kind is GuestKind.PHONE:
                view = views.get(row.identity)
                self._cohosts.mute_seen(row.identity, view is not None and view.muted, view)

    @property
    def write_budget(self) -> WriteBudget[Any]:
        """The account's 20 writes/s, shared by every writer of the app (`acquire`, `enqueue`)."""
        return self._mutes.budget

    @property
    def journal(self) -> Journal | None:
        return self._journal

    @property
    def gateway(self) -> TwilioGateway:
        return self._gateway

    @property
    def settings(self) -> PollSettings:
        return self._polls.settings

    @property
    def planner(self) -> PollPlanner:
        return self._polls.planner

    @property
    def selected_room(self) -> str | None:
        return self._publisher.selected

    @property
    def caller_ids(self) -> list[CallerId]:
        return list(self._caller_ids or ())

    @property
    def connection_state(self) -> ConnectionState:
        return self._polls.state

    def room(self, room_sid: str) -> Room | None:
        return self._live.room(room_sid)

    def room_rows(self) -> list[RoomRow]:
        return self._live.room_rows()

    def roster(self, room_sid: str) -> list[RosterRow]:
        return self._live.roster(room_sid)

    def apply_settings(self, settings: Settings) -> None:
        """Take the host's new refresh intervals (Preferences) from the next tick on.

        Only the intervals change: the read budgets and the planner's history stay, so a change
        never causes a burst of reads nor forgets what is already due.
        """
        self._polls.settings = PollSettings.from_settings(settings, base=self._polls.settings)
        self._watch.capacity.thresholds = thresholds_of(settings)
        self._set_cohosting(settings.host_name if settings.cohosting else None)

    # -- selection and refresh ----------------------------------------------------------------

    @Slot(object)
    def select_room(self, room_sid: str | None) -> None:
        """Follow a room closely (participants every second); None follows none."""
        if self._publisher.select(room_sid) and room_sid is not None:
            self._polls.apply(Changes(polls={participants_key(room_sid)}, tick=True))

    @Slot()
    def refresh_now(self) -> None:
        """Poll the rooms and the selected room now; also lifts a backoff or an auth stop.

        Starts the session if start() was not called yet.
        """
        if self._state == "new":
            self.start()
            return
        if self._cohosts is not None:  # a paused or refused Sync is tried again too
            self._cohosts.retry_now()
        keys = [ROOMS_KEY, *(call_key(sid) for sid in self._book.live_call_sids())]
        if self._publisher.selected is not None:
            keys.append(participants_key(self._publisher.selected))
        self._polls.refresh_now(*keys)

    @Slot()
    def load_caller_ids(self) -> None:
        """(Re)load the account's voice numbers and verified caller IDs."""

        def loaded(caller_ids: list[CallerId]) -> None:
            self._caller_ids = list(caller_ids)
            self.callerIdsChanged.emit(list(caller_ids))

        self._actions.load_caller_ids(loaded)

    @Slot()
    def _after_first_rooms(self) -> None:
        QTimer.singleShot(0, self, self._load_caller_ids_if_running)

    def _load_caller_ids_if_running(self) -> None:
        if self.running and self._caller_ids is None:
            self.load_caller_ids()

    @Slot()
    def _each_second(self) -> None:
        """Keep "Ringing 12 s" texts moving while a dial into the selected room is under way."""
        selected = self._publisher.selected
        if selected is not None and self._dialer.any_live_in_room(selected):
            self._publisher.mark_roster_dirty()
        self._seconds += 1
        if self._seconds % HISTORY_FLUSH_S == 0:  # closed minutes to disk: a crash keeps them
            self._watch.flush()

    # -- actions (each one small operation of HostActions) ----------------------------------

    def dial(self, request: DialRequest) -> str:
        """Place a call into a room; the guest row appears at once. Returns the dial id.

        The same request (double click), or the same number and identity while that dial is
        still under way, returns the existing dial's id instead of placing a second call.
        Returns "" when nothing was dialed (identity taken by another live dial, the journal
        could not record it, invalid TwiML); errorRaised says why.
        """
        return self._actions.start_dial(self._dialer.begin(request, self._caller_ids))

    def redial(self, row: RosterRow, sip_auth_password: str = "") -> str:
        """Dial a phone guest who left or failed again (same number, identity, caller ID).

        A SIP guest whose password is not remembered needs it again (`redial_needs_password`).
        """
        return self._actions.start_dial(self._dialer.redial(row, sip_auth_password))

    def redial_needs_password(self, row: RosterRow) -> bool:
        """Whether this row's redial must ask the host for the SIP password again."""
        return self._dialer.redial_needs_password(row)

    def remove(self, row: RosterRow) -> None:
        """Remove from the room: disconnect an app participant; cancel a ringing phone guest;
        disconnect a phone guest in the room and end its call (a co-host's too)."""
        if self._cohosts is not None and self._cohosts.is_shared_row(row):
            room_sid = self._dialer.room_of_row(row, self._publisher.selected)
            if room_sid is not None:
                self._cohosts.remove(row, room_sid)
            return
        self._actions.remove(row)

    def create_room(
        self,
        unique_name: str,
        room_type: RoomType = RoomType.GROUP,
        max_participants: int | None = None,
        on_created: Callable[[Room], None] | None = None,
        options: RoomOptions | None = None,
    ) -> None:
        """Create an in-progress room; it shows in the list as soon as Twilio confirms it."""
        self._actions.create_room(unique_name, room_type, max_participants, on_created, options)

    def end_room(self, room_sid: str) -> None:
        """Complete a room: everyone is disconnected and phone guests' calls end."""
        self._actions.end_room(room_sid)

    def preflight(
        self, request: DialRequest, *, default_region: str = DEFAULT_REGION
    ) -> PreflightRun:
        """Run the pre-dial checks on freshly fetched data; the returned run's `finished`
        signal gives the results on the GUI thread. A new call supersedes the previous run
        (only the newest delivers), so a dialog may call this whenever its inputs change
        (debounced: each call costs two reads). A run that met a transient failure checks
        again by itself."""
        return self._actions.preflight(request, default_region, self._caller_ids)

    def _apply(self, changes: Changes) -> None:
        """The one way a change reaches the screen, the poll loop and the phone lines."""
        if not changes:
            return
        for room_sid in changes.forget_rooms:
            self._mutes.room_gone(room_sid)
        self._publisher.apply(changes)
        for guest in changes.hang_ups:
            self._actions.hang_up(guest)
        self._polls.apply(changes)
