"""Keyring backends for tests: an in-memory one, and ones that fail the way real keyrings do.

Tests install them with `keyring.set_keyring` (see the `memory_keyring` fixtures), so no test ever
reads or writes the developer's real keyring. `viable = False` keeps them out of keyring's own
backend discovery, so merely importing this module changes nothing for other code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import keyring
import keyring.backend
import keyring.errors


class MemoryKeyring(keyring.backend.KeyringBackend):
    """Secrets in a dict, keyed by (service, username)."""

    priority = 1.0  # type: ignore[assignment]  # "recommended", like a real OS keyring
    viable = False  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("No such password!")


class BrokenKeyring(keyring.backend.KeyringBackend):
    """Looks like a real backend but raises `make_error()` from every operation.

    Stands in for a locked GNOME Keyring (`KeyringLocked`), a collection that cannot be opened
    (`InitError`) or a backend that refuses to store (`PasswordSetError`).
    """

    priority = 5.0  # type: ignore[assignment]
    viable = False  # type: ignore[assignment]

    def __init__(self, make_error: Callable[[], Exception]) -> None:
        super().__init__()
        self.make_error = make_error
        self.calls: list[str] = []

    def get_password(self, service: str, username: str) -> str | None:
        self.calls.append("get")
        raise self.make_error()

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls.append("set")
        raise self.make_error()

    def delete_password(self, service: str, username: str) -> None:
        self.calls.append("delete")
        raise self.make_error()


@contextmanager
def installed(backend: keyring.backend.KeyringBackend) -> Iterator[keyring.backend.KeyringBackend]:
    """Make `backend` keyring's current backend for the duration, then restore the previous one."""
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
