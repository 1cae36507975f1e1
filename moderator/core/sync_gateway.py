"""The gateway's Twilio Sync half: one Service, its Maps and their items, for co-hosting.

Part of the gateway (the only code that talks to Twilio): every request goes through
`TwilioGateway`'s retry policy and error mapping. Sync is where co-hosts' apps share what each
knows (issue 12), so this module only moves items; what they mean is `shared_guests`' business.

Twilio's semantics the callers rely on:

- A Sync Service has no unique name, so the app's is found by its friendly name. Two apps
  creating it at the same moment make two; everyone then settles on the oldest
  (`find_or_create_service` lists again after creating), so they still meet in one.
- A Map's unique name is unique: a create that loses a race gets 409 and fetches the winner.
- An item update may carry `If-Match: <revision>`; a stale one answers 412 and changes
  nothing. A create of an existing key answers 409. Both are `TwilioError`s whose `status`
  the caller reads: they are answers about the data, not failures of the link.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from twilio.base import values

from moderator.core.errors import TwilioError
from moderator.core.gateway import TwilioGateway
from moderator.core.gateway_records import optional_time, text
from moderator.core.retry import Operation

__all__ = ["MAX_ITEM_BYTES", "PAGE_SIZE", "SyncGateway", "SyncItem", "item_size"]

MAX_ITEM_BYTES = 16 * 1024
"""Sync's documented limit on one item's data (JSON-encoded)."""

PAGE_SIZE = 100
"""Items per listing page: Sync's maximum (its OpenAPI file says 100). A co-hosted event's
map is one or two reads; the schedule charges each page to the read budget."""


@dataclass(frozen=True, slots=True)
class SyncItem:
    """One Map item as Twilio has it; `revision` is what an `If-Match` update names."""

    key: str
    data: dict[str, Any]
    revision: str
    date_updated: datetime | None = None
    date_expires: datetime | None = None


def item_size(data: dict[str, Any]) -> int:
    """The bytes Sync counts against `MAX_ITEM_BYTES` (the compact JSON form)."""
    return len(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode())


def _item(instance: Any) -> SyncItem:
    data = instance.data
    if not isinstance(data, dict):
        raise TypeError("an item's data must be a JSON object")
    return SyncItem(
        key=text(instance.key),
        data=data,
        revision=str(instance.revision),
        date_updated=optional_time(instance.date_updated),
        date_expires=optional_time(instance.date_expires),
    )


def _ttl(ttl_s: int | None) -> Any:
    return values.unset if ttl_s is None else int(ttl_s)


class SyncGateway:
    """Sync requests; every method blocks, so call them from a worker."""

    def __init__(self, gateway: TwilioGateway) -> None:
        self._gateway = gateway
        self._sync = gateway.client.sync.v1

    # -- the Service and its Maps -------------------------------------------------------------

    def find_service(self, friendly_name: str) -> str | None:
        """The oldest Service with this friendly name (see the module docstring), or None."""
        services = self._sync.services
        found = [
            (optional_time(s.date_created), text(s.sid))
            for s in self._gateway.read_pages(lambda: services.page(page_size=50))
            if s.friendly_name == friendly_name
        ]
        if not found:
            return None
        found.sort(key=lambda pair: (pair[0] is None, pair[0] or datetime.max, pair[1]))
        return found[0][1]

    def find_or_create_service(self, friendly_name: str) -> str:
        """The app's Service: found, or created and then found again (races settle on one)."""
        existing = self.find_service(friendly_name)
        if existing is not None:
            return existing
        services = self._sync.services
        created = self._gateway.request(
            Operation.WRITE, lambda: services.create(friendly_name=friendly_name)
        )
        return self.find_service(friendly_name) or text(created.sid)

    def find_or_create_map(self, service_sid: str, unique_name: str) -> str:
        """A Map's SID by unique name, creating it on first use; a lost creation race (409)
        fetches the winner's."""
        maps = self._sync.services(service_sid).sync_maps
        try:
            found = self._gateway.request(Operation.READ, lambda: maps(unique_name).fetch())
            return text(found.sid)
        except TwilioError as error:
            if error.status != 404:
                raise
        try:
            created = self._gateway.request(
                Operation.WRITE, lambda: maps.create(unique_name=unique_name)
            )
            return text(created.sid)
        except TwilioError as error:
            if error.status != 409:
                raise
        found = self._gateway.request(Operation.READ, lambda: maps(unique_name).fetch())
        return text(found.sid)

    # -- items --------------------------------------------------------------------------------

    def _items(self, service_sid: str, map_sid: str) -> Any:
        return self._sync.services(service_sid).sync_maps(map_sid).sync_map_items

    def list_items(self, service_sid: str, map_sid: str) -> list[SyncItem]:
        """Every item of the Map, in key order (one read per 100 items)."""
        items = self._items(service_sid, map_sid)
        instances = self._gateway.read_pages(lambda: items.page(page_size=PAGE_SIZE))
        return [self._gateway.convert(_item, instance) for instance in instances]

    def fetch_item(self, service_sid: str, map_sid: str, key: str) -> SyncItem | None:
        """The item, or None when there is none (never created, deleted or expired)."""
        items = self._items(service_sid, map_sid)
        try:
            instance = self._gateway.request(Operation.READ, lambda: items(key).fetch())
        except TwilioError as error:
            if error.status == 404:
                return None
            raise
        return self._gateway.convert(_item, instance)

    def create_item(
        self, service_sid: str, map_sid: str, key: str, data: dict[str, Any], ttl_s: int | None
    ) -> SyncItem:
        """A new item; an existing key raises TwilioError with status 409."""
        _check_size(data)
        items = self._items(service_sid, map_sid)
        return self._write(lambda: items.create(key=key, data=data, item_ttl=_ttl(ttl_s)))

    def update_item(
        self,
        service_sid: str,
        map_sid: str,
        key: str,
        data: dict[str, Any],
        *,
        revision: str | None,
        ttl_s: int | None = None,
    ) -> SyncItem:
        """Replace an item's data; with `revision`, only if it is still that one (else 412).

        Safe to send twice: a repeat after a lost answer finds a newer revision (412), which
        the caller answers by reading again.
        """
        _check_size(data)
        items = self._items(service_sid, map_sid)
        if_match: Any = values.unset if revision is None else revision
        return self._write(
            lambda: items(key).update(data=data, if_match=if_match, item_ttl=_ttl(ttl_s))
        )

    def delete_item(self, service_sid: str, map_sid: str, key: str) -> None:
        """Remove an item; one already gone is fine."""
        items = self._items(service_sid, map_sid)
        try:
            self._gateway.request(Operation.WRITE, lambda: items(key).delete())
        except TwilioError as error:
            if error.status != 404:
                raise

    def _write(self, call: Callable[[], Any]) -> SyncItem:
        instance = self._gateway.request(Operation.WRITE, call)
        return self._gateway.convert(_item, instance)


def _check_size(data: dict[str, Any]) -> None:
    size = item_size(data)
    if size > MAX_ITEM_BYTES:
        raise ValueError(f"A Sync item holds at most {MAX_ITEM_BYTES} bytes; this one is {size}")
