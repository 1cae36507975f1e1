"""Profiles: the secret lives only in the keyring, the JSON file only holds what grants nothing."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import keyring.errors
import pytest
from keyring.backends import fail, null

from moderator.core.profiles import (
    KEYRING_SERVICE,
    SANDBOX_LABEL,
    AuthKind,
    DuplicateProfile,
    KeyringProblem,
    KeyringUnavailable,
    Profile,
    ProfileError,
    ProfileNotFound,
    ProfileStore,
    SecretMissing,
    check_account_sid,
    check_api_key_sid,
    check_profile_name,
    check_secret,
)
from tests.keyring_memory import BrokenKeyring, MemoryKeyring, installed

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
API_KEY_SID = "SK" + "fedcba9876543210" * 2
API_SECRET = "ApiSecretValue0123456789abcdefXY"
AUTH_TOKEN = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def assert_secret_nowhere_on_disk(folder: Path, *secrets: str) -> None:
    for path in files_under(folder):
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"secret written to {path}"


@pytest.fixture
def store(isolated_config_dir: Path, memory_keyring: MemoryKeyring) -> ProfileStore:
    return ProfileStore()


def test_default_path_is_under_the_overridable_config_dir(isolated_config_dir: Path) -> None:
    assert ProfileStore().path == isolated_config_dir / "profiles.json"


def test_save_puts_secret_in_keyring_only(
    store: ProfileStore, memory_keyring: MemoryKeyring, isolated_config_dir: Path
) -> None:
    store.save(Profile.with_api_key("Work", ACCOUNT_SID, API_KEY_SID), API_SECRET)
    store.save(Profile.with_auth_token("Old account", ACCOUNT_SID), AUTH_TOKEN)

    assert memory_keyring.entries == {
        (KEYRING_SERVICE, "Work"): API_SECRET,
        (KEYRING_SERVICE, "Old account"): AUTH_TOKEN,
    }
    saved = json.loads(store.path.read_text(encoding="utf-8"))
    assert saved["profiles"] == [
        {
            "name": "Work",
            "account_sid": ACCOUNT_SID,
            "auth_kind": "api-key",
            "username": API_KEY_SID,
        },
        {
            "name": "Old account",
            "account_sid": ACCOUNT_SID,
            "auth_kind": "auth-token",
            "username": ACCOUNT_SID,
        },
    ]
    assert_secret_nowhere_on_disk(isolated_config_dir, API_SECRET, AUTH_TOKEN)
    assert store.names() == ["Work", "Old account"]


def test_load_credentials_combines_file_and_keyring(store: ProfileStore) -> None:
    store.save(Profile.with_api_key("Work", ACCOUNT_SID, API_KEY_SID), API_SECRET)

    creds = ProfileStore(store.path).load_credentials("Work")

    assert (creds.account_sid, creds.username, creds.secret) == (
        ACCOUNT_SID,
        API_KEY_SID,
        API_SECRET,
    )
    assert API_SECRET not in repr(creds)
    assert API_SECRET not in str(creds)


def test_profile_has_no_secret_and_repr_is_safe() -> None:
    profile = Profile.with_api_key("Work", ACCOUNT_SID, API_KEY_SID)
    assert set(profile.to_json()) == {"name", "account_sid", "auth_kind", "username"}
    assert profile.credentials(API_SECRET).secret == API_SECRET
    assert API_SECRET not in repr(profile.credentials(API_SECRET))


def test_remove_deletes_the_keyring_entry(
    store: ProfileStore, memory_keyring: MemoryKeyring
) -> None:
    store.save(Profile.with_api_key("Work", ACCOUNT_SID, API_KEY_SID), API_SECRET)
    store.save(Profile.with_auth_token("Other", ACCOUNT_SID), AUTH_TOKEN)

    store.remove("Work")

    assert (KEYRING_SERVICE, "Work") not in memory_keyring.entries
    assert memory_keyring.entries == {(KEYRING_SERVICE, "Other"): AUTH_TOKEN}
    assert store.names() == ["Other"]
    with pytest.raises(ProfileNotFound):
        store.load_credentials("Work")


def test_remove_tolerates_an_entry_already_gone(
    store: ProfileStore, memory_keyring: MemoryKeyring
) -> None:
    store.save(Profile.with_api_key("Work", ACCOUNT_SID, API_KEY_SID), API_SECRET)
    memory_keyring.entries.clear()  # e.g. deleted in the keyring's own app

    with pytest.raises(SecretMissing) as missing:
        store.load_credentials("Work")
    assert "Remove the profile" in missing.value.action

    store.remove("Work")
    assert store.names() == []


def test_remove_unknown_profile(store: ProfileStore) -> None:
    with pytest.raises(ProfileNotFound):
        store.remove("Nope")


def test_duplicate_names_are_refused_case_insensitively(
    store: ProfileStore, memory_keyring: MemoryKeyring
) -> None:
    store.save(Profile.with_api_key("Work", ACCOUNT_SID, API_KEY_SID), API_SECRET)
    with pytest.raises(DuplicateProfile):
        store.save(Profile.with_auth_token("work", ACCOUNT_SID), AUTH_TOKEN)
    assert memory_keyring.entries == {(KEYRING_SERVICE, "Work"): API_SECRET}


def test_replace_updates_secret_and_keeps_position(
    store: ProfileStore, memory_keyring: MemoryKeyring
) -> None:
    store.save(Profile.with_api_key("A", ACCOUNT_SID, API_KEY_SID), API_SECRET)
    store.save(Profile.with_api_key("B", ACCOUNT_SID, API_KEY_SID), API_SECRET)
    store.save(Profile.with_auth_token("A", ACCOUNT_SID), AUTH_TOKEN, replace=True)
    assert store.names() == ["A", "B"]
    assert store.load_credentials("A").secret == AUTH_TOKEN


def test_invalid_profiles_are_refused_before_the_keyring(
    store: ProfileStore, memory_keyring: MemoryKeyring
) -> None:
    with pytest.raises(ProfileError):
        store.save(Profile.with_api_key("X", ACCOUNT_SID, "SKnothex"), API_SECRET)
    with pytest.raises(ProfileError):
        store.save(Profile.with_auth_token("X", ACCOUNT_SID), "")
    with pytest.raises(ProfileError):
        store.save(Profile.with_auth_token(SANDBOX_LABEL, ACCOUNT_SID), AUTH_TOKEN)
    assert memory_keyring.entries == {}
    assert not store.path.exists()


def test_rename_moves_the_keyring_entry(store: ProfileStore, memory_keyring: MemoryKeyring) -> None:
    store.save(Profile.with_api_key("Old", ACCOUNT_SID, API_KEY_SID), API_SECRET)
    renamed = store.rename("Old", "New")
    assert renamed.name == "New"
    assert memory_keyring.entries == {(KEYRING_SERVICE, "New"): API_SECRET}
    assert store.names() == ["New"]
    with pytest.raises(ProfileError):
        store.rename("New", "NEW")


@pytest.mark.parametrize(
    "make_error",
    [
        lambda: keyring.errors.KeyringLocked("Failed to unlock the collection!"),
        lambda: keyring.errors.InitError("Failed to create the collection"),
        lambda: keyring.errors.PasswordSetError("cannot store"),
        lambda: keyring.errors.NoKeyringError("no backend"),
    ],
    ids=["locked", "init-error", "set-error", "no-keyring"],
)
@pytest.mark.allow_log_warnings(r"keyring unavailable")
def test_broken_keyring_writes_nothing_anywhere(
    isolated_config_dir: Path, make_error: object, caplog: pytest.LogCaptureFixture
) -> None:
    assert callable(make_error)
    caplog.set_level(logging.DEBUG)
    backend = BrokenKeyring(make_error)
    with installed(backend):
        store = ProfileStore()
        with pytest.raises(KeyringUnavailable) as raised:
            store.save(Profile.with_api_key("Work", ACCOUNT_SID, API_KEY_SID), API_SECRET)
    assert backend.calls == ["set"]
    assert files_under(isolated_config_dir) == []
    error = raised.value
    for text in (str(error), repr(error), error.message, error.action, error.detail, caplog.text):
        assert API_SECRET not in text
    assert "sandbox" in error.action
    if isinstance(make_error(), keyring.errors.KeyringLocked):
        assert error.problem is KeyringProblem.LOCKED
        assert "Unlock" in error.action


@pytest.mark.allow_log_warnings(r"keyring unavailable: PasswordSetError")
def test_secret_echoed_by_a_backend_error_is_scrubbed(isolated_config_dir: Path) -> None:
    backend = BrokenKeyring(lambda: keyring.errors.PasswordSetError(f"refused {API_SECRET}"))
    with installed(backend), pytest.raises(KeyringUnavailable) as raised:
        ProfileStore().save(Profile.with_api_key("Work", ACCOUNT_SID, API_KEY_SID), API_SECRET)
    assert API_SECRET not in raised.value.detail
    assert API_SECRET not in repr(raised.value)


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()], ids=["fail", "null"])
@pytest.mark.allow_log_warnings(r"keyring unavailable: backend .* stores nothing safely")
def test_backends_that_store_nothing_are_refused(
    isolated_config_dir: Path, backend: keyring.backend.KeyringBackend
) -> None:
    with installed(backend):
        store = ProfileStore()
        with pytest.raises(KeyringUnavailable) as raised:
            store.check_keyring()
        assert raised.value.problem is KeyringProblem.NO_BACKEND
        with pytest.raises(KeyringUnavailable):
            store.save(Profile.with_api_key("Work", ACCOUNT_SID, API_KEY_SID), API_SECRET)
    assert files_under(isolated_config_dir) == []


def test_linux_advice_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    error = KeyringUnavailable(KeyringProblem.NO_BACKEND)
    assert "GNOME Keyring" in error.action
    assert "KWallet" in error.action
    monkeypatch.setattr("sys.platform", "darwin")
    assert "Keychain" in KeyringUnavailable(KeyringProblem.LOCKED).action
    monkeypatch.setattr("sys.platform", "win32")
    assert "Credential Manager" in KeyringUnavailable(KeyringProblem.FAILED).action


@pytest.mark.allow_log_warnings(r"keyring unavailable: KeyringLocked")
def test_remove_with_locked_keyring_changes_nothing(
    store: ProfileStore, memory_keyring: MemoryKeyring
) -> None:
    store.save(Profile.with_api_key("Work", ACCOUNT_SID, API_KEY_SID), API_SECRET)
    with installed(BrokenKeyring(lambda: keyring.errors.KeyringLocked("locked"))):
        with pytest.raises(KeyringUnavailable):
            store.remove("Work")
        assert store.names() == ["Work"]
    assert memory_keyring.entries == {(KEYRING_SERVICE, "Work"): API_SECRET}


@pytest.mark.allow_log_warnings(r"profile list unreadable")
def test_unwritable_file_takes_the_keyring_entry_back(
    store: ProfileStore, memory_keyring: MemoryKeyring
) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.mkdir()  # a folder where the file should be: the rename fails
    with pytest.raises(OSError):
        store.save(Profile.with_api_key("Work", ACCOUNT_SID, API_KEY_SID), API_SECRET)
    assert memory_keyring.entries == {}


@pytest.mark.allow_log_warnings(r"is not valid JSON", r"profile list unreadable, starting empty")
def test_corrupt_profile_file_is_kept_aside_and_treated_as_empty(
    store: ProfileStore, isolated_config_dir: Path
) -> None:
    isolated_config_dir.mkdir()
    store.path.write_text("{not json", encoding="utf-8")
    assert store.list() == []
    kept = list(isolated_config_dir.glob("profiles.json.corrupt-*"))
    assert len(kept) == 1
    assert kept[0].read_text(encoding="utf-8") == "{not json"


@pytest.mark.allow_log_warnings(r"skipping a malformed profile entry")
def test_malformed_entries_are_skipped(store: ProfileStore, isolated_config_dir: Path) -> None:
    isolated_config_dir.mkdir()
    good = Profile.with_api_key("Good", ACCOUNT_SID, API_KEY_SID).to_json()
    store.path.write_text(
        json.dumps(
            {
                "version": 1,
                "profiles": [
                    good,
                    {"name": "NoSid"},
                    {**good, "name": "Bad", "auth_kind": "password"},
                    {**good, "name": "Mismatch", "auth_kind": "auth-token"},
                    "junk",
                    {**good, "name": "GOOD"},
                ],
            }
        ),
        encoding="utf-8",
    )
    assert store.names() == ["Good"]


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (ACCOUNT_SID, True),
        (ACCOUNT_SID.upper().replace("AC", "AC", 1), True),
        ("", False),
        (API_KEY_SID, False),
        (ACCOUNT_SID[:-1], False),
        (ACCOUNT_SID + "0", False),
        ("AC" + "g" * 32, False),
    ],
)
def test_account_sid_check(value: str, ok: bool) -> None:
    assert (check_account_sid(value) is None) is ok


def test_api_key_sid_check() -> None:
    assert check_api_key_sid(API_KEY_SID) is None
    assert "Account SID" in (check_api_key_sid(ACCOUNT_SID) or "")
    assert check_api_key_sid("") is not None
    assert check_api_key_sid("SK123") is not None


def test_secret_check_never_echoes_the_value() -> None:
    assert check_secret(AUTH_TOKEN, AuthKind.AUTH_TOKEN) is None
    message = check_secret("has space" + AUTH_TOKEN, AuthKind.API_KEY) or ""
    assert message
    assert AUTH_TOKEN not in message
    assert "auth token" in (check_secret("", AuthKind.AUTH_TOKEN) or "")


def test_profile_name_check() -> None:
    assert check_profile_name("Work") is None
    assert check_profile_name("") is not None
    assert check_profile_name("  ") is not None
    assert check_profile_name(" Work") is not None
    assert check_profile_name("a\x00b") is not None
    assert check_profile_name("x" * 65) is not None
    assert check_profile_name("sandbox (LOCAL)") is not None
    assert check_profile_name("work", ["Work"]) is not None
