"""Sync v1 (sync.twilio.com) under the lead's URL scheme: `https://sync.twilio.com/v1/…` arrives
as `{base}/sync/v1/…`. Bodies keep Twilio's real absolute URLs; lists are v1 pages (`meta`).

Map Items list by key (`Order` asc|desc, `From` a key, `Bounds` inclusive|exclusive) with
keyset page tokens on the key, so items written between two page fetches never shift a page.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from moderator.sandbox.errors import ApiError, error_body
from moderator.sandbox.paging import PageRequest, PageSlice, parse_page_request, slice_page
from moderator.sandbox.routes.common import Handler, Handlers, JsonObject, query_filters
from moderator.sandbox.serialization import iso8601, video_list_json
from moderator.sandbox.world import World
from moderator.sandbox.world.sync import SyncRateLimited, TtlChange, check_ttl, parse_data
from moderator.sandbox.world.sync import parse_if_match as _if_match
from moderator.sandbox.world.sync_records import (
    MAX_PAGE_SIZE,
    SYNC_BASE,
    SyncMap,
    SyncMapItem,
    SyncService,
)

__all__ = ["RULES", "SyncRoutes", "item_json", "map_json", "service_json"]

_S = "/sync/v1/Services"

RULES = [
    Rule(_S, endpoint="sy_services", methods=["GET", "POST"]),
    Rule(f"{_S}/<service>", endpoint="sy_service", methods=["GET", "POST", "DELETE"]),
    Rule(f"{_S}/<service>/Maps", endpoint="sy_maps", methods=["GET", "POST"]),
    Rule(f"{_S}/<service>/Maps/<map_ref>", endpoint="sy_map", methods=["GET", "POST", "DELETE"]),
    Rule(f"{_S}/<service>/Maps/<map_ref>/Items", endpoint="sy_items", methods=["GET", "POST"]),
    Rule(
        f"{_S}/<service>/Maps/<map_ref>/Items/<path:key>",
        endpoint="sy_item",
        methods=["GET", "POST", "DELETE"],
    ),
]

_ORDERS = ("asc", "desc")
_BOUNDS = ("inclusive", "exclusive")


# ---------------------------------------------------------------------- JSON shapes


def _service_url(sid: str) -> str:
    return f"{SYNC_BASE}/v1/Services/{sid}"


def service_json(service: SyncService, account_sid: str) -> JsonObject:
    """sync.v1.service (unique_name is read-only and null for REST-created services)."""
    url = _service_url(service.sid)
    return {
        "sid": service.sid,
        "unique_name": None,
        "account_sid": account_sid,
        "friendly_name": service.friendly_name,
        "date_created": iso8601(service.created_at),
        "date_updated": iso8601(service.updated_at),
        "url": url,
        "webhook_url": service.webhook_url,
        "webhooks_from_rest_enabled": service.webhooks_from_rest_enabled,
        "reachability_webhooks_enabled": service.reachability_webhooks_enabled,
        "acl_enabled": service.acl_enabled,
        "reachability_debouncing_enabled": service.reachability_debouncing_enabled,
        "reachability_debouncing_window": service.reachability_debouncing_window,
        "links": {
            "documents": f"{url}/Documents",
            "lists": f"{url}/Lists",
            "maps": f"{url}/Maps",
            "streams": f"{url}/Streams",
        },
    }


def map_json(sync_map: SyncMap, account_sid: str) -> JsonObject:
    """sync.v1.service.sync_map."""
    url = f"{_service_url(sync_map.service_sid)}/Maps/{sync_map.sid}"
    return {
        "sid": sync_map.sid,
        "unique_name": sync_map.unique_name,
        "account_sid": account_sid,
        "service_sid": sync_map.service_sid,
        "url": url,
        "links": {"items": f"{url}/Items", "permissions": f"{url}/Permissions"},
        "revision": f"{sync_map.revision:x}",
        "date_expires": iso8601(sync_map.expires_at),
        "date_created": iso8601(sync_map.created_at),
        "date_updated": iso8601(sync_map.updated_at),
        "created_by": "system",
    }


def item_json(item: SyncMapItem, account_sid: str) -> JsonObject:
    """sync.v1.service.sync_map.sync_map_item (created_by is "system" over REST)."""
    url = f"{_service_url(item.service_sid)}/Maps/{item.map_sid}/Items/{quote(item.key, safe='')}"
    return {
        "key": item.key,
        "account_sid": account_sid,
        "service_sid": item.service_sid,
        "map_sid": item.map_sid,
        "url": url,
        "revision": f"{item.revision:x}",
        "data": item.data,
        "date_expires": iso8601(item.expires_at),
        "date_created": iso8601(item.created_at),
        "date_updated": iso8601(item.updated_at),
        "created_by": "system",
    }


# ---------------------------------------------------------------------- request parsing


def _page_request(request: Request) -> PageRequest:
    """Paging parameters with Sync's documented maximum PageSize (100)."""
    page = parse_page_request(request.args)
    if page.page_size > MAX_PAGE_SIZE:
        raise ApiError(400, 20001, f"Invalid PageSize: {page.page_size} is outside 1–100")
    return page


def _bool(request: Request, name: str) -> bool | None:
    raw = request.form.get(name)
    if raw is None or raw == "":
        return None
    value = raw.strip().lower()
    if value not in {"true", "false"}:
        raise ApiError(400, 20001, f"{name} must be true or false, got {raw!r}")
    return value == "true"


def _int(request: Request, name: str) -> int | None:
    raw = request.form.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise ApiError(400, 20001, f"{name} must be an integer, got {raw!r}") from exc


def _ttl(request: Request, primary: str, alias: str) -> TtlChange:
    """`primary` wins over its alias `Ttl` when both are given (as Twilio documents)."""
    chosen = check_ttl(primary, request.form.get(primary))
    aliased = check_ttl(alias, request.form.get(alias))
    return chosen if chosen is not None else aliased


def _service_settings(request: Request) -> dict[str, Any]:
    webhook = request.form.get("WebhookUrl")
    return {
        "acl_enabled": _bool(request, "AclEnabled"),
        "webhook_url": webhook or None,
        "webhooks_from_rest_enabled": _bool(request, "WebhooksFromRestEnabled"),
        "reachability_webhooks_enabled": _bool(request, "ReachabilityWebhooksEnabled"),
        "reachability_debouncing_enabled": _bool(request, "ReachabilityDebouncingEnabled"),
        "reachability_debouncing_window": _int(request, "ReachabilityDebouncingWindow"),
    }


def _decode_key_token(token: str) -> tuple[str, str]:
    direction, body = token[:2], token[2:]
    try:
        if direction not in {"PA", "PB"}:
            raise ValueError(direction)
        return direction, bytes.fromhex(body).decode("utf-8")
    except ValueError as exc:  # UnicodeDecodeError is a ValueError
        raise ApiError(400, 20001, f"Invalid PageToken: {token!r}") from exc


def slice_items(
    items: Sequence[SyncMapItem], descending: bool, request: PageRequest
) -> PageSlice[SyncMapItem]:
    """One page of `items` (already in list order), with key tokens for its neighbours."""

    def after(a: str, b: str) -> bool:
        return a < b if descending else a > b

    size = request.page_size
    if request.token is None:
        chosen = list(items[request.page * size : request.page * size + size])
    else:
        direction, position = _decode_key_token(request.token)
        if direction == "PA":
            chosen = [i for i in items if after(i.key, position)][:size]
        else:
            chosen = [i for i in items if after(position, i.key)][-size:]
    next_token = previous_token = None
    if chosen:
        last, first = chosen[-1].key, chosen[0].key
        if any(after(i.key, last) for i in items):
            next_token = "PA" + last.encode("utf-8").hex()
        if any(after(first, i.key) for i in items):
            previous_token = "PB" + first.encode("utf-8").hex()
    return PageSlice(chosen, request, next_token, previous_token)


def _choice(request: Request, name: str, allowed: tuple[str, ...]) -> str:
    raw = request.args.get(name) or allowed[0]
    if raw not in allowed:
        raise ApiError(400, 20001, f"Invalid {name} {raw!r}: one of {', '.join(allowed)}")
    return raw


# ---------------------------------------------------------------------- handlers


def _no_content() -> Response:
    return Response(status=204)


def _rate_limited(handler: Handler) -> Handler:
    """Send a write refused by the rate limit with Retry-After, as the app's 429s have."""

    def wrapped(request: Request, **args: Any) -> tuple[int, JsonObject] | Response:
        try:
            return handler(request, **args)
        except SyncRateLimited as exc:
            response = Response(
                json.dumps(error_body(exc.status, exc.code, exc.message)),
                status=exc.status,
                content_type="application/json; charset=utf-8",
            )
            response.headers["Retry-After"] = str(exc.retry_after)
            return response

    return wrapped


class SyncRoutes:
    """Handlers for Sync Services, Maps and Map Items."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.sync = world.sync

    def handlers(self) -> Handlers:
        """(endpoint, method) → handler for this family's rules."""
        table: Handlers = {
            ("sy_services", "GET"): self._list_services,
            ("sy_services", "POST"): self._create_service,
            ("sy_service", "GET"): self._fetch_service,
            ("sy_service", "POST"): self._update_service,
            ("sy_service", "DELETE"): self._delete_service,
            ("sy_maps", "GET"): self._list_maps,
            ("sy_maps", "POST"): self._create_map,
            ("sy_map", "GET"): self._fetch_map,
            ("sy_map", "POST"): self._update_map,
            ("sy_map", "DELETE"): self._delete_map,
            ("sy_items", "GET"): self._list_items,
            ("sy_items", "POST"): self._create_item,
            ("sy_item", "GET"): self._fetch_item,
            ("sy_item", "POST"): self._update_item,
            ("sy_item", "DELETE"): self._delete_item,
        }
        return {route: _rate_limited(handler) for route, handler in table.items()}

    @property
    def _account(self) -> str:
        return self.world.account_sid

    def _page(
        self,
        request: Request,
        key: str,
        records: Sequence[Any],
        to_json: Callable[[Any, str], JsonObject],
        path: str,
    ) -> tuple[int, JsonObject]:
        page = slice_page(list(records), lambda r: int(r.seq), _page_request(request))
        items = [to_json(r, self._account) for r in page.items]
        return 200, video_list_json(key, items, page, path, query_filters(request), host=SYNC_BASE)

    # ------------------------------------------------------------------ services

    def _create_service(self, request: Request) -> tuple[int, JsonObject]:
        service = self.sync.create_service(
            request.form.get("FriendlyName"), **_service_settings(request)
        )
        return 201, service_json(service, self._account)

    def _list_services(self, request: Request) -> tuple[int, JsonObject]:
        services = self.sync.list_services()
        return self._page(request, "services", services, service_json, "/v1/Services")

    def _fetch_service(self, request: Request, service: str) -> tuple[int, JsonObject]:
        return 200, service_json(self.sync.find_service(service), self._account)

    def _update_service(self, request: Request, service: str) -> tuple[int, JsonObject]:
        updated = self.sync.update_service(
            service, request.form.get("FriendlyName"), **_service_settings(request)
        )
        return 200, service_json(updated, self._account)

    def _delete_service(self, request: Request, service: str) -> Response:
        self.sync.delete_service(service)
        return _no_content()

    # ------------------------------------------------------------------ maps

    def _create_map(self, request: Request, service: str) -> tuple[int, JsonObject]:
        created = self.sync.create_map(
            service, request.form.get("UniqueName") or None, _ttl(request, "CollectionTtl", "Ttl")
        )
        return 201, map_json(created, self._account)

    def _list_maps(self, request: Request, service: str) -> tuple[int, JsonObject]:
        maps = self.sync.list_maps(service)
        sid = self.sync.find_service(service).sid
        return self._page(request, "maps", maps, map_json, f"/v1/Services/{sid}/Maps")

    def _fetch_map(self, request: Request, service: str, map_ref: str) -> tuple[int, JsonObject]:
        return 200, map_json(self.sync.find_map(service, map_ref), self._account)

    def _update_map(self, request: Request, service: str, map_ref: str) -> tuple[int, JsonObject]:
        ttl = _ttl(request, "CollectionTtl", "Ttl")
        return 200, map_json(self.sync.update_map(service, map_ref, ttl), self._account)

    def _delete_map(self, request: Request, service: str, map_ref: str) -> Response:
        self.sync.delete_map(service, map_ref)
        return _no_content()

    # ------------------------------------------------------------------ items

    def _create_item(self, request: Request, service: str, map_ref: str) -> tuple[int, JsonObject]:
        form = request.form
        item = self.sync.create_item(
            service,
            map_ref,
            form.get("Key"),
            parse_data(form.get("Data")),
            item_ttl=_ttl(request, "ItemTtl", "Ttl"),
            collection_ttl=check_ttl("CollectionTtl", form.get("CollectionTtl")),
        )
        return 201, item_json(item, self._account)

    def _list_items(self, request: Request, service: str, map_ref: str) -> tuple[int, JsonObject]:
        order = _choice(request, "Order", _ORDERS)
        bounds = _choice(request, "Bounds", _BOUNDS)
        start = request.args.get("From")
        page_request = _page_request(request)
        sync_map, items = self.sync.list_items(service, map_ref)
        descending = order == "desc"
        if descending:
            items.reverse()
        if start is not None:
            inclusive = bounds == "inclusive"
            items = [
                i
                for i in items
                if (i.key == start and inclusive)
                or (i.key < start if descending else i.key > start)
            ]
        page = slice_items(items, descending, page_request)
        records = [item_json(i, self._account) for i in page.items]
        path = f"/v1/Services/{sync_map.service_sid}/Maps/{sync_map.sid}/Items"
        return 200, video_list_json(
            "items", records, page, path, query_filters(request), host=SYNC_BASE
        )

    def _fetch_item(
        self, request: Request, service: str, map_ref: str, key: str
    ) -> tuple[int, JsonObject]:
        return 200, item_json(self.sync.find_item(service, map_ref, key), self._account)

    def _update_item(
        self, request: Request, service: str, map_ref: str, key: str
    ) -> tuple[int, JsonObject]:
        form = request.form
        raw_data = form.get("Data")
        item = self.sync.update_item(
            service,
            map_ref,
            key,
            parse_data(raw_data) if raw_data is not None else None,
            item_ttl=_ttl(request, "ItemTtl", "Ttl"),
            collection_ttl=check_ttl("CollectionTtl", form.get("CollectionTtl")),
            if_match=_if_match(request.headers.get("If-Match")),
        )
        return 200, item_json(item, self._account)

    def _delete_item(self, request: Request, service: str, map_ref: str, key: str) -> Response:
        self.sync.delete_item(
            service, map_ref, key, if_match=_if_match(request.headers.get("If-Match"))
        )
        return _no_content()
