"""Participant identities and room names: generate them for phone guests, and validate them.

Every participant in a room sees every identity, so a phone guest's default identity is
`phone-` plus a short random suffix, never the number. Both identities and room names end up in
TwiML (`<Room participantIdentity="…">Name</Room>`), so anything XML 1.0 cannot carry is refused
here, before any TwiML exists. Validators return a message for the host, or None when fine.
"""

from __future__ import annotations

import random
import re
import secrets
import unicodedata
from collections.abc import Collection

__all__ = [
    "MAX_NAME_BYTES",
    "PHONE_IDENTITY_PREFIX",
    "generate_phone_identity",
    "name_length",
    "unsafe_characters",
    "validate_identity",
    "validate_room_name",
]

#: Twilio allows 128 characters for identities and room names, counting "double-byte"
#: characters as more than one; counting UTF-8 bytes is the safe reading of that rule.
MAX_NAME_BYTES = 128
PHONE_IDENTITY_PREFIX = "phone-"
# No 0/o, 1/l/i: a host may read the suffix out loud.
_SUFFIX_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
_SUFFIX_LENGTH = 6

_ROOM_SID = re.compile(r"^RM[0-9a-fA-F]{32}$")
# Explicit bidi embeddings, overrides and isolates reorder what other participants see.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def generate_phone_identity(
    rng: random.Random | None = None, *, taken: Collection[str] = ()
) -> str:
    """`phone-` plus a random suffix not in `taken`; pass a seeded `rng` for repeatable tests."""
    for _ in range(1000):
        if rng is None:
            suffix = "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(_SUFFIX_LENGTH))
        else:
            suffix = "".join(rng.choice(_SUFFIX_ALPHABET) for _ in range(_SUFFIX_LENGTH))
        identity = PHONE_IDENTITY_PREFIX + suffix
        if identity not in taken:
            return identity
    raise RuntimeError("could not find a free phone identity")  # 31**6 suffixes: unreachable


def name_length(text: str) -> int:
    """Length as counted against MAX_NAME_BYTES."""
    return len(text.encode("utf-8", errors="surrogatepass"))


def unsafe_characters(text: str) -> list[str]:
    """Characters that cannot go into TwiML or would mislead other participants, in order.

    XML 1.0 cannot carry control characters (other than tab/newline, which a name has no use
    for), lone surrogates or U+FFFE/U+FFFF; bidi overrides can disguise an identity.
    """
    found: list[str] = []
    for ch in text:
        if _is_unsafe(ch) and ch not in found:
            found.append(ch)
    return found


def validate_identity(text: str) -> str | None:
    """Why `text` cannot be a participant identity, or None if it can."""
    return _validate(text, what="an identity", noun="An identity")


def validate_room_name(text: str) -> str | None:
    """Why `text` cannot be a room's unique name (for creating or dialing into), or None.

    URL-reserved characters are allowed: the gateway looks such rooms up by query, not by path.
    """
    problem = _validate(text, what="a room name", noun="A room name")
    if problem is None and _ROOM_SID.match(text):
        return "A room name cannot look like a room SID (RM followed by 32 hex digits)."
    return problem


def _validate(text: str, *, what: str, noun: str) -> str | None:
    if not text or not text.strip():
        return f"Enter {what}."
    bad = unsafe_characters(text)
    if bad:
        shown = ", ".join(_describe(ch) for ch in bad[:3])
        return f"{noun} cannot contain control or invisible formatting characters ({shown})."
    if text != text.strip():
        return f"{noun} cannot start or end with spaces."
    if name_length(text) > MAX_NAME_BYTES:
        return (
            f"{noun} can be at most {MAX_NAME_BYTES} characters "
            "(accented letters, other scripts and emoji count as 2 to 4)."
        )
    return None


def _is_unsafe(ch: str) -> bool:
    code = ord(ch)
    if code in (0xFFFE, 0xFFFF) or 0xD800 <= code <= 0xDFFF:
        return True
    if ch in _BIDI_CONTROLS:
        return True
    # Cc: C0/C1 controls incl. tab, newline, DEL. Zs/Zl/Zp separators other than space are
    # allowed in the middle; line and paragraph separators are not.
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp")


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" {name.lower()}" if name else "")
