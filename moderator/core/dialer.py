"""A dial's whole life on the app's side: checked, recorded, sent once, reconciled, ended.

The `Dialer` decides; the Qt session only runs the requests it asks for and hands back their
answers. Its rules are the ones a real phone makes strict:

- The guest row (and its journal row) exists before the create-call request is sent, and the
  same `DialRequest` (a double click) or the same number and identity while that dial is still
  under way gives back the existing dial instead of a second call.
- A create-call whose outcome is unknown (timeout, dropped connection, 5xx) is never re-sent:
  the dialer lists recent calls to that number from that caller ID and adopts the match, up to
  `RECONCILE_DELAYS_S`; then it says the call was not placed.
- A guest removed (or whose room ended) before Twilio confirmed the call has it ended as soon
  as it exists (`PhoneGuest.cancel_on_create`).

Every mutator returns `Changes`: events, lists to repaint, polls to run, calls to hang up.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from moderator.core.changes import Changes, ErrorTopic, Report
from moderator.core.errors import ErrorKind, TwilioError
from moderator.core.guest_state import GuestEvent, GuestStatus, PhoneGuest
from moderator.core.guests import RECONCILE_SLACK, GuestBook
from moderator.core.journal import JournalError
from moderator.core.live_state import LiveState
from moderator.core.models import Call, CallerId, CallStatus
from moderator.core.phone import DEFAULT_REGION, PhoneNumberError
from moderator.core.phone import parse as parse_number
from moderator.core.poller import LiveCall, call_key, participants_key
from moderator.core.redaction import is_sip_address, mask_number
from moderator.core.roster import GuestKind, RosterRow
from moderator.core.sip import SipAuth, SipUriError, caller_name_problem
from moderator.core.sip import parse as parse_sip
from moderator.core.twiml import TwimlError, room_twiml

__all__ = [
    "RECONCILE_DELAYS_S",
    "CreateCall",
    "DialRequest",
    "DialStart",
    "Dialer",
    "ReconcileJob",
    "Removal",
    "dial_problem",
    "local_error",
]

RECONCILE_DELAYS_S = (1.0, 3.0, 6.0, 12.0)
"""When to look for the call a timed-out create-call may have placed; then give up: not placed."""


@dataclass(frozen=True, slots=True)
class DialRequest:
    """One dial as the host asked for it. The dial dialog mints one `request_id` per dialog,
    so however often Dial is clicked, the dialer places at most one call for it.

    For a SIP guest `number` is the SIP URI, `caller_id` the caller name for the From header,
    and the optional digest credentials come along: `sip_auth_password` is never shown by
    repr (nor compared), and with `remember_sip_password` it is saved in the OS keyring, or
    read from it when left empty."""

    room_sid: str
    room_name: str
    number: str  # E.164, or a SIP URI
    label: str
    identity: str
    caller_id: str
    timeout_s: int = 30
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    sip_auth_username: str = ""
    sip_auth_password: str = field(default="", repr=False, compare=False)
    remember_sip_password: bool = False

    @property
    def is_sip(self) -> bool:
        return is_sip_address(self.number)

    @property
    def sip_auth(self) -> SipAuth | None:
        """The credentials a guest keeps for its redial (no password), None without any."""
        if not self.is_sip or not self.sip_auth_username:
            return None
        return SipAuth(self.sip_auth_username, self.remember_sip_password)


@dataclass(frozen=True, slots=True)
class CreateCall:
    """The create-call request to send for a dial (never retried blindly).

    `sip_auth` is a SIP guest's digest username; `sip_auth_password` the password typed for
    this dial ("" when it is to be read from the keyring, `sip_auth.remember`), never in repr."""

    dial_id: str
    to: str
    from_: str
    twiml: str
    timeout_s: int
    sip_auth: SipAuth | None = None
    sip_auth_password: str = field(default="", repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class DialStart:
    """What a click on Dial (or Redial) led to: the dial's id ("" if none), the request to
    send (None when nothing new is to be sent) and the changes to show at once."""

    dial_id: str
    call: CreateCall | None
    changes: Changes


@dataclass(frozen=True, slots=True)
class ReconcileJob:
    """Look for the call a create-call with an unknown outcome may have placed."""

    dial_id: str
    to: str | None  # None for a dial recovered from the journal, which keeps no full number
    from_: str
    since: datetime

    @property
    def key(self) -> str:
        return f"reconcile:{self.dial_id}"


@dataclass(frozen=True, slots=True)
class Removal:
    """What removing a roster row takes: disconnecting an app participant (room SID,
    participant SID, identity), and/or the changes (calls to hang up, events)."""

    disconnect: tuple[str, str, str] | None
    changes: Changes


@dataclass(slots=True)
class _Reconcile:
    attempt: int = 0
    due: float = 0.0


def local_error(
    message: str, action: str, kind: ErrorKind = ErrorKind.INVALID_INPUT
) -> TwilioError:
    """An error the app found itself, before asking Twilio."""
    return TwilioError(message, action=action, kind=kind)


def dial_problem(
    request: DialRequest, caller_ids: list[CallerId] | None, live: LiveState
) -> tuple[str, str] | None:
    """Why this request must not be dialed, as (message, action), or None.

    The dial dialog refuses all of these already; the dialer checks again because it is the
    last stop before a real phone rings, and a refused dial must change nothing. `caller_ids`
    is None while the account's caller IDs are not loaded (then any caller ID may be tried:
    Twilio refuses a foreign one). A SIP guest's URI and caller name are checked for syntax
    instead of the number and caller ID.
    """
    if request.is_sip:
        return _sip_problem(request) or _identity_problem(request, live)
    try:
        number = parse_number(request.number, DEFAULT_REGION)
    except PhoneNumberError as exc:
        return exc.message, "Correct the number and dial again."
    if number != request.number:
        return (
            "The number is not in international form (+ country code, then the number).",
            "Dial from the dial dialog, which formats the number.",
        )
    if number == request.caller_id:
        return (
            "The number to call is the caller ID itself.",
            "Pick another caller ID or check the number.",
        )
    if caller_ids is not None and request.caller_id not in {c.phone_number for c in caller_ids}:
        return (
            "This caller ID is not one of the account's voice numbers or verified caller IDs.",
            "Pick a caller ID from the list.",
        )
    return _identity_problem(request, live)


def _identity_problem(request: DialRequest, live: LiveState) -> tuple[str, str] | None:
    if live.identity_connected(request.room_sid, request.identity):
        return (
            f"Someone with the identity {request.identity} is already in the room; "
            "dialing would disconnect them.",
            "Choose another identity.",
        )
    return None


def _sip_problem(request: DialRequest) -> tuple[str, str] | None:
    try:
        uri = parse_sip(request.number)
    except SipUriError as exc:
        return exc.message, "Correct the SIP address and dial again."
    if str(uri) != request.number:
        return (
            "The SIP address is not in its normal form.",
            "Dial from the dial dialog, which checks the address.",
        )
    name_problem = caller_name_problem(request.caller_id)
    if name_problem:
        return name_problem, "Type another caller name."
    if request.sip_auth_password and not request.sip_auth_username:
        return "A SIP password was given without its username.", "Type the SIP username too."
    if (
        request.sip_auth_username
        and not request.sip_auth_password
        and not request.remember_sip_password
    ):
        return (
            "The SIP username needs its password.",
            "Type the SIP password, or use the one saved in the keyring.",
        )
    return None


_HANG_UP_STATUS = {
    GuestStatus.QUEUED: CallStatus.QUEUED,
    GuestStatus.RINGING: CallStatus.RINGING,
    GuestStatus.JOINING: CallStatus.IN_PROGRESS,
    GuestStatus.CONNECTED: CallStatus.IN_PROGRESS,
}


def hang_up_status(guest: PhoneGuest) -> CallStatus | None:
    """The status the call is believed to be in, which decides canceled vs completed."""
    return _HANG_UP_STATUS.get(guest.status)


class Dialer:
    """The app side of every dial of one account; see the module docstring."""

    def __init__(
        self,
        book: GuestBook,
        live: LiveState,
        clock: Callable[[], datetime],
        monotonic: Callable[[], float],
    ) -> None:
        self._book = book
        self._live = live
        self._clock = clock
        self._mono = monotonic
        self._by_request: dict[str, str] = {}
        self._reconciles: dict[str, _Reconcile] = {}
        self._lost_calls: set[str] = set()
        self._calls_to_fetch: set[str] = set()
        self._call_known_at: dict[str, float] = {}

    # -- queries ------------------------------------------------------------------------------

    def live_calls(self) -> list[LiveCall]:
        """The calls to keep polling, for the planner."""
        calls = []
        for guest in self._book.all_guests():
            sid = guest.call_sid
            if guest.status.is_live and sid and sid not in self._lost_calls:
                settled = guest.status is GuestStatus.CONNECTED
                calls.append(LiveCall(sid, settled, sid in self._calls_to_fetch))
        return calls

    def guest_rooms(self, selected: str | None) -> list[str]:
        """Rooms other than the selected one with a dial under way: counted more often."""
        rooms = self._live.rooms
        return sorted(
            {
                g.room_sid
                for g in self._book.all_guests()
                if g.status.is_live and g.room_sid != selected and g.room_sid in rooms
            }
        )

    def room_of_row(self, row: RosterRow, selected: str | None) -> str | None:
        if row.room_sid:  # stamped with its room (All rooms, a room window)
            return row.room_sid
        if row.dial_id is not None:
            guest = self._book.get(row.dial_id)
            if guest is not None:
                return guest.room_sid
        if row.participant_sid is not None:
            room_sid = self._live.room_of_participant(row.participant_sid)
            if room_sid is not None:
                return room_sid
        return selected

    def pending_in_room(self, room_sid: str) -> int:
        """Dials into the room under way but not yet in it (they count against the caps)."""
        return sum(
            1
            for g in self._book.guests_in_room(room_sid)
            if g.status.is_live and g.status is not GuestStatus.CONNECTED
        )

    def any_live_in_room(self, room_sid: str) -> bool:
        return any(g.status.is_live for g in self._book.guests_in_room(room_sid))

    # -- start ---------------------------------------------------------------------------------

    def recover(self) -> Changes:
        """After a restart: reconcile at once the dials whose create-call outcome is unknown."""
        recovered = self._book.all_guests()
        if not recovered:
            return Changes()
        now = self._mono()
        for guest in recovered:
            if guest.status is GuestStatus.UNKNOWN:
                self._reconciles[guest.dial_id] = _Reconcile(0, now)
        text = f"Took back {len(recovered)} unfinished dial(s) from the call journal"
        return Changes(events=[self._event("recovered", text)])

    # -- dialing ------------------------------------------------------------------------------

    def begin(self, request: DialRequest, caller_ids: list[CallerId] | None) -> DialStart:
        """Check and record a dial; the returned `CreateCall` is what to send (at most once)."""
        existing = self._by_request.get(request.request_id)
        if existing is not None:
            return DialStart(existing, None, Changes())
        context = f"Dialing {mask_number(request.number)}"
        for guest in self._book.guests_in_room(request.room_sid):
            if guest.identity != request.identity or not guest.status.is_live:
                continue
            same_number = guest.number == request.number or (
                guest.number is None and guest.masked_number == mask_number(request.number)
            )
            if same_number:
                return DialStart(guest.dial_id, None, Changes())  # the same dial, clicked again
            error = local_error(
                f"The identity {request.identity} is already being used by "
                f"{guest.label or guest.masked_number}, whose call is under way.",
                "Choose another identity: a second participant with the same one would "
                "disconnect the first.",
            )
            return self._refused(error, context, request.room_sid)
        problem = dial_problem(request, caller_ids, self._live)
        if problem is not None:
            return self._refused(local_error(*problem), context, request.room_sid)
        try:
            twiml = room_twiml(request.room_name, request.identity)
        except TwimlError as exc:
            return self._refused(
                local_error(str(exc), "Change the room name or identity."), "Dialing"
            )
        try:
            guest = self._book.start_dial(
                room_sid=request.room_sid,
                room_name=request.room_name,
                identity=request.identity,
                number=request.number,
                masked_number=mask_number(request.number),
                label=request.label,
                caller_id=request.caller_id,
                timeout_s=request.timeout_s,
                sip_auth=request.sip_auth,
            )
        except (JournalError, ValueError) as exc:
            error = local_error(
                f"The dial could not be recorded, so no call was placed: {exc}",
                "Check that the app's data folder is writable, then dial again.",
                ErrorKind.UNKNOWN,
            )
            return self._refused(error, context)
        self._by_request[request.request_id] = guest.dial_id
        call = self._create_call(guest, twiml, request.sip_auth_password)
        return DialStart(guest.dial_id, call, Changes.of_guest(guest))

    def redial_needs_password(self, row: RosterRow) -> bool:
        """Whether redialing this row's SIP guest takes a password typed anew (it is asked for
        each dial unless the host had it remembered in the keyring)."""
        old = self._book.get(row.dial_id) if row.dial_id is not None else None
        return old is not None and old.sip_auth is not None and not old.sip_auth.remember

    def redial(self, row: RosterRow, sip_auth_password: str = "") -> DialStart:
        """Dial a guest who left or failed again: same number, identity, caller ID, timeout
        (and SIP username; `sip_auth_password` is the password typed again, if it is asked)."""
        old = self._book.get(row.dial_id) if row.dial_id is not None else None
        if old is None:
            return DialStart("", None, Changes())
        try:
            twiml = room_twiml(old.room_name, old.identity)
            guest = self._book.redial(old.dial_id)
        except (ValueError, KeyError, TwimlError, JournalError) as exc:
            error = local_error(str(exc), "Open the dial dialog and dial the number anew.")
            return self._refused(error, f"Redialing {old.masked_number}", old.room_sid)
        call = self._create_call(guest, twiml, sip_auth_password)
        return DialStart(guest.dial_id, call, Changes.of_guest(guest))

    def created(self, dial_id: str, call: Call) -> Changes:
        """Twilio accepted the create-call (or reconciliation found the call it placed)."""
        changes = Changes.of_events(self._book.call_created(dial_id, call))
        guest = self._book.get(dial_id)
        if guest is None:
            return changes
        if guest.call_sid:
            self._call_known_at[guest.call_sid] = self._mono()
            changes.polls.add(call_key(guest.call_sid))
            if guest.cancel_on_create:
                changes.hang_ups.append(guest)
        return changes + Changes.of_guest(guest)

    def create_failed(self, dial_id: str, error: TwilioError) -> Changes:
        """The create-call failed: refused, never sent, or (outcome unknown) to reconcile."""
        guest = self._book.get(dial_id)
        if error.outcome_unknown:
            events = self._book.dial_outcome_unknown(dial_id, error.message)
            self._reconciles[dial_id] = _Reconcile(0, self._mono() + RECONCILE_DELAYS_S[0])
            return Changes.of_guest(guest, events)
        # A request that never left (connection refused) was not refused by Twilio.
        never_sent = error.kind in (ErrorKind.NETWORK, ErrorKind.TIMEOUT)
        finish = self._book.dial_not_sent if never_sent else self._book.dial_rejected
        changes = Changes.of_guest(guest, finish(dial_id, error.message))
        if guest is not None:
            context = f"Dialing {guest.masked_number}"
            changes.errors.append(Report(error, context, ErrorTopic.ACTION, guest.room_sid))
        return changes

    def not_sent(self, dial_id: str, reason: str) -> Changes:
        """The create-call could not even be started (the session was closed)."""
        return Changes.of_guest(self._book.get(dial_id), self._book.dial_not_sent(dial_id, reason))

    # -- reconciliation ------------------------------------------------------------------------

    def due_reconciles(self, now: float, in_flight: Callable[[str], bool]) -> list[ReconcileJob]:
        """The reconciliations to start now (the caller checks the link may be used)."""
        jobs = []
        for dial_id, state in list(self._reconciles.items()):
            if now < state.due or in_flight(f"reconcile:{dial_id}"):
                continue
            guest = self._book.get(dial_id)
            if guest is None or guest.status is not GuestStatus.UNKNOWN:
                del self._reconciles[dial_id]
                continue
            since = (guest.dialed_at or self._clock()) - RECONCILE_SLACK
            jobs.append(ReconcileJob(dial_id, guest.number, guest.caller_id, since))
        return jobs

    def reconciled(self, dial_id: str, calls: list[Call]) -> Changes:
        """The calls to that number came back: adopt the match, or look again later."""
        state = self._reconciles.get(dial_id)
        if state is None:
            return Changes()
        call = self._book.match_call(dial_id, calls)
        if call is not None:
            del self._reconciles[dial_id]
            return self.created(dial_id, call)
        state.attempt += 1
        if state.attempt >= len(RECONCILE_DELAYS_S):
            del self._reconciles[dial_id]
            events = self._book.reconcile_not_found(dial_id)
            return Changes.of_guest(self._book.get(dial_id), events)
        state.due = self._mono() + RECONCILE_DELAYS_S[state.attempt]
        return Changes()

    def reconcile_failed(self, dial_id: str) -> None:
        """Not an answer about the call: look again later, without using up an attempt."""
        state = self._reconciles.get(dial_id)
        if state is not None:
            last_step = len(RECONCILE_DELAYS_S) - 1
            state.due = self._mono() + RECONCILE_DELAYS_S[min(state.attempt, last_step)]

    # -- removal ------------------------------------------------------------------------------

    def removal(self, row: RosterRow, selected: str | None) -> Removal:
        """Remove from the room: disconnect an app participant; cancel a ringing phone guest;
        disconnect a phone guest in the room and end its call."""
        room_sid = self.room_of_row(row, selected)
        if row.kind is GuestKind.APP or row.dial_id is None:
            if row.participant_sid is None or room_sid is None:
                return Removal(None, Changes())
            return Removal((room_sid, row.participant_sid, row.identity), Changes())
        guest = self._book.get(row.dial_id)
        if guest is None or guest.status.is_final:
            return Removal(None, Changes())
        events = self._book.mark_removed(guest.dial_id)
        guest = self._book.get(guest.dial_id) or guest
        changes = Changes.of_guest(guest, events)
        if guest.call_sid is not None:  # else: ended once Twilio confirms it (cancel_on_create)
            changes.hang_ups.append(guest)
        return Removal(None, changes)

    def participant_removed(self, room_sid: str, identity: str) -> Changes:
        """The host's disconnect of an app participant succeeded."""
        events = self._book.app_participant_removed(room_sid, identity)
        return Changes(events=events, polls={participants_key(room_sid)}, tick=True)

    def hung_up(self, guest: PhoneGuest, call: Call) -> Changes:
        """A hang-up (or cancel) went through: apply the call, look at the room again."""
        changes = self.apply_call(call)
        changes.polls |= {participants_key(guest.room_sid), call_key(call.sid)}
        changes.tick = True
        return changes

    def room_gone(self, room_sid: str, room_name: str) -> Changes:
        """A room ended (here or elsewhere): its guests are out, and calls still ringing into it
        are canceled, so nobody answers only to hear that the meeting is over."""
        changes = Changes(events=self._book.room_ended(room_sid, room_name), rooms=True)
        for guest in self._book.unanswered_in_ended_room(room_sid):
            if guest.call_sid is not None:  # else: ended once created (cancel_on_create)
                changes.hang_ups.append(guest)
        changes.rosters.add(room_sid)
        return changes

    # -- calls --------------------------------------------------------------------------------

    def apply_call(self, call: Call) -> Changes:
        """A call's state as Twilio reports it."""
        events = self._book.apply_call(call)
        guest = self._book.guest_for_call(call.sid)
        if guest is None:
            return Changes.of_events(events)
        changes = Changes.of_guest(guest, events)
        if guest.status is GuestStatus.JOINING:
            # Answered: look at its room soon rather than at the next slow round.
            changes.polls.add(participants_key(guest.room_sid))
        return changes

    def call_fetched(self, call: Call) -> Changes:
        self._calls_to_fetch.discard(call.sid)
        return self.apply_call(call)

    def calls_listed(self, calls: list[Call], asked_at: float) -> Changes:
        """Calls under way, listed by status (asked at `asked_at`, monotonic)."""
        changes = Changes()
        listed = set()
        for call in calls:
            listed.add(call.sid)
            if self._book.guest_for_call(call.sid) is not None:
                changes += self.apply_call(call)
        # Ours but not listed: still queued, or ended since the last look (a call created
        # after we asked is simply too new for the listing). Fetch those on their own.
        for sid in self._book.live_call_sids():
            known_at = self._call_known_at.get(sid, -math.inf)
            if sid not in listed and sid not in self._lost_calls and known_at < asked_at:
                self._calls_to_fetch.add(sid)
        return changes

    def call_lost(self, call_sid: str) -> Changes:
        """Twilio has no such call (another account's journal, a purged sandbox): stop asking."""
        self._lost_calls.add(call_sid)
        self._calls_to_fetch.discard(call_sid)
        guest = self._book.guest_for_call(call_sid)
        if guest is None:
            return Changes()
        text = f"Twilio no longer knows the call to {guest.masked_number}; it is no longer followed"
        return Changes.of_events(
            [self._event("error", text, guest.room_sid, guest.room_name, dial_id=guest.dial_id)]
        )

    # -- helpers ------------------------------------------------------------------------------

    def _create_call(self, guest: PhoneGuest, twiml: str, sip_password: str = "") -> CreateCall:
        assert guest.number is not None
        return CreateCall(
            guest.dial_id,
            guest.number,
            guest.caller_id,
            twiml,
            guest.timeout_s,
            sip_auth=guest.sip_auth,
            sip_auth_password=sip_password if guest.sip_auth is not None else "",
        )

    def _refused(self, error: TwilioError, context: str, room_sid: str = "") -> DialStart:
        return DialStart("", None, Changes.of_error(Report(error, context, room_sid=room_sid)))

    def _event(
        self,
        kind: str,
        text: str,
        room_sid: str = "",
        room_name: str = "",
        *,
        dial_id: str | None = None,
    ) -> GuestEvent:
        return GuestEvent(self._clock(), room_sid, room_name, kind, text, dial_id)
