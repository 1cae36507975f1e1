"""Twilio's rules in the world, driven through the stock twilio SDK over HTTP on a ManualClock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from moderator.sandbox.errors import ApiError
from moderator.sandbox.server import SandboxServer
from moderator.sandbox.world import MAX_PHONE_PARTICIPANTS

from .conftest import CALLEE, CALLER

Dial = Callable[..., Any]


def answered(sandbox: SandboxServer) -> None:
    """Ring (1 s) then answer (3 s more), per the default options."""
    sandbox.clock.advance(4.0)


def test_dialed_guest_rings_then_joins_with_chosen_identity(
    sandbox: SandboxServer, client: Client, dial: Dial
) -> None:
    room_sid = sandbox.world.create_room("standup")
    call = dial("standup", identity="phone-k3x9")
    assert call.status == "queued"
    sandbox.clock.advance(1.0)
    assert client.calls(call.sid).fetch().status == "ringing"
    sandbox.clock.advance(3.0)
    assert client.calls(call.sid).fetch().status == "in-progress"
    [participant] = client.video.v1.rooms(room_sid).participants.list()
    assert participant.identity == "phone-k3x9"
    tracks = client.video.v1.rooms(room_sid).participants(participant.sid).published_tracks.list()
    assert [t.kind for t in tracks] == ["audio"]
    assert sandbox.world.call_status_history(call.sid) == ["queued", "ringing", "in-progress"]


def test_phone_guest_stays_while_connected(sandbox: SandboxServer, dial: Dial) -> None:
    sandbox.world.create_room("standup")
    call = dial("standup")
    answered(sandbox)
    sandbox.clock.advance(3600)
    assert sandbox.world.call(call.sid).status == "in-progress"


def test_cancel_while_ringing(sandbox: SandboxServer, client: Client, dial: Dial) -> None:
    sandbox.world.create_room("standup")
    call = dial("standup")
    sandbox.clock.advance(1.5)
    canceled = client.calls(call.sid).update(status="canceled")
    assert canceled.status == "canceled"
    sandbox.clock.advance(10)
    assert sandbox.world.call_status_history(call.sid) == ["queued", "ringing", "canceled"]
    assert sandbox.world.participant_for_call(call.sid) is None


def test_completed_while_ringing_ends_canceled(
    sandbox: SandboxServer, client: Client, dial: Dial
) -> None:
    sandbox.world.create_room("standup")
    call = dial("standup")
    sandbox.clock.advance(1.5)
    assert client.calls(call.sid).update(status="completed").status == "canceled"


def test_cancel_has_no_effect_in_progress(
    sandbox: SandboxServer, client: Client, dial: Dial
) -> None:
    sandbox.world.create_room("standup")
    call = dial("standup")
    answered(sandbox)
    assert client.calls(call.sid).update(status="canceled").status == "in-progress"


def test_completing_in_progress_call_disconnects_its_participant(
    sandbox: SandboxServer, client: Client, dial: Dial
) -> None:
    room_sid = sandbox.world.create_room("standup")
    call = dial("standup")
    answered(sandbox)
    assert client.calls(call.sid).update(status="completed").status == "completed"
    assert client.video.v1.rooms(room_sid).participants.list() == []
    gone = client.video.v1.rooms(room_sid).participants.list(status="disconnected")
    assert [p.identity for p in gone] == ["phone-guest"]


def test_update_of_ended_call_is_21220(sandbox: SandboxServer, client: Client, dial: Dial) -> None:
    sandbox.world.create_room("standup")
    call = dial("standup")
    client.calls(call.sid).update(status="canceled")
    with pytest.raises(TwilioRestException) as raised:
        client.calls(call.sid).update(status="completed")
    assert (raised.value.status, raised.value.code) == (400, 21220)


def test_kicking_phone_participant_moves_call_on_then_completes(
    sandbox: SandboxServer, client: Client, dial: Dial
) -> None:
    room_sid = sandbox.world.create_room("standup")
    call = dial("standup")
    answered(sandbox)
    [participant] = client.video.v1.rooms(room_sid).participants.list()
    kicked = (
        client.video.v1.rooms(room_sid).participants(participant.sid).update(status="disconnected")
    )
    assert kicked.status == "disconnected"
    # the <Say> after <Connect> runs (31 characters ≈ 1.9 s), then the call completes
    assert client.calls(call.sid).fetch().status == "in-progress"
    sandbox.clock.advance(2.0)
    assert client.calls(call.sid).fetch().status == "completed"


def test_completing_room_ends_phone_calls(
    sandbox: SandboxServer, client: Client, dial: Dial
) -> None:
    room_sid = sandbox.world.create_room("standup")
    calls = [dial("standup", identity=f"guest-{n}", to=f"+1415555{n:04d}") for n in range(3)]
    answered(sandbox)
    room = client.video.v1.rooms(room_sid).update(status="completed")
    assert room.status == "completed"
    sandbox.clock.advance(5)
    assert {client.calls(c.sid).fetch().status for c in calls} == {"completed"}
    with pytest.raises(TwilioRestException) as raised:
        client.video.v1.rooms("standup").fetch()
    assert raised.value.code == 20404
    assert client.video.v1.rooms(room_sid).fetch().status == "completed"


def test_duplicate_identity_evicts_the_first(
    sandbox: SandboxServer, client: Client, dial: Dial
) -> None:
    room_sid = sandbox.world.create_room("standup")
    first = dial("standup", identity="guest", to="+14155550100")
    answered(sandbox)
    second = dial("standup", identity="guest", to="+14155550101")
    answered(sandbox)
    [connected] = client.video.v1.rooms(room_sid).participants.list()
    assert sandbox.world.participant(connected.sid).call_sid == second.sid
    sandbox.clock.advance(5)
    assert client.calls(first.sid).fetch().status == "completed"
    assert client.calls(second.sid).fetch().status == "in-progress"


def test_app_participant_evicted_by_phone_guest_with_same_identity(
    sandbox: SandboxServer, dial: Dial
) -> None:
    sandbox.world.create_room("standup")
    app_sid = sandbox.world.join_app_participant("standup", "alice")
    dial("standup", identity="alice")
    answered(sandbox)
    assert sandbox.world.participant(app_sid).status == "disconnected"


def test_no_such_room_call_ends_without_participant(
    sandbox: SandboxServer, client: Client, dial: Dial
) -> None:
    call = dial("nowhere")
    answered(sandbox)
    sandbox.clock.advance(5)
    assert client.calls(call.sid).fetch().status == "completed"
    assert sandbox.world.participant_for_call(call.sid) is None


def test_room_without_next_verb_hangs_up_at_once(sandbox: SandboxServer, client: Client) -> None:
    twiml = "<Response><Connect><Room>nowhere</Room></Connect></Response>"
    call = client.calls.create(to=CALLEE, from_=CALLER, twiml=twiml)
    answered(sandbox)
    assert sandbox.world.call_status_history(call.sid)[-2:] == ["in-progress", "completed"]


def test_identity_defaults_to_a_random_one(sandbox: SandboxServer, client: Client) -> None:
    sandbox.world.create_room("standup")
    twiml = "<Response><Connect><Room>standup</Room></Connect></Response>"
    call = client.calls.create(to=CALLEE, from_=CALLER, twiml=twiml)
    answered(sandbox)
    participant = sandbox.world.participant_for_call(call.sid)
    assert participant is not None and participant.identity.startswith("pstn-")


def test_phone_cap_of_35(sandbox: SandboxServer, client: Client, dial: Dial) -> None:
    sandbox.world.create_room("big")
    calls = [
        dial("big", identity=f"p{n}", to=f"+1415555{n:04d}")
        for n in range(MAX_PHONE_PARTICIPANTS + 1)
    ]
    answered(sandbox)
    joined = [c for c in calls if sandbox.world.participant_for_call(c.sid) is not None]
    assert len(joined) == MAX_PHONE_PARTICIPANTS
    [refused] = [c for c in calls if c not in joined]
    sandbox.clock.advance(5)
    assert client.calls(refused.sid).fetch().status == "completed"
    # app participants still fit: the phone cap is not the room cap
    sandbox.world.join_app_participant("big", "host")


def test_max_participants_cap(sandbox: SandboxServer, dial: Dial) -> None:
    sandbox.world.create_room("small", max_participants=2)
    sandbox.world.join_app_participant("small", "alice")
    sandbox.world.join_app_participant("small", "bob")
    call = dial("small")
    answered(sandbox)
    assert sandbox.world.participant_for_call(call.sid) is None
    with pytest.raises(ApiError) as raised:
        sandbox.world.join_app_participant("small", "carol")
    assert raised.value.code == 53105


@pytest.mark.parametrize("room_type", ["peer-to-peer", "go"])
def test_peer_to_peer_rooms_refuse_phone_guests(
    sandbox: SandboxServer, dial: Dial, room_type: str
) -> None:
    sandbox.world.create_room("p2p", type=room_type)
    call = dial("p2p")
    answered(sandbox)
    assert sandbox.world.participant_for_call(call.sid) is None


@pytest.mark.parametrize(
    ("to", "history"),
    [
        ("+14155551111", ["queued", "busy"]),
        ("+14155553333", ["queued", "failed"]),
        ("+14155552671", ["queued", "ringing", "in-progress"]),
    ],
)
def test_callee_behaviour(sandbox: SandboxServer, dial: Dial, to: str, history: list[str]) -> None:
    sandbox.world.create_room("standup")
    call = dial("standup", to=to)
    answered(sandbox)
    assert sandbox.world.call_status_history(call.sid) == history


def test_no_answer_after_timeout(sandbox: SandboxServer, client: Client, dial: Dial) -> None:
    sandbox.world.create_room("standup")
    call = dial("standup", to="+14155552222", timeout=15)
    sandbox.clock.advance(1 + 14.5)
    assert client.calls(call.sid).fetch().status == "ringing"
    sandbox.clock.advance(1)
    fetched = client.calls(call.sid).fetch()
    assert fetched.status == "no-answer"
    assert fetched.duration == "0"


def test_short_timeout_means_no_answer_even_for_answering_numbers(
    sandbox: SandboxServer, dial: Dial
) -> None:
    sandbox.world.create_room("standup")
    call = dial("standup", timeout=2)
    sandbox.clock.advance(10)
    assert sandbox.world.call(call.sid).status == "no-answer"


@pytest.mark.parametrize(
    ("to", "from_", "code"),
    [
        ("+15005550001", CALLER, 21211),
        ("+15005550002", CALLER, 21214),
        ("+15005550003", CALLER, 21215),
        ("4155552671", CALLER, 21211),
        ("+1 415 555 2671", CALLER, 21211),
        ("+1415", CALLER, 21211),
        (CALLEE, "not-a-number", 21212),
        (CALLEE, "+14155550000", 21210),
        (CALLER, CALLER, 21266),
    ],
)
def test_create_call_errors(client: Client, to: str, from_: str, code: int) -> None:
    twiml = "<Response><Say>hi</Say></Response>"
    with pytest.raises(TwilioRestException) as raised:
        client.calls.create(to=to, from_=from_, twiml=twiml)
    assert (raised.value.status, raised.value.code) == (400, code)


def test_verified_caller_id_may_call(client: Client) -> None:
    twiml = "<Response><Say>hi</Say></Response>"
    assert client.calls.create(to=CALLEE, from_="+14155550199", twiml=twiml).status == "queued"


def test_twiml_over_4000_characters_is_32018(client: Client) -> None:
    twiml = "<Response><Say>" + "a" * 4000 + "</Say></Response>"
    with pytest.raises(TwilioRestException) as raised:
        client.calls.create(to=CALLEE, from_=CALLER, twiml=twiml)
    assert raised.value.code == 32018


def test_url_is_refused_clearly(client: Client) -> None:
    with pytest.raises(TwilioRestException) as raised:
        client.calls.create(to=CALLEE, from_=CALLER, url="https://example.com/twiml")
    assert raised.value.code == 21205
    assert "Twiml" in raised.value.msg


def test_invalid_twiml_fails_the_call(sandbox: SandboxServer, client: Client) -> None:
    call = client.calls.create(to=CALLEE, from_=CALLER, twiml="<Response><Say>oops</Response>")
    answered(sandbox)
    assert client.calls(call.sid).fetch().status == "failed"
    assert "12100" in (sandbox.world.call(call.sid).end_reason or "")


def test_twiml_redirect_of_in_progress_call(
    sandbox: SandboxServer, client: Client, dial: Dial
) -> None:
    room_sid = sandbox.world.create_room("standup")
    call = dial("standup")
    answered(sandbox)
    client.calls(call.sid).update(twiml="<Response><Pause length='5'/><Hangup/></Response>")
    assert client.video.v1.rooms(room_sid).participants.list() == []
    sandbox.clock.advance(4.9)
    assert sandbox.world.call(call.sid).status == "in-progress"
    sandbox.clock.advance(0.2)
    assert sandbox.world.call(call.sid).status == "completed"


def test_say_and_pause_take_time(sandbox: SandboxServer, client: Client) -> None:
    twiml = "<Response><Say>Hello there</Say><Pause length='2'/></Response>"
    call = client.calls.create(to=CALLEE, from_=CALLER, twiml=twiml)
    answered(sandbox)
    sandbox.clock.advance(2.9)
    assert sandbox.world.call(call.sid).status == "in-progress"
    sandbox.clock.advance(0.2)
    assert sandbox.world.call(call.sid).status == "completed"
    assert sandbox.world.call(call.sid).duration == 3


def test_room_create_rules(sandbox: SandboxServer, client: Client) -> None:
    client.video.v1.rooms.create(unique_name="standup")
    for kwargs, code in (
        ({"unique_name": "standup"}, 53113),
        ({"unique_name": "x" * 129}, 53101),
        ({"unique_name": "ok", "max_participants": 51}, 53107),
        ({"unique_name": "ok", "type": "huge"}, 53108),
    ):
        with pytest.raises(TwilioRestException) as raised:
            client.video.v1.rooms.create(**kwargs)
        assert (raised.value.status, raised.value.code) == (400, code)
    client.video.v1.rooms("standup").update(status="completed")
    again = client.video.v1.rooms.create(unique_name="standup")
    assert again.status == "in-progress"
    assert client.video.v1.rooms("standup").fetch().sid == again.sid


def test_room_defaults(client: Client) -> None:
    room = client.video.v1.rooms.create(unique_name="standup")
    assert (room.type, room.max_participants, room.status) == ("group", 50, "in-progress")
    unnamed = client.video.v1.rooms.create()
    assert unnamed.unique_name == unnamed.sid


def test_lookups_return_copies(sandbox: SandboxServer) -> None:
    room = sandbox.world.create_room("standup")
    sid = sandbox.world.join_app_participant(room, "alice")
    copy = sandbox.world.participant(sid)
    copy.status = "disconnected"
    copy.tracks.clear()
    assert sandbox.world.participant(sid).status == "connected"
    assert len(sandbox.world.participant(sid).tracks) == 2
    assert [r.sid for r in sandbox.world.rooms()] == [room]
    assert [p.sid for p in sandbox.world.participants("standup")] == [sid]


def test_test_api_errors(sandbox: SandboxServer) -> None:
    with pytest.raises(ApiError) as raised:
        sandbox.world.disconnect_participant("PA" + "0" * 32)
    assert raised.value.code == 20404
    with pytest.raises(ApiError) as raised:
        sandbox.world.join_app_participant("nowhere", "alice")
    assert raised.value.code == 20404
    sandbox.world.create_room("standup")
    with pytest.raises(ApiError) as raised:
        sandbox.world.join_app_participant("standup", "x" * 129)
    assert raised.value.code == 53201
    with pytest.raises(ApiError) as raised:
        sandbox.world.create_room("p2p", type="peer-to-peer", max_participants=11)
    assert raised.value.code == 53107
    with pytest.raises(ApiError) as raised:
        sandbox.world.create_room("   ")
    assert raised.value.code == 53100


def test_room_type_defaults(sandbox: SandboxServer) -> None:
    for room_type, expected in (("peer-to-peer", 10), ("go", 2), ("group-small", 4)):
        sid = sandbox.world.create_room(room_type, type=room_type)
        assert sandbox.world.room(sid).max_participants == expected


def test_phone_participant_is_known_internally_but_not_in_the_api(
    sandbox: SandboxServer, client: Client, dial: Dial
) -> None:
    room = sandbox.world.create_room("standup")
    call = dial("standup", identity="phone-1")
    answered(sandbox)
    [listed] = client.video.v1.rooms(room).participants.list()
    internal = sandbox.world.participant(listed.sid)
    assert internal.is_phone and internal.call_sid == call.sid
    app = sandbox.world.participant(sandbox.world.join_app_participant(room, "alice"))
    assert not app.is_phone


def test_concurrent_requests_keep_the_world_consistent(sandbox: SandboxServer) -> None:
    import threading

    from .conftest import sdk_client

    errors: list[BaseException] = []

    def worker(n: int) -> None:
        client = sdk_client(sandbox)
        try:
            for k in range(10):
                client.video.v1.rooms.create(unique_name=f"w{n}-{k}")
                client.video.v1.rooms.list(page_size=5, limit=5)
                sandbox.clock.advance(0.1)  # type: ignore[attr-defined]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({r.unique_name for r in sandbox.world.rooms()}) == 60


def test_real_clock_server_progresses_calls_without_requests(
    sandbox_factory: Callable[..., SandboxServer],
) -> None:
    import time

    from moderator.sandbox.clock import RealClock

    server = sandbox_factory(clock=RealClock(), ring_after_s=0.01, answer_after_s=0.01)
    server.world.create_room("standup")
    from .conftest import sdk_client

    call = sdk_client(server).calls.create(
        to=CALLEE,
        from_=CALLER,
        twiml="<Response><Connect><Room>standup</Room></Connect></Response>",
    )
    deadline = time.monotonic() + 10
    while server.world.participant_for_call(call.sid) is None and time.monotonic() < deadline:
        time.sleep(0.02)  # waiting for the real-time ticker, not asserting a duration
    assert server.world.call(call.sid).status == "in-progress"
