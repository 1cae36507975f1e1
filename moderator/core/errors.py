"""One typed error for everything that can go wrong talking to Twilio.

The twilio SDK fails in three shapes (TwilioRestException, RFC 9457 TwilioServiceException, and a
bare TwilioException("Unable to fetch page", response) from paging), and `requests` adds its own
connection errors and timeouts. The UI should not care which: it gets a TwilioError with a
one-line human message, what to do about it, a kind to branch on, and whether a retry may help.
Messages never carry request headers or credentials; Twilio's own text is shown with phone
numbers masked, because every error may end up on screen or in a log.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from moderator.core.redaction import mask_number, redact_sip_uris

if TYPE_CHECKING:
    import requests
    from twilio.base.exceptions import TwilioException

__all__ = [
    "ErrorKind",
    "TwilioError",
    "describe_code",
    "error_for_code",
    "known_codes",
    "malformed_response",
    "to_twilio_error",
]

#: Twilio's own message is shown only up to this many characters, so errors stay one line.
_MAX_TWILIO_MESSAGE = 160


class ErrorKind(StrEnum):
    """What sort of failure this is, so callers can branch without knowing Twilio's codes."""

    AUTH = "auth"  # credentials rejected
    PERMISSION = "permission"  # authenticated, but not allowed (geo permissions, trial limits)
    NOT_FOUND = "not-found"
    RATE_LIMITED = "rate-limited"
    INVALID_INPUT = "invalid-input"
    CONFLICT = "conflict"  # valid request, wrong state (room full, call already ended…)
    NETWORK = "network"
    TIMEOUT = "timeout"
    SERVER = "server"
    MALFORMED = "malformed"  # Twilio answered something we cannot read
    UNKNOWN = "unknown"


class TwilioError(Exception):
    """A failed Twilio operation, described for a person.

    `str(error)` is the one-line `message`. `retryable` says whether trying again later may work;
    whether a retry is *safe* depends on the operation (see moderator.core.retry).
    `outcome_unknown` is True when the request may have reached Twilio and been carried out even
    though no answer came back (read timeouts, dropped connections, 5xx): a create-call in that
    state must be reconciled, never re-sent.
    """

    def __init__(
        self,
        message: str,
        *,
        action: str,
        kind: ErrorKind,
        code: int | None = None,
        status: int | None = None,
        retryable: bool = False,
        outcome_unknown: bool = False,
        retry_after: float | None = None,
        twilio_message: str | None = None,
    ) -> None:
        message = _one_line(message)
        super().__init__(message)
        self.message = message
        self.action = _one_line(action)
        self.kind = kind
        self.code = code
        self.status = status
        self.retryable = retryable
        self.outcome_unknown = outcome_unknown
        self.retry_after = retry_after
        #: Twilio's own words (one line, phone numbers masked), for a details view or the log.
        self.twilio_message = _masked(twilio_message) if twilio_message else None

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"TwilioError(kind={self.kind.value!r}, code={self.code!r}, status={self.status!r}, "
            f"message={self.message!r})"
        )

    @property
    def details(self) -> str:
        """Message and action together, for a dialog or a log line."""
        return f"{self.message} {self.action}".strip()

    def with_retry_after(self, retry_after: float | None) -> TwilioError:
        """A copy carrying the server's Retry-After, read from the response after the fact."""
        return TwilioError(
            self.message,
            action=self.action,
            kind=self.kind,
            code=self.code,
            status=self.status,
            retryable=self.retryable,
            outcome_unknown=self.outcome_unknown,
            retry_after=retry_after,
            twilio_message=self.twilio_message,
        )


@dataclass(frozen=True, slots=True)
class _Known:
    kind: ErrorKind
    message: str
    action: str
    retryable: bool = False


_SERVER = _Known(
    ErrorKind.SERVER,
    "Twilio had a temporary problem.",
    "Try again in a moment.",
    retryable=True,
)

# Codes the app meets in its job, worded from Twilio's error dictionary
# (https://www.twilio.com/docs/api/errors/<code>) for a meeting host rather than a developer.
_CODES: dict[int, _Known] = {
    20003: _Known(
        ErrorKind.AUTH,
        "Twilio rejected the credentials (wrong Account SID, API key or secret, or revoked).",
        "Check the Account SID and the API key and secret (or auth token) in this profile.",
    ),
    20005: _Known(
        ErrorKind.PERMISSION,
        "This Twilio account is not active.",
        "Reactivate the account in the Twilio Console or use another profile.",
    ),
    20403: _Known(
        ErrorKind.PERMISSION,
        "These credentials are not allowed to do that.",
        "Use an API key with access to Voice and Video, or the account's auth token.",
    ),
    # Twilio's 5xx bodies carry these codes; the host needs the plain words, not the code.
    20500: _SERVER,
    20503: _Known(
        ErrorKind.SERVER,
        "Twilio is temporarily unavailable.",
        "Try again in a moment.",
        retryable=True,
    ),
    20404: _Known(
        ErrorKind.NOT_FOUND,
        "Twilio could not find it; it may have ended or been removed.",
        "Refresh the list and try again.",
    ),
    20429: _Known(
        ErrorKind.RATE_LIMITED,
        "Twilio is limiting this account: too many requests at once.",
        "Wait a few seconds; reads are retried automatically.",
        retryable=True,
    ),
    21210: _Known(
        ErrorKind.INVALID_INPUT,
        "The caller ID is not a Twilio number of this account or a verified caller ID.",
        "Pick a caller ID from the list, or verify the number in the Twilio Console.",
    ),
    21211: _Known(
        ErrorKind.INVALID_INPUT,
        "The number to call is not a valid phone number.",
        "Check the number and its country code (E.164, for example +14155552671).",
    ),
    21212: _Known(
        ErrorKind.INVALID_INPUT,
        "The caller ID is not a valid phone number for this account.",
        "Pick one of the account's voice numbers or verified caller IDs.",
    ),
    21214: _Known(
        ErrorKind.INVALID_INPUT,
        "The number to call cannot be reached.",
        "Check the number, or try again later.",
    ),
    21215: _Known(
        ErrorKind.PERMISSION,
        "This account may not call that country or number range (Voice geographic permissions).",
        "Enable the destination under Voice > Settings > Geo permissions in the Twilio Console.",
    ),
    21216: _Known(
        ErrorKind.PERMISSION,
        "This account is not allowed to call that number.",
        "Call a different number, or contact Twilio support.",
    ),
    21217: _Known(
        ErrorKind.INVALID_INPUT,
        "The number to call does not appear to be valid.",
        "Check the number and its country code.",
    ),
    21219: _Known(
        ErrorKind.PERMISSION,
        "Trial accounts can only call verified numbers, and this one is not verified.",
        "Verify the number in the Twilio Console, or upgrade the account.",
    ),
    21220: _Known(
        ErrorKind.CONFLICT,
        "The call is not in a state that allows this; it has probably ended.",
        "Refresh to see the call's final status.",
    ),
    53100: _Known(
        ErrorKind.INVALID_INPUT,
        "Twilio refused the room name.",
        "Choose a different room name.",
    ),
    53101: _Known(
        ErrorKind.INVALID_INPUT,
        "The room name is too long.",
        "Use at most 128 characters.",
    ),
    53102: _Known(
        ErrorKind.INVALID_INPUT,
        "The room name contains characters Twilio does not accept.",
        "Choose a room name without unusual characters.",
    ),
    53105: _Known(
        ErrorKind.CONFLICT,
        "The room is full: it already has its maximum number of participants.",
        "Remove a participant first, or use a room with a higher limit.",
    ),
    53106: _Known(
        ErrorKind.NOT_FOUND,
        "The room was not found; it may have ended.",
        "Refresh the rooms list and pick an in-progress room.",
    ),
    53107: _Known(
        ErrorKind.INVALID_INPUT,
        "The maximum number of participants is out of range for this room type.",
        "Choose a smaller maximum (group rooms allow up to 50).",
    ),
    53108: _Known(
        ErrorKind.INVALID_INPUT,
        "Twilio does not accept that room type.",
        "Create a group room.",
    ),
    53112: _Known(
        ErrorKind.CONFLICT,
        "The room is not in progress, so it cannot be changed.",
        "Refresh the rooms list.",
    ),
    53113: _Known(
        ErrorKind.CONFLICT,
        "A room with that name is already in progress.",
        "Choose another name, or use the room that is already running.",
    ),
    53118: _Known(
        ErrorKind.CONFLICT,
        "The room has been completed.",
        "Refresh the rooms list; create the room again if you still need it.",
    ),
    53119: _Known(
        ErrorKind.CONFLICT,
        "The account has reached its limit of concurrent rooms.",
        "End a room that is no longer needed, or ask Twilio for a higher quota.",
    ),
    # -- host controls: recording and room options (issue 10) --
    53103: _Known(
        ErrorKind.PERMISSION,
        "Twilio could not create the room with these options (large rooms need the account to "
        "have them).",
        "Turn off Large room, or ask Twilio to enable large rooms for the account.",
    ),
    53109: _Known(
        ErrorKind.INVALID_INPUT,
        "The empty-room or unused-room timeout is out of range.",
        "Use 1 to 60 minutes.",
    ),
    53120: _Known(
        ErrorKind.INVALID_INPUT,
        "Twilio refused the recording rules.",
        "Try again; if it keeps failing, report it.",
    ),
    53122: _Known(
        ErrorKind.INVALID_INPUT,
        "Only group rooms can be recorded or composed.",
        "Record in a group room (create one with the type Group).",
    ),
    53123: _Known(
        ErrorKind.INVALID_INPUT,
        "The maximum participant duration is out of range.",
        "Use 10 minutes to 24 hours (600 to 86400 seconds).",
    ),
    53124: _Known(
        ErrorKind.INVALID_INPUT,
        "Audio-only is offered for group rooms only.",
        "Turn off Audio only, or create a group room.",
    ),
    53200: _Known(
        ErrorKind.INVALID_INPUT,
        "Twilio refused the participant identity.",
        "Choose a different identity.",
    ),
    53201: _Known(
        ErrorKind.INVALID_INPUT,
        "The participant identity is too long.",
        "Use at most 128 characters.",
    ),
    53205: _Known(
        ErrorKind.CONFLICT,
        "A participant joined with the same identity, so the earlier one was disconnected.",
        "Give every participant a unique identity.",
    ),
    # Mute for everyone (subscribe rules).
    53204: _Known(
        ErrorKind.NOT_FOUND,
        "The participant is no longer connected, so their subscriptions cannot be changed.",
        "Refresh the roster; nothing needs doing for someone who left.",
    ),
    53215: _Known(
        ErrorKind.INVALID_INPUT,
        "Twilio refused the subscribe rules (at most 20 per participant, in group rooms only).",
        "Unmute someone first, or use a group room.",
    ),
}

_STATUS_FALLBACK: dict[int, _Known] = {
    400: _Known(
        ErrorKind.INVALID_INPUT,
        "Twilio refused the request as invalid.",
        "Check the values entered.",
    ),
    401: _CODES[20003],
    403: _CODES[20403],
    404: _CODES[20404],
    405: _Known(
        ErrorKind.INVALID_INPUT,
        "Twilio does not allow that operation here.",
        "Refresh and try again.",
    ),
    409: _Known(
        ErrorKind.CONFLICT,
        "Twilio refused the change because something else changed first.",
        "Refresh and try again.",
    ),
    429: _CODES[20429],
}

_MALFORMED = _Known(
    ErrorKind.MALFORMED,
    "Twilio sent a response the app could not read.",
    "Try again in a moment; if it keeps happening, check the network or proxy.",
    retryable=True,
)


def known_codes() -> frozenset[int]:
    """Twilio codes with a hand-written message (for tests and docs)."""
    return frozenset(_CODES)


def describe_code(code: int) -> tuple[str, str] | None:
    """(message, action) for a known Twilio code, else None."""
    known = _CODES.get(code)
    return (known.message, known.action) if known else None


def to_twilio_error(exc: BaseException) -> TwilioError:
    """Map any failure from the SDK or `requests` to a TwilioError (never raises)."""
    if isinstance(exc, TwilioError):
        return exc
    # The SDK and `requests` are imported only once a session talks to Twilio (not before the
    # window's first paint); an exception of theirs cannot exist before they are imported.
    twilio_exceptions = sys.modules.get("twilio.base.exceptions")
    if twilio_exceptions is not None:
        error = _from_sdk(exc, twilio_exceptions)
        if error is not None:
            return error
    requests_module = sys.modules.get("requests")
    if requests_module is not None and isinstance(exc, requests_module.RequestException):
        return _from_requests(exc, requests_module)
    if isinstance(exc, json.JSONDecodeError | UnicodeDecodeError):
        return malformed_response()
    return TwilioError(
        "Something unexpected went wrong while talking to Twilio.",
        action="Try again; if it keeps happening, report it with the app's log.",
        kind=ErrorKind.UNKNOWN,
        twilio_message=_one_line(type(exc).__name__),
    )


def _from_sdk(exc: BaseException, sdk: Any) -> TwilioError | None:
    """The SDK's three error shapes, or None when `exc` is none of them."""
    if isinstance(exc, sdk.TwilioServiceException):
        detail = exc.detail or exc.title
        return _from_http(_as_int(exc.status), _as_int(exc.code), _str_or_none(detail))
    if isinstance(exc, sdk.TwilioRestException):
        return _from_http(
            _as_int(exc.status), _as_int(exc.code), _strip_sdk_prefix(_str_or_none(exc.msg))
        )
    if isinstance(exc, sdk.TwilioException):
        return _from_bare_twilio_exception(exc)
    return None


def error_for_code(code: int, status: int | None = None) -> TwilioError:
    """The error Twilio's `code` would produce, for failures detected without a Twilio answer
    (e.g. a name lookup by query that found nothing stands for Twilio's 20404)."""
    return _from_http(status, code, None)


def malformed_response() -> TwilioError:
    """The error for a body that parsed as JSON but does not have the expected shape."""
    return _build(_MALFORMED, code=None, status=None, twilio_message=None)


def _from_bare_twilio_exception(exc: TwilioException) -> TwilioError:
    """`TwilioException("Unable to fetch page", response)` carries only the raw response."""
    response = exc.args[1] if len(exc.args) > 1 else None
    status = _as_int(getattr(response, "status_code", None))
    if response is None or status is None:
        # "Page Records can not be deserialized" and friends: a body of an unexpected shape.
        return malformed_response()
    code, message = _parse_error_body(getattr(response, "text", None))
    return _from_http(status, code, message)


def _parse_error_body(text: object) -> tuple[int | None, str | None]:
    """Pull (code, message) out of a legacy or RFC 9457 error body; tolerate garbage."""
    if not isinstance(text, str | bytes):
        return None, None
    try:
        payload: Any = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return None, None
    if not isinstance(payload, dict):
        return None, None
    code = _as_int(payload.get("code"))
    message = payload.get("detail") or payload.get("message") or payload.get("title")
    return code, _str_or_none(message)


def _from_http(status: int | None, code: int | None, twilio_message: str | None) -> TwilioError:
    # The SDK fills `code` with the HTTP status when the body had none; that is not a Twilio code.
    if code is not None and code < 1000:
        code = None
    if code is not None and code in _CODES:
        return _build(_CODES[code], code=code, status=status, twilio_message=twilio_message)
    if code is None:
        if status is not None and status >= 500:
            return _build(
                _SERVER, code=None, status=status, twilio_message=twilio_message, unknown=True
            )
        if status is not None and status in _STATUS_FALLBACK:
            known = _STATUS_FALLBACK[status]
            return _build(known, code=None, status=status, twilio_message=twilio_message)
        return TwilioError(
            f"Twilio refused the request (HTTP {status})."
            + (f" Twilio said: {_display(twilio_message)}" if twilio_message else ""),
            action="Try again; if it keeps happening, check the values entered.",
            kind=ErrorKind.UNKNOWN,
            status=status,
            twilio_message=twilio_message,
        )
    # A Twilio code we have no words for: still show the code and Twilio's own message.
    kind, retryable = _kind_for_status(status)
    said = f": {_display(twilio_message)}" if twilio_message else "."
    return TwilioError(
        f"Twilio error {code}{said}",
        action=f"See https://www.twilio.com/docs/errors/{code} for what it means.",
        kind=kind,
        code=code,
        status=status,
        retryable=retryable,
        outcome_unknown=status is not None and status >= 500,
        twilio_message=twilio_message,
    )


def _kind_for_status(status: int | None) -> tuple[ErrorKind, bool]:
    if status is None:
        return ErrorKind.UNKNOWN, False
    if status >= 500:
        return ErrorKind.SERVER, True
    fallback = _STATUS_FALLBACK.get(status)
    if fallback is not None:
        return fallback.kind, fallback.retryable
    return ErrorKind.UNKNOWN, False


def _from_requests(exc: requests.RequestException, lib: Any) -> TwilioError:
    if isinstance(exc, lib.exceptions.ConnectTimeout):
        return TwilioError(
            "Connecting to Twilio timed out.",
            action="Check the internet connection, then try again.",
            kind=ErrorKind.TIMEOUT,
            retryable=True,
        )
    if isinstance(exc, lib.exceptions.Timeout):  # ReadTimeout: it may have been done
        return TwilioError(
            "Twilio did not answer in time.",
            action="Check the internet connection; the app will check what happened.",
            kind=ErrorKind.TIMEOUT,
            retryable=True,
            outcome_unknown=True,
        )
    if isinstance(exc, lib.exceptions.SSLError):
        return TwilioError(
            "A secure connection to Twilio could not be set up.",
            action="Check the system clock, proxy and certificates.",
            kind=ErrorKind.NETWORK,
            retryable=True,
        )
    if isinstance(exc, lib.exceptions.ConnectionError):
        return TwilioError(
            "Could not reach Twilio.",
            action="Check the internet connection, then try again.",
            kind=ErrorKind.NETWORK,
            retryable=True,
            outcome_unknown=not _never_sent(exc),
        )
    if isinstance(exc, lib.exceptions.ChunkedEncodingError | lib.exceptions.RetryError):
        return TwilioError(
            "The connection to Twilio broke off.",
            action="Try again in a moment.",
            kind=ErrorKind.NETWORK,
            retryable=True,
            outcome_unknown=True,
        )
    if isinstance(exc, lib.exceptions.ContentDecodingError | lib.exceptions.JSONDecodeError):
        return malformed_response()
    return TwilioError(
        "The request to Twilio could not be made.",
        action="Try again; if it keeps happening, report it with the app's log.",
        kind=ErrorKind.NETWORK,
        retryable=True,
        outcome_unknown=True,
    )


_UNCONNECTED_ERRORS = frozenset({"NewConnectionError", "NameResolutionError"})
_UNSENT_ERRORS = _UNCONNECTED_ERRORS | {"ConnectionRefusedError"}
"""urllib3's and the OS's names for a connection that was never made."""


def _never_sent(exc: BaseException) -> bool:
    """True when the connection was refused or the host unknown: the request never left."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if type(current).__name__ in _UNSENT_ERRORS:
            return True
        for arg in current.args:
            if isinstance(arg, BaseException):
                if type(arg).__name__ in _UNCONNECTED_ERRORS:
                    return True
                reason = getattr(arg, "reason", None)
                if isinstance(reason, BaseException) and type(reason).__name__ in _UNSENT_ERRORS:
                    return True
        current = current.__cause__ or current.__context__
    return False


def _build(
    known: _Known,
    *,
    code: int | None,
    status: int | None,
    twilio_message: str | None,
    unknown: bool = False,
) -> TwilioError:
    return TwilioError(
        known.message,
        action=known.action,
        kind=known.kind,
        code=code,
        status=status,
        retryable=known.retryable,
        # A 5xx may have been acted on; an unreadable 2xx body certainly was.
        outcome_unknown=unknown or known.kind in (ErrorKind.SERVER, ErrorKind.MALFORMED),
        twilio_message=twilio_message,
    )


_SDK_PREFIX = re.compile(r"^Unable to [A-Za-z ]{0,30}:\s*")
_E164ISH = re.compile(r"\+\d{6,15}")


def _strip_sdk_prefix(message: str | None) -> str | None:
    """Drop the SDK's "Unable to create record: " prefix; the host needs only Twilio's words."""
    if message is None:
        return None
    stripped = _SDK_PREFIX.sub("", message)
    return stripped or None


def _display(message: str | None) -> str:
    """Twilio's text for the screen: one line, bounded, phone numbers masked."""
    if not message:
        return ""
    text = _masked(message)
    if len(text) > _MAX_TWILIO_MESSAGE:
        text = text[: _MAX_TWILIO_MESSAGE - 1].rstrip() + "…"
    return text


def _masked(text: str) -> str:
    # Twilio echoes a SIP To as it does a number: its user part goes too.
    masked = _E164ISH.sub(lambda match: mask_number(match.group(0)), _one_line(text))
    return redact_sip_uris(masked)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _str_or_none(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
