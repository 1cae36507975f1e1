"""What every family's handlers share: their types and the form/query helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from moderator.sandbox.errors import ApiError
from moderator.sandbox.paging import PAGING_PARAMETERS

__all__ = [
    "NEWEST_FIRST",
    "Handler",
    "Handlers",
    "JsonObject",
    "int_form",
    "optional",
    "query_filters",
]

JsonObject = dict[str, Any]
Handler = Callable[..., tuple[int, JsonObject] | Response]
"""Takes the request and the URL's arguments (account removed); returns (status, JSON body),
or a ready Response for what is not JSON (204 No Content, a served twil.io asset)."""
Handlers = dict[tuple[str, str], Handler]
"""(endpoint, method) → handler; HEAD is served by the GET handler."""

NEWEST_FIRST = 1 << 48
"""Ranks for newest-first lists: larger seq → smaller rank."""


def query_filters(request: Request) -> dict[str, str]:
    """The query parameters other than paging, in the client's order (kept in page URLs)."""
    return {k: v for k, v in request.args.items(multi=True) if k not in PAGING_PARAMETERS}


def optional(value: str | None) -> str | None:
    """An empty form/query value counts as absent, as Twilio treats it."""
    return value if value else None


def int_form(request: Request, name: str, default: int | None) -> int | None:
    """An integer form field, `default` when absent or empty; 20001 when not an integer."""
    raw = request.form.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ApiError(400, 20001, f"{name} must be an integer, got {raw!r}") from exc
