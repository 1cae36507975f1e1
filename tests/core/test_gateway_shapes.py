"""Gateway conversions over canned bodies: odd shapes become MALFORMED, never a crash."""

from __future__ import annotations

import json
from typing import Any

import pytest
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.rest import Client

from moderator.core.errors import ErrorKind, TwilioError
from moderator.core.gateway import TwilioGateway
from moderator.core.models import CallerIdSource, CallStatus
from moderator.core.retry import NO_RETRY

ACCOUNT = "AC" + "0" * 32
ROOM = {
    "sid": "RM" + "1" * 32,
    "unique_name": "standup",
    "status": "in-progress",
    "type": "group",
    "max_participants": 50,
    "date_created": "2026-01-01T10:00:00Z",
    "end_time": None,
}


class CannedHttpClient(HttpClient):  # type: ignore[misc]
    """Answers with a canned body: the same for every URL, or by a fragment of the URL."""

    def __init__(self, status: int, body: object) -> None:
        super().__init__(logger=None, is_async=False)
        self.status = status
        self.bodies = body if isinstance(body, dict) and "by_url" in body else {"": body}
        self.bodies.pop("by_url", None)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        body = next(b for fragment, b in self.bodies.items() if fragment in url)
        return Response(self.status, body if isinstance(body, str) else json.dumps(body), {})


def gateway_answering(status: int, body: object) -> TwilioGateway:
    client = Client("SK" + "2" * 32, "secret", ACCOUNT, http_client=CannedHttpClient(status, body))
    return TwilioGateway(client, retry_policy=NO_RETRY)


def video_page(key: str, records: list[Any]) -> dict[str, Any]:
    return {
        key: records,
        "meta": {"key": key, "page": 0, "page_size": 50, "next_page_url": None},
    }


def test_a_well_formed_room_converts() -> None:
    room = gateway_answering(200, ROOM).fetch_room("standup")
    assert room.unique_name == "standup" and room.date_created.year == 2026


@pytest.mark.parametrize(
    "broken",
    [
        {k: v for k, v in ROOM.items() if k != "type"},
        {**ROOM, "type": "hologram"},
        {**ROOM, "max_participants": "many"},
        {**ROOM, "date_created": "yesterday"},
        {**ROOM, "sid": None},
    ],
)
def test_a_record_of_the_wrong_shape_is_malformed(broken: dict[str, Any]) -> None:
    with pytest.raises(TwilioError) as caught:
        gateway_answering(200, broken).fetch_room("standup")
    assert caught.value.kind is ErrorKind.MALFORMED


@pytest.mark.parametrize(
    "body",
    [
        "[1, 2]",
        json.dumps({"meta": {"key": "rooms"}}),
        json.dumps(video_page("rooms", [1, "x"])),
        json.dumps({"a": [], "b": []}),
        '{"rooms": [',
    ],
)
def test_a_list_page_of_the_wrong_shape_is_malformed(body: str) -> None:
    with pytest.raises(TwilioError) as caught:
        gateway_answering(200, body).list_rooms()
    assert caught.value.kind is ErrorKind.MALFORMED


def test_call_fields_convert() -> None:
    body = {
        "sid": "CA" + "3" * 32,
        "to": "+14155552671",
        "from": "+15005550006",
        "status": "completed",
        "date_created": "Thu, 01 Jan 2026 10:00:00 +0000",
        "start_time": "Thu, 01 Jan 2026 10:00:01 +0000",
        "end_time": "Thu, 01 Jan 2026 10:01:01 +0000",
        "duration": "60",
    }
    call = gateway_answering(200, body).fetch_call(body["sid"])
    assert (call.from_, call.status, call.duration_s) == ("+15005550006", CallStatus.COMPLETED, 60)
    assert call.end_time is not None and call.end_time.tzinfo is not None

    queued = gateway_answering(200, {**body, "status": "queued", "duration": None}).fetch_call("x")
    assert queued.duration_s is None


def test_caller_ids_keep_voice_numbers_and_drop_duplicates() -> None:
    numbers = [
        {"phone_number": "+15005550006", "friendly_name": "Main", "capabilities": {"voice": True}},
        {"phone_number": "+15005550007", "friendly_name": "SMS", "capabilities": {"voice": False}},
        {"phone_number": "client:bob", "friendly_name": "x", "capabilities": {"voice": True}},
    ]
    bodies = {
        "by_url": True,
        "IncomingPhoneNumbers": {"incoming_phone_numbers": numbers, "next_page_uri": None},
        "OutgoingCallerIds": {"outgoing_caller_ids": numbers[:1], "next_page_uri": None},
    }
    caller_ids = gateway_answering(200, bodies).list_caller_ids()
    assert [(c.phone_number, c.source) for c in caller_ids] == [
        ("+15005550006", CallerIdSource.INCOMING_NUMBER)
    ]
