"""Credentials for one Twilio account, shaped so the secret cannot leak through repr or str."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Credentials:
    """Basic-auth credentials: API key SID + secret (recommended) or Account SID + auth token.

    `username` is the API key SID (SK…) or, for an auth token, the Account SID itself.
    The secret is excluded from repr/eq so it never lands in logs, tracebacks or test output.
    """

    account_sid: str
    username: str
    secret: str = field(repr=False, compare=False)

    @property
    def uses_api_key(self) -> bool:
        return self.username.startswith("SK")

    def __str__(self) -> str:
        kind = "API key" if self.uses_api_key else "auth token"
        return f"{self.account_sid} ({kind} {self.username if self.uses_api_key else ''})".replace(
            " )", ")"
        )
