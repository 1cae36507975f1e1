"""The sandbox's state and Twilio's rules, one module per resource family behind `World`.

One lock (the clock's) guards everything, so REST handlers, clock events and tests' calls never
interleave. Timed behaviour (ringing, answering, <Say> durations, demo traffic) is scheduled on the
clock; due events run lazily at the start of every public method and on `ManualClock.advance`.

Modules: `state` (the shared lock, clock, SIDs, order, scheduler), `records` (the dataclasses),
`filters` (date filters), `numbers` (account, incoming numbers, caller IDs), `rooms` (rooms,
participants, tracks; `room_options` their create options), `call_rules` and `calls` (call
validation and lifecycle), `track_rules` (subscribe/recording rule checks and matching),
`subscriptions`, `recordings`, `compositions` and `media_files` (the files they serve), `facade`
(World).
"""

from moderator.sandbox.world.call_rules import callee_behaviour
from moderator.sandbox.world.facade import World
from moderator.sandbox.world.numbers import Application, NumberVoice, VoiceRoute
from moderator.sandbox.world.records import Call, OwnedNumber, Participant, Room, Track
from moderator.sandbox.world.rooms import MAX_PHONE_PARTICIPANTS

__all__ = [
    "MAX_PHONE_PARTICIPANTS",
    "Application",
    "Call",
    "NumberVoice",
    "OwnedNumber",
    "Participant",
    "Room",
    "Track",
    "VoiceRoute",
    "World",
    "callee_behaviour",
]
