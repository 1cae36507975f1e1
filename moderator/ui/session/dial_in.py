"""Dial-in, live: setting numbers up and down, the lobby's callers, admitting and declining.

The decisions are the Qt-free core's (`core.dialin` for setting up, `core.lobby` for who is
waiting, `GuestBook` for admitted callers); this QObject runs their requests on a pool of its
own (a setup waits seconds for Twilio's build and must not hold up a Dial or a poll) and turns
the answers into signals and `Changes`. The lobby's listings come from the poll loop, inside
the read budget, one read per dial-in number.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QObject, Signal, Slot

from moderator.core.changes import Changes, ErrorTopic, Report
from moderator.core.dialer import Dialer, local_error
from moderator.core.dialin import (
    BUILD_POLL_S,
    DialIn,
    DialInRequest,
    DialInStore,
    SetupFailed,
    set_up,
    tear_down,
)
from moderator.core.dialin_gateway import DialInGateway
from moderator.core.errors import TwilioError
from moderator.core.gateway import TwilioGateway
from moderator.core.guest_state import GuestEvent
from moderator.core.guests import GuestBook
from moderator.core.identity import generate_phone_identity
from moderator.core.journal import JournalError
from moderator.core.live_state import LiveState
from moderator.core.lobby import Lobby, WaitingCaller, wait_clock
from moderator.core.models import Call, IncomingNumber, Room
from moderator.core.phone import format_international
from moderator.core.poller import call_key, participants_key
from moderator.core.shared_writes import Claim, refusal
from moderator.core.twiml import TwimlError, decline_twiml, room_twiml
from moderator.ui.tasks import TaskRunner

__all__ = ["DialInDesk"]

log = logging.getLogger(__name__)

SETUP_KEY = "dial-in:setup"
NUMBERS_KEY = "dial-in:numbers"


class DialInDesk(QObject):
    """One profile's dial-in numbers and lobby; owned by the Session."""

    lobbyChanged = Signal(list)  # list[WaitingCaller], longest waiting first
    dialInsChanged = Signal(list)  # list[DialIn]
    numbersLoaded = Signal(list)  # list[IncomingNumber]
    numbersFailed = Signal(str)  # why the numbers could not be listed
    setupProgress = Signal(object)  # SetupStep, from the worker while it runs
    setupFinished = Signal(bool, str)  # succeeded, one line for the host

    def __init__(
        self,
        gateway: TwilioGateway,
        book: GuestBook,
        live: LiveState,
        dialer: Dialer,
        store: DialInStore,
        *,
        apply: Callable[[Changes], None],
        clock: Callable[[], datetime],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._gateway = DialInGateway(gateway)
        self._book = book
        self._live = live
        self._dialer = dialer
        self._store = store
        self._apply = apply
        self._clock = clock
        self._lobby = Lobby(clock)
        self._lobby.configure(store.all())
        self.runner = TaskRunner(self, max_threads=2)
        #: Co-hosting's hooks (issue 12): a call a co-host already admitted (so it is not
        #: waiting), and the claim of an admit to run before the redirect (None: no co-hosts).
        self.cohost_call: Callable[[str], bool] = lambda _call_sid: False
        self.admit_claimer: Callable[[str, str, str, str], Callable[[], Claim] | None] = (
            lambda _call_sid, _room_sid, _room_name, _identity: None
        )
        #: How often a setup asks whether Twilio's build is done (tests make it short).
        self.build_poll_s = BUILD_POLL_S

    def shutdown(self, wait_ms: int) -> None:
        self.runner.shutdown(wait_ms)
        self._store.close()

    # -- what is set up -------------------------------------------------------------------------

    def dial_ins(self) -> list[DialIn]:
        return self._store.all()

    def dial_in(self, number_sid: str) -> DialIn | None:
        return self._store.get(number_sid)

    def lobby_numbers(self) -> list[str]:
        return self._lobby.numbers()

    def waiting(self) -> list[WaitingCaller]:
        return self._lobby.waiting()

    def setting_up(self) -> bool:
        return self.runner.in_flight(SETUP_KEY) or bool(self.runner.keys_in_flight("dial-in:stop"))

    @Slot()
    def load_numbers(self) -> None:
        """List the account's numbers with their voice settings (for the setup dialog)."""
        self.runner.run(
            NUMBERS_KEY,
            self._gateway.list_numbers,
            self.numbersLoaded.emit,
            lambda error: self.numbersFailed.emit(error.details),
        )

    def start(self, request: DialInRequest) -> bool:
        """Set up (or change) dial-in on a number; False when the request is invalid or a
        setup is already running (`setupFinished` then says why)."""
        problem = request.problem()
        if problem:
            self.setupFinished.emit(False, problem)
            return False
        if self.setting_up():
            self.setupFinished.emit(False, "Dial-in is already being set up; wait for it.")
            return False
        known = self._store.get(request.number.sid)
        gateway, store, progress = self._gateway, self._store, self.setupProgress
        poll_s = self.build_poll_s

        def work() -> DialIn | SetupFailed:
            try:
                return set_up(
                    gateway,
                    request,
                    known=known,
                    record=store.put,
                    forget=store.remove,
                    progress=progress.emit,
                    build_poll_s=poll_s,
                )
            except SetupFailed as failure:
                return failure

        def failed(error: TwilioError) -> None:  # not a step's failure: the worker itself
            self.setupFinished.emit(False, f"Dial-in was not set up: {error.message}")

        return self.runner.run(SETUP_KEY, work, self._set_up, failed)

    def _set_up(self, result: DialIn | SetupFailed) -> None:
        if isinstance(result, SetupFailed):
            self.setupFinished.emit(False, str(result))
            return
        self._configure()
        text = (
            f"Dial-in on {format_international(result.phone_number)} is on: callers wait in "
            f"the lobby for {result.room_name}"
        )
        if result.mode.automatic:
            text += " (admitted automatically" + (
                " from the allow-list)" if result.mode.value == "allow-list" else ")"
            )
        self._apply(Changes.of_events([self._event("dial-in", text, result.room_name)]))
        self.setupFinished.emit(True, text)

    def stop(self, number_sid: str) -> bool:
        """Stop dial-in on a number: put back exactly what it did before."""
        dial_in = self._store.get(number_sid)
        if dial_in is None:
            return False
        gateway = self._gateway

        def done(text: str) -> None:
            self._store.remove(number_sid)
            self._configure()
            self._apply(Changes.of_events([self._event("dial-in", text, dial_in.room_name)]))
            self.setupFinished.emit(True, text)

        def failed(error: TwilioError) -> None:
            self.setupFinished.emit(
                False,
                f"Dial-in on {dial_in.phone_number} was not stopped: {error.message} "
                "The number still answers with the lobby; try again.",
            )

        return self.runner.run(
            f"dial-in:stop:{number_sid}", lambda: tear_down(gateway, dial_in), done, failed
        )

    def _configure(self) -> None:
        dropped = self._lobby.configure(self._store.all())
        self.dialInsChanged.emit(self._store.all())
        if dropped:
            self.lobbyChanged.emit(self._lobby.waiting())

    # -- the lobby ------------------------------------------------------------------------------

    def listed(self, number: str, calls: list[Call]) -> Changes:
        """A poll of one dial-in number's in-progress calls (called by the poll loop)."""
        update = self._lobby.listed(
            number,
            calls,
            taken=lambda sid: self._book.guest_for_call(sid) is not None or self.cohost_call(sid),
            room_live=lambda name: self._room_named(name) is not None,
        )
        events = []
        for caller in update.arrived:
            events.append(
                self._event(
                    "lobby-waiting",
                    f"{caller.name} is waiting in the lobby for {caller.room_name}",
                    caller.room_name,
                )
            )
        for caller, text in update.gone:
            events.append(self._event("lobby-left", text, caller.room_name))
        if update.changed:
            self.lobbyChanged.emit(self._lobby.waiting())
        changes = Changes.of_events(events)
        for caller in update.to_admit:
            self.admit(caller.call_sid)
        return changes

    def admit(self, call_sid: str, room_name: str | None = None) -> bool:
        """Bring a waiting caller into their room (or `room_name`) as a phone guest."""
        caller = self._lobby.get(call_sid)
        if caller is None:
            return False
        name = room_name or caller.room_name
        context = f"Admitting {caller.name}"
        room = self._room_named(name)
        if room is None:
            error = local_error(
                f"{name} is not in progress, so the caller would only hear the goodbye.",
                "Create the room (or wait for it to start), then admit the caller.",
            )
            self._apply(Changes.of_error(Report(error, context, ErrorTopic.ACTION)))
            return False
        taken = {p.identity for p in self._live.participants(room.sid)}
        taken |= {g.identity for g in self._book.guests_in_room(room.sid)}
        identity = generate_phone_identity(taken=taken)
        try:
            twiml = room_twiml(room.unique_name, identity)
            guest = self._book.start_admit(
                room_sid=room.sid,
                room_name=room.unique_name,
                identity=identity,
                number=caller.number,
                label=caller.label,
                dial_in_number=caller.called,
                call_sid=caller.call_sid,
            )
        except (TwimlError, JournalError, ValueError) as exc:
            error = local_error(str(exc), "Try again; if it keeps failing, restart the app.")
            self._apply(Changes.of_error(Report(error, context, ErrorTopic.ACTION, room.sid)))
            return False
        self._lobby.claim(call_sid)
        self.lobbyChanged.emit(self._lobby.waiting())
        self._apply(Changes.of_guest(guest))
        gateway = self._gateway
        claim = self.admit_claimer(call_sid, room.sid, room.unique_name, identity)

        def work() -> Call | Claim:
            refused = refusal(claim)
            return refused if refused is not None else gateway.redirect_call(call_sid, twiml)

        def done(outcome: Call | Claim) -> None:
            if isinstance(outcome, Claim):  # a co-host is admitting this caller already
                why = f"{outcome.by} is already admitting {caller.name}"
                events = self._book.admit_failed(guest.dial_id, why)
                self._apply(Changes.of_guest(self._book.get(guest.dial_id), events))
                return
            call = outcome
            events = self._book.admitted(guest.dial_id, call)
            changes = Changes.of_guest(self._book.get(guest.dial_id), events)
            changes.polls.update({participants_key(room.sid), call_key(call.sid)})
            changes.tick = True
            self._apply(changes)

        def failed(error: TwilioError) -> None:
            events = self._book.admit_failed(guest.dial_id, error.message)
            self._lobby.release(caller)
            self.lobbyChanged.emit(self._lobby.waiting())
            changes = Changes.of_guest(self._book.get(guest.dial_id), events)
            changes.errors.append(Report(error, context, ErrorTopic.ACTION, room.sid))
            self._apply(changes)

        return self.runner.run(f"admit:{call_sid}", work, done, failed)

    def decline(self, call_sid: str) -> bool:
        """Tell a waiting caller they cannot come in, then end their call."""
        caller = self._lobby.claim(call_sid)
        if caller is None:
            return False
        self.lobbyChanged.emit(self._lobby.waiting())
        gateway = self._gateway
        waited = wait_clock(caller.waited(self._clock()))

        def done(_call: Call) -> None:
            text = f"Declined {caller.name} after {waited} in the lobby"
            self._apply(Changes.of_events([self._event("lobby-left", text, caller.room_name)]))

        def failed(error: TwilioError) -> None:
            self._lobby.release(caller)
            self.lobbyChanged.emit(self._lobby.waiting())
            report = Report(error, f"Declining {caller.name}", ErrorTopic.ACTION)
            self._apply(Changes.of_error(report))

        return self.runner.run(
            f"decline:{call_sid}",
            lambda: gateway.redirect_call(call_sid, decline_twiml()),
            done,
            failed,
        )

    # -- helpers --------------------------------------------------------------------------------

    def _room_named(self, name: str) -> Room | None:
        for room in self._live.rooms.values():
            if room.unique_name == name and room.status == "in-progress":
                return room
        return None

    def _event(self, kind: str, text: str, room_name: str) -> GuestEvent:
        room = self._room_named(room_name)
        return GuestEvent(
            at=self._clock(),
            room_sid=room.sid if room is not None else "",
            room_name=room_name,
            kind=kind,
            text=text,
        )


def numbers_for_dialog(numbers: list[IncomingNumber]) -> list[IncomingNumber]:
    """The numbers a dial-in can use: voice-capable ones."""
    return [number for number in numbers if number.voice_capable]
