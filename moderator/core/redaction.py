"""Keep guests' phone numbers out of anything that is shown or written down.

Every participant sees identities, the event log is on screen, and the journal sits on disk:
none of them may carry a guest's full number. Twilio's own error messages echo the number
("The 'To' number +14155552671 is not a valid phone number"), so free text is scrubbed too.

A SIP guest's address is handled the same way: its user part is the private bit (often a
person's name or extension), so `sip:alice@pbx.example.com` is shown and written down as
`sip:•••@pbx.example.com`; the host tells a host which PBX the guest came through.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "•••"

# Seven or more digits, optionally led by "+" and split by spaces, dots, dashes or brackets.
# The look-behind keeps SIDs ("CA0123…") and other words intact: a number never starts mid-word.
_PHONE_LIKE = re.compile(r"(?<![\w+])\+?\(?\d(?:[\s().-]{0,2}\d){6,}")
_SEPARATORS = r"[\s().+-]*"

# A SIP URI in free text: scheme, a user part up to the "@", then the host (name, IPv4 or
# [IPv6]; leniently, so a malformed one still has its user scrubbed, and a full stop ending a
# sentence is not taken for part of it). The user part is anything up to the "@" but blanks
# (over-masking prose is harmless, leaving a user part is not). Looked for at every position (a
# look-ahead), so URIs that overlap ("sip:x@sip:y@h") all lose their user part. Hosts are kept
# and never scanned for numbers, so an IP address host does not become "••• 0210".
_SIP_BODY = (
    r"(?P<scheme>sips?):(?P<user>[^@\s]+)@"
    r"(?P<host>\[[0-9A-Fa-f:.]*\]?|(?:[A-Za-z0-9-]|\.(?=[A-Za-z0-9-]))*)"
)
_SIP_IN_TEXT = re.compile(_SIP_BODY, re.IGNORECASE)
_SIP_ANYWHERE = re.compile(f"(?={_SIP_BODY})", re.IGNORECASE)
_SIP_SCHEME = re.compile(r"^\s*(sips?):", re.IGNORECASE)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def is_sip_address(text: str) -> bool:
    """True when `text` starts with a `sip:` or `sips:` scheme (says nothing of validity)."""
    return _SIP_SCHEME.match(text) is not None


def mask_sip_uri(uri: str) -> str:
    """`"sip:alice@pbx.example.com;transport=tls"` → `"sip:•••@pbx.example.com"`.

    Only the scheme and host survive: the user part names the guest, and port or parameters
    help nobody tell guests apart. Works on malformed input too (it is used on whatever was
    typed), and then keeps only what surely is not the user part.
    """
    match = _SIP_SCHEME.match(uri)
    scheme = match.group(1).lower() if match else "sip"
    found = _SIP_IN_TEXT.search(uri.strip())
    if found is None or found.start() != 0:
        return f"{scheme}:{MASK}"
    return f"{scheme}:{MASK}@{found.group('host').lower()}"


def mask_number(number: str) -> str:
    """`"+14155552671"` → `"••• 2671"`: enough for a host to tell guests apart, not to call them.

    Short strings keep no digits at all, since four of six digits would give most of it away.
    A SIP address is masked to its host part (`mask_sip_uri`).
    """
    if is_sip_address(number):
        return mask_sip_uri(number)
    digits = _digits(number)
    if len(digits) < 7:
        return MASK
    return f"{MASK} {digits[-4:]}"


def _known_number_pattern(number: str) -> re.Pattern[str] | None:
    """A pattern for one number's national digits, whatever separators or prefix surround them."""
    import phonenumbers  # here, not at import: the window's first paint does not need it

    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        national, prefix = _digits(number), ""
    else:
        national = str(parsed.national_number)
        # Swallow the country code or trunk "0" too, so no "+1••• 2671" is left behind.
        prefix = rf"(?:\+?{parsed.country_code}{_SEPARATORS}|0{_SEPARATORS})?"
    if len(national) < 7:
        return None
    return re.compile(prefix + r"\(?" + _SEPARATORS.join(re.escape(d) for d in national))


def _known_sip_pattern(uri: str) -> re.Pattern[str] | None:
    """A pattern for a known SIP address's `user@host`, with or without its scheme."""
    found = _SIP_IN_TEXT.match(uri.strip())
    if found is None:
        return None
    user, host = re.escape(found.group("user")), re.escape(found.group("host"))
    return re.compile(rf"(?:sips?:)?{user}@{host}", re.IGNORECASE)


def _redact_phone_like(text: str) -> str:
    return _PHONE_LIKE.sub(lambda m: mask_number(m.group(0)), text)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def redact_numbers(text: str, known: Iterable[str | None] = ()) -> str:
    """Mask every phone-number-like run and SIP URI in `text`, and every spelling of the
    `known` numbers (a known SIP address also without its scheme, `alice@pbx.example.com`)."""
    for number in known:
        if not number:
            continue
        if is_sip_address(number):
            sip_pattern = _known_sip_pattern(number)
            if sip_pattern is not None:
                text = sip_pattern.sub(mask_sip_uri(number), text)
            continue
        pattern = _known_number_pattern(number)
        if pattern is not None:
            text = pattern.sub(mask_number(number), text)
    return _scrub(text, numbers=True)


def redact_sip_uris(text: str) -> str:
    """Mask the user part of every SIP URI in `text` (`sip:•••@host`), and nothing else."""
    return _scrub(text, numbers=False)


def _scrub(text: str, *, numbers: bool) -> str:
    """SIP URIs' user parts become the mask; their hosts are left alone by the number pattern
    (when `numbers`), which scrubs the rest as any text."""
    other = _redact_phone_like if numbers else _unchanged
    if "@" not in text:
        return other(text)
    users, hosts = [], []
    for match in _SIP_ANYWHERE.finditer(text):
        users.append(match.span("user"))
        hosts.append(match.span("host"))
    if not users:
        return other(text)
    kind = [""] * len(text)
    for start, end in hosts:
        kind[start:end] = ["host"] * (end - start)
    for start, end in _merged(users):
        kind[start:end] = ["user"] * (end - start)
    pieces: list[str] = []
    start = 0
    for end in range(1, len(text) + 1):
        if end < len(text) and kind[end] == kind[start]:
            continue
        piece = text[start:end]
        if kind[start] == "user":
            pieces.append(MASK)
        elif kind[start] == "host":
            pieces.append(piece)
        else:
            pieces.append(other(piece))
        start = end
    return "".join(pieces)


def _unchanged(text: str) -> str:
    return text


def contains_number(text: str, number: str) -> bool:
    """Whether `text` still spells out `number` (its national digits, any separators; for a
    SIP address its `user@host`, or its user part after a `sip:`)."""
    if is_sip_address(number):
        found = _SIP_IN_TEXT.match(number.strip())
        if found is None:
            return False
        return f"{found.group('user')}@".casefold() in text.casefold()
    pattern = _known_number_pattern(number)
    return pattern is not None and pattern.search(text) is not None
