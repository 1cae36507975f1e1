"""Paging, both Twilio styles, followed page by page with the stock SDK."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from twilio.rest import Client

from moderator.sandbox.errors import ApiError
from moderator.sandbox.paging import PageRequest, parse_page_request, slice_page
from moderator.sandbox.server import SandboxServer

from .conftest import CALLER


def test_sdk_lists_rooms_across_pages(sandbox: SandboxServer, client: Client) -> None:
    sids = {sandbox.world.create_room(f"room-{n:03d}") for n in range(120)}
    sandbox.request_log.clear()
    listed = client.video.v1.rooms.list(status="in-progress", page_size=50)
    assert {r.sid for r in listed} == sids and len(listed) == 120
    assert sandbox.request_log.count("GET", "/v1/Rooms") == 3
    # newest first, like Twilio
    assert listed[0].unique_name == "room-119"


def test_video_meta_urls_are_absolute_and_keep_filters(sandbox: SandboxServer) -> None:
    for n in range(3):
        sandbox.world.create_room(f"r{n}")
    creds = sandbox.credentials
    body = requests.get(
        f"{sandbox.base_url}/v1/Rooms?Status=in-progress&PageSize=2",
        auth=(creds.account_sid, creds.auth_token),
        timeout=10,
    ).json()
    meta = body["meta"]
    assert meta["key"] == "rooms" and meta["page"] == 0 and meta["page_size"] == 2
    assert meta["first_page_url"] == (
        "https://video.twilio.com/v1/Rooms?Status=in-progress&PageSize=2&Page=0"
    )
    assert meta["url"] == meta["first_page_url"] and meta["previous_page_url"] is None
    next_url = urlsplit(meta["next_page_url"])
    assert next_url.scheme == "https" and next_url.netloc == "video.twilio.com"
    query = parse_qs(next_url.query)
    assert query["Status"] == ["in-progress"] and query["Page"] == ["1"]
    assert query["PageToken"]


def test_sdk_pages_forward_and_back(sandbox: SandboxServer, client: Client) -> None:
    for n in range(7):
        sandbox.world.create_room(f"r{n}")
    first = client.video.v1.rooms.page(page_size=3)
    first_sids = [r.sid for r in first]
    second = first.next_page()
    assert second is not None
    third = second.next_page()
    assert third is not None and len(list(third)) == 1 and third.next_page() is None
    back = second.previous_page()
    assert back is not None and [r.sid for r in back] == first_sids


def test_pages_do_not_shift_when_rooms_come_and_go(sandbox: SandboxServer, client: Client) -> None:
    for n in range(6):
        sandbox.world.create_room(f"r{n}")
    first = client.video.v1.rooms.page(page_size=3, status="in-progress")
    seen = [r.unique_name for r in first]
    sandbox.world.create_room("newcomer")  # newest: would be on page one
    sandbox.world.complete_room("r5")  # was on page one
    second = first.next_page()
    assert second is not None
    seen += [r.unique_name for r in second]
    assert seen == ["r5", "r4", "r3", "r2", "r1", "r0"]


def test_sdk_lists_participants_and_tracks_across_pages(
    sandbox: SandboxServer, client: Client
) -> None:
    room = sandbox.world.create_room("big")
    identities = [f"guest-{n:02d}" for n in range(45)]
    for identity in identities:
        sandbox.world.join_app_participant(room, identity)
    listed = client.video.v1.rooms(room).participants.list(page_size=20)
    assert [p.identity for p in listed] == identities
    one = sandbox.world.join_app_participant(room, "many", ("audio", "video", "data"))
    tracks = client.video.v1.rooms(room).participants(one).published_tracks.list(page_size=2)
    assert [t.kind for t in tracks] == ["audio", "video", "data"]


def test_sdk_lists_calls_across_pages_api_2010_style(
    sandbox: SandboxServer, client: Client
) -> None:
    twiml = "<Response><Pause length='60'/></Response>"
    sids = [
        client.calls.create(to=f"+1415555{n:04d}", from_=CALLER, twiml=twiml).sid for n in range(25)
    ]
    sandbox.request_log.clear()
    listed = client.calls.list(page_size=10)
    assert [c.sid for c in listed] == sids[::-1]
    assert sandbox.request_log.count("GET", "/Calls.json") == 3
    creds = sandbox.credentials
    base = f"/2010-04-01/Accounts/{creds.account_sid}/Calls.json"
    body = requests.get(
        f"{sandbox.base_url}{base}?Status=queued&PageSize=10",
        auth=(creds.account_sid, creds.auth_token),
        timeout=10,
    ).json()
    assert (body["page"], body["page_size"], body["start"], body["end"]) == (0, 10, 0, 9)
    assert body["first_page_uri"] == f"{base}?Status=queued&PageSize=10&Page=0"
    assert body["uri"] == body["first_page_uri"] and body["previous_page_uri"] is None
    assert body["next_page_uri"].startswith(f"{base}?Status=queued&PageSize=10&Page=1&PageToken=")
    second = requests.get(
        f"{sandbox.base_url}{body['next_page_uri']}",
        auth=(creds.account_sid, creds.auth_token),
        timeout=10,
    ).json()
    assert (second["page"], second["start"], second["end"]) == (1, 10, 19)
    assert second["previous_page_uri"]


def test_default_page_size_is_50(sandbox: SandboxServer, client: Client) -> None:
    for n in range(51):
        sandbox.world.create_room(f"r{n}")
    page = client.video.v1.rooms.page()
    assert len(list(page)) == 50


def test_slice_page_without_token_uses_page_number() -> None:
    items = list(range(10))
    page = slice_page(items, lambda i: i, PageRequest(page=2, page_size=3, token=None))
    assert page.items == [6, 7, 8]
    assert page.next_token and page.previous_token


@pytest.mark.parametrize(
    "args",
    [{"PageSize": "0"}, {"PageSize": "1001"}, {"PageSize": "ten"}, {"Page": "-1"}],
)
def test_bad_paging_parameters(args: dict[str, str]) -> None:
    with pytest.raises(ApiError) as raised:
        parse_page_request(args)
    assert raised.value.status == 400


def test_bad_token_is_400(sandbox: SandboxServer) -> None:
    creds = sandbox.credentials
    response = requests.get(
        f"{sandbox.base_url}/v1/Rooms?PageToken=garbage",
        auth=(creds.account_sid, creds.auth_token),
        timeout=10,
    )
    assert response.status_code == 400
