"""The host's actions, one small operation each, on a task pool of their own.

Each action asks the Qt-free core what to do (`Dialer`, `LiveState`), runs the one request it
names on the actions pool (separate from the polls', so a Dial never queues behind a slow
poll), and hands the answer back to the core; the `Changes` it returns go to the session's
`apply`. Nothing here decides anything a test of the core could not check.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QObject, QTimer, Slot

from moderator.core.changes import Changes, ErrorTopic, Report
from moderator.core.connection import is_transient
from moderator.core.dialer import CreateCall, Dialer, DialRequest, DialStart, hang_up_status
from moderator.core.errors import ErrorKind, TwilioError
from moderator.core.gateway import TwilioGateway
from moderator.core.guest_state import GuestEvent, PhoneGuest
from moderator.core.guests import GuestBook
from moderator.core.live_state import LiveState
from moderator.core.models import Call, CallerId, Participant, Room, RoomType
from moderator.core.poller import ROOMS_KEY, call_key, participants_key
from moderator.core.preflight import CheckResult, gather_preflight_inputs, run_preflight
from moderator.core.room_options import RoomOptions
from moderator.core.roster import RosterRow
from moderator.core.shared_writes import Claim, refusal
from moderator.ui.session.poll_loop import PollLoop
from moderator.ui.session.preflight import PreflightRun
from moderator.ui.session.publisher import ChangePublisher
from moderator.ui.tasks import TaskRunner

log = logging.getLogger(__name__)

CALLER_ID_RETRY_S = (3.0, 6.0, 12.0, 30.0)
"""Waits before loading the caller IDs again after each transient failure (then every 30 s)."""


class HostActions(QObject):
    """Dial, remove, hang up, create and end rooms, load caller IDs, run pre-flights."""

    def __init__(
        self,
        gateway: TwilioGateway,
        book: GuestBook,
        live: LiveState,
        dialer: Dialer,
        publisher: ChangePublisher,
        polls: PollLoop,
        *,
        apply: Callable[[Changes], None],
        clock: Callable[[], datetime],
        max_threads: int,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._gateway = gateway
        self._book = book
        self._live = live
        self._dialer = dialer
        self._publisher = publisher
        self._polls = polls
        self._apply = apply
        self._clock = clock
        self.runner = TaskRunner(self, max_threads=max_threads)
        self._preflight: PreflightRun | None = None
        self._caller_ids_loaded: Callable[[list[CallerId]], None] | None = None
        self._caller_id_attempt = 0
        self._caller_id_retry = QTimer(self)
        self._caller_id_retry.setSingleShot(True)
        self._caller_id_retry.timeout.connect(self._retry_caller_ids)
        #: Co-hosting's hooks (issue 12): a dial's claim to run before its create-call (None
        #: when sharing is off), the shared book's pre-flight check, and co-hosts' phone
        #: guests' identities in a room (they count toward the phone limit).
        self.claimer: Callable[[str], Callable[[], Claim] | None] = lambda _dial_id: None
        self.cohost_check: Callable[[DialRequest, str], CheckResult | None] = (
            lambda _request, _region: None
        )
        self.cohost_identities: Callable[[str], set[str]] = lambda _room_sid: set()

    def shutdown(self, wait_ms: int) -> None:
        self._caller_id_retry.stop()
        if self._preflight is not None:
            self._preflight.cancel()
        self.runner.shutdown(wait_ms)

    # -- dialing ------------------------------------------------------------------------------

    def start_dial(self, start: DialStart) -> str:
        """Send the dial's create-call (if any) and show its row in this very turn."""
        changes = start.changes
        if start.call is not None and not self._send(start.call):
            # shut down: say so in the row rather than leave it "Dialing…"
            changes += self._dialer.not_sent(start.dial_id, "the session was closed")
        self._publisher.show_now(changes)
        return start.dial_id

    def _send(self, call: CreateCall) -> bool:
        """Send a create-call once; its outcome (even unknown) goes back to the dialer."""
        gateway, dial_id = self._gateway, call.dial_id
        claim = self.claimer(dial_id)

        def failed(error: TwilioError) -> None:
            self._polls.note_action_failure(error)
            self._apply(self._dialer.create_failed(dial_id, error))

        def sent(outcome: Call | Claim) -> None:
            if isinstance(outcome, Claim):  # a co-host is calling this person: nothing placed
                room = f" into {outcome.room}" if outcome.room else ""
                who = outcome.masked or "this number"
                why = f"{outcome.by} is already calling {who}{room}"
                self._apply(self._dialer.not_sent(dial_id, why))
                return
            self._apply(self._dialer.created(dial_id, outcome))

        def work() -> Call | Claim:
            refused = refusal(claim)
            if refused is not None:
                return refused
            if call.sip_auth is None:
                return gateway.create_call(call.to, call.from_, call.twiml, call.timeout_s)
            # The keyring may block on an unlock prompt: read (or save) it here, on the pool.
            from moderator.core.sip_passwords import SipPasswordStore

            password = SipPasswordStore().resolve_password(
                gateway.account_sid, call.sip_auth, call.to, call.sip_auth_password
            )
            return gateway.create_call(
                call.to,
                call.from_,
                call.twiml,
                call.timeout_s,
                sip_auth_username=call.sip_auth.username,
                sip_auth_password=password,
            )

        return self.runner.run(f"dial:{dial_id}", work, sent, failed)

    def remove(self, row: RosterRow) -> None:
        """Disconnect an app participant; cancel a ringing phone guest; disconnect a phone guest
        in the room and end its call (the dialer says which)."""
        removal = self._dialer.removal(row, self._publisher.selected)
        if removal.disconnect is not None:
            room_sid, participant_sid, identity = removal.disconnect
            gateway = self._gateway

            def removed(_participant: Participant) -> None:
                self._apply(self._dialer.participant_removed(room_sid, identity))

            self.runner.run(
                f"remove:{participant_sid}",
                lambda: gateway.disconnect_participant(room_sid, participant_sid),
                removed,
                self._failed(f"Removing {identity}", room_sid),
            )
        self._apply(removal.changes)

    def hang_up(self, guest: PhoneGuest) -> None:
        """Leave the room (if in it) and end the call; an already-gone participant is fine."""
        call_sid, room_sid, participant_sid = guest.call_sid, guest.room_sid, guest.participant_sid
        assert call_sid is not None
        status = hang_up_status(guest)
        gateway = self._gateway

        def work() -> Call:
            if participant_sid is not None:
                try:
                    gateway.disconnect_participant(room_sid, participant_sid)
                except TwilioError as error:  # already gone is fine: the call is what matters
                    if error.kind not in (ErrorKind.NOT_FOUND, ErrorKind.CONFLICT):
                        raise
            return gateway.hang_up(call_sid, status)

        self.runner.run(
            f"hangup:{call_sid}",
            work,
            lambda call: self._apply(self._dialer.hung_up(guest, call)),
            self._failed(f"Removing {guest.masked_number}", room_sid),
        )

    # -- rooms --------------------------------------------------------------------------------

    def create_room(
        self,
        unique_name: str,
        room_type: RoomType,
        max_participants: int | None,
        on_created: Callable[[Room], None] | None,
        options: RoomOptions | None = None,
    ) -> None:
        gateway = self._gateway

        def done(room: Room) -> None:
            text = f"Created room {room.unique_name}"
            changes = self._live.add_room(room)
            changes.events.append(self._event("room-created", text, room.sid, room.unique_name))
            self._publisher.show_now(changes)
            if on_created is not None:
                on_created(room)

        self.runner.run(
            None,
            lambda: gateway.create_room(unique_name, room_type, max_participants, options),
            done,
            self._failed(f"Creating room {unique_name}", None),
        )

    def end_room(self, room_sid: str) -> None:
        gateway = self._gateway
        name = self._live.room_name(room_sid) or room_sid

        def done(_room: Room) -> None:
            changes = self._dialer.room_gone(room_sid, name)
            changes.events.append(self._event("room-ended", f"Ended room {name}", room_sid, name))
            changes += self._live.remove_room(room_sid)
            changes.polls |= {ROOMS_KEY, *(call_key(s) for s in self._book.live_call_sids())}
            changes.tick = True
            self._apply(changes)

        self.runner.run(
            f"end-room:{room_sid}",
            lambda: gateway.complete_room(room_sid),
            done,
            self._failed(f"Ending room {name}", room_sid),
        )

    # -- data for the host --------------------------------------------------------------------

    def load_caller_ids(self, loaded: Callable[[list[CallerId]], None]) -> None:
        """Load them; while Twilio is unwell, quietly again with backoff (the connection
        indicator already says what is going on), until they come."""
        self._caller_ids_loaded = loaded

        def done(caller_ids: list[CallerId]) -> None:
            self._caller_id_attempt = 0
            loaded(caller_ids)

        def failed(error: TwilioError) -> None:
            # Rejected credentials are reported once, as the connection's problem.
            if self._polls.note_action_failure(error):
                return
            if is_transient(error):
                delays = CALLER_ID_RETRY_S
                delay = delays[min(self._caller_id_attempt, len(delays) - 1)]
                self._caller_id_attempt += 1
                log.info("caller IDs not loaded (%s); trying again in %d s", error.message, delay)
                self._caller_id_retry.start(int(delay * 1000))
                return
            report = Report(error, "Loading caller IDs", ErrorTopic.LOADING)
            self._apply(Changes.of_error(report))

        self._caller_id_retry.stop()
        pause = self._polls.read_pause_s()
        if pause > 0:  # Twilio asked for a pause (or the link is down): ask after it
            delay = pause if math.isfinite(pause) else CALLER_ID_RETRY_S[-1]
            self._caller_id_retry.start(int(delay * 1000) + 50)
            return
        self.runner.run("caller-ids", self._gateway.list_caller_ids, done, failed)

    @Slot()
    def _retry_caller_ids(self) -> None:
        if self._caller_ids_loaded is not None and self.runner.accepting:
            self.load_caller_ids(self._caller_ids_loaded)

    def preflight(
        self, request: DialRequest, default_region: str, caller_ids: list[CallerId] | None
    ) -> PreflightRun:
        """Start the checks for a request, superseding the previous run (see PreflightRun)."""
        if self._preflight is not None:
            self._preflight.cancel()
            self._preflight.deleteLater()
        room_key = request.room_sid or request.room_name
        phone_identities = self._book.phone_identities(request.room_sid)
        phone_identities |= self.cohost_identities(request.room_sid)
        pending = self._dialer.pending_in_room(request.room_sid)
        cohost = self.cohost_check(request, default_region)
        gateway = self._gateway

        def work() -> list[CheckResult]:
            inputs = gather_preflight_inputs(
                gateway,
                room_key,
                to=request.number,
                from_=request.caller_id,
                identity=request.identity,
                phone_identities=phone_identities,
                pending_phone_calls=pending,
                caller_ids=caller_ids,
                default_region=default_region,
            )
            checks = run_preflight(inputs)
            return [*checks, cohost] if cohost is not None else checks

        run = PreflightRun(self.runner, work, self._polls.note_action_failure, self)
        self._preflight = run
        run.start()  # results arrive in a later turn of the event loop, never before return
        return run

    # -- helpers ------------------------------------------------------------------------------

    def _failed(self, context: str, room_sid: str | None) -> Callable[[TwilioError], None]:
        def failed(error: TwilioError) -> None:
            self._polls.note_action_failure(error)
            changes = Changes.of_error(Report(error, context, ErrorTopic.ACTION, room_sid or ""))
            if room_sid is not None:
                changes.polls.add(participants_key(room_sid))
                changes.rosters.add(room_sid)
            self._apply(changes)

        return failed

    def _event(self, kind: str, text: str, room_sid: str, room_name: str) -> GuestEvent:
        """An event of the session's own (not the guest book's), stamped now."""
        return GuestEvent(self._clock(), room_sid, room_name, kind, text)
