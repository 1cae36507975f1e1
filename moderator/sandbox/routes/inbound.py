"""The sandbox's own controls for scripts, outside Twilio's namespaces (`/sandbox/v1/…`): a
caller dials one of the account's numbers, and a caller hangs up. Same Basic auth as the Twilio
routes; never subject to the random fault, rate-limit or malformed-body knobs (they drive the
test, they are not Twilio)."""

from __future__ import annotations

from werkzeug.routing import Rule
from werkzeug.wrappers import Request

from moderator.sandbox.routes.common import Handlers, JsonObject
from moderator.sandbox.world import Call, World

__all__ = ["CONTROL_PREFIX", "RULES", "InboundCallRoutes"]

CONTROL_PREFIX = "/sandbox/"
"""Requests under this prefix are the sandbox's controls, not Twilio's API."""

RULES = [
    Rule("/sandbox/v1/InboundCalls", endpoint="sb_inbound_calls", methods=["POST"]),
    Rule("/sandbox/v1/InboundCalls/<sid>", endpoint="sb_inbound_call", methods=["GET"]),
    Rule("/sandbox/v1/InboundCalls/<sid>/Hangup", endpoint="sb_hangup", methods=["POST"]),
]


def _summary(call: Call) -> JsonObject:
    return {
        "call_sid": call.sid,
        "direction": call.direction,
        "from": call.from_,
        "to": call.to,
        "status": call.status,
    }


class InboundCallRoutes:
    """POST InboundCalls (From, To) → 201 {call_sid…}; GET one; POST …/Hangup."""

    def __init__(self, world: World) -> None:
        self.world = world

    def handlers(self) -> Handlers:
        """(endpoint, method) → handler for this family's rules."""
        return {
            ("sb_inbound_calls", "POST"): self._place,
            ("sb_inbound_call", "GET"): self._fetch,
            ("sb_hangup", "POST"): self._hang_up,
        }

    def _place(self, request: Request) -> tuple[int, JsonObject]:
        sid = self.world.place_inbound_call(
            request.form.get("From", ""), request.form.get("To", "")
        )
        return 201, _summary(self.world.call(sid))

    def _fetch(self, request: Request, sid: str) -> tuple[int, JsonObject]:
        return 200, _summary(self.world.call(sid))

    def _hang_up(self, request: Request, sid: str) -> tuple[int, JsonObject]:
        return 200, _summary(self.world.caller_hangs_up(sid))
