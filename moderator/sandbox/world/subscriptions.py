"""The Track Subscription API: each participant's subscribe rules and the tracks they imply.

Twilio keeps one rule list per subscriber (default: include all). The effective subscriptions
are never stored: `subscribed_tracks` evaluates the rules against what the room's other
participants publish right now, so a publisher who joins after the rules were written is
matched by them at once, and a publisher who leaves drops out of everyone's list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from moderator.sandbox.errors import ApiError
from moderator.sandbox.world.records import Participant, Room, Track
from moderator.sandbox.world.room_options import GROUP_ROOM_TYPES
from moderator.sandbox.world.rooms import Rooms
from moderator.sandbox.world.state import WorldState
from moderator.sandbox.world.track_rules import SUBSCRIBE, included, parse_rules

__all__ = ["DEFAULT_SUBSCRIBE_RULES", "SubscribeRules", "SubscribedTrack", "Subscriptions"]

DEFAULT_SUBSCRIBE_RULES: tuple[dict[str, Any], ...] = ({"type": "include", "all": True},)


@dataclass
class SubscribeRules:
    """One subscriber's rules; dates stay None until the rules are first written (as Twilio)."""

    room_sid: str
    participant_sid: str
    rules: list[dict[str, Any]] = field(default_factory=lambda: list(DEFAULT_SUBSCRIBE_RULES))
    created_at: float | None = None
    updated_at: float | None = None


@dataclass(frozen=True)
class SubscribedTrack:
    """A track `subscriber` receives from `publisher`, subscribed since `since`."""

    subscriber: Participant
    publisher: Participant
    track: Track
    since: float


class Subscriptions:
    """Subscribe rules per participant (REST fetch/update) and the subscriptions they imply."""

    def __init__(self, state: WorldState, rooms: Rooms) -> None:
        self._state = state
        self._rooms = rooms
        self._rules: dict[str, SubscribeRules] = {}

    def _record(self, participant: Participant) -> SubscribeRules:
        found = self._rules.get(participant.sid)
        if found is None:
            found = SubscribeRules(participant.room_sid, participant.sid)
            self._rules[participant.sid] = found
        return found

    def _located(self, room_key: str, participant_key: str) -> tuple[Room, Participant]:
        room = self._rooms.room_by_key(room_key)
        return room, self._rooms.participant_in(room, participant_key)

    def fetch_subscribe_rules(self, room_key: str, participant_key: str) -> SubscribeRules:
        """GET …/SubscribeRules: the participant's rules (include all until written)."""
        with self._state.locked():
            _, participant = self._located(room_key, participant_key)
            return self._record(participant)

    def update_subscribe_rules(
        self, room_key: str, participant_key: str, raw_rules: str | None
    ) -> SubscribeRules:
        """POST …/SubscribeRules Rules=[…]: replace the rules (53215 when invalid).

        Only a connected participant of a group room has rules to change: a participant who
        left is 53204, and a peer-to-peer or go room (no media server to apply them) is 53215.
        """
        with self._state.locked():
            room, participant = self._located(room_key, participant_key)
            rules = parse_rules(SUBSCRIBE, raw_rules)
            if room.type not in GROUP_ROOM_TYPES:
                raise ApiError(
                    400, 53215, f"Invalid Subscribe Rule(s): {room.type} rooms have no rules"
                )
            if participant.status != "connected":
                raise ApiError(400, 53204, "Participant is not connected")
            record = self._record(participant)
            now = self._state.now()
            record.rules = rules
            record.created_at = record.created_at if record.created_at is not None else now
            record.updated_at = now
            return record

    def rules_of(self, participant_sid: str) -> list[dict[str, Any]]:
        """Test API: a copy of a participant's current rules."""
        with self._state.locked():
            record = self._rules.get(participant_sid)
            return [dict(r) for r in (record.rules if record else DEFAULT_SUBSCRIBE_RULES)]

    def _subscribed(self, room: Room, subscriber: Participant) -> list[SubscribedTrack]:
        if subscriber.status != "connected":
            return []
        record = self._rules.get(subscriber.sid)
        rules = record.rules if record else list(DEFAULT_SUBSCRIBE_RULES)
        found = []
        for publisher in self._rooms.connected(room):
            if publisher.sid == subscriber.sid:
                continue
            for track in publisher.tracks:
                if included(rules, publisher, track):
                    since = max(track.created_at, subscriber.start_time)
                    found.append(SubscribedTrack(subscriber, publisher, track, since))
        return found

    def list_subscribed_tracks(self, room_key: str, participant_key: str) -> list[SubscribedTrack]:
        """GET …/SubscribedTracks: what the rules give the participant right now."""
        with self._state.locked():
            room, participant = self._located(room_key, participant_key)
            return self._subscribed(room, participant)

    def find_subscribed_track(
        self, room_key: str, participant_key: str, sid: str
    ) -> SubscribedTrack:
        """GET …/SubscribedTracks/{MT…}; 20404 when the participant does not receive it."""
        with self._state.locked():
            room, participant = self._located(room_key, participant_key)
            for subscribed in self._subscribed(room, participant):
                if subscribed.track.sid == sid:
                    return subscribed
            raise ApiError.not_found(
                f"/v1/Rooms/{room.sid}/Participants/{participant.sid}/SubscribedTracks/{sid}"
            )
