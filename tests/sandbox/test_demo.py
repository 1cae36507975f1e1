"""Demo traffic: live group rooms where app participants come and go, seeded."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from moderator.sandbox.demo import DEMO_ROOMS
from moderator.sandbox.server import SandboxServer

from .conftest import sdk_client


def connected_counts(server: SandboxServer) -> dict[str, int]:
    return {
        room.unique_name: sum(p.status == "connected" for p in server.world.participants(room.sid))
        for room in server.world.rooms()
        if room.status == "in-progress"
    }


def test_demo_rooms_are_live_group_rooms(sandbox_factory: Callable[..., SandboxServer]) -> None:
    server = sandbox_factory(demo=True)
    rooms = sdk_client(server).video.v1.rooms.list(status="in-progress")
    assert sorted(r.unique_name for r in rooms) == sorted(name for name, _, _ in DEMO_ROOMS)
    assert {r.type for r in rooms} == {"group"}
    assert all(count >= 1 for count in connected_counts(server).values())


def test_participants_join_and_leave_within_bounds(
    sandbox_factory: Callable[..., SandboxServer],
) -> None:
    server = sandbox_factory(demo=True)
    assert server.demo is not None
    before = connected_counts(server)
    for _ in range(60):
        server.clock.advance(5)  # type: ignore[attr-defined]
        for name, max_participants, (low, high) in DEMO_ROOMS:
            assert low <= connected_counts(server)[name] <= min(high, max_participants)
    assert server.demo.joins > 0 and server.demo.leaves > 0
    assert connected_counts(server) != before


def test_demo_is_repeatable_per_seed(sandbox_factory: Callable[..., SandboxServer]) -> None:
    def identities(server: SandboxServer) -> list[str]:
        server.clock.advance(60)  # type: ignore[attr-defined]
        return [p.identity for p in server.world.participants()]

    assert identities(sandbox_factory(demo=True, seed=5)) == identities(
        sandbox_factory(demo=True, seed=5)
    )


def test_demo_reopens_a_room_the_host_ended(sandbox_factory: Callable[..., SandboxServer]) -> None:
    server = sandbox_factory(demo=True)
    server.world.complete_room("design-review")
    server.clock.advance(300)  # type: ignore[attr-defined]
    assert server.world.room("design-review").status == "in-progress"


def _dial_in_demo(seed: int, factory: Callable[..., SandboxServer]) -> SandboxServer:
    """A demo sandbox whose main line answers with a deployed lobby asset."""
    from .test_inbound_calls import deploy
    from .test_serverless import Deployer

    server = factory(demo=True, seed=seed)
    # Five minutes of hold music: longer than any demo caller's patience.
    hold = '<Response><Say>Please hold.</Say><Play loop="30">hold.mp3</Play></Response>'
    url = deploy(Deployer(server), hold)
    server.world.set_number_voice("+15005550006", voice_url=url)
    return server


def test_demo_callers_dial_in_to_numbers_set_up_for_it(
    sandbox_factory: Callable[..., SandboxServer],
) -> None:
    from .oai import OAI_DIR

    if not OAI_DIR.is_dir():
        pytest.skip("needs Twilio's OpenAPI files for the deploy helper")
    server = _dial_in_demo(7, sandbox_factory)
    assert server.demo is not None
    assert server.demo.dial_in_numbers() == ["+15005550006"]
    server.clock.advance(60 * 10)  # type: ignore[attr-defined]
    inbound = [c for c in server.world.calls() if c.direction == "inbound"]
    assert 7 <= len(inbound) <= 14  # every minute or so
    assert {c.to for c in inbound} == {"+15005550006"}
    assert all(c.from_ not in {"+15005550006", "+14155550142", "+14155550199"} for c in inbound)
    # Nobody admits them: the early ones gave up (hung up while holding); none hit an error.
    early = inbound[:3]
    assert all(c.status == "completed" and c.end_reason == "caller hung up" for c in early)
    assert all(c.error_code is None for c in inbound)
    assert all(c.status in {"ringing", "in-progress", "completed"} for c in inbound)


def test_demo_callers_stay_once_admitted_and_repeat_per_seed(
    sandbox_factory: Callable[..., SandboxServer],
) -> None:
    from .oai import OAI_DIR

    if not OAI_DIR.is_dir():
        pytest.skip("needs Twilio's OpenAPI files for the deploy helper")
    server = _dial_in_demo(8, sandbox_factory)
    world = server.world
    for _ in range(120):
        server.clock.advance(1)  # type: ignore[attr-defined]
        if any(c.status == "in-progress" for c in world.calls()):
            break
    [waiting] = [c for c in world.calls() if c.status == "in-progress"]
    twiml = (
        '<Response><Connect><Room participantIdentity="dialin-1">daily-standup</Room></Connect>'
        "<Say>Goodbye</Say></Response>"
    )
    world.update_call(waiting.sid, None, twiml)
    server.clock.advance(600)  # type: ignore[attr-defined]
    assert world.call(waiting.sid).status == "in-progress"
    assert world.participant_for_call(waiting.sid) is not None

    def callers(seed: int) -> list[str]:
        other = _dial_in_demo(seed, sandbox_factory)
        other.clock.advance(300)  # type: ignore[attr-defined]
        return [c.from_ for c in other.world.calls() if c.direction == "inbound"]

    assert callers(9) == callers(9)


def test_demo_places_no_calls_without_dial_in(
    sandbox_factory: Callable[..., SandboxServer],
) -> None:
    server = sandbox_factory(demo=True)
    server.clock.advance(600)  # type: ignore[attr-defined]
    assert server.world.calls() == []
