"""Twilio's rules for a call request and the sandbox's callee behaviour, by number or SIP URI.

Kept apart from the call lifecycle so the validation that happens before anything is queued
(E.164, SIP URI syntax, magic refused numbers, TwiML size) reads as one list of Twilio's error
codes.

SIP: Twilio's "Making SIP Calls" guide (twilio.com/docs/voice/api/sip-making-calls) says `To` is
"a valid SIP URI under 255 characters", e.g. `sip:michael@example.com`, optionally with
`;transport=…` parameters and `?X-Header=…` headers, and that `From` is "the user you want to
show up in the From header" (any string). Twilio's REST API answers a `To` it cannot use with
21211 (its documented SIP-URI warnings 13243 / 32110 are debugger events, not REST errors).
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
    "is_sip_uri",
    "sip_user",
]

MAX_TWIML_LENGTH = 4000
MAX_CALL_TIMEOUT = 600
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
MAX_SIP_URI_LENGTH = 255
"""Twilio: "a valid SIP URI under 255 characters"."""
# RFC 3261 sip:/sips: URI, simplified: optional user (unreserved, escaped and user-unreserved
# characters), a host name, IPv4 or bracketed IPv6, an optional port, ;params, ?headers.
SIP_URI = re.compile(
    r"^sips?:"
    r"(?:(?P<user>(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+)@)?"
    r"(?P<host>(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
    r"|\[[0-9A-Fa-f:.]+\])"
    r"(?::[0-9]{1,5})?"
    r"(?:;[^?\s]*)?"
    r"(?:\?\S*)?$"
)

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


def is_sip_uri(to: str) -> bool:
    """A `sip:`/`sips:` URI under 255 characters that parses as RFC 3261's (simplified)."""
    return len(to) < MAX_SIP_URI_LENGTH and SIP_URI.match(to) is not None


def sip_user(uri: str) -> str:
    """The user part of a SIP URI (before '@'); '' when it has none or is not a SIP URI."""
    match = SIP_URI.match(uri)
    return (match.group("user") if match else None) or ""


def callee_behaviour(to: str) -> str:
    """What the dialed number or SIP URI does: "busy", "no-answer", "failed" or "answer".

    A number's last four digits decide; for a SIP URI, the last four characters of its user
    part (`sip:guest1111@example.com` is busy), so the same endings script both.
    """
    key = sip_user(to) if to.startswith(("sip:", "sips:")) else to
    return CALLEE_ENDINGS.get(key[-4:], "answer")


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
