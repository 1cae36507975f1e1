"""What the filter boxes match: a pure, Qt-free test of a typed query against what a row shows.

"Filter rooms" and "Filter participants" share it, so both behave alike: case-insensitive,
every word of the query must match somewhere (so "alice standup" finds Alice in standup), and a
query of digits also matches a phone guest's masked number by its last digits. A phone guest's
full number is never looked at: the host did not see it, and a filter must not reveal it digit
by digit ("does anyone's number contain 555?").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from moderator.core.roster import RosterRow

#: What masks a phone number's hidden part in the roster ("••• 2671").
MASK = "•••"
#: Characters a host may type between digits ("26 71", "26-71") that do not matter.
_DIGIT_NOISE = str.maketrans("", "", " -.()•")


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed filter text: its words, case-folded. Empty matches everything."""

    words: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Query:
        return cls(tuple(word.casefold() for word in text.split()))

    def __bool__(self) -> bool:
        return bool(self.words)

    def matches(self, texts: Iterable[str], digits: Iterable[str] = ()) -> bool:
        """Whether every word is in one of `texts` (or, if it is digits, ends one of `digits`)."""
        folded = [text.casefold() for text in texts if text]
        shown_digits = [d for d in digits if d]
        for word in self.words:
            if any(word in text for text in folded):
                continue
            number = word.translate(_DIGIT_NOISE)
            if number.isdigit() and any(d.endswith(number) for d in shown_digits):
                continue
            return False
        return True


def masked_digits(name: str) -> str:
    """The digits a masked number shows: "Alice · ••• 2671" → "2671" ("" if none is shown)."""
    _, mask, rest = name.partition(MASK)
    if not mask:
        return ""
    return "".join(ch for ch in rest if ch.isdigit())


def roster_row_matches(row: RosterRow, query: Query) -> bool:
    """Name (as masked), label, identity, room name, and the masked number's last digits."""
    if not query:
        return True
    return query.matches(
        (row.name, row.label, row.identity, row.room_name), (masked_digits(row.name),)
    )


def room_matches(unique_name: str, sid: str, query: Query) -> bool:
    """A room by its name (or its SID, which support staff paste from the Console)."""
    if not query:
        return True
    return query.matches((unique_name, sid))
