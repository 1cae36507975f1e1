"""Inbound calls: a caller dials one of the account's numbers, Twilio fetches the number's Voice
URL (only deployed twil.io assets answer), runs the TwiML, and a Twiml update admits the caller
into a room — all on the fake clock, over real HTTP, bodies validated against Twilio's OpenAPI."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from twilio.rest import Client

from moderator.sandbox.errors import ApiError
from moderator.sandbox.server import SandboxServer
from moderator.sandbox.twiml_runner import PLAY_SECONDS
from moderator.sandbox.world.calls import APPLICATION_ERROR, INBOUND_RING_S

from .oai import TwilioWire, needs_oai, schema_properties
from .test_serverless import SL, Deployer

pytestmark = needs_oai

NUMBER = "+15005550006"
GUEST = "+14155552671"
HOLD = (
    '<?xml version="1.0" encoding="UTF-8"?><Response>'
    "<Say>Welcome to the standup. Please hold; a host will let you in.</Say>"
    '<Play loop="6">https://example.com/hold.mp3</Play>'
    "<Say>Sorry, nobody could let you in. Goodbye.</Say><Hangup/></Response>"
)
ADMIT = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Connect>'
    '<Room participantIdentity="dialin-7f3a">standup</Room></Connect>'
    "<Say>The meeting has ended. Goodbye.</Say></Response>"
)


def advance(sandbox: SandboxServer, seconds: float) -> None:
    sandbox.clock.advance(seconds)  # type: ignore[attr-defined]


def deploy(deployer: Deployer, content: str = HOLD, **upload: Any) -> str:
    """Deploy `content` as /lobby.xml; returns its https://…twil.io URL."""
    done = deployer.deploy(content=content.encode(), **upload)
    return f"https://{done['environment']['domain_name']}{done['version']['path']}"


@pytest.fixture
def deployer(sandbox: SandboxServer) -> Deployer:
    return Deployer(sandbox)


@pytest.fixture
def lobby(deployer: Deployer, client: Client, sandbox: SandboxServer) -> str:
    """The main line answers with the deployed hold TwiML (VoiceMethod GET)."""
    url = deploy(deployer)
    client.incoming_phone_numbers(sandbox.world.incoming_numbers[0].sid).update(
        voice_url=url, voice_method="GET"
    )
    return url


def test_the_dial_in_scenario(
    sandbox: SandboxServer, client: Client, lobby: str, deployer: Deployer
) -> None:
    world = sandbox.world
    world.create_room("standup")
    sid = world.place_inbound_call(GUEST, NUMBER)
    call = world.call(sid)
    assert (call.direction, call.status, call.from_, call.to) == (
        "inbound",
        "ringing",
        GUEST,
        NUMBER,
    )
    assert call.phone_number_sid == world.incoming_numbers[0].sid
    advance(sandbox, INBOUND_RING_S + 0.1)
    call = world.call(sid)
    assert call.status == "in-progress"
    assert call.webhooks == [("GET", lobby, 200)]
    assert call.twiml == HOLD and call.document_url == lobby

    # The app sees the caller waiting: in-progress inbound calls to its number.
    wire = TwilioWire(sandbox)
    waiting = wire.call("GET", wire.api(f"/Calls.json?To=%2B{NUMBER[1:]}&Status=in-progress"))
    [listed] = waiting["calls"]
    assert set(listed) == schema_properties("api_v2010", "api.v2010.account.call")
    assert (listed["sid"], listed["direction"], listed["from"]) == (sid, "inbound", GUEST)
    assert listed["phone_number_sid"] == world.incoming_numbers[0].sid
    advance(sandbox, 20)  # on hold: greeting then music
    assert world.call(sid).status == "in-progress"

    # Admit: the call's Twiml is replaced by Connect Room + farewell.
    admitted = wire.call("POST", wire.api(f"/Calls/{sid}.json"), {"Twiml": ADMIT})
    assert admitted["status"] == "in-progress"
    participant = world.participant_for_call(sid)
    assert participant is not None
    assert (participant.identity, participant.status, participant.is_phone) == (
        "dialin-7f3a",
        "connected",
        True,
    )
    room_list = client.video.v1.rooms("standup").participants.list()
    assert [p.identity for p in room_list] == ["dialin-7f3a"]
    advance(sandbox, 600)  # no hold timeout any more: the call stays in the room
    assert world.call(sid).status == "in-progress"

    # They leave the room: farewell, then completed.
    world.disconnect_participant(participant.sid)
    assert world.call(sid).status == "in-progress"
    advance(sandbox, 5)
    ended = world.call(sid)
    assert ended.status == "completed" and ended.duration is not None and ended.duration > 600
    assert world.call_status_history(sid) == ["ringing", "in-progress", "completed"]
    final = wire.call("GET", wire.api(f"/Calls/{sid}.json"))
    assert final["status"] == "completed" and final["end_time"] is not None
    assert wire.call("GET", wire.api("/Calls.json?Status=in-progress"))["calls"] == []


def test_nobody_admits_so_the_lobby_says_goodbye(sandbox: SandboxServer, lobby: str) -> None:
    world = sandbox.world
    sid = world.place_inbound_call(GUEST, NUMBER)
    advance(sandbox, INBOUND_RING_S + 1)
    advance(sandbox, 6 * PLAY_SECONDS)
    assert world.call(sid).status == "in-progress"  # the goodbye is being said
    advance(sandbox, 10)
    assert world.call(sid).status == "completed"
    assert world.call(sid).error_code is None


def test_caller_hangs_up_in_the_lobby(sandbox: SandboxServer, lobby: str) -> None:
    world = sandbox.world
    sid = world.place_inbound_call(GUEST, NUMBER)
    advance(sandbox, 12)
    gone = world.caller_hangs_up(sid)
    assert gone.status == "completed" and gone.end_reason == "caller hung up"
    assert gone.duration == pytest.approx(12 - INBOUND_RING_S, abs=1)
    with pytest.raises(ApiError) as raised:
        world.caller_hangs_up(sid)
    assert raised.value.code == 21220


def test_caller_hangs_up_while_admitted(sandbox: SandboxServer, lobby: str) -> None:
    world = sandbox.world
    world.create_room("standup")
    sid = world.place_inbound_call(GUEST, NUMBER)
    advance(sandbox, 3)
    world.update_call(sid, None, ADMIT)
    participant = world.participant_for_call(sid)
    assert participant is not None
    world.caller_hangs_up(sid)
    assert world.participant(participant.sid).status == "disconnected"
    assert world.call(sid).status == "completed"


def test_caller_hangs_up_while_ringing(sandbox: SandboxServer, lobby: str) -> None:
    world = sandbox.world
    sid = world.place_inbound_call(GUEST, NUMBER)
    assert world.caller_hangs_up(sid).status == "no-answer"
    advance(sandbox, 5)
    call = world.call(sid)
    assert call.status == "no-answer" and call.webhooks == [] and call.duration == 0


def test_a_twiml_update_while_ringing_replaces_the_fetch(
    sandbox: SandboxServer, lobby: str
) -> None:
    world = sandbox.world
    world.create_room("standup")
    sid = world.place_inbound_call(GUEST, NUMBER)
    world.update_call(sid, None, ADMIT)
    advance(sandbox, INBOUND_RING_S + 0.1)
    assert world.call(sid).webhooks == []
    participant = world.participant_for_call(sid)
    assert participant is not None and participant.identity == "dialin-7f3a"


@pytest.mark.parametrize(
    ("voice_url", "code"),
    [
        ("https://example.com/lobby.xml", 11200),  # not served by the sandbox
        ("https://nobody-1234-x.twil.io/lobby.xml", 11200),  # no such deployment
        (None, 11100),  # the number has no Voice URL
    ],
)
def test_unusable_voice_urls_are_application_errors(
    sandbox: SandboxServer, voice_url: str | None, code: int
) -> None:
    world = sandbox.world
    world.set_number_voice(NUMBER, voice_url=voice_url)
    sid = world.place_inbound_call(GUEST, NUMBER)
    advance(sandbox, INBOUND_RING_S + 0.1)
    call = world.call(sid)
    assert call.error_code == code and call.status == "in-progress"  # Twilio answers, says…
    assert call.end_reason is not None and call.end_reason.startswith(str(code))
    advance(sandbox, 10)  # … "an application error has occurred. Goodbye." and hangs up
    call = world.call(sid)
    assert call.status == "completed" and call.duration is not None
    assert APPLICATION_ERROR.startswith("We are sorry, an application error has occurred")


def test_application_error_for_non_twiml(deployer: Deployer, sandbox: SandboxServer) -> None:
    url = deploy(deployer, "just text", path="/lobby.txt", content_type="text/plain")
    sandbox.world.set_number_voice(NUMBER, voice_url=url)
    sid = sandbox.world.place_inbound_call(GUEST, NUMBER)
    advance(sandbox, 2)
    assert sandbox.world.call(sid).error_code == 12300


def test_bad_twiml_is_an_application_error(deployer: Deployer, sandbox: SandboxServer) -> None:
    url = deploy(deployer, "<Response><Say>unclosed</Response>")
    sandbox.world.set_number_voice(NUMBER, voice_url=url)
    sid = sandbox.world.place_inbound_call(GUEST, NUMBER)
    advance(sandbox, 2)
    assert sandbox.world.call(sid).error_code == 12100


def test_the_fallback_url_answers_when_the_voice_url_fails(
    sandbox: SandboxServer, lobby: str
) -> None:
    world = sandbox.world
    world.set_number_voice(
        NUMBER,
        voice_url="https://example.com/broken.xml",
        voice_method="POST",
        voice_fallback_url=lobby,
        voice_fallback_method="GET",
    )
    sid = world.place_inbound_call(GUEST, NUMBER)
    advance(sandbox, 2)
    call = world.call(sid)
    assert [(m, u) for m, u, _ in call.webhooks] == [
        ("POST", "https://example.com/broken.xml"),
        ("GET", lobby),
    ]
    assert call.error_code is None and call.twiml == HOLD


def test_precedence_application_then_trunk(
    deployer: Deployer, sandbox: SandboxServer, lobby: str
) -> None:
    world = sandbox.world
    other = deploy(deployer, "<Response><Say>Application</Say></Response>", unique_name="app")
    application = world.create_application("IVR", voice_url=other, voice_method="POST")
    world.set_number_voice(NUMBER, voice_application_sid=application)
    sid = world.place_inbound_call(GUEST, NUMBER)
    advance(sandbox, 2)
    assert world.call(sid).webhooks == [("POST", other, 200)]
    world.set_number_voice(NUMBER, trunk_sid="TK" + "c" * 32)
    trunked = world.place_inbound_call(GUEST, NUMBER)
    advance(sandbox, 2)
    call = world.call(trunked)
    assert call.status == "failed" and call.webhooks == []
    assert call.end_reason is not None and "trunk" in call.end_reason


def test_redirect_to_another_served_url(deployer: Deployer, sandbox: SandboxServer) -> None:
    world = sandbox.world
    done = deployer.deploy(
        content=b"<Response><Say>Hi</Say><Redirect>/next.xml</Redirect></Response>"
    )
    service, asset = done["service"]["sid"], done["asset"]["sid"]
    env = done["environment"]
    next_version = deployer.upload(
        service,
        asset,
        path="/next.xml",
        content=(
            b"<Response><Pause length='30'/><Redirect method='GET'>/gone.xml</Redirect></Response>"
        ),
    )
    build = deployer.call(
        "POST",
        f"{SL}/Services/{service}/Builds",
        {"AssetVersions": [done["version"]["sid"], next_version["sid"]]},
        201,
    )
    advance(sandbox, 4)
    deployer.call(
        "POST",
        f"{SL}/Services/{service}/Environments/{env['sid']}/Deployments",
        {"BuildSid": build["sid"]},
        201,
    )
    base = f"https://{env['domain_name']}"
    world.set_number_voice(NUMBER, voice_url=f"{base}/lobby.xml")
    sid = world.place_inbound_call(GUEST, NUMBER)
    advance(sandbox, INBOUND_RING_S + 1.5)
    call = world.call(sid)
    assert [u for _, u, _ in call.webhooks] == [f"{base}/lobby.xml", f"{base}/next.xml"]
    assert call.document_url == f"{base}/next.xml" and call.status == "in-progress"
    advance(sandbox, 31)
    call = world.call(sid)
    assert call.webhooks[-1] == ("GET", f"{base}/gone.xml", 404)
    assert call.error_code == 11200


def test_protected_assets_answer_twilio(deployer: Deployer, sandbox: SandboxServer) -> None:
    url = deploy(deployer, visibility="protected")
    sandbox.world.set_number_voice(NUMBER, voice_url=url)
    sid = sandbox.world.place_inbound_call(GUEST, NUMBER)
    advance(sandbox, 2)
    assert sandbox.world.call(sid).webhooks == [("POST", url, 200)]
    assert (
        requests.get(
            f"{sandbox.base_url}/twil.io/{url.split('//')[1].split('.twil.io')[0]}/lobby.xml",
            timeout=10,
        ).status_code
        == 401
    )


def test_only_the_accounts_numbers_can_be_called(sandbox: SandboxServer) -> None:
    for number in ("+14155559999", "+14155550199"):  # a stranger's, and a caller ID
        with pytest.raises(ApiError) as raised:
            sandbox.world.place_inbound_call(GUEST, number)
        assert (raised.value.status, raised.value.code) == (404, 20404)
    with pytest.raises(ApiError):
        sandbox.world.place_inbound_call("", NUMBER)
    assert sandbox.world.calls() == []
    by_sid = sandbox.world.place_inbound_call("anonymous", sandbox.world.incoming_numbers[1].sid)
    assert sandbox.world.call(by_sid).to == "+14155550142"


def test_http_controls(sandbox: SandboxServer, lobby: str) -> None:
    creds = sandbox.credentials
    auth = (creds.account_sid, creds.auth_token)
    base = f"{sandbox.base_url}/sandbox/v1/InboundCalls"
    sandbox.controls.fault_rate = 1.0  # the controls are not Twilio: never faulted
    placed = requests.post(base, data={"From": GUEST, "To": NUMBER}, auth=auth, timeout=10)
    assert placed.status_code == 201, placed.text
    body = placed.json()
    assert body["call_sid"].startswith("CA") and body["status"] == "ringing"
    assert (body["from"], body["to"], body["direction"]) == (GUEST, NUMBER, "inbound")
    sandbox.controls.fault_rate = 0.0
    advance(sandbox, 3)
    fetched = requests.get(f"{base}/{body['call_sid']}", auth=auth, timeout=10).json()
    assert fetched["status"] == "in-progress"
    hung = requests.post(f"{base}/{body['call_sid']}/Hangup", auth=auth, timeout=10)
    assert hung.status_code == 200 and hung.json()["status"] == "completed"
    again = requests.post(f"{base}/{body['call_sid']}/Hangup", auth=auth, timeout=10)
    assert (again.status_code, again.json()["code"]) == (400, 21220)
    stranger = requests.post(
        base, data={"From": GUEST, "To": "+14155559999"}, auth=auth, timeout=10
    )
    assert (stranger.status_code, stranger.json()["code"]) == (404, 20404)
    assert requests.post(base, data={"From": GUEST, "To": NUMBER}, timeout=10).status_code == 401
    assert sandbox.request_log.count(path_contains="/sandbox/v1/InboundCalls") >= 5


def test_outbound_callee_hangs_up(sandbox: SandboxServer, client: Client) -> None:
    call = client.calls.create(
        to=GUEST, from_=NUMBER, twiml="<Response><Pause length='60'/></Response>"
    )
    advance(sandbox, 5)
    assert sandbox.world.caller_hangs_up(call.sid).status == "completed"
    ringing = client.calls.create(
        to="+14155550100", from_=NUMBER, twiml="<Response><Pause/></Response>"
    )
    advance(sandbox, 1.5)
    assert sandbox.world.caller_hangs_up(ringing.sid).status == "busy"
