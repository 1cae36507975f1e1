"""The sandbox account's credentials, in a module of their own so they cost nothing to import.

The app makes them before the sandbox's server (and Werkzeug) are imported, so a session can be
set up the moment the window is shown; the server makes the same ones from the same seed.
"""

from __future__ import annotations

import random
import secrets
import string
from dataclasses import dataclass


@dataclass(frozen=True)
class SandboxCredentials:
    """The sandbox account's credentials; secrets stay out of repr so logs never show them."""

    account_sid: str
    auth_token: str
    api_key_sid: str
    api_key_secret: str

    def __repr__(self) -> str:
        return (
            f"SandboxCredentials(account_sid={self.account_sid!r},"
            f" api_key_sid={self.api_key_sid!r}, secrets hidden)"
        )

    def as_dict(self) -> dict[str, str]:
        """All four values, for the CLI's first stdout line."""
        return {
            "account_sid": self.account_sid,
            "auth_token": self.auth_token,
            "api_key_sid": self.api_key_sid,
            "api_key_secret": self.api_key_secret,
        }

    @classmethod
    def generate(cls, seed: int | None) -> SandboxCredentials:
        """Random-looking credentials, the same for the same seed."""
        rng: random.Random = (
            random.Random(f"credentials:{seed}") if seed is not None else secrets.SystemRandom()
        )
        alphabet = string.ascii_letters + string.digits

        def hex32() -> str:
            return f"{rng.getrandbits(128):032x}"

        return cls(
            account_sid="AC" + hex32(),
            auth_token=hex32(),
            api_key_sid="SK" + hex32(),
            api_key_secret="".join(rng.choice(alphabet) for _ in range(32)),
        )
