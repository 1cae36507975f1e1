"""`World`: the sandbox's state as one object, a thin facade over one family per Twilio resource.

Each family lives in its own module and shares one `WorldState` (lock, clock, SIDs, creation
order, scheduler): `Numbers` (the account, incoming numbers, caller IDs), `Rooms` (rooms,
participants, published tracks), `Calls` (calls and their TwiML lifecycle), `Serverless`
(services, environments, assets, builds, deployments, served twil.io assets),
`Subscriptions` (subscribe rules and subscribed tracks), `Recordings` (recording rules and
track recordings), `Compositions` and `Sync` (Sync services, maps and map items). A new resource
family is a new module with a class taking the state, constructed and exposed here.

The world's methods are the families' own bound methods, so REST handlers and tests keep calling
`world.create_room(...)`, `world.calls()`… while the code behind them stays split by family.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from moderator.sandbox.clock import Clock
from moderator.sandbox.world.calls import Calls
from moderator.sandbox.world.compositions import Compositions
from moderator.sandbox.world.numbers import Numbers
from moderator.sandbox.world.recordings import Recordings
from moderator.sandbox.world.records import OwnedNumber
from moderator.sandbox.world.rooms import Rooms
from moderator.sandbox.world.serverless import Serverless
from moderator.sandbox.world.state import WorldState
from moderator.sandbox.world.subscriptions import Subscriptions
from moderator.sandbox.world.sync import Sync

__all__ = ["World"]


class World:
    """All sandbox state plus Twilio's rules; thread-safe through the clock's lock.

    `state`, `numbers`, `video` and `voice` are the shared state and the families; the methods
    named like REST operations raise `ApiError` with Twilio's status and code, and the test API
    (`create_room`, `join_app_participant`, `disconnect_participant`, `complete_room` and the
    lookups) is what other layers' tests use to stage a scene.
    """

    def __init__(
        self,
        clock: Clock,
        account_sid: str,
        *,
        seed: int | None = None,
        ring_after_s: float = 1.0,
        answer_after_s: float = 3.0,
        friendly_name: str = "Room Moderator Sandbox",
    ) -> None:
        self.state = state = WorldState(clock, account_sid, seed=seed)
        self.clock = state.clock
        self.lock = state.lock
        self.account_sid = state.account_sid
        self.rng = state.rng
        self.sids = state.sids
        self.created_at = state.created_at
        self.now = state.now

        self.numbers = numbers = Numbers(state, friendly_name=friendly_name)
        self.video = video = Rooms(state)
        self.serverless = serverless = Serverless(state)
        self.voice = voice = Calls(
            state,
            video,
            numbers,
            ring_after_s=ring_after_s,
            answer_after_s=answer_after_s,
            serverless=serverless,
        )
        video.phone_left = voice.participant_left
        self.subscriptions = subscriptions = Subscriptions(state, video)
        self.recording = recording = Recordings(state, video)
        self.composing = composing = Compositions(state, video, recording)
        self.sync = sync = Sync(state)

        # Video: rooms, participants, published tracks (REST operations and test API).
        self.create_room = video.create_room
        self.find_room = video.find_room
        self.list_rooms = video.list_rooms
        self.update_room_status = video.update_room_status
        self.complete_room = video.complete_room
        self.join_app_participant = video.join_app_participant
        self.disconnect_participant = video.disconnect_participant
        self.find_participant = video.find_participant
        self.list_participants = video.list_participants
        self.update_participant_status = video.update_participant_status
        self.list_published_tracks = video.list_published_tracks
        self.find_published_track = video.find_published_track
        self.rooms = video.rooms
        self.room = video.room
        self.participants = video.participants
        self.participant = video.participant
        self.participant_for_call = video.participant_for_call

        # Numbers: incoming numbers' voice configuration (REST operations and test API).
        self.find_incoming_number = numbers.find_incoming_number
        self.update_incoming_number = numbers.update_incoming_number
        self.number_voice = numbers.number_voice
        self.set_number_voice = numbers.set_number_voice
        self.create_application = numbers.create_application

        # Serverless: the control that makes the next build fail, and what is deployed.
        self.fail_next_build = serverless.fail_next_build
        self.deployed_urls = serverless.deployed_urls

        # Sync: copies of services, maps and live (unexpired) map items, for tests.
        self.sync_services = sync.services
        self.sync_maps = sync.maps
        self.sync_map_items = sync.map_items

        # Track subscriptions, recordings, compositions.
        self.fetch_subscribe_rules = subscriptions.fetch_subscribe_rules
        self.update_subscribe_rules = subscriptions.update_subscribe_rules
        self.list_subscribed_tracks = subscriptions.list_subscribed_tracks
        self.find_subscribed_track = subscriptions.find_subscribed_track
        self.subscribe_rules_of = subscriptions.rules_of
        self.fetch_recording_rules = recording.fetch_recording_rules
        self.update_recording_rules = recording.update_recording_rules
        self.list_recordings = recording.list_recordings
        self.room_recordings = recording.room_recordings
        self.find_recording = recording.find_recording
        self.delete_recording = recording.delete_recording
        self.recording_media = recording.recording_media
        self.recordings = recording.recordings
        self.create_composition = composing.create_composition
        self.list_compositions = composing.list_compositions
        self.find_composition = composing.find_composition
        self.delete_composition = composing.delete_composition
        self.composition_media = composing.composition_media
        self.compositions = composing.compositions

        # Voice: calls and their lifecycle.
        self.create_call = voice.create_call
        self.find_call = voice.find_call
        self.list_calls = voice.list_calls
        self.update_call = voice.update_call
        self.calls = voice.calls
        self.call = voice.call
        self.call_status_history = voice.call_status_history
        self.place_inbound_call = voice.place_inbound_call
        self.caller_hangs_up = voice.caller_hangs_up

    @contextmanager
    def locked(self) -> Iterator[World]:
        """Hold the world lock with due clock events already run (for REST handlers)."""
        with self.state.locked():
            yield self

    @property
    def friendly_name(self) -> str:
        """The account's friendly name (Accounts/{sid}.json)."""
        return self.numbers.friendly_name

    @property
    def incoming_numbers(self) -> tuple[OwnedNumber, ...]:
        """The account's incoming phone numbers (PN…), in listing order."""
        return self.numbers.incoming_numbers

    @property
    def caller_ids(self) -> tuple[OwnedNumber, ...]:
        """The account's verified outgoing caller IDs, in listing order."""
        return self.numbers.caller_ids

    @property
    def ring_after_s(self) -> float:
        """Seconds from queued to the callee's phone ringing (or busy/failed)."""
        return self.voice.ring_after_s

    @property
    def answer_after_s(self) -> float:
        """Seconds of ringing before an answering callee picks up."""
        return self.voice.answer_after_s
