"""The lobby: who is waiting, who left and how, and whom auto-admit wants in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from moderator.core.dialin import AdmitMode, AllowEntry, DialIn
from moderator.core.lobby import Lobby, wait_clock
from moderator.core.models import Call, CallStatus, VoiceConfig

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DIAL_IN_NUMBER = "+14155550100"


def _dial_in(mode: AdmitMode = AdmitMode.HOLD, allow: tuple[AllowEntry, ...] = ()) -> DialIn:
    return DialIn(
        number_sid="PN1",
        phone_number=DIAL_IN_NUMBER,
        room_name="town-hall",
        hold_minutes=10,
        greeting="",
        mode=mode,
        allow_list=allow,
        previous=VoiceConfig(),
        voice_url="https://x.twil.io/lobby-PN1.xml",
        service_sid="ZS1",
        started_at=T0,
    )


def _call(sid: str, caller: str, started: datetime = T0) -> Call:
    return Call(
        sid=sid,
        to=DIAL_IN_NUMBER,
        from_=caller,
        status=CallStatus.IN_PROGRESS,
        date_created=started,
        start_time=started,
        direction="inbound",
    )


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def _lobby(dial_in: DialIn) -> tuple[Lobby, Clock]:
    clock = Clock()
    lobby = Lobby(clock)
    lobby.configure([dial_in])
    return lobby, clock


def _list(lobby: Lobby, calls: list[Call], *, live: bool = True, taken: set[str] | None = None):  # type: ignore[no-untyped-def]
    return lobby.listed(
        DIAL_IN_NUMBER,
        calls,
        taken=lambda sid: sid in (taken or set()),
        room_live=lambda _name: live,
    )


def test_a_new_caller_waits_masked_and_is_announced_once() -> None:
    lobby, _clock = _lobby(_dial_in())
    update = _list(lobby, [_call("CA1", "+14155552671")])
    assert [c.masked for c in update.arrived] == ["••• 2671"]
    assert "2671" in update.arrived[0].name and "+1415555" not in update.arrived[0].name
    assert _list(lobby, [_call("CA1", "+14155552671")]).arrived == []
    assert [c.call_sid for c in lobby.waiting()] == ["CA1"]
    assert update.to_admit == []  # hold mode: a host decides


def test_a_caller_who_hangs_up_leaves_with_how_long_they_waited() -> None:
    lobby, clock = _lobby(_dial_in())
    _list(lobby, [_call("CA1", "+14155552671")])
    clock.now = T0 + timedelta(seconds=42)
    update = _list(lobby, [])
    assert [text for _c, text in update.gone] == ["••• 2671 hung up after 0:42 in the lobby"]
    assert lobby.waiting() == []


def test_a_caller_who_ran_out_of_hold_time_is_told_apart() -> None:
    lobby, clock = _lobby(_dial_in())
    _list(lobby, [_call("CA1", "+14155552671")])
    clock.now = T0 + timedelta(minutes=10, seconds=3)
    ((_caller, text),) = _list(lobby, []).gone
    assert "hold time" in text and "hung up" not in text


def test_admitted_and_declined_callers_never_come_back() -> None:
    lobby, _clock = _lobby(_dial_in())
    _list(lobby, [_call("CA1", "+14155552671"), _call("CA2", "+14155559999")])
    assert lobby.claim("CA1") is not None
    update = _list(lobby, [_call("CA1", "+14155552671"), _call("CA2", "+14155559999")])
    assert update.arrived == [] and update.gone == []
    assert [c.call_sid for c in lobby.waiting()] == ["CA2"]
    # already a guest of the app's (e.g. admitted by an earlier run): never in the lobby
    assert _list(lobby, [_call("CA3", "+1415555000")], taken={"CA3"}).arrived == []


def test_release_puts_a_caller_back_after_a_failed_admit() -> None:
    lobby, _clock = _lobby(_dial_in())
    _list(lobby, [_call("CA1", "+14155552671")])
    caller = lobby.claim("CA1")
    assert caller is not None and lobby.waiting() == []
    lobby.release(caller)
    assert lobby.waiting() == [caller]


def test_auto_admit_everyone_waits_for_the_room_to_be_live() -> None:
    lobby, _clock = _lobby(_dial_in(AdmitMode.EVERYONE))
    assert _list(lobby, [_call("CA1", "+14155552671")], live=False).to_admit == []
    assert [c.call_sid for c in _list(lobby, [_call("CA1", "+14155552671")]).to_admit] == ["CA1"]


def test_auto_admit_with_an_allow_list_admits_only_listed_numbers_with_their_label() -> None:
    allow = (AllowEntry("+14155552671", "Ana"),)
    lobby, _clock = _lobby(_dial_in(AdmitMode.ALLOW_LIST, allow))
    update = _list(lobby, [_call("CA1", "+14155552671"), _call("CA2", "+14155559999")])
    assert [c.call_sid for c in update.to_admit] == ["CA1"]
    assert update.to_admit[0].name == "Ana (••• 2671)"


def test_calls_to_other_numbers_and_stopped_dial_ins_are_ignored() -> None:
    lobby, _clock = _lobby(_dial_in())
    other = Call("CA9", "+14155550199", "+14155552671", CallStatus.IN_PROGRESS, T0)
    assert _list(lobby, [other]).arrived == []
    _list(lobby, [_call("CA1", "+14155552671")])
    dropped = lobby.configure([])
    assert [c.call_sid for c in dropped] == ["CA1"] and lobby.numbers() == []
    assert _list(lobby, [_call("CA1", "+14155552671")]).arrived == []


def test_wait_clock() -> None:
    assert wait_clock(timedelta(seconds=42)) == "0:42"
    assert wait_clock(timedelta(minutes=12, seconds=5)) == "12:05"
    assert wait_clock(timedelta(hours=1, seconds=65)) == "1:01:05"
    assert wait_clock(timedelta(seconds=-3)) == "0:00"


def test_a_call_older_than_the_hold_time_is_not_on_hold() -> None:
    """The lobby TwiML hangs up after the hold time: a call still running is in a room."""
    lobby, clock = _lobby(_dial_in())
    clock.now = T0 + timedelta(minutes=11)
    assert _list(lobby, [_call("CA1", "+14155552671", started=T0)]).arrived == []
    assert lobby.waiting() == []
