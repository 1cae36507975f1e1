"""Identities and room names: generated without the number, validated before any TwiML exists."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moderator.core.identity import (
    MAX_NAME_BYTES,
    PHONE_IDENTITY_PREFIX,
    generate_phone_identity,
    name_length,
    unsafe_characters,
    validate_identity,
    validate_room_name,
)


def test_generated_identity_is_prefixed_short_and_valid() -> None:
    identity = generate_phone_identity()
    assert identity.startswith(PHONE_IDENTITY_PREFIX)
    assert len(identity) == len(PHONE_IDENTITY_PREFIX) + 6
    assert validate_identity(identity) is None


def test_generated_identity_is_repeatable_with_a_seeded_rng() -> None:
    assert generate_phone_identity(random.Random(7)) == generate_phone_identity(random.Random(7))


def test_generated_identities_differ() -> None:
    assert len({generate_phone_identity() for _ in range(200)}) == 200


def test_generated_identity_avoids_taken_ones() -> None:
    first = generate_phone_identity(random.Random(1))
    second = generate_phone_identity(random.Random(1), taken={first})
    assert second != first


@given(st.randoms())
def test_generated_identity_carries_no_number(rng: random.Random) -> None:
    # The generator never sees the number; its suffix has no 0 or 1 and only 6 characters,
    # so no phone number (or its last four digits) can appear in it by chance.
    suffix = generate_phone_identity(rng).removeprefix(PHONE_IDENTITY_PREFIX)
    assert len(suffix) == 6
    assert not set(suffix) & set("01ilo")
    assert sum(ch.isdigit() for ch in suffix) < 7


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "enter"),
        ("   ", "enter"),
        ("x" * (MAX_NAME_BYTES + 1), "at most 128"),
        ("é" * 65, "at most 128"),  # 130 UTF-8 bytes
        ("tab\there", "control"),
        ("new\nline", "control"),
        ("nul\x00", "control"),
        ("bell\x07", "control"),
        ("del\x7f", "control"),
        ("c1\x85", "control"),
        ("evil\u202eoverride", "invisible formatting"),
        ("non\ufffe", "control"),
        (" leading", "spaces"),
        ("trailing ", "spaces"),
    ],
)
def test_bad_identities_are_refused(text: str, words: str) -> None:
    problem = validate_identity(text)
    assert problem is not None and words in problem.lower()


@pytest.mark.parametrize(
    "text",
    [
        "alice",
        "phone-abc234",
        'Zoë O\'Brien <host> & "friends"',
        "会議の参加者",
        "🙂 guest",
        "x" * MAX_NAME_BYTES,
        "a  b",
        "👨‍👩‍👧",  # joiners inside an emoji sequence are fine
    ],
)
def test_good_identities_pass(text: str) -> None:
    assert validate_identity(text) is None


def test_room_name_rules() -> None:
    assert validate_room_name("Daily stand-up") is None
    assert validate_room_name("Team A/B? #1 & 50%") is None  # looked up by query, not path
    assert "enter" in (validate_room_name("") or "").lower()
    assert "128" in (validate_room_name("r" * 129) or "")
    assert "control" in (validate_room_name("a\x01b") or "")
    assert "spaces" in (validate_room_name("room ") or "")
    assert "room sid" in (validate_room_name("RM" + "a" * 32) or "").lower()


def test_unsafe_characters_lists_each_once_in_order() -> None:
    assert unsafe_characters("a\x01b\x02c\x01") == ["\x01", "\x02"]
    assert unsafe_characters("plain") == []


def test_name_length_counts_utf8_bytes() -> None:
    assert name_length("abc") == 3
    assert name_length("é") == 2
    assert name_length("🙂") == 4


@given(st.text(max_size=200))
def test_validators_accept_exactly_safe_bounded_trimmed_text(text: str) -> None:
    problem = validate_identity(text)
    ok = (
        bool(text.strip())
        and not unsafe_characters(text)
        and text == text.strip()
        and name_length(text) <= MAX_NAME_BYTES
    )
    assert (problem is None) == ok
