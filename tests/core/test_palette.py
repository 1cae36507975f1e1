"""The command palette's matching and ranking."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from moderator.core.palette import Entry, Recents, match_score, rank

ENTRIES = [
    Entry("action:dial", "Dial phone guest…", "Ctrl+D"),
    Entry("action:end", "End room…"),
    Entry("action:remove", "Remove participant", "Del"),
    Entry("action:refresh", "Refresh now", "F5"),
    Entry("room:RM1", "Go to room: town-hall", group="Room"),
    Entry("action:dial-in", "Set up dial-in…"),
]


def titles(entries: list[Entry]) -> list[str]:
    return [e.title for e in entries]


def test_initials_and_word_starts_rank_first() -> None:
    assert titles(rank("dp", ENTRIES))[0] == "Dial phone guest…"
    assert titles(rank("endr", ENTRIES))[0] == "End room…"
    assert titles(rank("town", ENTRIES)) == ["Go to room: town-hall"]


def test_non_matches_are_left_out() -> None:
    assert rank("xyz", ENTRIES) == []
    assert match_score("zd", "Dial") is None  # order matters


def test_an_empty_query_lists_recent_commands_first() -> None:
    recents = Recents()
    recents.used("action:refresh")
    recents.used("action:end")
    assert titles(rank("", ENTRIES, recents.keys()))[:2] == ["End room…", "Refresh now"]
    assert len(rank("", ENTRIES)) == len(ENTRIES)


def test_recents_are_bounded_and_unique() -> None:
    recents = Recents()
    for i in range(20):
        recents.used(f"k{i % 10}")
    keys = recents.keys()
    assert len(keys) == 8 and len(set(keys)) == 8 and keys[0] == "k9"


@given(st.text(min_size=1, max_size=12), st.text(max_size=30))
def test_any_subsequence_of_a_title_matches_it(query: str, noise: str) -> None:
    title = noise + query + noise
    assert match_score(query, title) is not None
