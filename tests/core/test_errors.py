"""Every failure shape maps to one TwilioError with a one-line message and an action."""

from __future__ import annotations

import json

import pytest
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.base.version import Version
from twilio.http.response import Response
from urllib3.exceptions import NewConnectionError

from moderator.core.errors import (
    ErrorKind,
    TwilioError,
    describe_code,
    error_for_code,
    known_codes,
    to_twilio_error,
)

URI = "/2010-04-01/Accounts/AC00000000000000000000000000000000/Calls.json"

# code -> (kind, HTTP status Twilio answers with, words the message must contain)
REQUIRED = {
    20003: (ErrorKind.AUTH, 401, "credentials"),
    20404: (ErrorKind.NOT_FOUND, 404, "could not find"),
    20429: (ErrorKind.RATE_LIMITED, 429, "too many requests"),
    21210: (ErrorKind.INVALID_INPUT, 400, "caller id"),
    21211: (ErrorKind.INVALID_INPUT, 400, "not a valid phone number"),
    21212: (ErrorKind.INVALID_INPUT, 400, "caller id"),
    21214: (ErrorKind.INVALID_INPUT, 400, "cannot be reached"),
    21215: (ErrorKind.PERMISSION, 400, "geographic permissions"),
    21219: (ErrorKind.PERMISSION, 400, "verified"),
    53105: (ErrorKind.CONFLICT, 400, "full"),
    53106: (ErrorKind.NOT_FOUND, 404, "room was not found"),
    53113: (ErrorKind.CONFLICT, 400, "already in progress"),
    53205: (ErrorKind.CONFLICT, 400, "same identity"),
}


def legacy_response(status: int, code: int | None, message: str = "Twilio says no") -> Response:
    body: dict[str, object] = {"status": status, "message": message}
    if code is not None:
        body["code"] = code
        body["more_info"] = f"https://www.twilio.com/docs/errors/{code}"
    return Response(status, json.dumps(body), {"Content-Type": "application/json"})


def sdk_error(status: int, code: int | None, message: str = "Twilio says no") -> Exception:
    """What the SDK itself raises for this body (legacy format -> TwilioRestException)."""
    response = legacy_response(status, code, message)
    return Version.exception("POST", URI, response, "Unable to create record")


def assert_one_line(error: TwilioError) -> None:
    assert str(error) == error.message
    assert "\n" not in error.message and "\n" not in error.action
    assert error.message and error.action


@pytest.mark.parametrize("code", sorted(REQUIRED))
def test_every_required_code_has_its_own_message_and_action(code: int) -> None:
    kind, status, words = REQUIRED[code]
    error = to_twilio_error(sdk_error(status, code))
    assert isinstance(error, TwilioError)
    assert error.code == code
    assert error.status == status
    assert error.kind is kind
    assert words in error.message.lower()
    assert describe_code(code) == (error.message, error.action)
    assert_one_line(error)


def test_required_codes_are_all_known() -> None:
    assert set(REQUIRED) <= known_codes()


def test_messages_are_distinct_per_code() -> None:
    messages = [describe_code(code) for code in REQUIRED]
    assert len({m for m in messages if m}) == len(REQUIRED)


def test_rate_limit_is_retryable_and_auth_is_not() -> None:
    assert to_twilio_error(sdk_error(429, 20429)).retryable
    assert not to_twilio_error(sdk_error(401, 20003)).retryable


def test_unknown_code_keeps_the_code_and_twilios_words() -> None:
    error = to_twilio_error(sdk_error(400, 21999, "The frobnicator is misaligned"))
    assert error.code == 21999
    assert "21999" in error.message
    assert "The frobnicator is misaligned" in error.message
    assert "Unable to" not in error.message  # the SDK's prefix is dropped
    assert "twilio.com/docs/errors/21999" in error.action
    assert error.kind is ErrorKind.INVALID_INPUT
    assert_one_line(error)


def test_twilio_message_has_phone_numbers_masked_and_stays_one_line() -> None:
    error = to_twilio_error(sdk_error(400, 21999, "The number +14155552671\nis odd"))
    assert "+14155552671" not in error.message
    assert "••• 2671" in error.message
    assert error.twilio_message is not None and "+14155552671" not in error.twilio_message
    assert_one_line(error)


def test_long_twilio_message_is_truncated() -> None:
    error = to_twilio_error(sdk_error(400, 21999, "x" * 5000))
    assert len(error.message) < 300


def test_rest_exception_built_directly() -> None:
    exc = TwilioRestException(404, URI, "Unable to fetch record: Not found", 20404, "GET")
    error = to_twilio_error(exc)
    assert (error.code, error.status, error.kind) == (20404, 404, ErrorKind.NOT_FOUND)


def test_rfc9457_service_exception() -> None:
    body = {
        "type": "https://www.twilio.com/docs/errors/20003",
        "title": "Authentication Error",
        "status": 401,
        "code": 20003,
        "detail": "Invalid username",
    }
    exc = Version.exception("GET", URI, Response(401, json.dumps(body)), "Unable to fetch")
    assert isinstance(exc, TwilioServiceException)
    error = to_twilio_error(exc)
    assert (error.code, error.status, error.kind) == (20003, 401, ErrorKind.AUTH)
    assert error.twilio_message == "Invalid username"


def test_rfc9457_unknown_code_shows_title_when_no_detail() -> None:
    exc = TwilioServiceException("about:blank", "Gremlins", 400, 29999)
    error = to_twilio_error(exc)
    assert error.code == 29999 and "Gremlins" in error.message


def test_bare_page_exception_reads_code_from_body() -> None:
    exc = TwilioException("Unable to fetch page", legacy_response(401, 20003, "Authenticate"))
    error = to_twilio_error(exc)
    assert (error.code, error.status, error.kind) == (20003, 401, ErrorKind.AUTH)


def test_bare_page_exception_with_rfc9457_body() -> None:
    body = {"type": "x", "title": "Too Many Requests", "status": 429, "code": 20429}
    exc = TwilioException("Unable to fetch page", Response(429, json.dumps(body)))
    error = to_twilio_error(exc)
    assert (error.code, error.kind, error.retryable) == (20429, ErrorKind.RATE_LIMITED, True)


@pytest.mark.parametrize("body", ["<html>oops</html>", "", "[1, 2]", '{"code": "abc"}', "null"])
def test_bare_page_exception_tolerates_malformed_bodies(body: str) -> None:
    error = to_twilio_error(TwilioException("Unable to fetch page", Response(503, body)))
    assert error.status == 503
    assert error.code is None
    assert error.kind is ErrorKind.SERVER and error.retryable
    assert_one_line(error)


def test_bare_page_exception_400_without_code_falls_back_on_status() -> None:
    error = to_twilio_error(TwilioException("Unable to fetch page", Response(404, "nope")))
    assert (error.kind, error.code, error.status) == (ErrorKind.NOT_FOUND, None, 404)


def test_malformed_error_body_status_is_not_mistaken_for_a_code() -> None:
    # With an unreadable body the SDK copies the HTTP status into `code`.
    exc = Version.exception("GET", URI, Response(500, "<html>"), "Unable to fetch record")
    error = to_twilio_error(exc)
    assert error.code is None and error.status == 500
    assert error.kind is ErrorKind.SERVER and error.retryable and error.outcome_unknown


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors(status: int) -> None:
    error = to_twilio_error(sdk_error(status, None))
    assert error.kind is ErrorKind.SERVER
    assert error.retryable
    assert error.status == status


def test_record_deserialisation_failure_is_malformed() -> None:
    error = to_twilio_error(TwilioException("Page Records can not be deserialized"))
    assert error.kind is ErrorKind.MALFORMED and error.retryable


def test_json_decode_error_is_malformed() -> None:
    try:
        json.loads("{not json")
    except json.JSONDecodeError as exc:
        error = to_twilio_error(exc)
    assert error.kind is ErrorKind.MALFORMED
    assert "could not read" in error.message


def test_connection_refused_is_network_and_was_never_sent() -> None:
    cause = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] refused")
    exc = requests.exceptions.ConnectionError(cause)
    error = to_twilio_error(exc)
    assert error.kind is ErrorKind.NETWORK
    assert error.retryable
    assert not error.outcome_unknown
    assert "reach twilio" in error.message.lower()


def test_connection_dropped_midway_may_have_been_processed() -> None:
    exc = requests.exceptions.ConnectionError("Connection aborted: RemoteDisconnected")
    error = to_twilio_error(exc)
    assert error.kind is ErrorKind.NETWORK and error.outcome_unknown


def test_connect_timeout() -> None:
    error = to_twilio_error(requests.exceptions.ConnectTimeout("slow"))
    assert error.kind is ErrorKind.TIMEOUT and not error.outcome_unknown


@pytest.mark.parametrize(
    "exc", [requests.exceptions.ReadTimeout("slow"), requests.exceptions.Timeout("slow")]
)
def test_read_timeout_outcome_is_unknown(exc: Exception) -> None:
    error = to_twilio_error(exc)
    assert error.kind is ErrorKind.TIMEOUT
    assert error.outcome_unknown
    assert error.retryable


def test_ssl_error() -> None:
    error = to_twilio_error(requests.exceptions.SSLError("bad cert"))
    assert error.kind is ErrorKind.NETWORK and "secure" in error.message


def test_twilio_error_passes_through_unchanged() -> None:
    error = error_for_code(53106, 404)
    assert to_twilio_error(error) is error


def test_anything_else_is_unknown_but_still_a_twilio_error() -> None:
    error = to_twilio_error(RuntimeError("boom secret-ish detail"))
    assert error.kind is ErrorKind.UNKNOWN
    assert "secret-ish" not in error.message and "secret-ish" not in (error.twilio_message or "")


def test_no_secret_or_request_detail_reaches_the_message() -> None:
    secret = "s3cr3t-auth-token-value"
    exc = requests.exceptions.ConnectionError(
        f"HTTPSConnectionPool(host='api.twilio.com'): Max retries exceeded with url: "
        f"https://AC1:{secret}@api.twilio.com{URI} (Authorization: Basic {secret})"
    )
    error = to_twilio_error(exc)
    for text in (error.message, error.action, error.details, repr(error), str(error)):
        assert secret not in text
        assert URI not in text


def test_with_retry_after_copies_everything() -> None:
    error = to_twilio_error(sdk_error(429, 20429))
    copy = error.with_retry_after(2.5)
    assert copy.retry_after == 2.5
    assert (copy.code, copy.status, copy.kind, copy.message) == (
        error.code,
        error.status,
        error.kind,
        error.message,
    )


def test_error_for_code_builds_the_table_entry() -> None:
    error = error_for_code(20404, 404)
    assert error.kind is ErrorKind.NOT_FOUND and error.code == 20404
