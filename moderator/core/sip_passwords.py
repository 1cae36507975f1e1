"""SIP guests' digest passwords: asked for each dial, or kept only in the OS keyring.

A SIP endpoint that challenges Twilio's INVITE needs `SipAuthUsername` and `SipAuthPassword` on
the create-call. The password is a secret like the Twilio one: when the host ticks "Remember
password in keyring" it goes to the OS keyring (one entry per account, username and SIP host),
never to settings, the journal or a log. `resolve_password` runs on the worker that sends the
create-call, since a keyring may block on an unlock prompt; whatever fails is a `TwilioError`
whose text never holds the password.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from moderator.core.errors import ErrorKind, TwilioError
from moderator.core.profiles import _is_secure
from moderator.core.sip import SipAuth, SipUriError
from moderator.core.sip import parse as parse_sip

if TYPE_CHECKING:
    import keyring.backend

__all__ = ["KEYRING_SERVICE", "SipPasswordStore", "entry_name"]

log = logging.getLogger(__name__)

#: Apart from the Twilio profiles' service, so removing a profile's secret never touches these.
KEYRING_SERVICE = "room-moderator-sip"


def entry_name(account_sid: str, username: str, uri: str) -> str:
    """The keyring entry of one SIP login: `AC…/alice@pbx.example.com` (the host of `uri`).

    The same username on another PBX, or in another Twilio account, is another entry.
    """
    try:
        host = parse_sip(uri).host
    except SipUriError:
        host = ""
    return f"{account_sid}/{username}@{host}"


class SipPasswordStore:
    """SIP passwords in the OS keyring. Calls block (an unlock prompt): run them on a worker.

    `backend` defaults to `keyring.get_keyring()` at each call, so `keyring.set_keyring` (tests)
    takes effect at once.
    """

    def __init__(
        self,
        *,
        service: str = KEYRING_SERVICE,
        backend: keyring.backend.KeyringBackend | None = None,
    ) -> None:
        self.service = service
        self._backend = backend

    def load(self, account_sid: str, username: str, uri: str) -> str | None:
        """The saved password, or None when none is saved."""
        name = entry_name(account_sid, username, uri)
        backend = self._keyring()
        try:
            password: str | None = backend.get_password(self.service, name)
        except Exception as exc:  # any backend's failure, its text never shown (see below)
            raise _keyring_error("read", exc) from None
        return password

    def save(self, account_sid: str, username: str, uri: str, password: str) -> None:
        name = entry_name(account_sid, username, uri)
        backend = self._keyring()
        try:
            backend.set_password(self.service, name, password)
        except Exception as exc:  # any backend's failure, its text never shown (see below)
            raise _keyring_error("saved", exc) from None

    def resolve_password(
        self, account_sid: str, auth: SipAuth | None, uri: str, typed: str
    ) -> str | None:
        """The password to send with a create-call (None without credentials).

        A typed password is used (and saved first when `auth.remember`); an empty one is read
        from the keyring when remembered, else the dial cannot go ahead: Twilio refuses a SIP
        username without its password (21225).
        """
        if auth is None:
            return None
        if typed:
            if auth.remember:
                self.save(account_sid, auth.username, uri, typed)
            return typed
        if auth.remember:
            saved = self.load(account_sid, auth.username, uri)
            if saved:
                return saved
            raise TwilioError(
                f"No SIP password for {auth.username} is saved in the system keyring.",
                action="Type the password in the dial dialog (tick Remember to save it).",
                kind=ErrorKind.INVALID_INPUT,
            )
        raise TwilioError(
            f"The SIP username {auth.username} needs its password, which is not kept.",
            action="Dial again from the dial dialog and type the password.",
            kind=ErrorKind.INVALID_INPUT,
        )

    def _keyring(self) -> keyring.backend.KeyringBackend:
        import keyring

        try:
            backend = self._backend if self._backend is not None else keyring.get_keyring()
        except Exception as exc:  # keyring's own initialisation can fail in many ways
            raise _keyring_error("read", exc) from None
        if not _is_secure(backend):
            raise TwilioError(
                "No system keyring is available to keep SIP passwords safely.",
                action="Untick Remember password and type the password for each dial.",
                kind=ErrorKind.INVALID_INPUT,
            )
        return backend


def _keyring_error(what: str, exc: BaseException) -> TwilioError:
    # The exception's text is not shown: a backend could echo what it was given.
    log.warning("SIP password keyring failure: %s", type(exc).__name__)
    verb = "read from" if what == "read" else "saved in"
    return TwilioError(
        f"The SIP password could not be {verb} the system keyring (it may be locked).",
        action="Unlock the keyring, or untick Remember password and type it for this dial.",
        kind=ErrorKind.INVALID_INPUT,
    )
