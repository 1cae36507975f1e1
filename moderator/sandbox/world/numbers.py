"""The account and the numbers it owns: incoming phone numbers and verified caller IDs.

Read-only in the sandbox (fixed at start, like a console-provisioned account). The calls family
asks `owned()` whether a From number may be used; the app lists both sets.
"""

from __future__ import annotations

from moderator.sandbox.world.records import OwnedNumber
from moderator.sandbox.world.state import WorldState

__all__ = ["Numbers"]


class Numbers:
    """The account's friendly name and the numbers it may call from."""

    def __init__(self, state: WorldState, *, friendly_name: str) -> None:
        self._state = state
        self.friendly_name = friendly_name
        # Created in this order so a seeded world keeps the same PN… SIDs.
        self.incoming_numbers: tuple[OwnedNumber, ...] = (
            self._number("+15005550006", "Sandbox main line", incoming=True),
            self._number("+14155550142", "Sandbox second line", incoming=True),
        )
        self.caller_ids: tuple[OwnedNumber, ...] = (
            self._number("+14155550199", "Host mobile", incoming=False),
        )

    def _number(self, e164: str, label: str, *, incoming: bool) -> OwnedNumber:
        state = self._state
        return OwnedNumber(state.sids.new("PN"), e164, label, state.created_at, incoming)

    def owned(self, number: str) -> OwnedNumber | None:
        """The incoming number or caller ID `number` is, if the account owns it."""
        for owned in (*self.incoming_numbers, *self.caller_ids):
            if owned.phone_number == number:
                return owned
        return None
