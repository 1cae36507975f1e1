"""The Sync v1 records the sandbox keeps (service, map, map item) and Twilio's documented limits
for them; the behaviour is `sync`'s.

Limits, from Twilio's Sync docs (the API reference, the error pages and the limits page):
Data ≤ 16 KiB serialized (54006), item Key 1–320 characters (54209), TTL 0–31 536 000 s
(54011), at most 20 writes/s per top-level object (54009), list pages of at most 100.
"""

from __future__ import annotations

import copy
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = [
    "MAX_DATA_BYTES",
    "MAX_FRIENDLY_NAME",
    "MAX_KEY_LENGTH",
    "MAX_PAGE_SIZE",
    "MAX_TTL_S",
    "MAX_UNIQUE_NAME",
    "SYNC_BASE",
    "WRITES_PER_SECOND",
    "SyncMap",
    "SyncMapItem",
    "SyncService",
]

SYNC_BASE = "https://sync.twilio.com"
MAX_DATA_BYTES = 16 * 1024
"""16 KiB: the largest serialized JSON a Map Item holds (error 54006)."""
MAX_KEY_LENGTH = 320
"""The API reference's limit for a Map Item key (error page 54209 still says 256)."""
MAX_UNIQUE_NAME = 320
MAX_FRIENDLY_NAME = 255
MAX_TTL_S = 31_536_000
"""One year: the largest TTL Twilio accepts (error 54011); 0 means no expiry."""
WRITES_PER_SECOND = 20
"""Sync's object write rate: per top-level object, so item writes count against their map."""
MAX_PAGE_SIZE = 100
"""Every Sync v1 list documents PageSize 1–100 (default 50)."""


@dataclass
class SyncService:
    """A Sync Service (IS…): the container of maps. It has no unique name over REST."""

    sid: str
    seq: int
    friendly_name: str | None
    acl_enabled: bool
    webhook_url: str | None
    webhooks_from_rest_enabled: bool
    reachability_webhooks_enabled: bool
    reachability_debouncing_enabled: bool
    reachability_debouncing_window: int
    created_at: float
    updated_at: float


@dataclass
class SyncMapItem:
    """One item of a map, addressed by its key; `revision` counts its writes."""

    key: str
    map_sid: str
    service_sid: str
    data: dict[str, Any]
    revision: int
    created_at: float
    updated_at: float
    expires_at: float | None

    def copy(self) -> SyncMapItem:
        """A detached copy for the test API (the data too)."""
        return replace(self, data=copy.deepcopy(self.data))


@dataclass
class SyncMap:
    """A Sync Map (MP…) with its items; `writes` holds the clock times of recent writes."""

    sid: str
    seq: int
    service_sid: str
    unique_name: str | None
    revision: int
    created_at: float
    updated_at: float
    expires_at: float | None
    items: dict[str, SyncMapItem] = field(default_factory=dict, repr=False)
    writes: deque[float] = field(default_factory=deque, repr=False)

    def copy(self) -> SyncMap:
        """A detached copy for the test API, without items or the write window."""
        return replace(self, items={}, writes=deque())
