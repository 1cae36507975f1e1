"""Keep guests' phone numbers out of anything that is shown or written down.

Every participant sees identities, the event log is on screen, and the journal sits on disk:
none of them may carry a guest's full number. Twilio's own error messages echo the number
("The 'To' number +14155552671 is not a valid phone number"), so free text is scrubbed too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "•••"

# Seven or more digits, optionally led by "+" and split by spaces, dots, dashes or brackets.
# The look-behind keeps SIDs ("CA0123…") and other words intact: a number never starts mid-word.
_PHONE_LIKE = re.compile(r"(?<![\w+])\+?\(?\d(?:[\s().-]{0,2}\d){6,}")
_SEPARATORS = r"[\s().+-]*"


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def mask_number(number: str) -> str:
    """`"+14155552671"` → `"••• 2671"`: enough for a host to tell guests apart, not to call them.

    Short strings keep no digits at all, since four of six digits would give most of it away.
    """
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


def redact_numbers(text: str, known: Iterable[str | None] = ()) -> str:
    """Mask every phone-number-like run in `text`, and every spelling of the `known` numbers."""
    for number in known:
        if not number:
            continue
        pattern = _known_number_pattern(number)
        if pattern is not None:
            text = pattern.sub(mask_number(number), text)
    return _PHONE_LIKE.sub(lambda m: mask_number(m.group(0)), text)


def contains_number(text: str, number: str) -> bool:
    """Whether `text` still spells out `number` (its national digits, any separators)."""
    pattern = _known_number_pattern(number)
    return pattern is not None and pattern.search(text) is not None
