"""The lobby: callers on hold on a dial-in number, waiting for a host (or auto-admit).

Callers on hold are live in-progress calls to a dial-in number. Each listing of those calls is
compared with the last: new calls are callers who started waiting, missing ones hung up (or ran
out of hold time). Calls the app already admitted or declined are "handled" and never shown
again, so the lobby and the roster never both show one caller. Qt-free; the session polls the
listings and carries out what `listed` asks for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from moderator.core.guest_state import utcnow
from moderator.core.models import Call
from moderator.core.redaction import mask_number

if TYPE_CHECKING:  # the window's lobby model needs no Serverless code before a profile opens
    from moderator.core.dialin import DialIn

__all__ = ["Lobby", "LobbyUpdate", "WaitingCaller", "wait_clock"]

#: A caller gone at least this close to the hold time ran out of it rather than hanging up.
HOLD_SLACK_S = 15.0


@dataclass(frozen=True, slots=True)
class WaitingCaller:
    """One caller on hold. `number` is the full number, in memory only; show `masked`."""

    call_sid: str
    number: str
    masked: str
    label: str  # from the allow-list, "" otherwise
    called: str  # the dial-in number (the account's own)
    number_sid: str
    room_name: str
    since: datetime

    @property
    def name(self) -> str:
        """How the caller is named in the lobby, the log and notifications."""
        return f"{self.label} ({self.masked})" if self.label else self.masked

    def waited(self, now: datetime) -> timedelta:
        return max(now - self.since, timedelta(0))


@dataclass(slots=True)
class LobbyUpdate:
    """What one listing changed; `to_admit` are callers auto-admit wants in now."""

    arrived: list[WaitingCaller] = field(default_factory=list)
    gone: list[tuple[WaitingCaller, str]] = field(default_factory=list)  # caller, log line
    to_admit: list[WaitingCaller] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.arrived or self.gone)


class Lobby:
    """Who is waiting on which dial-in number; see the module docstring."""

    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self._clock = clock
        self._dial_ins: dict[str, DialIn] = {}  # by the number (E.164)
        self._waiting: dict[str, WaitingCaller] = {}  # by call SID
        self._handled: dict[str, str] = {}  # call SID → the dial-in number it called

    # -- configuration ------------------------------------------------------------------------

    def configure(self, dial_ins: Iterable[DialIn]) -> list[WaitingCaller]:
        """The dial-ins now in force; returns callers dropped because their number stopped."""
        self._dial_ins = {d.phone_number: d for d in dial_ins}
        dropped = [c for c in self._waiting.values() if c.called not in self._dial_ins]
        for caller in dropped:
            del self._waiting[caller.call_sid]
        return dropped

    def numbers(self) -> list[str]:
        """The dial-in numbers to list calls for."""
        return sorted(self._dial_ins)

    def dial_in(self, number: str) -> DialIn | None:
        return self._dial_ins.get(number)

    # -- queries ------------------------------------------------------------------------------

    def waiting(self) -> list[WaitingCaller]:
        """Callers on hold, longest waiting first."""
        return sorted(self._waiting.values(), key=lambda c: (c.since, c.call_sid))

    def get(self, call_sid: str) -> WaitingCaller | None:
        return self._waiting.get(call_sid)

    # -- what happened ------------------------------------------------------------------------

    def listed(
        self,
        number: str,
        calls: Iterable[Call],
        *,
        taken: Callable[[str], bool],
        room_live: Callable[[str], bool],
    ) -> LobbyUpdate:
        """A listing of the in-progress calls to dial-in `number`.

        `taken(call_sid)`: the call is already a guest of the app's (admitted before, maybe by
        an earlier run); `room_live(name)`: that room is in progress, so auto-admit may act.
        """
        update = LobbyUpdate()
        dial_in = self._dial_ins.get(number)
        if dial_in is None:
            return update
        now = self._clock()
        present: set[str] = set()
        for call in calls:
            if call.to != number:
                continue
            present.add(call.sid)
            if call.sid in self._handled or taken(call.sid):
                self._handled.setdefault(call.sid, number)
                continue
            caller = self._waiting.get(call.sid)
            if caller is None and self._past_hold(call, dial_in, now):
                self._handled[call.sid] = number
                continue
            if caller is None:
                label = dial_in.label_for(call.from_)
                caller = WaitingCaller(
                    call_sid=call.sid,
                    number=call.from_,
                    masked=mask_number(call.from_) if call.from_ else "an unknown caller",
                    label=label or "",
                    called=number,
                    number_sid=dial_in.number_sid,
                    room_name=dial_in.room_name,
                    since=min(call.start_time or now, now),
                )
                self._waiting[call.sid] = caller
                update.arrived.append(caller)
            if dial_in.admits_automatically(caller.number) and room_live(caller.room_name):
                update.to_admit.append(caller)
        for call_sid, caller in list(self._waiting.items()):
            if caller.called == number and call_sid not in present:
                del self._waiting[call_sid]
                update.gone.append((caller, self._gone_text(caller, dial_in, now)))
        for call_sid, called in list(self._handled.items()):
            if called == number and call_sid not in present:
                del self._handled[call_sid]  # over: nothing will list it again
        return update

    def claim(self, call_sid: str) -> WaitingCaller | None:
        """A host (or auto-admit) is admitting or declining this caller: out of the lobby."""
        caller = self._waiting.pop(call_sid, None)
        if caller is not None:
            self._handled[call_sid] = caller.called
        return caller

    def release(self, caller: WaitingCaller) -> None:
        """Admitting failed and the caller is still on hold: back in the lobby as they were."""
        self._handled.pop(caller.call_sid, None)
        if caller.called in self._dial_ins:
            self._waiting[caller.call_sid] = caller

    @staticmethod
    def _past_hold(call: Call, dial_in: DialIn, now: datetime) -> bool:
        """Still in progress after the lobby's whole hold time: not on hold any more, but in a
        room (admitted by a copy of the app that did not journal it here)."""
        if call.start_time is None:
            return False
        held = (now - call.start_time).total_seconds()
        return held > dial_in.hold_minutes * 60 + HOLD_SLACK_S

    @staticmethod
    def _gone_text(caller: WaitingCaller, dial_in: DialIn, now: datetime) -> str:
        waited = caller.waited(now)
        if waited.total_seconds() >= dial_in.hold_minutes * 60 - HOLD_SLACK_S:
            return (
                f"{caller.name} was not admitted within the {wait_clock(waited)} hold time "
                f"and heard the goodbye"
            )
        return f"{caller.name} hung up after {wait_clock(waited)} in the lobby"


def wait_clock(delta: timedelta) -> str:
    """`0:42`, `12:05`, `1:02:05`: a waiting time the way a phone system shows it."""
    seconds = max(int(delta.total_seconds()), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
