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
from typing import TYPE_CHECKING, Any

from moderator.core.error_codes import (
    CODES,
    MALFORMED,
    SERVER,
    STATUS_FALLBACK,
    ErrorKind,
    Known,
)
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


def known_codes() -> frozenset[int]:
    """Twilio codes with a hand-written message (for tests and docs)."""
    return frozenset(CODES)


def describe_code(code: int) -> tuple[str, str] | None:
    """(message, action) for a known Twilio code, else None."""
    known = CODES.get(code)
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
    return _build(MALFORMED, code=None, status=None, twilio_message=None)


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
    if code is not None and code in CODES:
        return _build(CODES[code], code=code, status=status, twilio_message=twilio_message)
    if code is None:
        if status is not None and status >= 500:
            return _build(
                SERVER, code=None, status=status, twilio_message=twilio_message, unknown=True
            )
        if status is not None and status in STATUS_FALLBACK:
            known = STATUS_FALLBACK[status]
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
    fallback = STATUS_FALLBACK.get(status)
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
    known: Known,
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
