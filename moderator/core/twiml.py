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
    "DEFAULT_FAREWELL",
    "MAX_TWIML_CHARS",
    "TwimlError",
    "room_twiml",
    "twiml_length_problem",
]

#: Twilio refuses a call's `Twiml` parameter longer than this.
MAX_TWIML_CHARS = 4000
DEFAULT_FAREWELL = "This meeting has ended or is not available. Goodbye."


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
