"""TwiML parsing and verb execution, apart from the world."""

from __future__ import annotations

import pytest

from moderator.sandbox.twiml_runner import (
    ConnectRoom,
    Hangup,
    Pause,
    Play,
    Redirect,
    Say,
    Skip,
    TwimlError,
    TwimlRunner,
    parse_twiml,
    say_duration,
)


def test_parses_the_app_twiml() -> None:
    twiml = (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Connect>'
        '<Room participantIdentity="phone-&quot;x&amp;y&lt;">R&amp;D &lt;team&gt;</Room>'
        "</Connect><Say>Goodbye</Say></Response>"
    )
    assert parse_twiml(twiml) == (
        ConnectRoom(room_name="R&D <team>", identity='phone-"x&y<'),
        Say("Goodbye"),
    )


def test_room_name_whitespace_is_trimmed_and_identity_optional() -> None:
    twiml = "<Response><Connect><Room>\n   standup\n</Room></Connect></Response>"
    assert parse_twiml(twiml) == (ConnectRoom(room_name="standup", identity=None),)


def test_verbs() -> None:
    twiml = (
        "<Response><Say loop='2'>Hi</Say><Say loop='0'>x</Say><Pause length='4'/><Pause/>"
        "<Play>https://x/y.mp3</Play><Connect><Stream url='wss://x'/></Connect><Hangup/>"
        "</Response>"
    )
    assert parse_twiml(twiml) == (
        Say("Hi", loop=2),
        Say("x", loop=100),
        Pause(4.0),
        Pause(1.0),
        Play("https://x/y.mp3"),
        Skip("Connect"),
        Hangup(),
    )


@pytest.mark.parametrize(
    ("twiml", "code"),
    [
        ("<Response><Say>unclosed</Response>", 12100),
        ("not xml at all", 12100),
        ("<Reply><Say>hi</Say></Reply>", 12102),
        ("<Response><Pause length='soon'/></Response>", 12200),
        ("<Response><Connect><Room> </Room></Connect></Response>", 12200),
        ("<Response><Say loop='-1'>x</Say></Response>", 12200),
    ],
)
def test_bad_twiml(twiml: str, code: int) -> None:
    with pytest.raises(TwimlError) as raised:
        parse_twiml(twiml)
    assert raised.value.code == code


def test_say_duration_is_plausible() -> None:
    assert say_duration(Say("Hi")) == 1.0
    assert say_duration(Say("x" * 100)) == pytest.approx(6.0)
    assert say_duration(Say("x" * 100, loop=2)) == pytest.approx(12.0)


class FakeHost:
    """Records what the runner asks of the world."""

    def __init__(self, rooms: set[str]) -> None:
        self.rooms = rooms
        self.log: list[str] = []

    def wait(self, seconds: float) -> None:
        self.log.append(f"wait {seconds:g}")

    def hang_up(self) -> None:
        self.log.append("hang up")

    def join_room(self, room_name: str, identity: str | None) -> bool:
        self.log.append(f"join {room_name}")
        return room_name in self.rooms

    def redirect(self, url: str, method: str) -> None:
        self.log.append(f"redirect {method} {url}")


def test_play_and_redirect() -> None:
    twiml = (
        "<Response><Play loop='3'>https://x/hold.mp3</Play><Play loop='0'>hold.mp3</Play>"
        "<Redirect method='GET'>/next.xml</Redirect><Redirect>https://x/y</Redirect></Response>"
    )
    verbs = parse_twiml(twiml)
    assert verbs == (
        Play("https://x/hold.mp3", loop=3),
        Play("hold.mp3", loop=100),
        Redirect("/next.xml", "GET"),
        Redirect("https://x/y", "POST"),
    )
    runner = TwimlRunner(verbs)
    host = FakeHost(set())
    runner.resume(host)
    runner.resume(host)
    runner.resume(host)
    assert host.log == ["wait 30", "wait 1000", "redirect GET /next.xml"]
    for bad in (
        "<Response><Play loop='x'>a.mp3</Play></Response>",
        "<Response><Play></Play></Response>",
        "<Response><Redirect> </Redirect></Response>",
        "<Response><Redirect method='PUT'>/a</Redirect></Response>",
    ):
        with pytest.raises(TwimlError):
            parse_twiml(bad)


def test_runner_waits_joins_and_moves_on() -> None:
    runner = TwimlRunner(
        parse_twiml(
            "<Response><Pause length='2'/><Connect><Room>gone</Room></Connect>"
            "<Connect><Room>here</Room></Connect><Say>Bye</Say></Response>"
        )
    )
    host = FakeHost({"here"})
    runner.resume(host)
    assert host.log == ["wait 2"]
    runner.resume(host)  # pause over: "gone" fails, "here" joins and holds the call
    assert host.log[1:] == ["join gone", "join here"]
    runner.resume(host)  # left the room: the goodbye
    assert host.log[3:] == ["wait 1"]
    runner.resume(host)
    assert host.log[4:] == ["hang up"] and runner.finished


def test_hangup_stops_everything() -> None:
    runner = TwimlRunner(parse_twiml("<Response><Hangup/><Say>never</Say></Response>"))
    host = FakeHost(set())
    runner.resume(host)
    assert host.log == ["hang up"]
