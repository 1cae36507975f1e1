"""Who else is moderating this account right now: one heartbeat item per running app.

Each app keeps an item keyed by its own host id in the hosts Map, rewritten every
`HEARTBEAT_EVERY_S` with a TTL of `HEARTBEAT_TTL_S`: an app that quits, crashes or loses its
link simply stops renewing it, and Sync removes it within half a minute. Nobody else writes an
app's heartbeat, so it is the one item written without a revision. Qt-free.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from moderator.core.shared_guests import parse_stamp
from moderator.core.sync_gateway import SyncItem

__all__ = [
    "HEARTBEAT_EVERY_S",
    "HEARTBEAT_TTL_S",
    "Host",
    "Presence",
]

HEARTBEAT_TTL_S = 30
HEARTBEAT_EVERY_S = 10.0
STALE_AFTER_S = 2.5 * HEARTBEAT_EVERY_S
"""A heartbeat not renewed for this long is an app that stopped (two renewals missed)."""


@dataclass(frozen=True, slots=True)
class Host:
    """Another running app on the account, by its host's display name."""

    host_id: str
    name: str
    since: datetime | None


class Presence:
    """This app's heartbeat and the others' as last listed."""

    def __init__(self, host_id: str, name: str, started: datetime) -> None:
        self.host_id = host_id
        self.name = name
        self._started = started
        self._others: dict[str, Host] = {}
        self._seen: dict[str, tuple[str, float]] = {}  # key → (revision, when it last moved)
        self.listed_once = False

    def heartbeat(self) -> dict[str, Any]:
        """This app's item data."""
        return {"v": 1, "name": self.name, "since": self._started.isoformat()}

    def listed(self, items: Iterable[SyncItem], now: float) -> bool:
        """A listing of the hosts Map at `now` (this app's monotonic seconds); True when who
        else is here changed.

        A heartbeat counts while Sync lists it and its revision moved within `STALE_AFTER_S`
        (as this app measures time: comparing Sync's `date_expires` with this machine's clock
        would trust two clocks to agree, and Sync may delete an expired item late).
        """
        others: dict[str, Host] = {}
        seen: dict[str, tuple[str, float]] = {}
        for item in items:
            if item.key == self.host_id:
                continue
            revision, changed_at = self._seen.get(item.key, ("", now))
            if revision != item.revision:
                changed_at = now
            seen[item.key] = (item.revision, changed_at)
            if now - changed_at > STALE_AFTER_S:
                continue
            name = item.data.get("name")
            if not isinstance(name, str) or not name.strip():
                name = "a co-host"
            others[item.key] = Host(item.key, name.strip(), parse_stamp(item.data.get("since")))
        self._seen = seen
        first = not self.listed_once
        self.listed_once = True
        changed = first or others != self._others
        self._others = others
        return changed

    def others(self) -> list[Host]:
        """The other apps running on this account, by name."""
        return sorted(self._others.values(), key=lambda host: (host.name.lower(), host.host_id))

    def is_present(self, host_id: str) -> bool:
        """Whether that app is running (this one always is). Before the first listing nobody
        is known to be absent."""
        return host_id == self.host_id or not self.listed_once or host_id in self._others

    def text(self) -> str:
        """ "Also moderating: Ana, Bob" for the window; "" when this host is alone."""
        names = [host.name for host in self.others()]
        return f"Also moderating: {', '.join(names)}" if names else ""
