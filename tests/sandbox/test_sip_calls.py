"""Calls to SIP URIs (callee by user part, any From, digest credentials never echoed) and the
Calls list filters To, From, Status and EndTime / EndTime< / EndTime>."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from moderator.sandbox.server import SandboxServer
from moderator.sandbox.world.call_rules import callee_behaviour, is_sip_uri, sip_user

from .conftest import CALLEE, CALLER, ROOM_TWIML
from .oai import TwilioWire, needs_oai, schema_properties

HOLD = "<Response><Pause length='30'/></Response>"


@pytest.mark.parametrize(
    ("uri", "valid", "user"),
    [
        ("sip:michael@example.com", True, "michael"),
        ("sips:guest1111@pbx.example.com:5061;transport=tls?X-Room=standup", True, "guest1111"),
        ("sip:+14155552671@trunk.example.com", True, "+14155552671"),
        ("sip:example.com", True, ""),
        ("sip:[2001:db8::1]", True, ""),
        ("sip:@example.com", False, ""),
        ("sip:a b@example.com", False, ""),
        ("sip:alice@", False, ""),
        ("tel:+14155552671", False, ""),
        ("sip:" + "a" * 240 + "@example.com", False, "a" * 240),  # too long, still parses
    ],
)
def test_sip_uri_syntax(uri: str, valid: bool, user: str) -> None:
    assert is_sip_uri(uri) is valid
    assert sip_user(uri) == user


def test_sip_callee_behaviour_follows_the_user_part() -> None:
    assert callee_behaviour("sip:guest1111@example.com") == "busy"
    assert callee_behaviour("sip:guest2222@example.com") == "no-answer"
    assert callee_behaviour("sips:guest3333@example.com;transport=tls") == "failed"
    assert callee_behaviour("sip:guest@example.com") == "answer"
    # The host's digits never decide.
    assert callee_behaviour("sip:guest@pbx1111.example.com") == "answer"


def test_a_sip_guest_joins_the_room(client: Client, sandbox: SandboxServer) -> None:
    sandbox.world.create_room("standup")
    call = client.calls.create(
        to="sip:guest@pbx.example.com",
        from_="Host of standup",
        twiml=ROOM_TWIML.format(identity="sip-guest", room="standup"),
        sip_auth_username="room-moderator",
        sip_auth_password="digest-secret-42",
    )
    assert call.to == "sip:guest@pbx.example.com"
    assert call._from == "Host of standup"
    assert call.phone_number_sid is None
    sandbox.clock.advance(5)  # type: ignore[attr-defined]
    assert client.calls(call.sid).fetch().status == "in-progress"
    participant = sandbox.world.participant_for_call(call.sid)
    assert participant is not None and participant.identity == "sip-guest"
    record = sandbox.world.call(call.sid)
    assert record.sip_auth_username == "room-moderator"
    assert record.sip_auth_password_given
    assert "digest-secret-42" not in repr(record)
    client.calls(call.sid).update(status="completed")
    assert sandbox.world.call_status_history(call.sid)[-1] == "completed"


@pytest.mark.parametrize(
    ("to", "status"),
    [
        ("sip:guest1111@example.com", "busy"),
        ("sip:guest3333@example.com", "failed"),
    ],
)
def test_sip_endings(client: Client, sandbox: SandboxServer, to: str, status: str) -> None:
    call = client.calls.create(to=to, from_="anyone", twiml=HOLD)
    sandbox.clock.advance(2)  # type: ignore[attr-defined]
    assert client.calls(call.sid).fetch().status == status


def test_sip_no_answer(client: Client, sandbox: SandboxServer) -> None:
    call = client.calls.create(to="sip:guest2222@example.com", from_=CALLER, twiml=HOLD, timeout=5)
    sandbox.clock.advance(2)  # type: ignore[attr-defined]
    assert client.calls(call.sid).fetch().status == "ringing"
    sandbox.clock.advance(6)  # type: ignore[attr-defined]
    assert client.calls(call.sid).fetch().status == "no-answer"


@pytest.mark.parametrize(
    "to",
    [
        "sip:a b@example.com",
        "sip:@example.com",
        "sips:",
        "sip:" + "g" * 250 + "@example.com",
    ],
)
def test_a_bad_sip_uri_is_21211(client: Client, sandbox: SandboxServer, to: str) -> None:
    with pytest.raises(TwilioRestException) as raised:
        client.calls.create(to=to, from_="Host", twiml=HOLD)
    assert (raised.value.status, raised.value.code) == (400, 21211)
    assert sandbox.world.calls() == []


def test_from_is_still_checked_for_numbers(client: Client) -> None:
    with pytest.raises(TwilioRestException) as raised:
        client.calls.create(to=CALLEE, from_="Host", twiml=HOLD)
    assert raised.value.code == 21212


def test_the_sip_password_is_never_echoed(sandbox: SandboxServer) -> None:
    wire = TwilioWire(sandbox)
    response = wire.send(
        "POST",
        wire.api("/Calls.json"),
        {
            "To": "sip:guest@example.com",
            "From": "Host",
            "Twiml": HOLD,
            "SipAuthUsername": "room-moderator",
            "SipAuthPassword": "digest-secret-42",
        },
    )
    assert response.status_code == 201
    assert "digest-secret-42" not in response.text
    listed = wire.send("GET", wire.api("/Calls.json"))
    assert "digest-secret-42" not in listed.text
    for record in sandbox.request_log.entries():
        assert "digest-secret-42" not in repr(record)


@needs_oai
def test_sip_call_bodies_validate(sandbox: SandboxServer) -> None:
    wire = TwilioWire(sandbox)
    created = wire.call(
        "POST",
        wire.api("/Calls.json"),
        {"To": "sips:guest@example.com;transport=tls", "From": "Host", "Twiml": HOLD},
        201,
    )
    assert set(created) == schema_properties("api_v2010", "api.v2010.account.call")
    assert created["to_formatted"] == "sips:guest@example.com;transport=tls"
    assert created["from_formatted"] == "Host"
    sandbox.clock.advance(60)  # type: ignore[attr-defined]
    wire.call("GET", wire.api(f"/Calls/{created['sid']}.json"))
    wire.call("GET", wire.api("/Calls.json?To=sips%3Aguest%40example.com%3Btransport%3Dtls"))


@needs_oai
def test_calls_list_filters(sandbox: SandboxServer, client: Client) -> None:
    world = sandbox.world
    busy = client.calls.create(to="+14155551111", from_=CALLER, twiml=HOLD)
    sip = client.calls.create(to="sip:guest@example.com", from_="Host", twiml=HOLD)
    live = client.calls.create(to=CALLEE, from_="+14155550199", twiml=HOLD)
    sandbox.clock.advance(2)  # type: ignore[attr-defined]  # busy ended, the others ring
    wire = TwilioWire(sandbox)

    def sids(query: str) -> list[str]:
        return [c["sid"] for c in wire.call("GET", wire.api(f"/Calls.json?{query}"))["calls"]]

    assert sids("To=sip%3Aguest%40example.com") == [sip.sid]
    assert sids("From=Host") == [sip.sid]
    assert sids(f"From=%2B{CALLER[1:]}") == [busy.sid]
    assert sids("Status=busy") == [busy.sid]
    assert sids("Status=ringing") == [live.sid, sip.sid]

    ended = world.call(busy.sid).end_time
    assert ended is not None
    end_header = wire.call("GET", wire.api(f"/Calls/{busy.sid}.json"))["end_time"]
    day = parsedate_to_datetime(end_header).date().isoformat()
    # Only ended calls match EndTime filters; live calls have no end_time.
    assert sids(f"EndTime={day}") == [busy.sid]
    assert sids(f"EndTime%3E={day}") == [busy.sid]
    assert sids(f"EndTime%3C={day}") == [busy.sid]
    assert sids("EndTime%3C=2000-01-01") == []
    assert sids("EndTime%3E=2999-01-01") == []
    moment = parsedate_to_datetime(end_header)
    assert sids(f"EndTime%3E={moment.strftime('%Y-%m-%dT%H:%M:%SZ')}") == [busy.sid]
    client.calls(live.sid).update(status="canceled")
    sandbox.clock.advance(1)  # type: ignore[attr-defined]
    since = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert sids(f"EndTime%3E={since}") == [live.sid, busy.sid]
    assert sids(f"EndTime%3C={since}") == [busy.sid]


def test_bad_end_time_filter_is_20001(sandbox: SandboxServer) -> None:
    wire = TwilioWire(sandbox)
    response = wire.send("GET", wire.api("/Calls.json?EndTime%3E=yesterday"))
    assert response.status_code == 400 and response.json()["code"] == 20001
