"""Co-hosting, live: the shared guest book and presence read and written through Twilio Sync.

The decisions are the Qt-free core's (`CoHosting`: the outbox, the schedule, the state); this
QObject runs the requests it asks for on a pool of its own (so a slow Sync never delays a poll
or a dial), hands the answers back, and turns them into `Changes` (rosters to redraw) and one
status line. The requests themselves are `shared_writes`' (revisions, re-read on 412, claims).

A failure of Sync never reaches the link indicator nor an error dialog: Video and Voice may be
fine. It only changes the status line ("Co-host sharing paused: …"), keeps every unwritten change
in the outbox, and the next round after the backoff is the probe.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from moderator.core.changes import Changes, ErrorTopic, Report
from moderator.core.cohosting import (
    GUESTS_READ,
    HEARTBEAT,
    HOSTS_READ,
    CoHosting,
    SharingState,
    Write,
)
from moderator.core.dialer import DialRequest
from moderator.core.errors import ErrorKind, TwilioError
from moderator.core.gateway import TwilioGateway
from moderator.core.guests import GuestBook
from moderator.core.live_state import LiveState
from moderator.core.models import Call
from moderator.core.mutes import MuteView
from moderator.core.phone import PhoneNumberError, parse
from moderator.core.poller import participants_key
from moderator.core.preflight import CheckResult
from moderator.core.presence import HEARTBEAT_TTL_S
from moderator.core.redaction import is_sip_address
from moderator.core.roster import RosterRow
from moderator.core.shared_guests import GUESTS_MAP, HOSTS_MAP, SERVICE_NAME, SharedGuest
from moderator.core.shared_writes import Claim, SharedMaps, beat, claim, write_fields
from moderator.core.sync_gateway import SyncGateway, SyncItem
from moderator.ui.tasks import TaskRunner

__all__ = ["CoHostDesk"]

log = logging.getLogger(__name__)

TICK_MS = 200
CHECK_COHOSTS = "Co-hosts"
"""The pre-flight check of the shared guest book."""
THREADS = 2


def _setup(sync: SyncGateway) -> SharedMaps:
    service = sync.find_or_create_service(SERVICE_NAME)
    return SharedMaps(
        service,
        sync.find_or_create_map(service, GUESTS_MAP),
        sync.find_or_create_map(service, HOSTS_MAP),
    )


class CoHostDesk(QObject):
    """One profile's co-hosting; owned by the Session."""

    statusChanged = Signal(str)  # the status line: who else moderates, or why sharing is off

    def __init__(
        self,
        gateway: TwilioGateway,
        book: GuestBook,
        live: LiveState,
        name: str,
        *,
        apply: Callable[[Changes], None],
        clock: Callable[[], datetime],
        monotonic: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._gateway = gateway
        self._sync = SyncGateway(gateway)
        self._book = book
        self._live = live
        self._apply = apply
        self._clock = clock
        self._mono = monotonic
        self.hosting = CoHosting(uuid.uuid4().hex, name.strip() or "a co-host", clock())
        live.shared = self.hosting.book
        self.runner = TaskRunner(self, max_threads=THREADS)
        self._status = ""
        self._noted: dict[str, str] = {}  # identity → the muted_by this app last wrote
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self.tick)

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        self._timer.start()
        self._set_status(self.hosting.status_text())
        self.tick()

    def shutdown(self, wait_ms: int) -> None:
        """Stop; tell the others this host left (best effort: the heartbeat's TTL is the rest)."""
        self._timer.stop()
        maps = self.hosting.maps
        if maps is not None and self.runner.accepting:
            # What is still queued goes out now, best effort (a mute noted just before quitting).
            self.hosting.publish(self._book.all_guests())
            for write in self.hosting.due_writes(self._mono(), closing=True):
                self._write(write)
            sync, key = self._sync, self.hosting.host_id
            self.runner.run(
                "sync:leave",
                lambda: sync.delete_item(maps.service_sid, maps.hosts_map, key),
                lambda _none: None,
                lambda _error: None,
            )
        self.runner.shutdown(wait_ms)

    def halt(self, wait_ms: int) -> None:
        """Stop as if the app died now: no goodbye, the heartbeat just stops being renewed."""
        self._timer.stop()
        self.runner.shutdown(wait_ms)

    @Slot()
    def retry_now(self) -> None:
        """Try Sync again now instead of at the end of the backoff (the host asked)."""
        self.hosting.retry_now(self._mono())
        self.tick()

    def rename(self, name: str) -> None:
        """The host changed their display name: the heartbeat and later writes use it."""
        name = name.strip() or self.hosting.name
        if name == self.hosting.name:
            return
        self.hosting.name = name
        self.hosting.presence.name = name
        self.hosting.rename_published()
        self.tick()

    @property
    def status(self) -> str:
        return self._status

    @property
    def name(self) -> str:
        return self.hosting.name

    def _set_status(self, text: str) -> None:
        if text and text != self._status:
            self._status = text
            log.info("%s", text)
            self.statusChanged.emit(text)

    # -- the schedule -------------------------------------------------------------------------

    @Slot()
    def tick(self) -> None:
        hosting, now = self.hosting, self._mono()
        if hosting.setup_due(now):
            hosting.setting_up()
            sync, epoch = self._sync, hosting.epoch
            self.runner.run(
                "sync:setup",
                lambda: _setup(sync),
                self._ready,
                lambda error: self._set_status(hosting.setup_failed(error, self._mono(), epoch)),
            )
            return
        hosting.retry_due(now)
        guests = self._book.all_guests()
        hosting.publish(guests)
        for key in hosting.due_reads(now):
            self._read(key)
        for guest in hosting.due_orphans(now, (g.identity for g in guests)):
            self._follow(guest)
        for write in hosting.due_writes(now):
            self._write(write)
        # While paused, "(2 changes kept)" follows the outbox (emitted only when it differs).
        self._set_status(hosting.status_text())

    def _ready(self, maps: SharedMaps) -> None:
        self.hosting.ready(maps)
        self._set_status(self.hosting.status_text())
        self.tick()

    def _read(self, key: str) -> None:
        maps = self.hosting.maps
        assert maps is not None
        sync = self._sync
        work: Callable[[], Any]
        if key == GUESTS_READ:
            work = lambda: sync.list_items(maps.service_sid, maps.guests_map)  # noqa: E731
            done: Callable[[Any], None] = self._guests_listed
        elif key == HOSTS_READ:
            work = lambda: sync.list_items(maps.service_sid, maps.hosts_map)  # noqa: E731
            done = self._hosts_listed
        else:  # HEARTBEAT
            data, host_id = self.hosting.presence.heartbeat(), self.hosting.host_id
            work = lambda: beat(sync, maps, host_id, data, HEARTBEAT_TTL_S)  # noqa: E731
            done = lambda _none: self.hosting.read_done(HEARTBEAT)  # noqa: E731
        epoch = self.hosting.epoch
        self.runner.run(key, work, done, lambda error: self._read_failed(key, error, epoch))

    def _guests_listed(self, items: list[SyncItem]) -> None:
        rooms = self.hosting.guests_listed(items)
        self._set_status(self.hosting.status_text())
        if rooms:
            self._apply(Changes(rooms=True, rosters=rooms))

    def _hosts_listed(self, items: list[SyncItem]) -> None:
        if self.hosting.hosts_listed(items, self._mono()):
            self._set_status(self.hosting.status_text())

    def _read_failed(self, key: str, error: TwilioError, epoch: int | None = None) -> None:
        self._set_status(self.hosting.read_failed(key, error, self._mono(), epoch))

    def _follow(self, guest: SharedGuest) -> None:
        """Fetch the call of a guest whose host's app is gone, to learn how it ends."""
        call_sid, gateway = guest.call_sid, self._gateway
        assert call_sid is not None
        key = f"sync:orphan:{guest.identity}"

        def fetched(call: Call) -> None:
            self.hosting.orphan_call(guest, call, self._clock())

        def failed(error: TwilioError) -> None:
            if error.kind is ErrorKind.NOT_FOUND:
                self.hosting.read_done(key)
                return
            self._read_failed(key, error)

        self.runner.run(key, lambda: gateway.fetch_call(call_sid), fetched, failed)

    def _write(self, write: Write) -> None:
        maps = self.hosting.maps
        assert maps is not None
        sync = self._sync

        def work() -> SyncItem | None:
            return write_fields(
                sync, maps, write.key, write.fields,
                ttl_s=write.ttl_s, known=write.known, create=write.create,
            )  # fmt: skip

        def done(item: SyncItem | None) -> None:
            rooms = self.hosting.written(write, item)
            self._set_status(self.hosting.status_text())
            if rooms:
                self._apply(Changes(rosters=rooms))

        epoch = self.hosting.epoch

        def failed(error: TwilioError) -> None:
            self._set_status(self.hosting.write_failed(write, error, self._mono(), epoch))

        if not self.runner.run(f"sync:write:{write.key}", work, done, failed):
            self.hosting.write_failed(write, _not_started(), self._mono())

    # -- what the host does -------------------------------------------------------------------

    def claimer(
        self, room_sid: str, room_name: str, number: str, identity: str, masked: str
    ) -> Callable[[], Claim] | None:
        """A blocking claim of (room, number) for a worker to run before the create-call, or
        None when sharing is not on or no co-host is here (the dial goes ahead at once). With
        co-hosts it costs the dial one Sync round trip: the price of never calling twice."""
        hosting, maps = self.hosting, self.hosting.maps
        tag = hosting.tag(room_sid, number)
        if maps is None or not tag or hosting.state is not SharingState.ON:
            return None
        presence = hosting.presence
        if presence.listed_once and not presence.others():
            # Alone on the account: nobody to race, so the dial does not wait for Sync. (A
            # co-host who opened the app seconds ago shows within one hosts listing, 5 s.)
            return None
        data = {
            "identity": identity,
            "host": hosting.host_id,
            "by": hosting.name,
            "masked": masked,
            "room": room_name,
        }
        sync = self._sync
        return lambda: claim(sync, maps, tag, data)

    def admit_claimer(
        self, call_sid: str, room_sid: str, room_name: str, identity: str
    ) -> Callable[[], Claim] | None:
        """Like `claimer`, for admitting a caller from the lobby: keyed by the call, so two
        hosts clicking Admit on the same caller redirect the call once."""
        return self.claimer("admit", room_name, call_sid, identity, "")

    def cohost_call(self, call_sid: str) -> bool:
        """Whether a co-host has this call as a guest (a caller they admitted)."""
        return any(guest.call_sid == call_sid for guest in self.hosting.book.others())

    def already_calling(self, room_sid: str, number: str) -> SharedGuest | None:
        """A co-host's dial of this number into this room still under way (pre-flight)."""
        tag = self.hosting.tag(room_sid, number)
        return self.hosting.book.live_dial_of(room_sid, tag) if tag else None

    def preflight_check(self, request: DialRequest, region: str) -> CheckResult | None:
        """The shared book's pre-flight check: is a co-host already calling this person?"""
        if self.hosting.maps is None:
            return None
        number = request.number.strip()
        if not is_sip_address(number):
            try:
                number = parse(number, region)
            except PhoneNumberError:
                return None  # the number check says what is wrong with it
        busy = self.already_calling(request.room_sid, number)
        if busy is None:
            return CheckResult(CHECK_COHOSTS, True, "No co-host is calling this number")
        room = busy.room_name or "this room"
        return CheckResult(
            CHECK_COHOSTS, False, f"{busy.by} is already calling {busy.masked_number} into {room}"
        )

    def identities_in_room(self, room_sid: str) -> set[str]:
        """Co-hosts' phone guests' identities in a room (they count toward Twilio's 35)."""
        return {guest.identity for guest in self.hosting.book.others_in_room(room_sid)}

    def is_shared_row(self, row: RosterRow) -> bool:
        """A co-host's guest (whatever the row's key: All rooms prefixes it with the room)."""
        return bool(row.shared_by) and row.dial_id is None

    def remove(self, row: RosterRow, room_sid: str) -> None:
        """Remove a co-host's guest: leave the room and end its call, then note who did it."""
        identity, call_sid, participant_sid = row.identity, row.call_sid, row.participant_sid
        gateway = self._gateway

        def work() -> None:
            if participant_sid is not None:
                try:
                    gateway.disconnect_participant(room_sid, participant_sid)
                except TwilioError as error:
                    if error.kind not in (ErrorKind.NOT_FOUND, ErrorKind.CONFLICT):
                        raise
            if call_sid is not None:
                gateway.hang_up(call_sid)

        def done(_none: None) -> None:
            self.hosting.note(identity, {"removed_by": self.hosting.name})
            self._apply(Changes(rosters={room_sid}, polls={participants_key(room_sid)}, tick=True))

        def failed(error: TwilioError) -> None:
            report = Report(error, f"Removing {row.name}", ErrorTopic.ACTION, room_sid)
            self._apply(Changes(errors=[report]))

        self.runner.run(f"sync:remove:{identity}", work, done, failed)
        self.tick()

    def mute_seen(self, identity: str, muted: bool, view: MuteView | None) -> None:
        """The mute state of a phone guest changed here: tell the co-hosts when this host
        muted or unmuted them (a mute by another app is that app's to tell; a state not yet
        read back says nothing, so it never clears a co-host's note)."""
        name = self.hosting.name
        by_me = muted and view is not None and view.by_you and not view.changing
        noted = self._noted.get(identity)
        if by_me and noted != name:
            self._noted[identity] = name
            self.hosting.note(identity, {"muted_by": name})
        elif not muted and noted == name:
            self._noted[identity] = ""
            self.hosting.note(identity, {"muted_by": ""})


def _not_started() -> TwilioError:
    return TwilioError(
        "The app is closing.", action="Nothing to do.", kind=ErrorKind.NETWORK, retryable=True
    )
