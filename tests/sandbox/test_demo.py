"""Demo traffic: live group rooms where app participants come and go, seeded."""

from __future__ import annotations

from collections.abc import Callable

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
