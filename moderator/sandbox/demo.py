"""Demo traffic: a few live group rooms where app participants come and go, so the app looks
alive on first start with no Twilio account; and callers who dial in to any of the account's
numbers set up for dial-in (whose voice URL is a deployed twil.io asset). Seeded, and driven by
the clock like everything else.
"""

from __future__ import annotations

import random

from moderator.sandbox.errors import ApiError
from moderator.sandbox.world import World

__all__ = ["DEMO_CALLER_EVERY_S", "DEMO_CALLER_PATIENCE_S", "DEMO_ROOMS", "DemoTraffic"]

DEMO_CALLER_EVERY_S = (45.0, 75.0)
"""Seconds between two demo callers ("every minute or so")."""
DEMO_CALLER_PATIENCE_S = (60.0, 240.0)
"""How long a demo caller waits in a lobby before hanging up, if nobody admitted them."""

# unique name, max participants, (fewest, most) app participants kept connected
DEMO_ROOMS: tuple[tuple[str, int, tuple[int, int]], ...] = (
    ("daily-standup", 50, (3, 9)),
    ("design-review", 10, (2, 5)),
    ("customer-onboarding", 25, (1, 6)),
    ("town-hall", 50, (6, 14)),
)
DEMO_NAMES = (
    "Amara Okafor",
    "Ben Hughes",
    "Chen Wei",
    "Diego Ramírez",
    "Elif Kaya",
    "Farah Haddad",
    "Gustav Lindqvist",
    "Hana Sato",
    "Isabela Costa",
    "Jonas Weber",
    "Kavya Iyer",
    "Liam O'Brien",
    "Maya Cohen",
    "Noah Williams",
    "Olga Petrova",
    "Priya Nair",
    "Quentin Moreau",
    "Rosa Martínez",
    "Sven Olsen",
    "Tomás Silva",
    "Uma Patel",
    "Victor Nguyen",
    "Wanjiru Kamau",
    "Yusuf Demir",
    "Zoe Taylor",
)
TRACK_MIXES: tuple[tuple[str, ...], ...] = (
    ("audio", "video"),
    ("audio",),
    ("audio", "video", "data"),
)


class DemoTraffic:
    """Creates the demo rooms, then every few seconds someone joins or leaves one of them."""

    def __init__(
        self,
        world: World,
        seed: int | None = None,
        *,
        min_interval_s: float = 1.5,
        max_interval_s: float = 5.0,
    ) -> None:
        self.world = world
        self.rng = random.Random(f"demo:{seed}") if seed is not None else random.Random()
        self.min_interval_s = min_interval_s
        self.max_interval_s = max_interval_s
        self.joins = 0
        self.leaves = 0
        self.room_sids: dict[str, str] = {}
        # A generator of its own, so dial-in callers never change the rooms' seeded traffic.
        self.caller_rng = (
            random.Random(f"demo-callers:{seed}") if seed is not None else random.Random()
        )
        self.inbound_calls: list[str] = []

    def start(self) -> None:
        """Open the demo rooms with a few people in each and start the comings and goings."""
        with self.world.lock:
            for name, max_participants, (low, high) in DEMO_ROOMS:
                self._open_room(name, max_participants)
                for _ in range(self.rng.randint(low, (low + high) // 2)):
                    self._join(name)
            self._schedule()
            self._schedule_caller()

    def _open_room(self, name: str, max_participants: int) -> str:
        try:
            sid = self.world.room(name).sid
        except ApiError:
            sid = self.world.create_room(name, max_participants=max_participants)
        self.room_sids[name] = sid
        return sid

    def _schedule(self) -> None:
        delay = self.rng.uniform(self.min_interval_s, self.max_interval_s)
        self.world.clock.call_later(delay, self._step)

    def _app_participants(self, name: str) -> list[str]:
        return [
            p.sid
            for p in self.world.participants(self.room_sids[name])
            if p.status == "connected" and not p.is_phone
        ]

    def _join(self, name: str) -> None:
        present = {
            p.identity
            for p in self.world.participants(self.room_sids[name])
            if p.status == "connected"
        }
        free = [n for n in DEMO_NAMES if n not in present]
        if not free:
            return
        identity = self.rng.choice(free)
        try:
            self.world.join_app_participant(
                self.room_sids[name], identity, self.rng.choice(TRACK_MIXES)
            )
        except ApiError:
            return  # the room filled up with phone guests meanwhile: skip this turn
        self.joins += 1

    def _step(self) -> None:
        """One join or leave in a random demo room, kept inside that room's bounds."""
        with self.world.lock:
            name, max_participants, (low, high) = self.rng.choice(DEMO_ROOMS)
            if self.world.room(self.room_sids[name]).status != "in-progress":
                self._open_room(name, max_participants)  # the host ended it: reopen later
            present = self._app_participants(name)
            if len(present) <= low:
                join = True
            elif len(present) >= high:
                join = False
            else:
                join = self.rng.random() < 0.5
            if join:
                self._join(name)
            else:
                self.world.disconnect_participant(self.rng.choice(present))
                self.leaves += 1
            self._schedule()

    # ------------------------------------------------------------------ dial-in callers

    def _schedule_caller(self) -> None:
        delay = self.caller_rng.uniform(*DEMO_CALLER_EVERY_S)
        self.world.clock.call_later(delay, self._caller_step)

    def dial_in_numbers(self) -> list[str]:
        """The account's numbers whose voice URL (after Twilio's precedence) is deployed here."""
        deployed = set(self.world.deployed_urls())
        with self.world.lock:
            return [
                number.phone_number
                for number in self.world.incoming_numbers
                if self.world.numbers.voice_route(number).url in deployed
            ]

    def _caller_number(self) -> str:
        """A fictional US number (555-0100…0199) that is not one of the account's own."""
        own = {n.phone_number for n in (*self.world.incoming_numbers, *self.world.caller_ids)}
        while True:
            area = self.caller_rng.choice(("415", "212", "646"))
            number = f"+1{area}555{self.caller_rng.randint(100, 199):04d}"
            if number not in own:
                return number

    def _caller_step(self) -> None:
        """A caller dials one of the dial-in numbers; they hang up if not admitted in time."""
        with self.world.lock:
            numbers = self.dial_in_numbers()
            if numbers:
                to = self.caller_rng.choice(numbers)
                sid = self.world.place_inbound_call(self._caller_number(), to)
                self.inbound_calls.append(sid)
                patience = self.caller_rng.uniform(*DEMO_CALLER_PATIENCE_S)
                self.world.clock.call_later(patience, lambda: self._give_up(sid))
            self._schedule_caller()

    def _give_up(self, sid: str) -> None:
        """A caller still waiting (live, in no room) hangs up; an admitted one stays."""
        with self.world.lock:
            call = self.world.call(sid)
            if not call.ended and call.participant_sid is None:
                self.world.caller_hangs_up(sid)
