"""Twilio-style SIDs (two-letter prefix + 32 hex) from a seeded generator, so runs repeat."""

from __future__ import annotations

import random

__all__ = ["SidFactory"]


class SidFactory:
    """Makes random-looking but reproducible SIDs; callers hold the world lock."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def hex32(self) -> str:
        """32 lowercase hex digits, the body of every Twilio SID."""
        return f"{self._rng.getrandbits(128):032x}"

    def new(self, prefix: str) -> str:
        """A fresh SID such as RM…, PA…, MT…, CA…."""
        return prefix + self.hex32()
