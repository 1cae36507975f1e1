"""Twilio's rules for a call request and the sandbox's callee behaviour, by number.

Kept apart from the call lifecycle so the validation that happens before anything is queued
(E.164, magic refused numbers, TwiML size) reads as one list of Twilio's error codes.
"""

from __future__ import annotations

import re

import phonenumbers

from moderator.sandbox.errors import ApiError

__all__ = [
    "CALLEE_ENDINGS",
    "MAX_CALL_TIMEOUT",
    "MAX_TWIML_LENGTH",
    "REFUSED_TO",
    "callee_behaviour",
    "check_twiml_size",
    "is_e164",
]

MAX_TWIML_LENGTH = 4000
MAX_CALL_TIMEOUT = 600
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")

# Twilio's magic test numbers refused at create time (To), and the sandbox's callee endings.
REFUSED_TO = {
    "+15005550001": (21211, "Invalid 'To' Phone Number: {to}"),
    "+15005550002": (21214, "'To' phone number cannot be reached: {to}"),
    "+15005550003": (
        21215,
        "Account not authorized to call {to}. Perhaps you need to enable some international"
        " permissions: https://www.twilio.com/console/voice/calls/geo-permissions/low-risk",
    ),
}
CALLEE_ENDINGS = {"1111": "busy", "2222": "no-answer", "3333": "failed"}


def callee_behaviour(to: str) -> str:
    """What the dialed number does: "busy", "no-answer", "failed" or "answer"."""
    return CALLEE_ENDINGS.get(to[-4:], "answer")


def check_twiml_size(twiml: str) -> None:
    """Twilio refuses inline TwiML over 4000 characters with 32018."""
    if len(twiml) > MAX_TWIML_LENGTH:
        raise ApiError(
            400,
            32018,
            f"Twiml size exceeded maximum allowed value of {MAX_TWIML_LENGTH} characters",
        )


def is_e164(number: str) -> bool:
    """Twilio wants E.164: '+', country code, subscriber number, nothing else."""
    if not E164.match(number):
        return False
    try:
        return bool(phonenumbers.is_possible_number(phonenumbers.parse(number, None)))
    except phonenumbers.NumberParseException:
        return False
