"""The requests that change the shared Maps, each safe against co-hosts writing at the same time.

Run on a worker (they block). Every update of a shared item names the revision it was computed
from; on 412 the item is read again and the same fields are merged onto what is there now, so a
co-host's change is never overwritten blindly. Creates race the same way: 409 means someone made
the item first, so it is read and updated instead. Only an app's own heartbeat is written
without a revision (nobody else writes it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from moderator.core.errors import ErrorKind, TwilioError
from moderator.core.shared_guests import CLAIM_TTL_S, SharedGuest, claim_key, merged
from moderator.core.sync_gateway import SyncGateway, SyncItem

__all__ = ["Claim", "SharedMaps", "beat", "claim", "refusal", "write_fields"]

log = logging.getLogger(__name__)

MAX_ROUNDS = 5
"""Re-reads allowed for one write before it counts as failed (and is tried again later)."""


@dataclass(frozen=True, slots=True)
class SharedMaps:
    """Where the shared state lives on this account (found or created once per session)."""

    service_sid: str
    guests_map: str
    hosts_map: str


@dataclass(frozen=True, slots=True)
class Claim:
    """The outcome of claiming a dial: ours, or held by `by` (a co-host's display name)."""

    ours: bool
    by: str = ""
    masked: str = ""
    room: str = ""


def refusal(claimed: Callable[[], Claim] | None) -> Claim | None:
    """Run a claim before a call is placed (or a caller admitted): the co-host's claim that
    refuses it, or None to go ahead. Sync trouble goes ahead too: without Sync the app works
    alone, as it did before co-hosting (the co-host line says why)."""
    if claimed is None:
        return None
    try:
        outcome = claimed()
    except TwilioError as error:
        log.info("going ahead without a co-host claim: %s", error)
        return None
    return None if outcome.ours else outcome


def _conflict(message: str) -> TwilioError:
    return TwilioError(
        message,
        action="It will be tried again in a moment.",
        kind=ErrorKind.CONFLICT,
        retryable=True,
    )


def write_fields(
    sync: SyncGateway,
    maps: SharedMaps,
    key: str,
    fields: Mapping[str, Any],
    *,
    ttl_s: int | None,
    known: SyncItem | None,
    create: bool,
) -> SyncItem | None:
    """Merge `fields` onto the guest item `key` (see the module docstring).

    `known` is the item as last read (its revision is sent); `create` says whether a missing
    item is made (the guest's owner) or the write is dropped (a co-host's note about a guest
    whose item is gone: there is nobody left to tell). Returns the item as written, or None
    when it was dropped.
    """
    service, map_sid = maps.service_sid, maps.guests_map
    current = known
    fetched = known is not None
    for _ in range(MAX_ROUNDS):
        if current is None and not fetched:
            current = sync.fetch_item(service, map_sid, key)
            fetched = True
            continue
        if current is None:
            if not create:
                return None
            try:
                return sync.create_item(service, map_sid, key, merged(None, fields), ttl_s)
            except TwilioError as error:
                if error.status != 409:
                    raise
            current = sync.fetch_item(service, map_sid, key)
            continue
        try:
            return sync.update_item(
                service, map_sid, key, merged(current.data, fields),
                revision=current.revision, ttl_s=ttl_s,
            )  # fmt: skip
        except TwilioError as error:
            if error.status not in (404, 412):
                raise
        current = sync.fetch_item(service, map_sid, key)
    raise _conflict("The shared guest list kept changing while the app wrote to it.")


def claim(
    sync: SyncGateway,
    maps: SharedMaps,
    tag: str,
    data: Mapping[str, Any],
) -> Claim:
    """Claim the right to dial (or admit) one person into one room, before the call is placed.

    Two hosts claiming at once both try to create the same item; Sync lets one win (409 for the
    other). A claim already there is taken over only when it is this app's, or when the guest
    it was for has finished (its guest item says so); otherwise the holder is named. `data`
    holds `identity`, `host`, `by`, `masked` and `room`.
    """
    service, map_sid = maps.service_sid, maps.guests_map
    key = claim_key(tag)
    for _ in range(MAX_ROUNDS):
        try:
            sync.create_item(service, map_sid, key, dict(data), CLAIM_TTL_S)
            return Claim(True)
        except TwilioError as error:
            if error.status != 409:
                raise
        held = sync.fetch_item(service, map_sid, key)
        if held is None:
            continue  # it expired between the two requests: try again
        if held.data.get("host") != data.get("host") and not _holder_finished(sync, maps, held):
            return Claim(
                False,
                by=str(held.data.get("by") or "a co-host"),
                masked=str(held.data.get("masked") or ""),
                room=str(held.data.get("room") or ""),
            )
        try:
            sync.update_item(
                service, map_sid, key, dict(data), revision=held.revision, ttl_s=CLAIM_TTL_S
            )
            return Claim(True)
        except TwilioError as error:
            if error.status not in (404, 412):
                raise
    raise _conflict("Another host kept claiming the same guest.")


def _holder_finished(sync: SyncGateway, maps: SharedMaps, held: SyncItem) -> bool:
    identity = held.data.get("identity")
    if not isinstance(identity, str) or not identity:
        return False
    guest = sync.fetch_item(maps.service_sid, maps.guests_map, identity)
    if guest is None:
        return False  # the holder is still between its claim and its first write
    shared = SharedGuest.from_item(guest)
    return shared is not None and shared.status.is_final


def beat(sync: SyncGateway, maps: SharedMaps, key: str, data: dict[str, Any], ttl_s: int) -> None:
    """Renew this app's heartbeat (create it the first time, or after it expired)."""
    try:
        sync.update_item(maps.service_sid, maps.hosts_map, key, data, revision=None, ttl_s=ttl_s)
    except TwilioError as error:
        if error.status != 404:
            raise
        try:
            sync.create_item(maps.service_sid, maps.hosts_map, key, data, ttl_s)
        except TwilioError as again:
            if again.status != 409:  # renewed by a late retry of our own update meanwhile
                raise
