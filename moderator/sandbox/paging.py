"""List paging shared by both Twilio API styles: PageSize, Page and an opaque PageToken.

Tokens are keyset positions ("after this record" / "before this record"), like Twilio's, so a
record created or ended between two page fetches never shifts the later pages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from moderator.sandbox.errors import ApiError

__all__ = ["DEFAULT_PAGE_SIZE", "PageRequest", "PageSlice", "parse_page_request", "slice_page"]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
PAGING_PARAMETERS = ("PageSize", "Page", "PageToken")

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    """What the client asked for; `page` is echoed back, the token does the positioning."""

    page: int
    page_size: int
    token: str | None


@dataclass(frozen=True)
class PageSlice(Generic[T]):
    """One page of records plus the tokens of its neighbours (None at either end)."""

    items: list[T]
    request: PageRequest
    next_token: str | None
    previous_token: str | None


def _int_parameter(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ApiError(400, 20001, f"Invalid {name}: {raw!r} is not an integer") from exc
    if not low <= value <= high:
        raise ApiError(400, 20001, f"Invalid {name}: {value} is outside {low}–{high}")
    return value


def parse_page_request(args: Mapping[str, str]) -> PageRequest:
    """Read PageSize (default 50, max 1000), Page and PageToken from a query string."""
    return PageRequest(
        page=_int_parameter(args, "Page", 0, 0, 10**9),
        page_size=_int_parameter(args, "PageSize", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
        token=args.get("PageToken") or None,
    )


def _decode_token(token: str) -> tuple[str, int]:
    direction, rank = token[:2], token[2:]
    if direction not in {"PA", "PB"}:
        raise ApiError(400, 20001, f"Invalid PageToken: {token!r}")
    try:
        return direction, int(rank, 16)
    except ValueError as exc:
        raise ApiError(400, 20001, f"Invalid PageToken: {token!r}") from exc


def _token(direction: str, rank: int) -> str:
    return f"{direction}{rank:x}"


def slice_page(items: Sequence[T], rank: Callable[[T], int], request: PageRequest) -> PageSlice[T]:
    """Cut one page out of `items`, which are sorted by ascending, non-negative `rank`."""
    size = request.page_size
    if request.token is None:
        start = request.page * size
        chosen = list(items[start : start + size])
    else:
        direction, position = _decode_token(request.token)
        if direction == "PA":
            chosen = [item for item in items if rank(item) > position][:size]
        else:
            chosen = [item for item in items if rank(item) < position][-size:]
    next_token = previous_token = None
    if chosen:
        last, first = rank(chosen[-1]), rank(chosen[0])
        if any(rank(item) > last for item in items):
            next_token = _token("PA", last)
        if any(rank(item) < first for item in items):
            previous_token = _token("PB", first)
    return PageSlice(chosen, request, next_token, previous_token)
