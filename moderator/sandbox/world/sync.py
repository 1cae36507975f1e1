"""Sync v1: Services, Maps and Map Items, with Twilio's revisions, TTLs and write-rate limit.

Written from Twilio's Sync REST reference, twilio_sync_v1.json and the Sync error pages
(twilio.com/docs/api/errors/54xxx):

- A Map is addressed by its MP… SID or its unique name (unique per service: 409 / 54301;
  1–320 characters, not SID-shaped: 54302). Unknown service 404 / 54050, map 54200, item 54201.
- An item's Data is a JSON object as a form field: absent or null 54206, unparseable or not an
  object 54008, more than 16 KiB serialized 413 / 54006. Key 1–320 characters (54209); an
  existing key 409 / 54208.
- `revision` is a string that changes on every write (a hex counter here). Update and delete
  honour `If-Match`: a revision that is not the current one is 412 / 54205, one that is not a
  revision at all 400 / 54003; without the header the write is unconditional.
- TTLs are seconds, 0–31 536 000 (else 54011); 0 means never. On maps `Ttl` is an alias of
  `CollectionTtl` (which wins); on items of `ItemTtl` (which wins), and an item's
  `CollectionTtl` sets its map's expiry. Expiry runs on the world clock: an expired map or item
  is gone (404) from then on. An update without a TTL keeps the expiry.
- At most 20 writes per second per top-level object (Sync's limits page: an item write counts
  against its map); above it 429 / 54009 with Retry-After. The burst allowance Twilio grants
  over its 10 s window is not modelled: the sandbox is the stricter of the two.
- An update with nothing to change is 400 / 54010.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from moderator.sandbox.errors import ApiError
from moderator.sandbox.world.state import WorldState
from moderator.sandbox.world.sync_records import (
    MAX_DATA_BYTES,
    MAX_FRIENDLY_NAME,
    MAX_KEY_LENGTH,
    MAX_TTL_S,
    MAX_UNIQUE_NAME,
    WRITES_PER_SECOND,
    SyncMap,
    SyncMapItem,
    SyncService,
)

__all__ = ["NO_TTL", "Sync", "SyncRateLimited", "TtlChange"]

RATE_WINDOW_S = 1.0
DEFAULT_DEBOUNCING_WINDOW_MS = 5000
_SID_SHAPED = re.compile(r"^[A-Z]{2}[0-9a-f]{32}$")
_REVISION = re.compile(r"^[0-9a-f]+$")

TtlChange = int | None
"""A TTL in seconds as sent (0 = no expiry), or None when the request does not set one."""
NO_TTL: TtlChange = None


class SyncRateLimited(ApiError):
    """429 / 54009 with the seconds a client should wait (the route sends Retry-After)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            429, 54009, "Rate limit exceeded: at most 20 writes per second per Sync object"
        )
        self.retry_after = retry_after


def _bad(code: int, message: str) -> ApiError:
    return ApiError(400, code, message)


def check_ttl(name: str, raw: str | None) -> TtlChange:
    """A TTL form field: None when absent or empty, else 0–31 536 000 seconds (54011)."""
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_TTL_S:
        raise _bad(54011, f"Invalid {name} {raw!r}: an integer between 0 and {MAX_TTL_S}")
    return value


def parse_data(raw: str | None) -> dict[str, Any]:
    """Data as sent (a JSON object in a form field), with Sync's codes for what is wrong."""
    if raw is None or raw.strip() in {"", "null"}:
        raise _bad(54206, "Invalid Map Item data: the 'Data' parameter cannot be null")
    try:
        value = json.loads(raw)
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        raise _bad(54008, f"Invalid JSON: the 'Data' parameter is not valid JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise _bad(54008, "Invalid JSON: the 'Data' parameter must be a JSON object")
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    if size > MAX_DATA_BYTES:
        raise ApiError(
            413, 54006, f"Request entity too large: Data is {size} bytes, at most {MAX_DATA_BYTES}"
        )
    return value


def parse_if_match(raw: str | None) -> int | None:
    """The revision an If-Match header names (quotes allowed, as ETags have), or None."""
    if raw is None or raw.strip() == "":
        return None
    value = raw.strip().strip('"')
    if not _REVISION.match(value):
        raise _bad(54003, f"Invalid If-Match header {raw!r}: not a Sync revision")
    return int(value, 16)


def _check_key(key: str | None) -> str:
    if key is None or not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise _bad(54209, f"Invalid Map Item key: a string of 1-{MAX_KEY_LENGTH} characters")
    return key


def _check_unique_name(name: str | None) -> str | None:
    if name is None:
        return None
    if not 1 <= len(name) <= MAX_UNIQUE_NAME or _SID_SHAPED.match(name):
        raise _bad(
            54302,
            f"Invalid unique name: 1-{MAX_UNIQUE_NAME} characters, not matching a SID pattern",
        )
    return name


def check_friendly_name(name: str | None) -> str | None:
    """FriendlyName: absent, or 1–255 characters (54053)."""
    if name is not None and not 1 <= len(name) <= MAX_FRIENDLY_NAME:
        raise _bad(54053, f"Invalid friendly name: 1-{MAX_FRIENDLY_NAME} characters")
    return name


class Sync:
    """Every Sync service of the account, its maps and their items."""

    def __init__(self, state: WorldState) -> None:
        self._state = state
        self._services: dict[str, SyncService] = {}
        self._maps: dict[str, SyncMap] = {}

    # ------------------------------------------------------------------ lookups (lock held)

    def _service(self, sid: str) -> SyncService:
        service = self._services.get(sid)
        if service is None:
            raise ApiError(404, 54050, f"Service Instance not found: /v1/Services/{sid}")
        return service

    def _expired(self, expires_at: float | None) -> bool:
        return expires_at is not None and expires_at <= self._state.now()

    def _live_maps(self, service: SyncService) -> list[SyncMap]:
        """The service's maps in creation order, dropping those whose TTL has run out."""
        for sid in [sid for sid, m in self._maps.items() if self._expired(m.expires_at)]:
            del self._maps[sid]
        maps = [m for m in self._maps.values() if m.service_sid == service.sid]
        return sorted(maps, key=lambda m: m.seq)

    def _map(self, service: SyncService, sid_or_name: str) -> SyncMap:
        for candidate in self._live_maps(service):
            if sid_or_name in (candidate.sid, candidate.unique_name):
                return candidate
        raise ApiError(404, 54200, f"Map not found: /v1/Services/{service.sid}/Maps/{sid_or_name}")

    def _live_items(self, sync_map: SyncMap) -> dict[str, SyncMapItem]:
        for key in [k for k, i in sync_map.items.items() if self._expired(i.expires_at)]:
            del sync_map.items[key]
        return sync_map.items

    def _item(self, sync_map: SyncMap, key: str) -> SyncMapItem:
        item = self._live_items(sync_map).get(key)
        if item is None:
            raise ApiError(
                404,
                54201,
                f"Map Item not found: /v1/Services/{sync_map.service_sid}/Maps/"
                f"{sync_map.sid}/Items/{key}",
            )
        return item

    def _expiry(self, ttl: int) -> float | None:
        return None if ttl == 0 else self._state.now() + ttl

    # ------------------------------------------------------------------ write rate

    def _admit_write(self, sync_map: SyncMap) -> None:
        """429 / 54009 when the map already had 20 writes in the last second (clock time)."""
        now = self._state.now()
        writes = sync_map.writes
        while writes and writes[0] <= now - RATE_WINDOW_S:
            writes.popleft()
        if len(writes) >= WRITES_PER_SECOND:
            raise SyncRateLimited(max(1, math.ceil(writes[0] + RATE_WINDOW_S - now)))

    def _wrote(self, sync_map: SyncMap) -> None:
        """Count an accepted write against the map and move its revision on."""
        now = self._state.now()
        sync_map.writes.append(now)
        sync_map.revision += 1
        sync_map.updated_at = now

    # ------------------------------------------------------------------ services

    def create_service(self, friendly_name: str | None, **settings: Any) -> SyncService:
        """POST /v1/Services: FriendlyName and the service flags; no UniqueName over REST."""
        check_friendly_name(friendly_name)
        state = self._state
        with state.locked():
            now = state.now()
            service = SyncService(
                sid=state.sids.new("IS"),
                seq=state.next_seq(),
                friendly_name=friendly_name,
                acl_enabled=False,
                webhook_url=None,
                webhooks_from_rest_enabled=False,
                reachability_webhooks_enabled=False,
                reachability_debouncing_enabled=False,
                reachability_debouncing_window=DEFAULT_DEBOUNCING_WINDOW_MS,
                created_at=now,
                updated_at=now,
            )
            self._apply_settings(service, settings)
            self._services[service.sid] = service
            return service

    @staticmethod
    def _apply_settings(service: SyncService, settings: dict[str, Any]) -> None:
        for name, value in settings.items():
            if value is None:
                continue
            if name == "reachability_debouncing_window" and not 1000 <= value <= 30000:
                raise _bad(20001, "ReachabilityDebouncingWindow must be 1000-30000 ms")
            if not hasattr(service, name) or name in {"sid", "seq", "created_at"}:
                raise TypeError(f"unknown Sync service setting {name!r}")
            setattr(service, name, value)

    def find_service(self, sid: str) -> SyncService:
        """GET /v1/Services/{IS…}."""
        with self._state.locked():
            return self._service(sid)

    def list_services(self) -> list[SyncService]:
        """GET /v1/Services, oldest first."""
        with self._state.locked():
            return sorted(self._services.values(), key=lambda s: s.seq)

    def update_service(
        self, sid: str, friendly_name: str | None = None, **settings: Any
    ) -> SyncService:
        """POST /v1/Services/{IS…}: FriendlyName and the flags; absent ones stay."""
        check_friendly_name(friendly_name)
        with self._state.locked():
            service = self._service(sid)
            if friendly_name is not None:
                service.friendly_name = friendly_name
            self._apply_settings(service, settings)
            service.updated_at = self._state.now()
            return service

    def delete_service(self, sid: str) -> None:
        """DELETE /v1/Services/{IS…}: the service and all its maps."""
        with self._state.locked():
            service = self._service(sid)
            for map_sid in [s for s, m in self._maps.items() if m.service_sid == service.sid]:
                del self._maps[map_sid]
            del self._services[service.sid]

    # ------------------------------------------------------------------ maps

    def create_map(
        self, service_sid: str, unique_name: str | None, ttl: TtlChange = NO_TTL
    ) -> SyncMap:
        """POST …/Maps: UniqueName (optional, unique in the service), Ttl/CollectionTtl."""
        name = _check_unique_name(unique_name)
        state = self._state
        with state.locked():
            service = self._service(service_sid)
            if name is not None and any(m.unique_name == name for m in self._live_maps(service)):
                raise ApiError(409, 54301, f"Unique name already exists: {name!r}")
            now = state.now()
            sync_map = SyncMap(
                sid=state.sids.new("MP"),
                seq=state.next_seq(),
                service_sid=service.sid,
                unique_name=name,
                revision=0,
                created_at=now,
                updated_at=now,
                expires_at=self._expiry(ttl) if ttl is not None else None,
            )
            self._maps[sync_map.sid] = sync_map
            return sync_map

    def find_map(self, service_sid: str, sid_or_name: str) -> SyncMap:
        """GET …/Maps/{MP… or unique name}."""
        with self._state.locked():
            return self._map(self._service(service_sid), sid_or_name)

    def list_maps(self, service_sid: str) -> list[SyncMap]:
        """GET …/Maps, oldest first, expired ones gone."""
        with self._state.locked():
            return self._live_maps(self._service(service_sid))

    def update_map(self, service_sid: str, sid_or_name: str, ttl: TtlChange) -> SyncMap:
        """POST …/Maps/{Sid}: a new TTL from now (0 removes the expiry); nothing else changes."""
        if ttl is None:
            raise _bad(54010, "No parameters specified: expected Ttl or CollectionTtl")
        with self._state.locked():
            sync_map = self._map(self._service(service_sid), sid_or_name)
            self._admit_write(sync_map)
            sync_map.expires_at = self._expiry(ttl)
            self._wrote(sync_map)
            return sync_map

    def delete_map(self, service_sid: str, sid_or_name: str) -> None:
        """DELETE …/Maps/{Sid}: the map and its items."""
        with self._state.locked():
            sync_map = self._map(self._service(service_sid), sid_or_name)
            self._admit_write(sync_map)
            del self._maps[sync_map.sid]

    # ------------------------------------------------------------------ items

    def create_item(
        self,
        service_sid: str,
        map_ref: str,
        key: str | None,
        data: dict[str, Any],
        item_ttl: TtlChange = NO_TTL,
        collection_ttl: TtlChange = NO_TTL,
    ) -> SyncMapItem:
        """POST …/Items: Key, Data, ItemTtl (or its alias Ttl), CollectionTtl for the map."""
        chosen_key = _check_key(key)
        state = self._state
        with state.locked():
            sync_map = self._map(self._service(service_sid), map_ref)
            if chosen_key in self._live_items(sync_map):
                raise ApiError(409, 54208, f"Map Item already exists: key {chosen_key!r}")
            self._admit_write(sync_map)
            now = state.now()
            item = SyncMapItem(
                key=chosen_key,
                map_sid=sync_map.sid,
                service_sid=sync_map.service_sid,
                data=data,
                revision=0,
                created_at=now,
                updated_at=now,
                expires_at=self._expiry(item_ttl) if item_ttl is not None else None,
            )
            sync_map.items[chosen_key] = item
            if collection_ttl is not None:
                sync_map.expires_at = self._expiry(collection_ttl)
            self._wrote(sync_map)
            return item

    def find_item(self, service_sid: str, map_ref: str, key: str) -> SyncMapItem:
        """GET …/Items/{Key}."""
        with self._state.locked():
            return self._item(self._map(self._service(service_sid), map_ref), key)

    def list_items(self, service_sid: str, map_ref: str) -> tuple[SyncMap, list[SyncMapItem]]:
        """GET …/Items: the map and its live items by key, ascending (the route orders/pages)."""
        with self._state.locked():
            sync_map = self._map(self._service(service_sid), map_ref)
            items = sorted(self._live_items(sync_map).values(), key=lambda i: i.key)
            return sync_map, items

    def update_item(
        self,
        service_sid: str,
        map_ref: str,
        key: str,
        data: dict[str, Any] | None,
        item_ttl: TtlChange = NO_TTL,
        collection_ttl: TtlChange = NO_TTL,
        if_match: int | None = None,
    ) -> SyncMapItem:
        """POST …/Items/{Key}: Data and/or a TTL; `if_match` makes it conditional (412)."""
        if data is None and item_ttl is None and collection_ttl is None:
            raise _bad(54010, "No parameters specified: expected Data or a TTL")
        with self._state.locked():
            sync_map = self._map(self._service(service_sid), map_ref)
            item = self._item(sync_map, key)
            self._check_revision(item, if_match)
            self._admit_write(sync_map)
            if data is not None:
                item.data = data
            if item_ttl is not None:
                item.expires_at = self._expiry(item_ttl)
            if collection_ttl is not None:
                sync_map.expires_at = self._expiry(collection_ttl)
            item.revision += 1
            item.updated_at = self._state.now()
            self._wrote(sync_map)
            return item

    def delete_item(
        self, service_sid: str, map_ref: str, key: str, if_match: int | None = None
    ) -> None:
        """DELETE …/Items/{Key}; `if_match` makes it conditional (412)."""
        with self._state.locked():
            sync_map = self._map(self._service(service_sid), map_ref)
            item = self._item(sync_map, key)
            self._check_revision(item, if_match)
            self._admit_write(sync_map)
            del sync_map.items[item.key]
            self._wrote(sync_map)

    @staticmethod
    def _check_revision(item: SyncMapItem, if_match: int | None) -> None:
        if if_match is not None and if_match != item.revision:
            raise ApiError(
                412,
                54205,
                f"Map Item revision mismatch: expected {if_match:x}, actual {item.revision:x}",
            )

    # ------------------------------------------------------------------ test API

    def services(self) -> list[SyncService]:
        """Test API: copies of every Sync service, oldest first."""
        with self._state.locked():
            return [
                SyncService(**vars(s)) for s in sorted(self._services.values(), key=lambda s: s.seq)
            ]

    def maps(self, service_sid: str) -> list[SyncMap]:
        """Test API: copies of a service's live maps (without their items), oldest first."""
        with self._state.locked():
            return [m.copy() for m in self._live_maps(self._service(service_sid))]

    def map_items(self, service_sid: str, map_ref: str) -> list[SyncMapItem]:
        """Test API: copies of a map's live items (by SID or unique name), by key."""
        with self._state.locked():
            sync_map = self._map(self._service(service_sid), map_ref)
            items = sorted(self._live_items(sync_map).values(), key=lambda i: i.key)
            return [i.copy() for i in items]
