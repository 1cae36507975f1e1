"""Recording, live: start/stop, the REC truth read back from Twilio, recordings, compositions
and their downloads.

The decisions are the Qt-free core's (`core.recording`: what rules imply, the REC book, what a
composition asks for); this QObject runs their requests on a pool of its own (a download of
a large file must not hold up a Dial or a poll) and turns the answers into signals and
`Changes`. Whether a room records is read back from Twilio: each group room's rules are polled
by the poll loop inside its read budget (the selected room's often, a room never read first),
and every write's echo counts at once, so a restart or another copy of the app shows REC true.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from moderator.core.changes import Changes, ErrorTopic, Report
from moderator.core.connection import is_transient
from moderator.core.errors import TwilioError
from moderator.core.gateway import TwilioGateway
from moderator.core.guest_state import GuestEvent
from moderator.core.live_state import RoomRow
from moderator.core.models import Room, RoomType
from moderator.core.recording import (
    ComposeRequest,
    Composition,
    RecordingBook,
    TrackRecording,
    format_size,
)
from moderator.core.recording_gateway import DownloadCancelled, RecordingGateway
from moderator.core.write_budget import RetryRule
from moderator.ui.tasks import TaskRunner

__all__ = ["RecordingDesk", "RecordingsListing"]

log = logging.getLogger(__name__)

#: How often a composition under way is fetched again (Twilio takes seconds to minutes).
FOLLOW_INTERVAL_MS = 2000
#: Completed rooms offered by the Recordings dialog (compose after the room ended).
RECENT_ROOMS = 20


class RecordingsListing:
    """One room's track recordings and compositions, as last listed."""

    __slots__ = ("compositions", "recordings", "room_sid")

    def __init__(
        self, room_sid: str, recordings: list[TrackRecording], compositions: list[Composition]
    ) -> None:
        self.room_sid = room_sid
        self.recordings = recordings
        self.compositions = compositions


class RecordingDesk(QObject):
    """One profile's recording controls; owned by the Session."""

    #: A room's REC changed (room SID, recording now).
    recordingChanged = Signal(str, bool)
    #: A start/stop finished: room SID, succeeded, one line for the host.
    recordingFinished = Signal(str, bool, str)
    listingLoaded = Signal(object)  # RecordingsListing
    listingFailed = Signal(str, str)  # room SID, why
    recentRoomsLoaded = Signal(list)  # list[Room], completed group rooms, newest first
    compositionChanged = Signal(object)  # Composition, each time its status was read
    #: A compose / delete finished: succeeded, one line for the host.
    commandFinished = Signal(bool, str)
    downloadProgress = Signal(str, int, int)  # composition SID, bytes done, total (0: unknown)
    downloadFinished = Signal(str, bool, str)  # composition SID, succeeded, one line

    def __init__(
        self,
        gateway: TwilioGateway,
        *,
        apply: Callable[[Changes], None],
        clock: Callable[[], datetime],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._gateway = RecordingGateway(gateway)
        self._rooms_gateway = gateway
        self._apply = apply
        self._clock = clock
        self._book = RecordingBook()
        self._rooms: dict[str, Room] = {}
        self._downloads: dict[str, threading.Event] = {}
        self._following: set[str] = set()
        self._seen: set[str] = set()
        self._list_again: set[str] = set()
        self.runner = TaskRunner(self, max_threads=2)
        #: How a rules write that failed transiently is tried again (tests make it short).
        self.retry_rule = RetryRule()
        #: How often a composition under way is fetched again (tests make it short).
        self.follow_interval_ms = FOLLOW_INTERVAL_MS
        self._follow_timer = QTimer(self)
        self._follow_timer.setSingleShot(True)
        self._follow_timer.timeout.connect(self._follow)

    def shutdown(self, wait_ms: int) -> None:
        self._follow_timer.stop()
        for cancel in self._downloads.values():
            cancel.set()
        self.runner.shutdown(wait_ms)

    # -- REC ------------------------------------------------------------------------------------

    def recording(self, room_sid: str) -> bool:
        """Whether the room records (as Twilio said, or as the host just asked)."""
        return self._book.recording(room_sid)

    def busy(self, room_sid: str) -> bool:
        return self._book.busy(room_sid)

    def rooms_recording(self) -> frozenset[str]:
        return self._book.rooms_recording()

    @Slot(list)
    def rooms_listed(self, rows: list[RoomRow]) -> None:
        """The rooms list changed: forget rooms that left it (their REC with them)."""
        current = {row.room.sid: row.room for row in rows}
        for sid in list(self._rooms):
            if sid not in current:
                self._rooms.pop(sid)
                was = self._book.recording(sid)
                self._book.forget(sid)
                self._seen.discard(sid)
                if was:
                    self.recordingChanged.emit(sid, False)
        self._rooms.update(current)

    def recording_rooms(self) -> list[str]:
        """Group rooms in progress: whose recording rules the poll loop reads (REC's truth)."""
        return [
            sid
            for sid, room in self._rooms.items()
            if room.type is RoomType.GROUP and room.in_progress
        ]

    def rules_read(self, room_sid: str, rules: list[dict[str, Any]]) -> Changes:
        """A poll read the room's recording rules back (called by the poll loop)."""
        if room_sid not in self._rooms or self._book.busy(room_sid):
            return Changes()  # gone, or a write is under way: its echo is what counts
        if self._book.read_back(room_sid, rules) or not self._announced(room_sid):
            self.recordingChanged.emit(room_sid, self._book.recording(room_sid))
        return Changes()

    def _announced(self, room_sid: str) -> bool:
        """REC of this room was signalled once already (the first read always is)."""
        if room_sid in self._seen:
            return True
        self._seen.add(room_sid)
        return False

    def set_recording(self, room_sid: str, on: bool) -> bool:
        """Start (`on`) or stop recording every track of a group room.

        The rules write is idempotent, so a transient failure (no answer, 5xx, 429) is tried
        again with backoff (`retry_rule`); it is reported only when it keeps failing.
        """
        room = self._rooms.get(room_sid)
        if room is not None and room.type is not RoomType.GROUP:
            self.recordingFinished.emit(room_sid, False, "Only group rooms can be recorded.")
            return False
        rules = self._book.begin(room_sid, on)
        if rules is None:
            return False
        self.recordingChanged.emit(room_sid, on)
        return self._write_rules(room_sid, on, rules, attempt=1)

    def _write_rules(
        self, room_sid: str, on: bool, rules: tuple[dict[str, Any], ...], attempt: int
    ) -> bool:
        room = self._rooms.get(room_sid)
        name = room.unique_name if room is not None else room_sid
        gateway = self._gateway
        verb = "Started" if on else "Stopped"

        def done(echoed: list[dict[str, object]]) -> None:
            self._book.written(room_sid, echoed)
            now = self._book.recording(room_sid)
            self.recordingChanged.emit(room_sid, now)
            text = f"{verb} recording {name}"
            self._apply(Changes.of_events([self._event("recording", text, room_sid, name)]))
            self.recordingFinished.emit(room_sid, True, text)

        def failed(error: TwilioError) -> None:
            rule = self.retry_rule
            if is_transient(error) and attempt < rule.max_attempts:
                delay_s = max(error.retry_after or 0.0, rule.delay(attempt, 0.5))
                log.info("recording rules of %s not written (%s); again in %.1f s",
                         room_sid, error.message, delay_s)  # fmt: skip
                QTimer.singleShot(
                    int(delay_s * 1000),
                    self,
                    lambda: self._write_rules(room_sid, on, rules, attempt + 1),
                )
                return
            self._book.failed(room_sid)
            self.recordingChanged.emit(room_sid, self._book.recording(room_sid))
            context = f"{'Starting' if on else 'Stopping'} recording {name}"
            self._apply(Changes.of_error(Report(error, context, ErrorTopic.ACTION, room_sid)))
            self.recordingFinished.emit(room_sid, False, f"{context}: {error.message}")

        return self.runner.run(
            f"record:{room_sid}",
            lambda: gateway.update_recording_rules(room_sid, rules),
            done,
            failed,
        )

    # -- recordings and compositions ------------------------------------------------------------

    def load(self, room_sid: str) -> bool:
        """List the room's track recordings and compositions (`listingLoaded`)."""
        gateway = self._gateway

        def work() -> RecordingsListing:
            recordings = gateway.list_room_recordings(room_sid)
            compositions = gateway.list_compositions(room_sid)
            return RecordingsListing(room_sid, recordings, compositions)

        def done(listing: RecordingsListing) -> None:
            if room_sid in self._list_again:  # asked again while this one was out: stale
                self._list_again.discard(room_sid)
                self.load(room_sid)
                return
            self.listingLoaded.emit(listing)
            for composition in listing.compositions:
                if not composition.status.is_final:
                    self._start_following(composition.sid)

        def failed(error: TwilioError) -> None:
            self._list_again.discard(room_sid)
            self.listingFailed.emit(room_sid, f"{error.message} {error.action}".strip())

        key = f"listing:{room_sid}"
        if self.runner.in_flight(key):
            self._list_again.add(room_sid)  # after a delete, say: the listing out is too old
            return True
        return self.runner.run(key, work, done, failed)

    @Slot()
    def load_recent_rooms(self) -> bool:
        """The account's recently completed group rooms (they can be composed)."""
        gateway = self._rooms_gateway

        def work() -> list[Room]:
            rooms = gateway.list_rooms("completed", limit=RECENT_ROOMS)
            return [room for room in rooms if room.type is RoomType.GROUP]

        def failed(error: TwilioError) -> None:
            log.info("completed rooms not listed: %s", error.message)

        return self.runner.run("recent-rooms", work, self.recentRoomsLoaded.emit, failed)

    def compose(self, request: ComposeRequest) -> bool:
        """Ask Twilio to compose an ended room; its progress comes as `compositionChanged`."""
        problem = request.problem()
        if problem:
            self.commandFinished.emit(False, problem)
            return False
        gateway = self._gateway

        def done(composition: Composition) -> None:
            self.compositionChanged.emit(composition)
            self.commandFinished.emit(True, "Composition enqueued at Twilio")
            self._start_following(composition.sid)

        def failed(error: TwilioError) -> None:
            self.commandFinished.emit(False, f"Not composed: {error.message} {error.action}")

        return self.runner.run(
            f"compose:{request.room_sid}",
            lambda: gateway.create_composition(request),
            done,
            failed,
        )

    def _start_following(self, sid: str) -> None:
        self._following.add(sid)
        if not self._follow_timer.isActive():
            self._follow_timer.start(self.follow_interval_ms)

    @Slot()
    def _follow(self) -> None:
        """Fetch each composition under way once; again later until it is final."""
        for sid in list(self._following):
            self._fetch_composition(sid)

    def _fetch_composition(self, sid: str) -> None:
        gateway = self._gateway

        def done(composition: Composition) -> None:
            if composition.status.is_final:
                self._following.discard(sid)
            self.compositionChanged.emit(composition)
            self._rearm()

        def failed(error: TwilioError) -> None:
            log.info("composition %s not fetched: %s", sid, error.message)
            self._rearm()

        self.runner.run(f"follow:{sid}", lambda: gateway.fetch_composition(sid), done, failed)

    def _rearm(self) -> None:
        if self._following and not self._follow_timer.isActive():
            self._follow_timer.start(self.follow_interval_ms)

    def delete_recording(self, room_sid: str, recording_sid: str) -> bool:
        gateway = self._gateway
        return self._command(
            f"delete:{recording_sid}",
            lambda: gateway.delete_recording(room_sid, recording_sid),
            "Recording deleted",
            "Recording not deleted",
            room_sid,
        )

    def delete_composition(self, room_sid: str, composition_sid: str) -> bool:
        gateway = self._gateway
        self._following.discard(composition_sid)
        return self._command(
            f"delete:{composition_sid}",
            lambda: gateway.delete_composition(composition_sid),
            "Composition deleted",
            "Composition not deleted",
            room_sid,
        )

    def _command(
        self, key: str, work: Callable[[], None], ok: str, not_ok: str, room_sid: str
    ) -> bool:
        def done(_result: None) -> None:
            self.commandFinished.emit(True, ok)
            self.load(room_sid)

        def failed(error: TwilioError) -> None:
            self.commandFinished.emit(False, f"{not_ok}: {error.message} {error.action}")

        return self.runner.run(key, work, done, failed)

    # -- downloads ------------------------------------------------------------------------------

    def downloading(self, composition_sid: str) -> bool:
        return composition_sid in self._downloads

    def download(self, composition_sid: str, path: Path) -> bool:
        """Download a completed composition's media to `path` (progress, then finished)."""
        if composition_sid in self._downloads:
            return False
        cancel = threading.Event()
        gateway = self._gateway
        progress = self.downloadProgress

        def work() -> int:
            url = gateway.media_url(composition_sid)
            try:
                return gateway.download(
                    url,
                    path,
                    progress=lambda done, total: progress.emit(composition_sid, done, total),
                    cancelled=cancel.is_set,
                )
            except DownloadCancelled:
                return -1

        def done(size: int) -> None:
            self._downloads.pop(composition_sid, None)
            if size < 0:
                self.downloadFinished.emit(composition_sid, False, "Download cancelled")
                return
            text = f"Saved {path.name} ({format_size(size)})"
            self.downloadFinished.emit(composition_sid, True, text)

        def failed(error: TwilioError) -> None:
            self._downloads.pop(composition_sid, None)
            if cancel.is_set():
                self.downloadFinished.emit(composition_sid, False, "Download cancelled")
                return
            self.downloadFinished.emit(
                composition_sid, False, f"Download failed: {error.message} {error.action}"
            )

        started = self.runner.run(f"download:{composition_sid}", work, done, failed)
        if started:
            self._downloads[composition_sid] = cancel
        return started

    @Slot(str)
    def cancel_download(self, composition_sid: str) -> None:
        cancel = self._downloads.get(composition_sid)
        if cancel is not None:
            cancel.set()

    # -- helpers --------------------------------------------------------------------------------

    def _event(self, kind: str, text: str, room_sid: str, room_name: str) -> GuestEvent:
        return GuestEvent(
            at=self._clock(), room_sid=room_sid, room_name=room_name, kind=kind, text=text
        )
