"""Call TwiML: parsed with xml.etree into verbs, then executed one verb at a time.

The runner knows what each verb means (how long a <Say> takes, that <Connect><Room> waits while
the participant is in the room…); what a verb does to rooms and calls is the world's job, reached
through the small `CallHost` protocol so the two stay testable apart.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "CallHost",
    "ConnectRoom",
    "Hangup",
    "Pause",
    "Play",
    "Redirect",
    "Say",
    "Skip",
    "TwimlError",
    "TwimlRunner",
    "Verb",
    "parse_twiml",
    "play_duration",
    "say_duration",
]

SECONDS_PER_SPOKEN_CHAR = 0.06
MIN_SAY_SECONDS = 1.0
LOOP_FOREVER = 100  # <Say loop="0"> repeats "forever"; a hundred times is forever enough here.
PLAY_SECONDS = 10.0
"""How long one <Play> of a file lasts: the sandbox never downloads the audio, so every file is
taken to be ten seconds long (hold music is `<Play loop="N">`, i.e. N × 10 s)."""


class TwimlError(ValueError):
    """TwiML Twilio could not run, with Twilio's debugger code (12100 parse, 12102 root…)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Say:
    """Speak text; takes time proportional to its length."""

    text: str
    loop: int = 1


@dataclass(frozen=True)
class Pause:
    """Silence for `length` seconds."""

    length: float = 1.0


@dataclass(frozen=True)
class Play:
    """Play an audio file `loop` times (PLAY_SECONDS each; the audio is never fetched)."""

    url: str
    loop: int = 1


@dataclass(frozen=True)
class Redirect:
    """Fetch TwiML from `url` (relative to the current document) and run it instead."""

    url: str
    method: str = "POST"


@dataclass(frozen=True)
class Hangup:
    """End the call now."""


@dataclass(frozen=True)
class ConnectRoom:
    """Join the in-progress Video room with this unique name as a phone participant."""

    room_name: str
    identity: str | None


@dataclass(frozen=True)
class Skip:
    """A verb the sandbox does not run (e.g. <Play>, <Gather>); execution moves on."""

    name: str


Verb = Say | Play | Pause | Hangup | Redirect | ConnectRoom | Skip


def say_duration(verb: Say) -> float:
    """A plausible speaking time: 0.06 s per character, at least one second, per loop."""
    one = max(MIN_SAY_SECONDS, SECONDS_PER_SPOKEN_CHAR * len(verb.text))
    return one * verb.loop


def play_duration(verb: Play) -> float:
    """PLAY_SECONDS per loop."""
    return PLAY_SECONDS * verb.loop


def _int_attribute(element: ElementTree.Element, name: str, default: int) -> int:
    raw = element.get(name)
    if raw is None:
        return default
    try:
        return int(raw.strip())
    except ValueError as exc:
        raise TwimlError(12200, f"<{element.tag}> {name}={raw!r} is not an integer") from exc


def _parse_connect(element: ElementTree.Element) -> Verb:
    rooms = [child for child in element if child.tag == "Room"]
    if len(rooms) != 1 or len(element) != 1:
        return Skip("Connect")
    room = rooms[0]
    name = (room.text or "").strip()
    if not name:
        raise TwimlError(12200, "<Room> needs a room name")
    identity = room.get("participantIdentity")
    return ConnectRoom(room_name=name, identity=identity if identity else None)


def _parse_verb(element: ElementTree.Element) -> Verb:
    tag = element.tag
    if tag == "Say":
        loop = _int_attribute(element, "loop", 1)
        if loop < 0:
            raise TwimlError(12200, "<Say> loop must not be negative")
        return Say(text=element.text or "", loop=LOOP_FOREVER if loop == 0 else loop)
    if tag == "Play":
        loop = _int_attribute(element, "loop", 1)
        if loop < 0:
            raise TwimlError(12200, "<Play> loop must not be negative")
        url = (element.text or "").strip()
        if not url and element.get("digits") is None:
            raise TwimlError(12200, "<Play> needs a URL (or digits)")
        return Play(url=url, loop=LOOP_FOREVER if loop == 0 else loop)
    if tag == "Redirect":
        url = (element.text or "").strip()
        if not url:
            raise TwimlError(12200, "<Redirect> needs a URL")
        method = (element.get("method") or "POST").strip().upper()
        if method not in {"GET", "POST"}:
            raise TwimlError(12200, f"<Redirect> method={method!r} is not GET or POST")
        return Redirect(url=url, method=method)
    if tag == "Pause":
        length = _int_attribute(element, "length", 1)
        if length < 0:
            raise TwimlError(12200, "<Pause> length must not be negative")
        return Pause(length=float(length))
    if tag == "Hangup":
        return Hangup()
    if tag == "Connect":
        return _parse_connect(element)
    return Skip(tag)


def parse_twiml(text: str) -> tuple[Verb, ...]:
    """Parse a TwiML document into verbs; raises TwimlError as Twilio's parser would."""
    try:
        root = ElementTree.fromstring(text.strip())
    except ElementTree.ParseError as exc:
        raise TwimlError(12100, f"Document parse failure: {exc}") from exc
    if root.tag != "Response":
        raise TwimlError(12102, "The root element must be Response")
    return tuple(_parse_verb(child) for child in root)


class CallHost(Protocol):
    """What running a verb may ask of the world, for one call."""

    def wait(self, seconds: float) -> None:
        """Resume this call's runner after `seconds`."""

    def hang_up(self) -> None:
        """Complete the call (no more verbs, or <Hangup>)."""

    def join_room(self, room_name: str, identity: str | None) -> bool:
        """Join the in-progress room as a phone participant; False if it cannot."""

    def redirect(self, url: str, method: str) -> None:
        """Fetch new TwiML from `url` and run it in place of this runner (or fail the call)."""


class TwimlRunner:
    """Executes a call's verbs in order; resumable after a wait or after leaving a room."""

    def __init__(self, verbs: tuple[Verb, ...]) -> None:
        self.verbs = verbs
        self.position = 0

    @property
    def finished(self) -> bool:
        """True once every verb has been started."""
        return self.position >= len(self.verbs)

    def resume(self, host: CallHost) -> None:
        """Run verbs until one has to wait (timed verb, or connected to a room) or the end."""
        while self.position < len(self.verbs):
            verb = self.verbs[self.position]
            self.position += 1
            if isinstance(verb, Say):
                host.wait(say_duration(verb))
                return
            if isinstance(verb, Play):
                host.wait(play_duration(verb))
                return
            if isinstance(verb, Pause):
                host.wait(verb.length)
                return
            if isinstance(verb, Redirect):
                host.redirect(verb.url, verb.method)
                return
            if isinstance(verb, Hangup):
                host.hang_up()
                return
            if isinstance(verb, ConnectRoom) and host.join_room(verb.room_name, verb.identity):
                return
        host.hang_up()
