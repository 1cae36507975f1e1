"""The filter boxes' matcher: what a typed query finds, and what it must never look at."""

from __future__ import annotations

import pytest

from moderator.core.filtering import Query, masked_digits, room_matches, roster_row_matches
from moderator.core.guests import GuestBook
from moderator.core.roster import GuestKind, RosterRow, all_rooms_roster, build_roster, room_key
from tests.core.guest_helpers import ROOM, T0, FakeClock, dial, participant

OTHER = "RM00000000000000000000000000000002"


def rows() -> list[RosterRow]:
    """Alice by phone (••• 2671) and bob in the app, in Standup; carol in the app in Retro."""
    book = GuestBook(None, FakeClock())
    dial(book, label="Alice")
    standup = build_roster(ROOM, [participant("PA1", "bob")], book, T0)
    retro = build_roster(OTHER, [participant("PA2", "carol", room=OTHER)], book, T0)
    return all_rooms_roster([(ROOM, "Standup", standup), (OTHER, "Retro", retro)])


def found(query: str) -> list[str]:
    q = Query.parse(query)
    return [row.identity for row in rows() if roster_row_matches(row, q)]


def test_all_rooms_roster_stamps_each_row_with_its_room_and_keys_it_uniquely() -> None:
    every = rows()
    assert [(r.room_name, r.kind) for r in every] == [
        ("Standup", GuestKind.PHONE),
        ("Standup", GuestKind.APP),
        ("Retro", GuestKind.APP),
    ]
    assert [r.room_sid for r in every] == [ROOM, ROOM, OTHER]
    assert every[1].key == room_key(ROOM, "PA1") and every[2].key == room_key(OTHER, "PA2")
    assert len({r.key for r in every}) == 3


def test_the_same_participant_listed_in_two_rooms_keeps_two_distinct_keys() -> None:
    book = GuestBook(None, FakeClock())
    one = build_roster(ROOM, [participant("PA1", "bob")], book, T0)
    both = all_rooms_roster([(ROOM, "a", one), (OTHER, "b", one)])
    assert len({r.key for r in both}) == 2


def test_an_empty_query_matches_everyone() -> None:
    assert found("") == found("   ") == ["phone-4kq2", "bob", "carol"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("BOB", ["bob"]),  # identity, any case
        ("alice", ["phone-4kq2"]),  # label
        ("retro", ["carol"]),  # room name
        ("standup", ["phone-4kq2", "bob"]),
        ("2671", ["phone-4kq2"]),  # the masked number's last digits
        ("671", ["phone-4kq2"]),
        ("26 71", ["phone-4kq2"]),  # typed with a space
        ("standup bob", ["bob"]),  # every word must match
        ("zed", []),
    ],
)
def test_a_query_finds_by_name_label_identity_room_and_last_digits(
    query: str, expected: list[str]
) -> None:
    assert found(query) == expected


def test_the_full_number_is_never_matched() -> None:
    # The number is +14155552671: only "2671" is shown, the rest must not be found by typing it.
    assert found("4155") == [] and found("+1415") == [] and found("14155552671") == []


def test_masked_digits_are_those_after_the_mask() -> None:
    assert masked_digits("Alice · ••• 2671") == "2671"
    assert masked_digits("••• 2671") == "2671"
    assert masked_digits("phone-2671") == ""  # an identity is text, not a masked number


def test_rooms_match_by_name_or_sid() -> None:
    assert room_matches("Town-Hall", OTHER, Query.parse("hall"))
    assert room_matches("Town-Hall", OTHER, Query.parse(OTHER.lower()))
    assert not room_matches("Town-Hall", OTHER, Query.parse("standup"))
    assert room_matches("Town-Hall", OTHER, Query.parse(""))
