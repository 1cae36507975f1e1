"""The gateway's Video host-controls half: each participant's subscribe rules.

Part of the gateway (the only code that talks to Twilio), kept apart from `gateway.py` like
`dialin_gateway`. "Mute for everyone" is written as subscribe rules, one participant at a time
(`client.video.v1.rooms(R).participants(P).subscribe_rules`).

A rules update is idempotent, so it may be sent again after a failure; but the app's writes
share Twilio's 20 writes/s per account, so a retry must wait its turn in the `WriteBudget`
rather than be re-sent here behind the budget's back: `update_rules` sends exactly one request,
and its failure goes up as a `TwilioError` (with the server's Retry-After when it sent one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from moderator.core.errors import TwilioError
from moderator.core.gateway import TwilioGateway
from moderator.core.mute_rules import SubscribeRule
from moderator.core.retry import Operation

__all__ = ["RulesRead", "VideoGateway"]


@dataclass(frozen=True, slots=True)
class RulesRead:
    """One participant's subscribe rules as Twilio has them, and when they were last written."""

    room_sid: str
    participant_sid: str
    rules: tuple[SubscribeRule, ...]
    date_updated: datetime | None = None


class VideoGateway:
    """Subscribe-rules requests; every method blocks, so call them from a worker."""

    def __init__(self, gateway: TwilioGateway) -> None:
        self._gateway = gateway
        self._client = gateway.client

    def _rules_resource(self, room_sid: str, participant_sid: str) -> Any:
        room = self._client.video.v1.rooms(room_sid)
        return room.participants(participant_sid).subscribe_rules

    def fetch_rules(self, room_sid: str, participant_sid: str) -> RulesRead:
        """A participant's subscribe rules (Twilio's default, include all, until written)."""
        resource = self._rules_resource(room_sid, participant_sid)
        instance = self._gateway.request(Operation.READ, resource.fetch)
        return self._gateway.convert(lambda i: _rules(room_sid, participant_sid, i), instance)

    def update_rules(
        self, room_sid: str, participant_sid: str, rules: Sequence[SubscribeRule]
    ) -> RulesRead:
        """Replace a participant's rules: one request, never retried here (see the module)."""
        resource = self._rules_resource(room_sid, participant_sid)
        body = [rule.to_json() for rule in rules]
        try:
            instance = resource.update(rules=body)
        except TwilioError:
            raise
        except Exception as exc:  # the SDK's and requests' failures, mapped as the gateway does
            raise self._gateway.error_for(exc) from exc
        return self._gateway.convert(lambda i: _rules(room_sid, participant_sid, i), instance)


def _rules(room_sid: str, participant_sid: str, instance: Any) -> RulesRead:
    raw = instance.rules
    if not isinstance(raw, list):
        raise TypeError("rules is not a list")
    updated = instance.date_updated
    return RulesRead(
        room_sid=room_sid,
        participant_sid=participant_sid,
        rules=tuple(SubscribeRule.from_json(rule) for rule in raw),
        date_updated=updated if isinstance(updated, datetime) else None,
    )
