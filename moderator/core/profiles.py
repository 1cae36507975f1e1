"""Saved Twilio profiles: non-secret data in a JSON file, the secret only in the OS keyring.

A profile names one Twilio account and how the app authenticates to it. The JSON file holds the
name, Account SID, auth kind and username (API key SID or Account SID) — nothing that grants access.
The auth token or API key secret goes to the OS keyring under one service name, one entry per
profile. When no usable keyring exists the store refuses with `KeyringUnavailable` and writes
nothing: there is deliberately no plaintext fallback.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import unicodedata
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from moderator.core.credentials import Credentials
from moderator.core.jsonfile import (
    NewerFormat,
    UnreadableFile,
    format_version,
    read_json,
    write_json_atomic,
)
from moderator.core.paths import config_dir

if TYPE_CHECKING:
    # keyring (with its backends and their dependencies) costs tens of milliseconds to import and
    # only saved profiles need it, so it is imported where used: the sandbox starts without it.
    import keyring.backend

log = logging.getLogger(__name__)

KEYRING_SERVICE = "room-moderator"
PROFILES_FILE_NAME = "profiles.json"
SANDBOX_PROFILE = ""
"""The profile "name" that stands for the built-in local sandbox (never stored)."""
SANDBOX_LABEL = "Sandbox (local)"
MAX_NAME_LENGTH = 64

_ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
_API_KEY_SID = re.compile(r"SK[0-9a-fA-F]{32}")
_FILE_VERSION = 1
"""Format of profiles.json: 1 is {"version": 1, "profiles": [...]} (a file without "version" is
read as 1). A newer file is refused: no profiles are listed and none is saved over it."""


class AuthKind(StrEnum):
    """How a profile authenticates: API key (recommended) or the account's auth token."""

    API_KEY = "api-key"
    AUTH_TOKEN = "auth-token"


@dataclass(frozen=True, slots=True)
class Profile:
    """One saved Twilio account; deliberately has no field that could hold a secret."""

    name: str
    account_sid: str
    auth_kind: AuthKind
    username: str
    """API key SID (SK…) for `AuthKind.API_KEY`, the Account SID for `AuthKind.AUTH_TOKEN`."""

    @classmethod
    def with_api_key(cls, name: str, account_sid: str, api_key_sid: str) -> Profile:
        return cls(name, account_sid, AuthKind.API_KEY, api_key_sid)

    @classmethod
    def with_auth_token(cls, name: str, account_sid: str) -> Profile:
        return cls(name, account_sid, AuthKind.AUTH_TOKEN, account_sid)

    def credentials(self, secret: str) -> Credentials:
        """The credentials this profile authenticates with, given its secret."""
        return Credentials(account_sid=self.account_sid, username=self.username, secret=secret)

    def to_json(self) -> dict[str, str]:
        return {
            "name": self.name,
            "account_sid": self.account_sid,
            "auth_kind": self.auth_kind.value,
            "username": self.username,
        }

    @classmethod
    def from_json(cls, data: object) -> Profile | None:
        """A profile from one JSON entry, or None if the entry is malformed."""
        if not isinstance(data, Mapping):
            return None
        name, account_sid, kind, username = (
            data.get(key) for key in ("name", "account_sid", "auth_kind", "username")
        )
        if not all(isinstance(v, str) for v in (name, account_sid, kind, username)):
            return None
        assert isinstance(name, str) and isinstance(account_sid, str)
        assert isinstance(kind, str) and isinstance(username, str)
        if kind not in {k.value for k in AuthKind} or check_profile_name(name) is not None:
            return None
        profile = cls(name, account_sid, AuthKind(kind), username)
        return profile if check_identifiers(profile) is None else None


# --- validation (plain messages for the add-profile dialog; None means fine) -------------------


def check_profile_name(name: str, existing: Collection[str] = ()) -> str | None:
    """Why `name` cannot name a new profile, or None. Names compare case-insensitively."""
    stripped = name.strip()
    if not stripped:
        return "Give the profile a name."
    if stripped != name:
        return "The name cannot start or end with spaces."
    if len(name) > MAX_NAME_LENGTH:
        return f"Keep the name to {MAX_NAME_LENGTH} characters or fewer."
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        return "The name cannot contain control characters."
    if name.casefold() == SANDBOX_LABEL.casefold():
        return f"“{SANDBOX_LABEL}” is the built-in sandbox; choose another name."
    if name.casefold() in {other.casefold() for other in existing}:
        return f"A profile named “{name}” already exists."
    return None


def check_account_sid(value: str) -> str | None:
    """Why `value` is not an Account SID, or None."""
    if not value:
        return "Enter the Account SID from the Twilio Console (it starts with AC)."
    if not _ACCOUNT_SID.fullmatch(value):
        return "An Account SID is AC followed by 32 hexadecimal characters."
    return None


def check_api_key_sid(value: str) -> str | None:
    """Why `value` is not an API key SID, or None."""
    if not value:
        return "Enter the API key SID (it starts with SK)."
    if value.startswith("AC"):
        return "That is an Account SID; an API key SID starts with SK."
    if not _API_KEY_SID.fullmatch(value):
        return "An API key SID is SK followed by 32 hexadecimal characters."
    return None


def check_secret(value: str, kind: AuthKind) -> str | None:
    """Why `value` cannot be the secret, or None. Never echoes the value."""
    what = "API key secret" if kind is AuthKind.API_KEY else "auth token"
    if not value:
        return f"Enter the {what}."
    if any(ch.isspace() for ch in value):
        return f"The {what} cannot contain spaces or line breaks."
    return None


def check_identifiers(profile: Profile) -> str | None:
    """Why the profile's SIDs are inconsistent, or None."""
    problem = check_account_sid(profile.account_sid)
    if problem:
        return problem
    if profile.auth_kind is AuthKind.API_KEY:
        return check_api_key_sid(profile.username)
    if profile.username != profile.account_sid:
        return "With an auth token the username is the Account SID."
    return None


# --- errors ------------------------------------------------------------------------------------


class ProfileError(Exception):
    """Base of the store's errors. `message` is one plain line, `action` says what to do."""

    def __init__(self, message: str, action: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.action = action


class NewerProfileFile(ProfileError):
    """profiles.json was written by a newer Room Moderator: it is neither read nor written."""


class ProfileNotFound(ProfileError):
    """No profile of that name is saved."""


class DuplicateProfile(ProfileError):
    """A profile of that name is saved already."""


class SecretMissing(ProfileError):
    """The profile exists but its keyring entry is gone (e.g. deleted in the keyring's own app)."""


class KeyringProblem(StrEnum):
    NO_BACKEND = "no-backend"
    LOCKED = "locked"
    FAILED = "failed"


class KeyringUnavailable(ProfileError):
    """No usable OS keyring: nothing was read or written. Never carries the secret.

    `detail` names the underlying keyring error for bug reports; `message` and `action` are for
    the user.
    """

    def __init__(self, problem: KeyringProblem, detail: str = "") -> None:
        message, action = _keyring_advice(problem)
        super().__init__(message, action)
        self.problem = problem
        self.detail = detail

    def __repr__(self) -> str:
        return f"KeyringUnavailable({self.problem.value!r}, detail={self.detail!r})"


def _keyring_advice(problem: KeyringProblem) -> tuple[str, str]:
    if problem is KeyringProblem.LOCKED:
        message = "The system keyring is locked, so Twilio secrets cannot be read or saved."
    elif problem is KeyringProblem.NO_BACKEND:
        message = "No system keyring is available to keep Twilio secrets safely."
    else:
        message = "The system keyring refused the request, so Twilio secrets cannot be used."
    if sys.platform == "darwin":
        action = "Unlock your login keychain in Keychain Access, then try again."
    elif sys.platform == "win32":
        action = "Make sure Windows Credential Manager is available for your user, then try again."
    elif problem is KeyringProblem.LOCKED:
        action = (
            "Unlock your keyring (GNOME Keyring or KWallet), e.g. in Passwords and Keys, "
            "then try again."
        )
    else:
        action = (
            "Install and start a Secret Service keyring — GNOME Keyring (package gnome-keyring) "
            "or KWallet — and unlock it, then try again."
        )
    return message, action + " The local sandbox works without one."


@cache
def _keyring_failures() -> tuple[type[BaseException], ...]:
    """What a keyring call may raise when the keyring is unusable (imported on first use)."""
    import keyring.errors

    failures: tuple[type[BaseException], ...] = (keyring.errors.KeyringError, OSError)
    try:  # SecretService backend errors that keyring does not always wrap
        import secretstorage.exceptions

        failures += (secretstorage.exceptions.SecretStorageException,)
    except ImportError:  # pragma: no cover - not on Linux
        pass
    try:
        from jeepney.wrappers import DBusErrorResponse  # type: ignore[import-untyped]

        failures += (DBusErrorResponse,)
    except ImportError:  # pragma: no cover - not on Linux
        pass
    return failures


def _classify(exc: BaseException) -> KeyringProblem:
    import keyring.errors

    if isinstance(exc, keyring.errors.KeyringLocked):
        return KeyringProblem.LOCKED
    if type(exc).__name__ in {"LockedException", "PromptDismissedException"}:
        return KeyringProblem.LOCKED
    if isinstance(exc, keyring.errors.NoKeyringError | keyring.errors.InitError):
        return KeyringProblem.NO_BACKEND
    return KeyringProblem.FAILED


def _scrub(text: str, secret: str | None) -> str:
    return text.replace(secret, "•••") if secret else text


def _unavailable(exc: BaseException, secret: str | None = None) -> KeyringUnavailable:
    detail = _scrub(f"{type(exc).__name__}: {exc}", secret)
    log.warning("keyring unavailable: %s", detail)
    return KeyringUnavailable(_classify(exc), detail)


def _is_secure(backend: keyring.backend.KeyringBackend) -> bool:
    """Whether `backend` really stores secrets somewhere safe.

    The fail and null backends store nothing; a chainer with nothing to chain is one of them; and
    keyring itself calls any backend with priority below 1 "not recommended".
    """
    from keyring.backends import chainer, fail, null

    if isinstance(backend, fail.Keyring | null.Keyring):
        return False
    if isinstance(backend, chainer.ChainerBackend):
        return any(_is_secure(inner) for inner in backend.backends)
    try:
        priority = type(backend).priority
    except Exception:  # a backend reports non-viability by raising from its priority
        return False
    return isinstance(priority, int | float) and priority >= 1


_Profiles = list[Profile]  # aliases: inside ProfileStore, `list` is the method
_Names = list[str]


# --- the store ---------------------------------------------------------------------------------


class ProfileStore:
    """Saved profiles. Thread-safe, so a worker can save while the UI lists.

    `backend` defaults to `keyring.get_keyring()` at each call, so `keyring.set_keyring` (tests)
    takes effect at once. Keyring calls can block on an unlock prompt: run them off the UI thread.
    """

    def __init__(
        self,
        path: Path | None = None,
        *,
        service: str = KEYRING_SERVICE,
        backend: keyring.backend.KeyringBackend | None = None,
    ) -> None:
        self.path = path if path is not None else config_dir() / PROFILES_FILE_NAME
        self.service = service
        self._backend = backend
        self._lock = threading.RLock()
        self.refused: NewerFormat | None = None
        """Set once the file turned out to be a newer app's: it is then never written."""

    # non-secret side

    def list(self) -> _Profiles:
        """Saved profiles in the order they were added. Reads only the JSON file."""
        with self._lock:
            return self._read()

    def names(self) -> _Names:
        return [p.name for p in self.list()]

    def get(self, name: str) -> Profile | None:
        return next((p for p in self.list() if p.name == name), None)

    # keyring side

    def keyring_backend(self) -> keyring.backend.KeyringBackend:
        """The usable keyring backend, or `KeyringUnavailable`."""
        import keyring

        try:
            backend = self._backend if self._backend is not None else keyring.get_keyring()
        except Exception as exc:  # keyring's own initialisation can fail in many ways
            raise _unavailable(exc) from None
        if not _is_secure(backend):
            log.warning("keyring unavailable: backend %s stores nothing safely", type(backend))
            raise KeyringUnavailable(KeyringProblem.NO_BACKEND, f"backend {type(backend)}")
        return backend

    def check_keyring(self) -> None:
        """Raise `KeyringUnavailable` unless a secure keyring backend is configured."""
        self.keyring_backend()

    def save(self, profile: Profile, secret: str, *, replace: bool = False) -> None:
        """Store the secret in the keyring, then the profile in the JSON file.

        Validating the credentials with Twilio first is the caller's job. If the keyring refuses,
        nothing is written; if the file cannot be written, the new keyring entry is taken back.
        """
        problem = check_identifiers(profile) or check_secret(secret, profile.auth_kind)
        if problem:
            raise ProfileError(problem)
        with self._lock:
            profiles = self._read()
            self._check_writable()
            key = profile.name.casefold()
            clash = next((p for p in profiles if p.name.casefold() == key), None)
            if clash is not None and not (replace and clash.name == profile.name):
                raise DuplicateProfile(
                    f"A profile named “{clash.name}” already exists.", "Choose another name."
                )
            name_problem = check_profile_name(profile.name)
            if name_problem:
                raise ProfileError(name_problem)
            backend = self.keyring_backend()
            previous = self._get_secret(backend, profile.name) if clash is not None else None
            self._set_secret(backend, profile.name, secret)
            updated = [profile if p is clash else p for p in profiles]
            if clash is None:
                updated.append(profile)
            try:
                self._write(updated)
            except OSError:
                self._undo_secret(backend, profile.name, previous)
                raise
        log.info("saved profile %r (%s)", profile.name, profile.auth_kind.value)

    def load_credentials(self, name: str) -> Credentials:
        """The profile's credentials, secret read from the keyring."""
        profile = self.get(name)
        if profile is None:
            raise ProfileNotFound(f"There is no profile named “{name}”.")
        secret = self._get_secret(self.keyring_backend(), name)
        if secret is None:
            raise SecretMissing(
                f"The secret for profile “{name}” is no longer in the system keyring.",
                "Remove the profile and add it again.",
            )
        return profile.credentials(secret)

    def remove(self, name: str) -> None:
        """Delete the profile and its keyring entry. A keyring failure changes nothing."""
        with self._lock:
            profiles = self._read()
            if not any(p.name == name for p in profiles):
                raise ProfileNotFound(f"There is no profile named “{name}”.")
            self._delete_secret(self.keyring_backend(), name)
            self._write([p for p in profiles if p.name != name])
        log.info("removed profile %r", name)

    def rename(self, old: str, new: str) -> Profile:
        """Give a profile a new name, moving its keyring entry along."""
        with self._lock:
            profiles = self._read()
            profile = next((p for p in profiles if p.name == old), None)
            if profile is None:
                raise ProfileNotFound(f"There is no profile named “{old}”.")
            if new.casefold() == old.casefold():
                # Some keyrings ignore case: the new entry would be the old one, then deleted.
                raise ProfileError("Choose a name that differs by more than letter case.")
            problem = check_profile_name(new, [p.name for p in profiles if p.name != old])
            if problem:
                raise ProfileError(problem)
            backend = self.keyring_backend()
            secret = self._get_secret(backend, old)
            if secret is None:
                raise SecretMissing(
                    f"The secret for profile “{old}” is no longer in the system keyring.",
                    "Remove the profile and add it again.",
                )
            renamed = Profile(new, profile.account_sid, profile.auth_kind, profile.username)
            self._set_secret(backend, new, secret)
            try:
                self._write([renamed if p is profile else p for p in profiles])
            except OSError:
                self._undo_secret(backend, new, None)
                raise
            self._delete_secret(backend, old)
            return renamed

    # internals

    def _read(self) -> _Profiles:
        try:
            data = read_json(self.path)
        except UnreadableFile as exc:
            log.warning("profile list unreadable, starting empty: %s", exc)
            return []
        if data is None:
            return []
        try:
            format_version(data, self.path, _FILE_VERSION)
        except NewerFormat as exc:
            if self.refused is None:
                log.warning("no saved profiles listed: %s", exc)
            self.refused = exc
            return []
        entries = data.get("profiles") if isinstance(data, Mapping) else None
        if not isinstance(entries, list):
            log.warning("profile list %s has no 'profiles' array; ignoring it", self.path)
            return []
        profiles: _Profiles = []
        for entry in entries:
            profile = Profile.from_json(entry)
            if profile is None:
                log.warning("skipping a malformed profile entry in %s", self.path)
            elif all(p.name.casefold() != profile.name.casefold() for p in profiles):
                profiles.append(profile)
        return profiles

    def _check_writable(self) -> None:
        if self.refused is not None:
            raise NewerProfileFile(
                "The profile list was saved by a newer Room Moderator, so this one cannot "
                "change it.",
                "Update Room Moderator to add or change profiles.",
            )

    def _write(self, profiles: _Profiles) -> None:
        self._check_writable()
        write_json_atomic(
            self.path, {"version": _FILE_VERSION, "profiles": [p.to_json() for p in profiles]}
        )

    def _get_secret(self, backend: keyring.backend.KeyringBackend, name: str) -> str | None:
        try:
            return backend.get_password(self.service, name)
        except _keyring_failures() as exc:
            raise _unavailable(exc) from None

    def _set_secret(self, backend: keyring.backend.KeyringBackend, name: str, secret: str) -> None:
        try:
            backend.set_password(self.service, name, secret)
        except _keyring_failures() as exc:
            raise _unavailable(exc, secret) from None

    def _delete_secret(self, backend: keyring.backend.KeyringBackend, name: str) -> None:
        import keyring.errors

        try:
            backend.delete_password(self.service, name)
        except keyring.errors.PasswordDeleteError:
            # Most backends say "not found" this way; make sure the entry really is gone.
            if self._get_secret(backend, name) is not None:
                raise KeyringUnavailable(
                    KeyringProblem.FAILED, "PasswordDeleteError with the entry still present"
                ) from None
        except _keyring_failures() as exc:
            raise _unavailable(exc) from None

    def _undo_secret(
        self, backend: keyring.backend.KeyringBackend, name: str, previous: str | None
    ) -> None:
        try:
            if previous is None:
                self._delete_secret(backend, name)
            else:
                self._set_secret(backend, name, previous)
        except KeyringUnavailable:
            log.warning("could not take back the keyring entry of profile %r", name)


def change_problem(store: ProfileStore, change: Callable[[], None]) -> ProfileError | None:
    """Run a save or remove on a worker thread; its problem comes back as a value, not raised.

    An unwritable profile list (an OSError) becomes a ProfileError that says where to look.
    """
    try:
        change()
    except ProfileError as exc:
        return exc
    except OSError as exc:
        return ProfileError(
            f"The profile list could not be written ({exc.strerror or type(exc).__name__}).",
            f"Check that {store.path.parent} is writable, then try again.",
        )
    return None
