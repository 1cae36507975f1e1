"""A profile round trip through the real OS keyring (SecretService, e.g. gnome-keyring).

Everything else tests with an in-memory backend; this one proves the real thing works. `.ci/run`
runs it inside `dbus-run-session` with an unlocked throwaway gnome-keyring and
ROOM_MODERATOR_SECRETSERVICE=1. With that variable set, a missing or wrong backend fails the test
rather than skipping it, so CI cannot pass without really talking to SecretService.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import keyring
import keyring.backend
import pytest

from moderator.core.profiles import Profile, ProfileNotFound, ProfileStore

ENABLE_ENV = "ROOM_MODERATOR_SECRETSERVICE"

pytestmark = [
    pytest.mark.secretservice,
    pytest.mark.skipif(
        os.environ.get(ENABLE_ENV) != "1",
        reason=(
            f"needs a real, unlocked SecretService keyring; set {ENABLE_ENV}=1 inside "
            "dbus-run-session with gnome-keyring-daemon running (as .ci/run does)"
        ),
    ),
]

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
API_KEY_SID = "SK" + "fedcba9876543210" * 2


def test_round_trip_through_secretservice(isolated_config_dir: Path) -> None:
    # keyring picks its backend itself, as in the app; demand that it picked SecretService.
    backend = keyring.get_keyring()
    chosen = [backend, *getattr(backend, "backends", [])]
    assert any(type(b).__module__ == "keyring.backends.SecretService" for b in chosen), (
        f"default keyring backend is {backend}, not SecretService"
    )
    # A unique service name: never touches a real "room-moderator" entry on a developer machine.
    service = f"room-moderator-test-{secrets.token_hex(4)}"
    secret = secrets.token_hex(16)
    store = ProfileStore(service=service)
    store.check_keyring()
    name = "CI profile ✓"
    try:
        store.save(Profile.with_api_key(name, ACCOUNT_SID, API_KEY_SID), secret)
        assert keyring.get_password(service, name) == secret

        fresh = ProfileStore(service=service)
        assert fresh.load_credentials(name).secret == secret
        for path in isolated_config_dir.rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes()

        fresh.remove(name)
        assert keyring.get_password(service, name) is None
        with pytest.raises(ProfileNotFound):
            fresh.load_credentials(name)
    finally:
        if keyring.get_password(service, name) is not None:
            keyring.delete_password(service, name)
