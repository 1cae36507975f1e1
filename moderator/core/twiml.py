"""The TwiML that bridges a phone call into a Video room, built only with the twilio SDK.

`<Connect><Room participantIdentity="…">Name</Room></Connect>` joins the caller to the
in-progress room of that unique name. If no such room is in progress Twilio moves on to the next
verb, so a `<Say>` follows to tell the caller why the call ends instead of a silent hang-up.
Names go through the SDK's XML builder (never string formatting), and anything XML cannot
carry is refused beforehand, so no input can inject or break an element.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from twilio.twiml.voice_response import Connect, VoiceResponse

from moderator.core.identity import unsafe_characters, validate_identity, validate_room_name

__all__ = [
    "DEFAULT_DECLINE",
    "DEFAULT_FAREWELL",
    "DEFAULT_GREETING",
    "DEFAULT_LOBBY_GOODBYE",
    "MAX_HOLD_MINUTES",
    "MAX_TWIML_CHARS",
    "TwimlError",
    "decline_twiml",
    "lobby_twiml",
    "room_twiml",
    "twiml_length_problem",
]

#: Twilio refuses a call's `Twiml` parameter longer than this.
MAX_TWIML_CHARS = 4000
DEFAULT_FAREWELL = "This meeting has ended or is not available. Goodbye."
DEFAULT_GREETING = "Thank you for calling. Please hold: a host will bring you into the meeting."
DEFAULT_LOBBY_GOODBYE = "Sorry, no host could let you in just now. Please try again later. Goodbye."
DEFAULT_DECLINE = "Sorry, the host could not let you into this meeting. Goodbye."
STILL_WAITING = "Thank you for waiting. A host will be with you shortly."
MAX_HOLD_MINUTES = 60
#: A reminder that someone is still there, every this many minutes of hold.
REMINDER_EVERY_MIN = 5
MAX_SPOKEN_CHARS = 500


class TwimlError(ValueError):
    """The TwiML cannot be built from these inputs; `str()` is a message for the host."""


def room_twiml(room_name: str, identity: str, farewell: str = DEFAULT_FAREWELL) -> str:
    """TwiML joining the caller to `room_name` as `identity`, then saying `farewell`.

    Raises TwimlError when a name is invalid or the result exceeds MAX_TWIML_CHARS.
    """
    for problem in (validate_room_name(room_name), validate_identity(identity)):
        if problem:
            raise TwimlError(problem)
    farewell = " ".join(farewell.split())
    if not farewell:
        raise TwimlError("The farewell message cannot be empty.")
    if unsafe_characters(farewell):
        raise TwimlError("The farewell message contains characters TwiML cannot carry.")

    response = VoiceResponse()
    connect = Connect()
    connect.room(room_name, participant_identity=identity)
    response.append(connect)
    response.say(farewell)
    twiml = str(response)

    problem = twiml_length_problem(twiml)
    if problem:
        raise TwimlError(problem)
    return twiml


def lobby_twiml(
    greeting: str = DEFAULT_GREETING,
    hold_minutes: int = 10,
    goodbye: str = DEFAULT_LOBBY_GOODBYE,
) -> str:
    """The hold TwiML a dial-in number answers with, hosted by Twilio as a static asset.

    A greeting, then a minute of silence at a time (with a reminder every few minutes, so a
    caller knows the line is alive) for `hold_minutes`, then `goodbye` and a hang-up. A host
    admits a caller by replacing this TwiML on the live call; whoever nobody admits hears the
    goodbye, which is also all a caller gets when no host is online. `<Pause>` rather than
    music keeps the hold time exact and needs no audio file anywhere.
    """
    if not 1 <= hold_minutes <= MAX_HOLD_MINUTES:
        raise TwimlError(f"The hold time must be 1 to {MAX_HOLD_MINUTES} minutes.")
    greeting = _spoken(greeting, "greeting")
    goodbye = _spoken(goodbye, "goodbye message")
    response = VoiceResponse()
    response.say(greeting)
    for minute in range(1, hold_minutes + 1):
        response.pause(length=60)
        if minute % REMINDER_EVERY_MIN == 0 and minute < hold_minutes:
            response.say(STILL_WAITING)
    response.say(goodbye)
    response.hangup()
    return str(response)


def decline_twiml(message: str = DEFAULT_DECLINE) -> str:
    """What a declined caller hears before the call ends."""
    response = VoiceResponse()
    response.say(_spoken(message, "message"))
    response.hangup()
    return str(response)


def _spoken(text: str, what: str) -> str:
    """`text` as one line a `<Say>` can carry, or TwimlError saying what is wrong."""
    text = " ".join(text.split())
    if not text:
        raise TwimlError(f"The {what} cannot be empty.")
    if len(text) > MAX_SPOKEN_CHARS:
        raise TwimlError(f"The {what} is {len(text)} characters; keep it under {MAX_SPOKEN_CHARS}.")
    if unsafe_characters(text):
        raise TwimlError(f"The {what} contains characters TwiML cannot carry.")
    return text


def twiml_length_problem(twiml: str) -> str | None:
    """Why Twilio would refuse this TwiML for its length, or None."""
    if len(twiml) > MAX_TWIML_CHARS:
        return (
            f"The call instructions are {len(twiml)} characters; Twilio accepts at most "
            f"{MAX_TWIML_CHARS}. Use a shorter room name, identity or farewell message."
        )
    return None


def indented_for_reading(twiml: str) -> str:
    """The same document indented, for a preview a person reads; Twilio gets the one-line form.

    Only whitespace between elements is added (`ElementTree.indent`); text and attribute values,
    where the room name and identity live, are left exactly as they are.
    """
    root = ElementTree.fromstring(twiml)
    ElementTree.indent(root, space="  ")
    declaration, _, _ = twiml.partition("?>")
    body = ElementTree.tostring(root, encoding="unicode")
    return f"{declaration}?>\n{body}" if twiml.startswith("<?xml") else body
