"""Phone numbers, only through `phonenumbers`: parse to E.164, format as you type, mask for display.

A host types numbers the way people write them ("(415) 555-2671", "020 7183 8750"), so input is
parsed against a default region and comes out as the E.164 string Twilio wants. Every refusal is
a sentence a host can act on. Numbers are shown masked (`••• 2671`) unless the host reveals them,
because the window may be screen-shared during a meeting.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult, shortnumberinfo

from moderator.core.redaction import mask_number

__all__ = [
    "DEFAULT_REGION",
    "PhoneNumberError",
    "as_you_type",
    "format_international",
    "format_national",
    "is_e164",
    "is_valid_region",
    "mask",
    "parse",
    "region_of",
]

DEFAULT_REGION = "US"

_E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
#: Fewer digits than this after a + cannot be a number yet (phonenumbers' own minimum).
_MIN_DIGITS = 3
# Characters people put in written numbers; anything else is a typo or not a number at all.
_PUNCTUATION = frozenset(" +-()./\u00a0\u2010\u2011\u2012\u2013\u2014\u2212")


class PhoneNumberError(ValueError):
    """Input that is not a dialable phone number; `str()` is a message for the host."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def is_e164(text: str) -> bool:
    """True for a syntactically E.164 string (+ and up to 15 digits); says nothing of validity."""
    return bool(_E164.match(text))


def is_valid_region(region: str) -> bool:
    """True for a region code phonenumbers knows (e.g. "US", "GB")."""
    return region.upper() in phonenumbers.SUPPORTED_REGIONS


def parse(text: str, default_region: str = DEFAULT_REGION) -> str:
    """Parse what a host typed into E.164, or raise PhoneNumberError saying what is wrong.

    National formats are read in `default_region`; a leading + (or the region's international
    prefix, e.g. 00) selects another country. Emergency numbers and short codes are refused:
    Twilio cannot bridge them into a video room, and dialing 911 by accident must be impossible.
    """
    region = default_region.upper()
    stripped = text.strip()
    if not stripped:
        raise PhoneNumberError("Enter a phone number.")
    _check_characters(stripped)
    digits = "".join(ch for ch in stripped if ch.isdecimal())
    if not digits:
        raise PhoneNumberError("Enter the digits of a phone number.")
    if not stripped.startswith("+") and _is_emergency(digits, region):
        raise PhoneNumberError("Emergency numbers cannot be dialed from this app.")
    if len(digits) < _MIN_DIGITS:
        # phonenumbers calls "+12" "not a number"; while typing, "too short" is the truth.
        raise PhoneNumberError("This number is too short.")
    try:
        number = phonenumbers.parse(stripped, region)
    except NumberParseException as exc:
        raise PhoneNumberError(_parse_error_message(exc, region)) from None

    if not stripped.startswith("+") and _is_short_code(digits, region):
        raise PhoneNumberError(
            "Short codes and service numbers cannot be dialed; enter a full phone number."
        )
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason == ValidationResult.TOO_SHORT:
        raise PhoneNumberError("This number is too short.")
    if reason == ValidationResult.TOO_LONG:
        raise PhoneNumberError("This number is too long.")
    if reason == ValidationResult.INVALID_COUNTRY_CODE:
        raise PhoneNumberError("The country code is not valid.")
    if reason == ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        raise PhoneNumberError("Add the area code: this number can only be dialed locally.")
    if reason == ValidationResult.INVALID_LENGTH:
        raise PhoneNumberError("This number has the wrong number of digits for its country.")
    if not phonenumbers.is_valid_number(number):
        if stripped.startswith("+"):
            raise PhoneNumberError("This is not a valid phone number; check the digits.")
        raise PhoneNumberError(
            f"This is not a valid number in {region} (+"
            f"{phonenumbers.country_code_for_region(region)}). For another country, start with "
            "+ and the country code."
        )
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def as_you_type(text: str, region: str = DEFAULT_REGION) -> str:
    """Format partial input the way the number's country writes it, for a live-formatting field.

    Input with letters or other stray characters comes back untouched, so the host sees what was
    typed next to the validation message.
    """
    if any(not (ch.isdecimal() or ch in _PUNCTUATION) for ch in text):
        return text
    formatter = phonenumbers.AsYouTypeFormatter(region.upper())
    result = ""
    for ch in text:
        if ch.isdecimal() or (ch == "+" and not result.strip()):
            result = formatter.input_digit(ch)
    return result


def mask(e164: str) -> str:
    """`••• 2671`: enough for a host to tell guests apart, not enough to leak the number.

    The one masking rule lives in `redaction`, so the screen, the journal and error text agree.
    """
    return mask_number(e164)


def region_of(e164: str) -> str | None:
    """ISO region code ("US", "GB") of an E.164 number, or None if it has none."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(number)
    if not region or region == phonenumbers.UNKNOWN_REGION or region == "001":
        return None
    return str(region)


def format_international(e164: str) -> str:
    """International form, e.g. +1 415-555-2671; returns the input if unparseable."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    return str(phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL))


def format_national(e164: str) -> str:
    """National form, e.g. (415) 555-2671; returns the input if unparseable."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    return str(phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL))


def _check_characters(text: str) -> None:
    if any(ch.isalpha() for ch in text):
        raise PhoneNumberError("Phone numbers cannot contain letters; enter digits only.")
    stray = sorted({ch for ch in text if not (ch.isdecimal() or ch in _PUNCTUATION)})
    if stray:
        shown = " ".join(repr(ch) for ch in stray[:3])
        raise PhoneNumberError(f"Phone numbers cannot contain {shown}.")
    if "+" in text[1:] or text.count("+") > 1:
        raise PhoneNumberError("A + may only appear at the start, before the country code.")


def _is_emergency(digits: str, region: str) -> bool:
    try:
        return bool(shortnumberinfo.connects_to_emergency_number(digits, region))
    except Exception:  # unknown region metadata: fall through to ordinary validation
        return False


def _is_short_code(digits: str, region: str) -> bool:
    if len(digits) > 8:
        return False
    try:
        short = phonenumbers.parse(digits, region)
    except NumberParseException:
        return False
    if phonenumbers.is_valid_number(short):
        return False
    return bool(shortnumberinfo.is_valid_short_number_for_region(short, region))


def _parse_error_message(exc: NumberParseException, region: str) -> str:
    if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE:
        if region not in phonenumbers.SUPPORTED_REGIONS:
            return "Start with + and the country code, or choose a default country in Settings."
        return "The country code is not valid."
    if exc.error_type in (
        NumberParseException.TOO_SHORT_NSN,
        NumberParseException.TOO_SHORT_AFTER_IDD,
    ):
        return "This number is too short."
    if exc.error_type == NumberParseException.TOO_LONG:
        return "This number is too long."
    return "This is not a phone number."
