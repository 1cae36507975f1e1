"""Phone input: E.164 out, a clear message for every kind of bad input, masking and formatting."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderator.core.phone import (
    PhoneNumberError,
    as_you_type,
    format_international,
    format_national,
    is_e164,
    is_valid_region,
    mask,
    parse,
    region_of,
)


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("+1 (415) 555-2671", "US", "+14155552671"),
        ("(415) 555-2671", "US", "+14155552671"),
        ("415.555.2671", "US", "+14155552671"),
        ("  4155552671  ", "US", "+14155552671"),
        ("020 7183 8750", "GB", "+442071838750"),
        ("00 44 20 7183 8750", "GB", "+442071838750"),
        ("+44 20 7183 8750", "US", "+442071838750"),
        ("030 901820", "DE", "+4930901820"),
        ("+15005550001", "US", "+15005550001"),  # Twilio's test numbers are well-formed
        ("٤١٥٥٥٥٢٦٧١", "US", "+14155552671"),  # Arabic-Indic digits
    ],
)
def test_parse_accepts_national_and_international_input(
    text: str, region: str, expected: str
) -> None:
    assert parse(text, region) == expected


@pytest.mark.parametrize(
    ("text", "region", "words"),
    [
        ("", "US", "enter a phone number"),
        ("   ", "US", "enter a phone number"),
        ("1-800-FLOWERS", "US", "letters"),
        ("call me", "US", "letters"),
        ("+1 415 555 2671 #2", "US", "'#'"),
        ("415*555", "US", "'*'"),
        ("--", "US", "digits"),
        ("+1 212", "US", "too short"),
        ("12345", "US", "too short"),
        ("+1 212 555 12345678", "US", "too long"),
        ("+999 12345", "US", "country code"),
        ("+1 555 555 5555", "US", "not a valid phone number"),
        ("4155552671", "GB", "not a valid number in gb"),
        ("555 1234", "US", "area code"),
        ("41414", "US", "short codes"),
        ("911", "US", "emergency"),
        ("112", "GB", "emergency"),
        ("999", "GB", "emergency"),
        ("1+2", "US", "+ may only appear at the start"),
        ("4155552671", "ZZ", "country code"),
    ],
)
def test_parse_refuses_with_a_clear_message(text: str, region: str, words: str) -> None:
    with pytest.raises(PhoneNumberError) as caught:
        parse(text, region)
    assert words in str(caught.value).lower()


@settings(max_examples=200)
@given(st.text(max_size=30))
def test_parse_never_fails_with_anything_but_phone_number_error(text: str) -> None:
    try:
        result = parse(text, "US")
    except PhoneNumberError as error:
        assert str(error)
    else:
        assert is_e164(result)


def test_as_you_type_formats_progressively() -> None:
    assert as_you_type("415", "US") == "415"
    assert as_you_type("4155552", "US") == "415-5552"
    assert as_you_type("4155552671", "US") == "(415) 555-2671"
    assert as_you_type("+442071838750", "US") == "+44 20 7183 8750"
    assert as_you_type("", "US") == ""


def test_as_you_type_leaves_bad_input_alone() -> None:
    assert as_you_type("415-CALL", "US") == "415-CALL"


def test_mask_shows_only_the_last_four_digits() -> None:
    assert mask("+14155552671") == "••• 2671"
    assert "415" not in mask("+14155552671")
    assert mask("+12") == "•••"


def test_region_of() -> None:
    assert region_of("+14155552671") == "US"
    assert region_of("+442071838750") == "GB"
    assert region_of("+80012345678") is None  # international freephone: no region
    assert region_of("garbage") is None


def test_display_formats() -> None:
    assert format_international("+14155552671") == "+1 415-555-2671"
    assert format_national("+14155552671") == "(415) 555-2671"
    assert format_international("not a number") == "not a number"


def test_is_e164_and_region_helpers() -> None:
    assert is_e164("+14155552671")
    assert not is_e164("14155552671")
    assert not is_e164("+0123")
    assert is_valid_region("gb") and not is_valid_region("ZZ")
