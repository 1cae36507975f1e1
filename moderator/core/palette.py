"""The command palette's brain: fuzzy matching of what the host types against command names.

Matching is by subsequence (the typed letters in order, not necessarily adjacent), scored so
that matches at word starts and runs of adjacent letters rank first ("dp" → "Dial phone
guest", "endr" → "End room…"). With nothing typed, recently run commands come first. Qt-free,
so ranking is tested without a window; the dialog only shows what `rank` returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Entry", "Recents", "match_score", "rank"]

MAX_RECENTS = 8


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the palette: a command, a room to go to, a participant to find…"""

    key: str  # stable id ("action:dial", "room:RM…", "participant:…")
    title: str  # what is matched and shown
    detail: str = ""  # shortcut or context, shown on the right
    group: str = "Command"


def match_score(query: str, text: str) -> float | None:
    """How well `query` matches `text` (higher is better), or None when it does not.

    Every query character must appear in order. Each matched character scores 1, plus 4 at the
    start of a word and 2 right after the previous match; gaps cost a little. Case-insensitive.
    """
    query = "".join(query.casefold().split())
    if not query:
        return 0.0
    lowered = text.casefold()
    score = 0.0
    position = -1
    previous = -2
    for char in query:
        found = lowered.find(char, position + 1)
        if found < 0:
            return None
        score += 1.0
        if found == 0 or not lowered[found - 1].isalnum():
            score += 4.0
        if found == previous + 1:
            score += 2.0
        score -= 0.05 * (found - position - 1)
        previous = position = found
    return score - 0.01 * len(text)  # shorter names win ties


def rank(query: str, entries: Iterable[Entry], recents: Sequence[str] = ()) -> list[Entry]:
    """The entries that match `query`, best first; ties (and an empty query) put recently
    used keys first, most recent first."""
    recent_rank = {key: i for i, key in enumerate(recents)}
    scored: list[tuple[float, int, int, Entry]] = []
    for index, entry in enumerate(entries):
        score = match_score(query, entry.title)
        if score is None:
            continue
        recency = recent_rank.get(entry.key, len(recent_rank) + index)
        boost = 1.5 if entry.key in recent_rank and query else 0.0
        scored.append((-(score + boost), recency, index, entry))
    scored.sort(key=lambda item: (item[0], item[1], item[2]) if query else (item[1], item[2]))
    return [entry for *_ignored, entry in scored]


class Recents:
    """The keys of the last commands run, most recent first, at most `MAX_RECENTS`."""

    def __init__(self, keys: Iterable[str] = ()) -> None:
        self._keys: list[str] = list(dict.fromkeys(keys))[:MAX_RECENTS]

    def used(self, key: str) -> None:
        self._keys = [key, *(k for k in self._keys if k != key)][:MAX_RECENTS]

    def keys(self) -> list[str]:
        return list(self._keys)
