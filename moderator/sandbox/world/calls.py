"""Outbound calls and their lifecycle: queued → ringing → answered TwiML → ended.

Timed steps (ring after `ring_after_s`, answer after `answer_after_s`, <Pause>/<Say> durations)
are scheduled on the shared clock and run under the world lock. A call whose TwiML reaches
<Connect><Room> joins the rooms family as a phone participant; when that participant leaves, the
rooms family tells `participant_left`, and the call moves on to its next verb.
"""

from __future__ import annotations

from collections.abc import Callable

from moderator.sandbox.errors import ApiError
from moderator.sandbox.twiml_runner import TwimlError, TwimlRunner, parse_twiml
from moderator.sandbox.world.call_rules import (
    MAX_CALL_TIMEOUT,
    REFUSED_TO,
    callee_behaviour,
    check_twiml_size,
    is_e164,
    is_sip_uri,
)
from moderator.sandbox.world.filters import compare_time, parse_filter_time
from moderator.sandbox.world.numbers import Numbers
from moderator.sandbox.world.records import (
    ENDED_CALL_STATUSES,
    Call,
    Participant,
    copy_call,
    seq_of,
)
from moderator.sandbox.world.rooms import Rooms
from moderator.sandbox.world.state import WorldState

__all__ = ["Calls"]

_CallStep = Callable[[Call], None]
"""A timed call transition: a Calls method taking the call."""


class Calls:
    """Every call the account made, and the clock-driven steps that move them on."""

    def __init__(
        self,
        state: WorldState,
        rooms: Rooms,
        numbers: Numbers,
        *,
        ring_after_s: float,
        answer_after_s: float,
    ) -> None:
        self._state = state
        self._rooms = rooms
        self._numbers = numbers
        self.ring_after_s = ring_after_s
        self.answer_after_s = answer_after_s
        self._calls: dict[str, Call] = {}

    # ------------------------------------------------------------------ REST

    def create_call(
        self,
        to: str | None,
        from_: str | None,
        twiml: str | None,
        *,
        url: str | None = None,
        timeout: int = 60,
        status_callback: str | None = None,
        sip_auth_username: str | None = None,
        sip_auth_password: str | None = None,
    ) -> Call:
        """POST Calls.json: validate like Twilio, then queue the call on the clock.

        `To` is an E.164 number or a SIP URI. For SIP, `From` may be any caller name (Twilio:
        "the user you want to show up in the From header"); for a number it must be one of the
        account's. SipAuthUsername/SipAuthPassword are accepted; the password is never stored.
        """
        if not to:
            raise ApiError(400, 21201, "No 'To' number is specified")
        if not from_:
            raise ApiError(400, 21213, "No 'From' number is specified")
        if url:
            raise ApiError(
                400,
                21205,
                "Url is not supported by the sandbox, which cannot fetch TwiML: pass it inline"
                " with the Twiml parameter",
            )
        if not twiml:
            raise ApiError(400, 21205, "Url parameter is required (or pass Twiml)")
        check_twiml_size(twiml)
        sip = to.startswith(("sip:", "sips:"))
        if sip:
            if not is_sip_uri(to):
                raise ApiError(
                    400,
                    21211,
                    f"Invalid 'To' Phone Number: {to} (not a valid SIP URI under 255 characters)",
                )
        else:
            if to in REFUSED_TO:
                code, message = REFUSED_TO[to]
                raise ApiError(400, code, message.format(to=to))
            if not is_e164(to):
                raise ApiError(400, 21211, f"Invalid 'To' Phone Number: {to}")
            if not is_e164(from_):
                raise ApiError(400, 21212, f"Invalid From Number (caller ID): {from_}")
        state = self._state
        with state.locked():
            owned = self._numbers.owned(from_)
            if owned is None and not sip:
                raise ApiError(
                    400,
                    21210,
                    f"The source phone number provided, {from_}, is not yet verified for your"
                    " account. You may only make calls from phone numbers that you've verified"
                    " or purchased from Twilio.",
                )
            if to == from_:
                raise ApiError(400, 21266, "'To' and 'From' numbers cannot be the same")
            timeout = max(1, min(MAX_CALL_TIMEOUT, timeout))
            now = state.now()
            call = Call(
                sid=state.sids.new("CA"),
                seq=state.next_seq(),
                to=to,
                from_=from_,
                twiml=twiml,
                timeout=timeout,
                status="queued",
                created_at=now,
                updated_at=now,
                phone_number_sid=owned.sid if owned is not None and owned.is_incoming else None,
                status_callback=status_callback,
                history=[("queued", now)],
                sip_auth_username=sip_auth_username,
                sip_auth_password_given=bool(sip_auth_password),
            )
            self._calls[call.sid] = call
            self._schedule(call, self.ring_after_s, self._dial)
            return call

    def _call(self, sid: str) -> Call:
        call = self._calls.get(sid)
        if call is None:
            account = self._state.account_sid
            raise ApiError.not_found(f"/2010-04-01/Accounts/{account}/Calls/{sid}.json")
        return call

    def find_call(self, sid: str) -> Call:
        """REST fetch of a call."""
        with self._state.locked():
            return self._call(sid)

    def list_calls(
        self,
        status: str | None = None,
        to: str | None = None,
        from_: str | None = None,
        started_after: str | None = None,
        started_before: str | None = None,
        started_on: str | None = None,
        ended_after: str | None = None,
        ended_before: str | None = None,
        ended_on: str | None = None,
    ) -> list[Call]:
        """GET Calls.json newest first; the StartTime and EndTime filters are inclusive.

        A call that has not started (or not ended) never matches a StartTime (EndTime) filter:
        Twilio's start_time/end_time are empty for it.
        """
        bounds = [
            (parse_filter_time(name, raw), sign, field)
            for name, raw, sign, field in (
                ("StartTime>", started_after, (0, 1), "start_time"),
                ("StartTime<", started_before, (-1, 0), "start_time"),
                ("StartTime", started_on, (0,), "start_time"),
                ("EndTime>", ended_after, (0, 1), "end_time"),
                ("EndTime<", ended_before, (-1, 0), "end_time"),
                ("EndTime", ended_on, (0,), "end_time"),
            )
            if raw
        ]
        with self._state.locked():
            calls = [
                call
                for call in self._calls.values()
                if (status is None or call.status == status)
                and (to is None or call.to == to)
                and (from_ is None or call.from_ == from_)
                and all(
                    (moment := getattr(call, field)) is not None
                    and compare_time(moment, bound) in allowed
                    for bound, allowed, field in bounds
                )
            ]
            return sorted(calls, key=lambda call: -call.seq)

    def update_call(self, sid: str, status: str | None, twiml: str | None) -> Call:
        """POST Calls/{sid}.json: cancel, complete, or redirect with new TwiML.

        canceled: hangs up a queued/ringing call, no effect on one in progress (as Twilio
        documents). completed: hangs up an in-progress call; a queued/ringing one ends canceled.
        Twiml: replaces what a live call runs. Anything on an ended call is 21220.
        """
        if twiml is not None:
            check_twiml_size(twiml)
        if status is not None and status not in {"canceled", "completed"}:
            raise ApiError(400, 21220, f"Invalid call state: cannot set Status={status!r}")
        with self._state.locked():
            call = self._call(sid)
            if call.ended:
                raise ApiError(400, 21220, "Call is not in-progress. Cannot redirect.")
            if status is not None:
                if call.status in {"queued", "ringing"}:
                    call.end_reason = "canceled through the API"
                    self._set_status(call, "canceled")
                elif status == "completed":
                    call.end_reason = "completed through the API"
                    self._set_status(call, "completed")
                return call
            if twiml is not None:
                self._redirect(call, twiml)
            return call

    # ------------------------------------------------------------------ lifecycle

    def _schedule(self, call: Call, delay: float, step: _CallStep) -> None:
        if call.timer is not None:
            call.timer.cancel()
        call.timer = self._state.schedule(delay, lambda: self._run_step(call, step))

    def _run_step(self, call: Call, step: _CallStep) -> None:
        call.timer = None
        if not call.ended:
            step(call)

    def _set_status(self, call: Call, status: str) -> None:
        now = self._state.now()
        call.status = status
        call.updated_at = now
        call.history.append((status, now))
        if status in ENDED_CALL_STATUSES:
            call.end_time = now
            self._stop_verb(call)

    def _stop_verb(self, call: Call) -> None:
        """Cancel the call's pending timer and take it out of the room it joined, if any."""
        if call.timer is not None:
            call.timer.cancel()
            call.timer = None
        if call.participant_sid is not None:
            participant = self._rooms.participant_by_sid(call.participant_sid)
            call.participant_sid = None
            self._rooms.disconnect(participant)

    def _dial(self, call: Call) -> None:
        """After ring_after_s: the callee's number decides what happens."""
        call.start_time = self._state.now()
        behaviour = callee_behaviour(call.to)
        if behaviour == "busy":
            call.end_reason = "callee busy"
            self._set_status(call, "busy")
        elif behaviour == "failed":
            call.end_reason = "callee unreachable"
            self._set_status(call, "failed")
        else:
            self._set_status(call, "ringing")
            if behaviour == "no-answer" or call.timeout <= self.answer_after_s:
                self._schedule(call, call.timeout, self._no_answer)
            else:
                self._schedule(call, self.answer_after_s, self._answer)

    def _no_answer(self, call: Call) -> None:
        call.end_reason = f"no answer within Timeout={call.timeout}s"
        self._set_status(call, "no-answer")

    def _answer(self, call: Call) -> None:
        try:
            verbs = parse_twiml(call.twiml)
        except TwimlError as exc:
            call.end_reason = f"{exc.code} {exc.message}"
            self._set_status(call, "failed")
            return
        call.answered_at = self._state.now()
        self._set_status(call, "in-progress")
        call.runner = TwimlRunner(verbs)
        self._resume_call(call)

    def _resume_call(self, call: Call) -> None:
        if call.runner is not None and not call.ended:
            call.runner.resume(_CallContext(self, call))

    def _join_by_call(self, call: Call, room_name: str, identity: str | None) -> bool:
        room = self._rooms.in_progress_room_named(room_name)
        if room is None:
            call.end_reason = f"no in-progress room named {room_name!r}"
            return False
        try:
            participant = self._rooms.join(
                room, identity or f"pstn-{self._state.sids.hex32()[:8]}", ("audio",), call.sid
            )
        except ApiError as exc:
            call.end_reason = f"{exc.code} {exc.message}"
            return False
        call.participant_sid = participant.sid
        call.end_reason = None
        return True

    def participant_left(self, participant: Participant, reason: str | None) -> None:
        """The rooms family's `phone_left`: the call's participant left, so the TwiML goes on."""
        if participant.call_sid is None:
            return
        call = self._calls[participant.call_sid]
        if call.participant_sid == participant.sid:
            call.participant_sid = None
            if reason:
                call.end_reason = reason
            if call.status == "in-progress":
                self._resume_call(call)

    def _hang_up(self, call: Call) -> None:
        if not call.ended:
            self._set_status(call, "completed")

    def _redirect(self, call: Call, twiml: str) -> None:
        call.twiml = twiml
        call.updated_at = self._state.now()
        if call.status != "in-progress":
            return  # not answered yet: the new TwiML runs on answer
        self._stop_verb(call)
        try:
            call.runner = TwimlRunner(parse_twiml(twiml))
        except TwimlError as exc:
            call.end_reason = f"{exc.code} {exc.message}"
            self._set_status(call, "failed")
            return
        self._resume_call(call)

    # ------------------------------------------------------------------ lookups for tests

    def calls(self) -> list[Call]:
        """Test API: copies of every call, oldest first."""
        with self._state.locked():
            return [copy_call(c) for c in sorted(self._calls.values(), key=seq_of)]

    def call(self, sid: str) -> Call:
        """Test API: a copy of one call by CA… SID."""
        with self._state.locked():
            return copy_call(self._call(sid))

    def call_status_history(self, sid: str) -> list[str]:
        """Test API: the statuses a call went through, in order (e.g. queued, ringing…)."""
        with self._state.locked():
            return [status for status, _ in self._call(sid).history]


class _CallContext:
    """Binds the TwiML runner's CallHost calls to one call."""

    def __init__(self, calls: Calls, call: Call) -> None:
        self._calls = calls
        self._call = call

    def wait(self, seconds: float) -> None:
        self._calls._schedule(self._call, seconds, self._calls._resume_call)

    def hang_up(self) -> None:
        self._calls._hang_up(self._call)

    def join_room(self, room_name: str, identity: str | None) -> bool:
        return self._calls._join_by_call(self._call, room_name, identity)
