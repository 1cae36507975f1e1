"""Sync v1 services and maps over real HTTP through the stock twilio SDK, the controls that act
on Sync (deny_product, revoke_credentials, fail_route) and the world's Sync test API. Every Sync
answer the SDK gets is validated against Twilio's twilio_sync_v1.json (`ValidatingHttpClient`);
the helpers here are shared with test_sync_items.py."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit

import pytest
import requests
from openapi_core.testing import MockRequest, MockResponse
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from moderator.sandbox.clock import ManualClock
from moderator.sandbox.server import SandboxServer

from .conftest import sdk_client
from .oai import needs_oai, spec

pytestmark = needs_oai

SYNC = "https://sync.twilio.com"


class ValidatingHttpClient(TwilioHttpClient):
    """The lead's URL scheme for Sync (`https://sync.twilio.com/{path}` → `{base}/sync/{path}`,
    api/video keep their path) with every Sync answer validated; `validated` counts them."""

    def __init__(self, base_url: str) -> None:
        super().__init__(timeout=10)
        self.base_url = base_url
        self.validated = 0

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(url)
        host = parts.hostname or ""
        prefix = "/sync" if host == "sync.twilio.com" else ""
        query = f"?{parts.query}" if parts.query else ""
        target = f"{self.base_url}{prefix}{parts.path}{query}"
        response = super().request(method, target, *args, **kwargs)
        if host == "sync.twilio.com":
            validate_sync(method, url, response.status_code, response.text, kwargs.get("params"))
            self.validated += 1
        return response


def validate_sync(
    method: str, url: str, status: int, text: str, params: dict[str, Any] | None = None
) -> None:
    """One Sync answer: a 2xx body against the OAI operation, an error by its legacy shape."""
    parts = urlsplit(url)
    if status >= 400:
        body = json.loads(text)
        assert set(body) == {"code", "message", "more_info", "status"}, body
        assert body["status"] == status
        return
    query = parts.query or urlencode({k: v for k, v in (params or {}).items() if v is not None})
    args = dict(pair.split("=", 1) for pair in query.split("&") if "=" in pair)
    path = parts.path
    if "/Items/" in path:  # the SDK puts a key into the path as it is, "/" included
        head, key = path.split("/Items/", 1)
        path = f"{head}/Items/{quote(unquote(key), safe='')}"
    request = MockRequest(SYNC, method.lower(), path, args=args)
    content_type = "application/json" if text else ""
    spec("sync_v1").validate_response(
        request, MockResponse(text.encode("utf-8"), status_code=status, content_type=content_type)
    )


def sync_client(server: SandboxServer) -> tuple[Client, ValidatingHttpClient]:
    """An unmodified twilio Client for `server` whose Sync answers are all validated."""
    http = ValidatingHttpClient(server.base_url)
    creds = server.credentials
    return Client(creds.account_sid, creds.auth_token, http_client=http), http


def clock_of(server: SandboxServer) -> ManualClock:
    """The fixture's ManualClock, typed."""
    assert isinstance(server.clock, ManualClock)
    return server.clock


def refusal(call: Callable[[], object]) -> tuple[int, int]:
    """(HTTP status, Twilio code) of a call the SDK raises TwilioRestException for."""
    with pytest.raises(TwilioRestException) as raised:
        call()
    return raised.value.status, int(raised.value.code or 0)


class SyncWire:
    """Raw form posts and reads on sync.twilio.com URLs (what the SDK would not send)."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        creds = server.credentials
        self.auth = (creds.account_sid, creds.auth_token)

    def send(
        self, method: str, path: str, data: dict[str, Any] | None = None, **kwargs: Any
    ) -> requests.Response:
        """`path` is Sync's own (`/v1/Services…`); the answer is validated before returning."""
        response = requests.request(
            method,
            f"{self.server.base_url}/sync{path}",
            data=data,
            auth=self.auth,
            timeout=10,
            **kwargs,
        )
        validate_sync(method, f"{SYNC}{path}", response.status_code, response.text)
        return response

    def error(self, method: str, path: str, data: dict[str, Any] | None = None) -> tuple[int, int]:
        """(status, code) of a refusal."""
        response = self.send(method, path, data)
        return response.status_code, response.json()["code"]


@pytest.fixture
def sync(sandbox: SandboxServer) -> Client:
    """The SDK on the `sandbox` fixture, every Sync answer validated."""
    return sync_client(sandbox)[0]


@pytest.fixture
def wire(sandbox: SandboxServer) -> SyncWire:
    return SyncWire(sandbox)


# ---------------------------------------------------------------------- services


def test_services_create_fetch_list_update_delete(sandbox: SandboxServer) -> None:
    client, http = sync_client(sandbox)
    services = client.sync.v1.services
    created = services.create(friendly_name="Room Moderator", acl_enabled=True)
    assert re.fullmatch(r"IS[0-9a-f]{32}", created.sid or "")
    assert created.unique_name is None  # Sync services have no unique name over REST
    assert created.acl_enabled is True and created.webhooks_from_rest_enabled is False
    assert created.reachability_debouncing_window == 5000
    assert created.url == f"{SYNC}/v1/Services/{created.sid}"
    assert created.links["maps"] == f"{SYNC}/v1/Services/{created.sid}/Maps"
    fetched = services(created.sid).fetch()
    assert fetched.friendly_name == "Room Moderator"
    others = [services.create(friendly_name=f"s{n}").sid for n in range(3)]
    assert [s.sid for s in services.list(page_size=2)] == [created.sid, *others]
    updated = services(created.sid).update(friendly_name="Renamed", acl_enabled=False)
    assert (updated.friendly_name, updated.acl_enabled) == ("Renamed", False)
    assert services(created.sid).delete() is True
    assert refusal(services(created.sid).fetch) == (404, 54050)
    assert http.validated >= 8


def test_service_lists_are_v1_pages(sandbox: SandboxServer, wire: SyncWire) -> None:
    for n in range(3):
        wire.send("POST", "/v1/Services", {"FriendlyName": f"s{n}"})
    first = wire.send("GET", "/v1/Services", params={"PageSize": 2}).json()
    assert len(first["services"]) == 2
    meta = first["meta"]
    assert meta["key"] == "services" and meta["page_size"] == 2
    assert meta["next_page_url"].startswith(f"{SYNC}/v1/Services?")
    token = meta["next_page_url"].split("PageToken=")[1]
    second = wire.send("GET", "/v1/Services", params={"PageSize": 2, "PageToken": token}).json()
    assert len(second["services"]) == 1 and second["meta"]["next_page_url"] is None
    assert wire.error("GET", "/v1/Services?PageSize=101") == (400, 20001)  # Sync's max is 100


def test_service_refusals(wire: SyncWire) -> None:
    assert wire.error("POST", "/v1/Services", {"FriendlyName": "x" * 256}) == (400, 54053)
    assert wire.error("POST", "/v1/Services", {"AclEnabled": "maybe"}) == (400, 20001)
    window = {"ReachabilityDebouncingWindow": "10"}
    assert wire.error("POST", "/v1/Services", window) == (400, 20001)
    assert wire.error("GET", "/v1/Services/IS" + "0" * 32) == (404, 54050)
    assert wire.error("DELETE", "/v1/Services/IS" + "0" * 32) == (404, 54050)
    unnamed = wire.send("POST", "/v1/Services", {"UniqueName": "ignored"})
    assert unnamed.status_code == 201 and unnamed.json()["unique_name"] is None


# ---------------------------------------------------------------------- maps


def test_maps_by_sid_or_unique_name(sandbox: SandboxServer, sync: Client) -> None:
    service = sync.sync.v1.services.create(friendly_name="moderator")
    maps = sync.sync.v1.services(service.sid).sync_maps
    lobby = maps.create(unique_name="lobby")
    assert re.fullmatch(r"MP[0-9a-f]{32}", lobby.sid or "")
    assert (lobby.unique_name, lobby.service_sid, lobby.created_by) == (
        "lobby",
        service.sid,
        "system",
    )
    assert lobby.date_expires is None and isinstance(lobby.revision, str)
    assert lobby.links["items"] == f"{SYNC}/v1/Services/{service.sid}/Maps/{lobby.sid}/Items"
    assert maps("lobby").fetch().sid == lobby.sid
    assert maps(lobby.sid).fetch().unique_name == "lobby"
    anonymous = maps.create()
    assert anonymous.unique_name is None
    assert refusal(lambda: maps.create(unique_name="lobby")) == (409, 54301)
    assert [m.sid for m in maps.list(page_size=1)] == [lobby.sid, anonymous.sid]
    assert maps("lobby").delete() is True
    assert refusal(maps("lobby").fetch) == (404, 54200)
    assert refusal(maps(lobby.sid).fetch) == (404, 54200)
    assert maps.create(unique_name="lobby").sid != lobby.sid  # the name is free again


def test_map_refusals_and_ttl_update(sandbox: SandboxServer, sync: Client, wire: SyncWire) -> None:
    service = sync.sync.v1.services.create(friendly_name="moderator")
    base = f"/v1/Services/{service.sid}/Maps"
    assert wire.error("POST", base, {"UniqueName": "MP" + "a" * 32}) == (400, 54302)
    assert wire.error("POST", base, {"UniqueName": "x" * 321}) == (400, 54302)
    assert wire.error("POST", base, {"Ttl": "-1"}) == (400, 54011)
    assert wire.error("POST", base, {"Ttl": "31536001"}) == (400, 54011)
    assert wire.error("POST", f"/v1/Services/IS{'0' * 32}/Maps", {}) == (404, 54050)
    created = wire.send("POST", base, {"UniqueName": "guests"}).json()
    assert wire.error("POST", f"{base}/guests", {}) == (400, 54010)
    now = clock_of(sandbox).now()
    updated = sync.sync.v1.services(service.sid).sync_maps("guests").update(ttl=3600)
    assert updated.date_expires is not None
    assert updated.date_expires.timestamp() == int(now) + 3600
    assert updated.revision != created["revision"]
    # CollectionTtl wins over its alias Ttl; 0 removes the expiry.
    both = wire.send("POST", f"{base}/guests", {"Ttl": "10", "CollectionTtl": "0"}).json()
    assert both["date_expires"] is None


def test_an_expired_map_is_gone(sandbox: SandboxServer, sync: Client) -> None:
    service = sync.sync.v1.services.create(friendly_name="moderator")
    maps = sync.sync.v1.services(service.sid).sync_maps
    short = maps.create(unique_name="short", ttl=30)
    kept = maps.create(unique_name="kept", collection_ttl=0)
    assert short.date_expires is not None and kept.date_expires is None
    clock_of(sandbox).advance(29)
    assert maps("short").fetch().sid == short.sid
    clock_of(sandbox).advance(1)
    assert refusal(maps("short").fetch) == (404, 54200)
    assert [m.sid for m in maps.list()] == [kept.sid]
    assert maps.create(unique_name="short").sid != short.sid


# ---------------------------------------------------------------------- controls


def test_deny_product_answers_like_a_key_without_sync_permission(
    sandbox: SandboxServer, sync: Client
) -> None:
    service = sync.sync.v1.services.create(friendly_name="moderator")
    sandbox.controls.deny_product("sync")
    assert refusal(sync.sync.v1.services(service.sid).fetch) == (403, 70051)
    assert refusal(lambda: sync.sync.v1.services.create(friendly_name="x")) == (403, 70051)
    assert len(sandbox.world.sync_services()) == 1  # nothing was created
    sdk = sdk_client(sandbox)
    assert sdk.video.v1.rooms.list() == []  # other products keep working
    sandbox.controls.allow_product("sync")
    assert sync.sync.v1.services(service.sid).fetch().sid == service.sid
    sandbox.controls.deny_product("sync")
    sandbox.controls.reset()
    assert sync.sync.v1.services(service.sid).fetch().sid == service.sid


def test_revoked_credentials_apply_to_sync(sandbox: SandboxServer, sync: Client) -> None:
    service = sync.sync.v1.services.create(friendly_name="moderator")
    sandbox.controls.revoke_credentials()
    sandbox.controls.deny_product("sync")  # authentication is checked first
    assert refusal(sync.sync.v1.services(service.sid).fetch) == (401, 20003)
    sandbox.controls.restore_credentials()
    sandbox.controls.allow_product("sync")
    assert sync.sync.v1.services(service.sid).fetch().sid == service.sid


def test_fail_route_on_sync_routes(sandbox: SandboxServer, sync: Client) -> None:
    service = sync.sync.v1.services.create(friendly_name="moderator")
    sync.sync.v1.services(service.sid).sync_maps.create(unique_name="lobby")
    items = sync.sync.v1.services(service.sid).sync_maps("lobby").sync_map_items
    sandbox.controls.fail_route("POST", "/sync/v1/Services/*/Maps/*/Items", 500, times=2)
    for _ in range(2):
        assert refusal(lambda: items.create(key="guest", data={"n": 1})) == (500, 20500)
    assert sandbox.world.sync_map_items(service.sid, "lobby") == []  # nothing reached the world
    assert items.create(key="guest", data={"n": 1}).key == "guest"
    sandbox.controls.fail_route("GET", "/Items/guest", 503, times=None)
    assert refusal(items("guest").fetch) == (503, 20503)
    assert refusal(items("guest").fetch) == (503, 20503)
    sandbox.controls.clear_route_failure("GET", "/Items/guest")
    assert items("guest").fetch().data == {"n": 1}


# ---------------------------------------------------------------------- world test API


def test_world_sync_test_api_returns_copies(sandbox: SandboxServer, sync: Client) -> None:
    service = sync.sync.v1.services.create(friendly_name="moderator")
    sync.sync.v1.services(service.sid).sync_maps.create(unique_name="lobby")
    items = sync.sync.v1.services(service.sid).sync_maps("lobby").sync_map_items
    items.create(key="b", data={"n": 2})
    items.create(key="a", data={"n": 1}, item_ttl=5)
    world = sandbox.world
    assert [s.sid for s in world.sync_services()] == [service.sid]
    (lobby,) = world.sync_maps(service.sid)
    assert lobby.unique_name == "lobby" and lobby.revision == 2
    copies = world.sync_map_items(service.sid, lobby.sid)
    assert [(i.key, i.data) for i in copies] == [("a", {"n": 1}), ("b", {"n": 2})]
    copies[0].data["n"] = 99
    assert items("a").fetch().data == {"n": 1}
    clock_of(sandbox).advance(5)
    assert [i.key for i in world.sync_map_items(service.sid, "lobby")] == ["b"]
