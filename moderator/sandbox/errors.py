"""Twilio-shaped errors: the sandbox answers every refusal the way Twilio's REST API does."""

from __future__ import annotations

from typing import Any

__all__ = ["ApiError", "error_body"]

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"


def error_body(status: int, code: int, message: str) -> dict[str, Any]:
    """The legacy Twilio error JSON (code, message, more_info, status) the SDK parses."""
    return {
        "code": code,
        "message": message,
        "more_info": MORE_INFO.format(code=code),
        "status": status,
    }


class ApiError(Exception):
    """A refusal with Twilio's HTTP status and error code; raised by the world, sent by the app."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(f"{status}/{code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        """The JSON body Twilio would send for this error."""
        return error_body(self.status, self.code, self.message)

    @classmethod
    def not_found(cls, path: str) -> ApiError:
        """Twilio's 20404 for any unknown resource."""
        return cls(404, 20404, f"The requested resource {path} was not found")
