"""The shared guest book: what co-hosts' apps tell each other about their phone guests.

Twilio marks no participant as a phone guest, so each app knows only the guests it dialed or
admitted. Co-hosts on other machines share theirs through one Twilio Sync Map: one item per guest,
keyed by the guest's identity, written by whoever changes something about that guest.

What an item holds, and what it never holds:

- room, kind (phone / SIP), the **masked** number (or SIP host), label, call SID, direction,
  status and its times, who dialed or admitted it (the host's display name), who muted or
  removed it. Never the full number nor a SIP user part: those stay on the machine that knew
  them, so "reveal" on a co-host's guest has nothing to show.
- `tag`, a keyed hash of room and number (`number_tag`), so two hosts about to dial the same
  person into the same room notice it without either learning the other's number. The key is
  the account's Sync Service SID: participants in the room, who see identities but not the
  account, cannot invert it (Sync readers could, but they can read the account's call logs
  anyway).

Ownership, so nobody overwrites what another wrote: the app that dialed a guest writes the
`OWNER_FIELDS`; any host writes the `HOST_FIELDS` (mute, removal). An update is always the
fields one app wants merged onto the item as it was read (`merged`), sent with that read's
revision; on 412 the caller reads again and merges again. Items get a TTL once the guest's call
is over (`ENDED_TTL_S`), and a long one while it lasts, so the Map cannot grow forever.

Qt-free and request-free: `SharedGuestBook` only merges listings and answers questions; the
session runs the requests.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moderator.core.guest_state import Direction, GuestStatus, PhoneGuest
from moderator.core.redaction import is_sip_address
from moderator.core.sync_gateway import SyncItem

__all__ = [
    "CLAIM_PREFIX",
    "CLAIM_TTL_S",
    "ENDED_TTL_S",
    "GUESTS_MAP",
    "HOSTS_MAP",
    "HOST_FIELDS",
    "LIVE_TTL_S",
    "OWNER_FIELDS",
    "SERVICE_NAME",
    "SharedGuest",
    "SharedGuestBook",
    "claim_key",
    "guest_fields",
    "merged",
    "number_tag",
    "parse_stamp",
]

SERVICE_NAME = "Room Moderator co-hosts"
GUESTS_MAP = "room-moderator-guests"
HOSTS_MAP = "room-moderator-hosts"
FORMAT = 1

ENDED_TTL_S = 3600
"""An item lives this long after its guest's call ended: co-hosts see how it ended, then it goes."""
LIVE_TTL_S = 24 * 3600
"""A live guest's item expires after this even if no app is left to end it."""
CLAIM_TTL_S = 120
"""A claim (two hosts about to dial the same person) only has to outlive the dial's first ring."""
CLAIM_PREFIX = "claim-"

OWNER_FIELDS = frozenset(
    {
        "v", "room_sid", "room", "kind", "masked", "label", "call_sid", "dir", "status",
        "dialed_at", "ringing_at", "connected_at", "ended_at", "reason", "by", "host", "tag",
        "participant_sid",
    }
)  # fmt: skip
HOST_FIELDS = frozenset({"muted_by", "removed_by", "followed_by"})

_STATUSES = {status.value: status for status in GuestStatus}


def number_tag(secret: str, room_sid: str, number: str) -> str:
    """A keyed hash of (room, number): equal for two hosts dialing the same person into the
    same room, and no use to anyone without `secret` (see the module docstring)."""
    message = f"{room_sid}|{number.strip().lower()}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:24]


def claim_key(tag: str) -> str:
    """The item two hosts race to create before dialing the same person (one wins, 409)."""
    return f"{CLAIM_PREFIX}{tag}"


def _stamp(at: datetime | None) -> str:
    return at.isoformat() if at is not None else ""


def parse_stamp(value: object) -> datetime | None:
    """An ISO 8601 time with its offset from a shared item, or None for anything else (an item
    another app wrote is data, never trusted to be well formed)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def guest_fields(guest: PhoneGuest, *, by: str, host_id: str, tag: str) -> dict[str, Any]:
    """The owner's fields for one of its guests: nothing that reveals the number."""
    kind = "sip" if guest.number is not None and is_sip_address(guest.number) else "phone"
    if guest.masked_number.startswith(("sip:", "sips:")):
        kind = "sip"
    return {
        "v": FORMAT,
        "room_sid": guest.room_sid,
        "room": guest.room_name,
        "kind": kind,
        "masked": guest.masked_number,
        "label": guest.label,
        "call_sid": guest.call_sid or "",
        "participant_sid": guest.participant_sid or "",
        "dir": guest.direction.value,
        "status": guest.status.value,
        "dialed_at": _stamp(guest.dialed_at),
        "ringing_at": _stamp(guest.ringing_at),
        "connected_at": _stamp(guest.connected_at),
        "ended_at": _stamp(guest.ended_at),
        "reason": guest.end_reason,
        "by": by,
        "host": host_id,
        "tag": tag,
    }


def merged(current: Mapping[str, Any] | None, fields: Mapping[str, Any]) -> dict[str, Any]:
    """An item's data with one app's fields applied: the rest stays as the last read had it."""
    return {**(current or {}), **fields}


@dataclass(frozen=True, slots=True)
class SharedGuest:
    """One guest as the shared Map tells it; built only from a valid item."""

    identity: str
    room_sid: str
    room_name: str
    kind: str  # "phone" | "sip"
    masked_number: str
    label: str
    call_sid: str | None
    participant_sid: str | None
    direction: Direction
    status: GuestStatus
    dialed_at: datetime | None
    ringing_at: datetime | None
    connected_at: datetime | None
    ended_at: datetime | None
    reason: str
    by: str  # the display name of the host who dialed or admitted the guest
    host_id: str  # that host's app (matches its presence heartbeat)
    tag: str
    muted_by: str = ""
    removed_by: str = ""
    #: The host whose app followed the call after the dialing host's app stopped.
    followed_by: str = ""
    revision: str = ""

    @classmethod
    def from_item(cls, item: SyncItem) -> SharedGuest | None:
        """The guest of an item, or None for anything else (claims, a newer format, junk)."""
        data = item.data
        if item.key.startswith(CLAIM_PREFIX) or data.get("v") != FORMAT:
            return None
        status = _STATUSES.get(str(data.get("status", "")))
        room_sid = data.get("room_sid")
        if status is None or not isinstance(room_sid, str) or not room_sid:
            return None

        def text(name: str) -> str:
            value = data.get(name, "")
            return value if isinstance(value, str) else ""

        try:
            direction = Direction(text("dir") or Direction.DIALED.value)
        except ValueError:
            direction = Direction.DIALED
        return cls(
            identity=item.key,
            room_sid=room_sid,
            room_name=text("room"),
            kind="sip" if text("kind") == "sip" else "phone",
            masked_number=text("masked"),
            label=text("label"),
            call_sid=text("call_sid") or None,
            participant_sid=text("participant_sid") or None,
            direction=direction,
            status=status,
            dialed_at=parse_stamp(data.get("dialed_at")),
            ringing_at=parse_stamp(data.get("ringing_at")),
            connected_at=parse_stamp(data.get("connected_at")),
            ended_at=parse_stamp(data.get("ended_at")),
            reason=text("reason"),
            by=text("by") or "a co-host",
            host_id=text("host"),
            tag=text("tag"),
            muted_by=text("muted_by"),
            removed_by=text("removed_by"),
            followed_by=text("followed_by"),
            revision=item.revision,
        )

    @property
    def dialed_by_text(self) -> str:
        """ "dialed by Ana" / "admitted by Ana": how the roster credits the co-host."""
        verb = "admitted" if self.direction is Direction.CALLED_IN else "dialed"
        followed = f", followed by {self.followed_by}" if self.followed_by else ""
        return f"{verb} by {self.by}{followed}"

    def as_phone_guest(self) -> PhoneGuest:
        """The same guest in the shape the roster draws (no number: it never left its host)."""
        history = tuple(
            (status, at)
            for status, at in (
                (GuestStatus.DIALING, self.dialed_at),
                (GuestStatus.RINGING, self.ringing_at),
                (GuestStatus.CONNECTED, self.connected_at),
                (self.status, self.ended_at if self.status.is_final else None),
            )
            if at is not None
        )
        reason = self.reason
        if self.removed_by and self.status.is_final:
            reason = f"Removed by {self.removed_by}"
        return PhoneGuest(
            dial_id=f"shared:{self.identity}",
            room_sid=self.room_sid,
            room_name=self.room_name,
            identity=self.identity,
            number=None,
            masked_number=self.masked_number,
            label=self.label,
            caller_id="",
            call_sid=self.call_sid,
            status=self.status,
            history=history,
            dialed_at=self.dialed_at,
            ringing_at=self.ringing_at,
            connected_at=self.connected_at,
            ended_at=self.ended_at,
            end_reason=reason,
            participant_sid=self.participant_sid,
            removal_requested=bool(self.removed_by),
            direction=self.direction,
        )


@dataclass
class SharedGuestBook:
    """The shared Map as last read, merged by revision; queries never change it.

    `host_id` is this app's: its own items are its local book's business, so queries about
    "others" leave them out.
    """

    host_id: str
    _items: dict[str, SyncItem] = field(default_factory=dict)
    _guests: dict[str, SharedGuest] = field(default_factory=dict)

    def merge(self, items: Iterable[SyncItem]) -> set[str]:
        """A full listing of the Map: the keys that changed (new, newer revision, or gone)."""
        listed = {item.key: item for item in items}
        changed = {key for key in self._items if key not in listed}
        for key, item in listed.items():
            known = self._items.get(key)
            if known is None or known.revision != item.revision:
                changed.add(key)
        for key in changed:
            self._forget(key)
            fresh = listed.get(key)
            if fresh is not None:
                self._items[key] = fresh
                guest = SharedGuest.from_item(fresh)
                if guest is not None:
                    self._guests[key] = guest
        return changed

    def learn(self, item: SyncItem | None, key: str) -> None:
        """One item as a write or fetch just returned it (None: it is gone)."""
        known = self._items.get(key)
        if item is not None and known is not None and _newer(known.revision, item.revision):
            return  # a listing already brought something newer
        self._forget(key)
        if item is not None:
            self._items[key] = item
            guest = SharedGuest.from_item(item)
            if guest is not None:
                self._guests[key] = guest

    def _forget(self, key: str) -> None:
        self._items.pop(key, None)
        self._guests.pop(key, None)

    def item(self, key: str) -> SyncItem | None:
        return self._items.get(key)

    def guest(self, identity: str) -> SharedGuest | None:
        return self._guests.get(identity)

    def others(self) -> list[SharedGuest]:
        """Co-hosts' guests (not this app's own), in key order."""
        return [g for key, g in sorted(self._guests.items()) if g.host_id != self.host_id]

    def others_in_room(self, room_sid: str, exclude: Iterable[str] = ()) -> list[SharedGuest]:
        """Co-hosts' guests of one room, minus identities this app has guests of itself."""
        skip = set(exclude)
        return [g for g in self.others() if g.room_sid == room_sid and g.identity not in skip]

    def live_dial_of(self, room_sid: str, tag: str) -> SharedGuest | None:
        """A co-host's guest with this number tag still under way in that room, if any."""
        for guest in self.others():
            if guest.room_sid == room_sid and guest.tag == tag and not guest.status.is_final:
                return guest
        return None

    def connected_count(self, room_sid: str, exclude: Iterable[str] = ()) -> int:
        """Co-hosts' phone guests now in the room, for the n/35 count."""
        return sum(
            g.status is GuestStatus.CONNECTED for g in self.others_in_room(room_sid, exclude)
        )


def _newer(known: str, candidate: str) -> bool:
    """Whether `known` is a later revision than `candidate` (Sync revisions count up; when they
    are not numbers, the latest answer wins)."""
    try:
        return int(known, 16) > int(candidate, 16)
    except ValueError:
        return False
