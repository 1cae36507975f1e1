"""Sync Map Items over real HTTP through the stock twilio SDK: create/fetch/update/delete with
revisions and If-Match (412), duplicate keys (409), Data and Key limits, listing by key with
Order/From/Bounds and paging, TTL expiry on the ManualClock, the 20 writes/s limit, and
concurrent writers. Every Sync answer is validated against twilio_sync_v1.json."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from twilio.rest import Client
from twilio.rest.sync.v1.service.sync_map.sync_map_item import SyncMapItemList

from moderator.sandbox.server import SandboxServer

from .oai import needs_oai, schema_properties
from .test_sync import SYNC, SyncWire, clock_of, refusal, sync_client

pytestmark = needs_oai


class Lobby:
    """A service with one map, `lobby`, and its items resource on the SDK."""

    def __init__(self, sandbox: SandboxServer, client: Client) -> None:
        self.service = client.sync.v1.services.create(friendly_name="moderator").sid or ""
        self.map = client.sync.v1.services(self.service).sync_maps.create(unique_name="lobby")
        self.items: SyncMapItemList = (
            client.sync.v1.services(self.service).sync_maps("lobby").sync_map_items
        )
        self.path = f"/v1/Services/{self.service}/Maps/lobby/Items"


@pytest.fixture
def lobby(sandbox: SandboxServer) -> Lobby:
    return Lobby(sandbox, sync_client(sandbox)[0])


@pytest.fixture
def wire(sandbox: SandboxServer) -> SyncWire:
    return SyncWire(sandbox)


def test_item_create_fetch_and_fields(sandbox: SandboxServer, lobby: Lobby, wire: SyncWire) -> None:
    created = lobby.items.create(key="guest-1", data={"name": "Ada", "admitted": False})
    assert (created.key, created.map_sid, created.service_sid) == (
        "guest-1",
        lobby.map.sid,
        lobby.service,
    )
    assert created.data == {"name": "Ada", "admitted": False}
    assert created.created_by == "system" and created.date_expires is None
    assert isinstance(created.revision, str)
    assert created.url == f"{SYNC}/v1/Services/{lobby.service}/Maps/{lobby.map.sid}/Items/guest-1"
    raw = wire.send("GET", f"{lobby.path}/guest-1").json()
    assert set(raw) == schema_properties("sync_v1", "sync.v1.service.sync_map.sync_map_item")
    assert lobby.items("guest-1").fetch().data == {"name": "Ada", "admitted": False}
    by_sid = sandbox.world.sync_map_items(lobby.service, lobby.map.sid or "")
    assert [i.key for i in by_sid] == ["guest-1"]
    odd = lobby.items.create(key="sip:ada@pbx.example.com/1 2", data={})
    assert lobby.items(odd.key or "").fetch().key == "sip:ada@pbx.example.com/1 2"
    assert refusal(lambda: lobby.items.create(key="guest-1", data={})) == (409, 54208)
    assert refusal(lobby.items("nobody").fetch) == (404, 54201)
    assert refusal(lobby.items("nobody").delete) == (404, 54201)
    other_map = f"/v1/Services/{lobby.service}/Maps/nowhere/Items"
    assert wire.error("POST", other_map, {"Key": "k", "Data": "{}"}) == (404, 54200)


def test_schemas_have_exactly_twilios_fields(lobby: Lobby, wire: SyncWire) -> None:
    lobby.items.create(key="k", data={})
    service = wire.send("GET", f"/v1/Services/{lobby.service}").json()
    assert set(service) == schema_properties("sync_v1", "sync.v1.service")
    sync_map = wire.send("GET", f"/v1/Services/{lobby.service}/Maps/lobby").json()
    assert set(sync_map) == schema_properties("sync_v1", "sync.v1.service.sync_map")


def test_revision_changes_on_every_write_and_if_match(lobby: Lobby, wire: SyncWire) -> None:
    first = lobby.items.create(key="guest", data={"n": 0})
    item = lobby.items("guest")
    second = item.update(data={"n": 1}, if_match=first.revision)
    assert second.revision != first.revision and second.data == {"n": 1}
    assert refusal(lambda: item.update(data={"n": 2}, if_match=first.revision)) == (412, 54205)
    assert item.fetch().data == {"n": 1}  # the stale write changed nothing
    third = item.update(data={"n": 3})  # no If-Match: unconditional
    assert third.revision not in {first.revision, second.revision}
    assert refusal(lambda: item.update(data={"n": 4}, if_match="not-a-revision")) == (400, 54003)
    # twilio-python 9.13 drops If-Match from delete() (its _delete resets the headers), so the
    # conditional delete goes out raw, as an app would have to send it.
    stale = {"If-Match": second.revision or ""}
    refused = wire.send("DELETE", f"{lobby.path}/guest", headers=stale)
    assert (refused.status_code, refused.json()["code"]) == (412, 54205)
    current = {"If-Match": f'"{third.revision}"'}  # an ETag's quotes are accepted
    assert wire.send("DELETE", f"{lobby.path}/guest", headers=current).status_code == 204
    assert refusal(item.fetch) == (404, 54201)
    lobby.items.create(key="again", data={})
    assert lobby.items("again").delete() is True  # no If-Match: unconditional


def test_map_revision_follows_item_writes(lobby: Lobby, wire: SyncWire) -> None:
    before = wire.send("GET", f"/v1/Services/{lobby.service}/Maps/lobby").json()["revision"]
    lobby.items.create(key="a", data={})
    after = wire.send("GET", f"/v1/Services/{lobby.service}/Maps/lobby").json()["revision"]
    assert after != before


def test_data_and_key_limits(lobby: Lobby, wire: SyncWire) -> None:
    path = lobby.path
    assert wire.error("POST", path, {"Key": "k", "Data": "{not json"}) == (400, 54008)
    assert wire.error("POST", path, {"Key": "k", "Data": "[1, 2]"}) == (400, 54008)
    assert wire.error("POST", path, {"Key": "k", "Data": '"text"'}) == (400, 54008)
    assert wire.error("POST", path, {"Key": "k"}) == (400, 54206)
    assert wire.error("POST", path, {"Key": "k", "Data": "null"}) == (400, 54206)
    assert wire.error("POST", path, {"Data": "{}"}) == (400, 54209)
    assert wire.error("POST", path, {"Key": "k" * 321, "Data": "{}"}) == (400, 54209)
    assert lobby.items.create(key="k" * 320, data={}).key == "k" * 320
    overhead = len(json.dumps({"blob": ""}, separators=(",", ":")))
    fits = {"blob": "x" * (16 * 1024 - overhead)}
    assert lobby.items.create(key="fits", data=fits).data == fits
    too_big = {"blob": "x" * (16 * 1024 - overhead + 1)}
    assert refusal(lambda: lobby.items.create(key="big", data=too_big)) == (413, 54006)
    assert refusal(lambda: lobby.items("fits").update(data=too_big)) == (413, 54006)
    assert wire.error("POST", f"{path}/fits", {}) == (400, 54010)
    assert wire.error("POST", path, {"Key": "t", "Data": "{}", "ItemTtl": "x"}) == (400, 54011)
    assert wire.error("POST", f"{path}/fits", {"Ttl": "31536001"}) == (400, 54011)


def listing(items: SyncMapItemList, **kwargs: Any) -> list[str]:
    return [item.key or "" for item in items.list(**kwargs)]


def test_list_by_key_with_order_from_bounds_and_paging(lobby: Lobby, wire: SyncWire) -> None:
    for key in ("delta", "alpha", "echo", "charlie", "bravo", "golf", "foxtrot"):
        lobby.items.create(key=key, data={"key": key})
    ordered = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"]
    assert listing(lobby.items) == ordered
    assert listing(lobby.items, page_size=3) == ordered  # the SDK follows next_page_url
    assert listing(lobby.items, order="desc", page_size=2) == ordered[::-1]
    assert listing(lobby.items, from_="charlie") == ordered[2:]
    assert listing(lobby.items, from_="charlie", bounds="exclusive") == ordered[3:]
    assert listing(lobby.items, from_="charlie", order="desc") == ordered[2::-1]
    assert listing(lobby.items, from_="c", order="desc", bounds="exclusive") == ["bravo", "alpha"]
    assert listing(lobby.items, from_="zulu") == []
    page = wire.send("GET", lobby.path, params={"PageSize": 2, "Order": "desc"}).json()
    assert [i["key"] for i in page["items"]] == ["golf", "foxtrot"]
    meta = page["meta"]
    assert meta["key"] == "items" and "Order=desc" in meta["next_page_url"]
    assert meta["next_page_url"].startswith(f"{SYNC}/v1/Services/{lobby.service}/Maps/")
    # A key written between two page fetches does not shift the next page.
    lobby.items.create(key="hotel", data={})
    token = meta["next_page_url"].split("PageToken=")[1]
    query = {"PageSize": 2, "Order": "desc", "PageToken": token}
    following = wire.send("GET", lobby.path, params=query).json()
    assert [i["key"] for i in following["items"]] == ["echo", "delta"]
    assert wire.error("GET", f"{lobby.path}?Order=sideways") == (400, 20001)
    assert wire.error("GET", f"{lobby.path}?Bounds=maybe") == (400, 20001)
    assert wire.error("GET", f"{lobby.path}?PageSize=101") == (400, 20001)
    assert wire.error("GET", f"{lobby.path}?PageToken=zz") == (400, 20001)


def test_item_ttl_runs_on_the_sandbox_clock(sandbox: SandboxServer, lobby: Lobby) -> None:
    clock = clock_of(sandbox)
    start = int(clock.now())
    item = lobby.items.create(key="waiting", data={"n": 0}, item_ttl=60)
    assert item.date_expires == datetime.fromtimestamp(start + 60, tz=UTC)
    lobby.items.create(key="forever", data={}, ttl=0)
    clock.advance(30)
    kept = lobby.items("waiting").update(data={"n": 1})  # no TTL: the expiry stays
    assert kept.date_expires == item.date_expires
    clock.advance(29)
    assert lobby.items("waiting").fetch().data == {"n": 1}
    renewed = lobby.items("waiting").update(ttl=60)  # a TTL resets the expiry from now
    assert renewed.date_expires == datetime.fromtimestamp(start + 59 + 60, tz=UTC)
    clock.advance(60)
    assert refusal(lobby.items("waiting").fetch) == (404, 54201)
    assert listing(lobby.items) == ["forever"]
    assert lobby.items.create(key="waiting", data={}).key == "waiting"  # the key is free
    # ItemTtl wins over its alias Ttl.
    both = lobby.items.create(key="both", data={}, ttl=10, item_ttl=100)
    assert both.date_expires == datetime.fromtimestamp(int(clock.now()) + 100, tz=UTC)
    cleared = lobby.items("both").update(item_ttl=0)
    assert cleared.date_expires is None


def test_item_collection_ttl_sets_the_maps_expiry(sandbox: SandboxServer, lobby: Lobby) -> None:
    lobby.items.create(key="guest", data={}, collection_ttl=10)
    clock_of(sandbox).advance(10)
    assert refusal(lobby.items("guest").fetch) == (404, 54200)  # the whole map expired
    assert sandbox.world.sync_maps(lobby.service) == []


def test_twenty_writes_per_second_per_map(
    sandbox: SandboxServer, lobby: Lobby, wire: SyncWire
) -> None:
    clock = clock_of(sandbox)
    lobby.items.create(key="a", data={"n": 0})
    lobby.items.create(key="b", data={"n": 0})
    for n in range(18):  # item writes count against their map: 20 writes in this second
        lobby.items("a" if n % 2 else "b").update(data={"n": n})
    refused = wire.send("POST", f"{lobby.path}/a", {"Data": '{"n": 99}'})
    assert (refused.status_code, refused.json()["code"]) == (429, 54009)
    assert int(refused.headers["Retry-After"]) >= 1
    assert refusal(lambda: lobby.items.create(key="c", data={})) == (429, 54009)
    assert lobby.items("a").fetch().data == {"n": 17}  # reads are not limited; nothing changed
    maps = sync_client(sandbox)[0].sync.v1.services(lobby.service).sync_maps
    other = maps.create().sid or ""
    assert maps(other).sync_map_items.create(key="x", data={}).key == "x"  # another object
    clock.advance(1)
    assert lobby.items("a").update(data={"n": 100}).data == {"n": 100}


def test_concurrent_writers_each_get_their_write(sandbox: SandboxServer, lobby: Lobby) -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            client = sync_client(sandbox)[0]
            items = client.sync.v1.services(lobby.service).sync_maps("lobby").sync_map_items
            items.create(key=f"guest-{n:02d}", data={"n": n})
        except BaseException as exc:  # collected and reported by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    items = sandbox.world.sync_map_items(lobby.service, "lobby")
    assert [i.data["n"] for i in items] == list(range(12))
    assert sandbox.world.sync_maps(lobby.service)[0].revision == 12
