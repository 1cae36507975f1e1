"""The only code that calls the twilio SDK's REST resources.

Everything above this module sees plain `models` dataclasses and `TwilioError`, never SDK
instances or SDK exceptions. Each HTTP request goes through the retry policy on its own, so a
429 on page 3 of a list retries page 3, not the whole list. The gateway keeps no mutable state
of its own, so one instance may serve several worker threads at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import requests
from twilio.base import values
from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from moderator.core.errors import (
    ErrorKind,
    TwilioError,
    error_for_code,
    malformed_response,
    to_twilio_error,
)
from moderator.core.gateway_records import (
    account_record,
    call_record,
    incoming_number_record,
    participant_record,
    participant_with_tracks,
    room_record,
    track_record,
    verified_caller_id_record,
)
from moderator.core.http import RewritingHttpClient
from moderator.core.identity import validate_room_name
from moderator.core.models import (
    Account,
    Call,
    CallerId,
    CallStatus,
    Participant,
    PublishedTrack,
    Room,
    RoomType,
)
from moderator.core.retry import Operation, RetryPolicy
from moderator.core.room_options import RoomOptions, room_options_problem
from moderator.core.twiml import twiml_length_problem

__all__ = [
    "LIST_PAGE_SIZE",
    "MAX_ROOM_PARTICIPANTS",
    "PARTICIPANT_PAGE_SIZE",
    "TwilioGateway",
    "parse_retry_after",
]

T = TypeVar("T")

#: Records per list request: large pages keep the request count (and Twilio's rate limit) low.
LIST_PAGE_SIZE = 100
PARTICIPANT_PAGE_SIZE = 50
#: Twilio's documented ceiling for a group room's MaxParticipants.
MAX_ROOM_PARTICIPANTS = 50

# A hang-up refused with these may just have raced the call's own end: look before failing.
_MAYBE_ALREADY_ENDED = frozenset({ErrorKind.CONFLICT, ErrorKind.NOT_FOUND, ErrorKind.INVALID_INPUT})
_ROOM_SID = re.compile(r"^RM[0-9a-fA-F]{32}$")
# Characters that survive in a URL path segment unencoded; other names are looked up by query.
_PATH_SAFE = re.compile(r"^[A-Za-z0-9._~-]+$")
_SDK_FAILURES: tuple[type[BaseException], ...] = (
    TwilioException,
    requests.exceptions.RequestException,
    ValueError,  # json.JSONDecodeError from a malformed body
)
# What the SDK raises when a body is JSON of the wrong shape (a list, a record without "meta"…).
_SHAPE_FAILURES: tuple[type[BaseException], ...] = (KeyError, TypeError, AttributeError)


class TwilioGateway:
    """Typed, retrying access to the Twilio resources the app uses."""

    def __init__(
        self,
        client: Client,
        *,
        retry_policy: RetryPolicy | None = None,
        page_size: int = LIST_PAGE_SIZE,
        participant_page_size: int = PARTICIPANT_PAGE_SIZE,
    ) -> None:
        self._client = client
        self._retry = retry_policy if retry_policy is not None else RetryPolicy()
        self._page_size = page_size
        self._participant_page_size = participant_page_size

    @property
    def account_sid(self) -> str:
        return str(self._client.account_sid)

    # -- account ------------------------------------------------------------------------------

    def validate_credentials(self) -> Account:
        """Fetch the account: succeeds only if Twilio accepts these credentials."""
        instance = self._request(
            Operation.READ, lambda: self._client.api.v2010.accounts(self.account_sid).fetch()
        )
        return self._convert(account_record, instance)

    # -- rooms --------------------------------------------------------------------------------

    def list_rooms(
        self,
        status: str = "in-progress",
        *,
        unique_name: str | None = None,
        limit: int | None = None,
    ) -> list[Room]:
        """Rooms with this status (Twilio's default listing is in-progress rooms)."""
        rooms = self._client.video.v1.rooms
        instances = self._read_pages(
            lambda: rooms.page(
                status=status,
                unique_name=_or_unset(unique_name),
                page_size=_page_size(limit, self._page_size),
            ),
            limit,
        )
        return [self._convert(room_record, instance) for instance in instances]

    def fetch_room(self, sid_or_unique_name: str) -> Room:
        """A room by SID, or the in-progress room with this unique name.

        Names that are not plain URL path characters are looked up with the list filter, so a
        name like "Team A/B?" can never address the wrong path.
        """
        key = sid_or_unique_name
        if not key:
            raise _local_error("Enter a room name.", kind=ErrorKind.INVALID_INPUT)
        if _ROOM_SID.match(key) or _PATH_SAFE.match(key):
            instance = self._request(
                Operation.READ, lambda: self._client.video.v1.rooms(key).fetch()
            )
            return self._convert(room_record, instance)
        rooms = self.list_rooms("in-progress", unique_name=key, limit=1)
        if not rooms:
            raise error_for_code(20404, 404)
        return rooms[0]

    def create_room(
        self,
        unique_name: str,
        type: RoomType = RoomType.GROUP,
        max_participants: int | None = None,
        options: RoomOptions | None = None,
    ) -> Room:
        """Create an in-progress room; Twilio refuses a name already in progress (53113).

        `options` are checked with Twilio's ranges first (`room_options_problem`), so a value
        Twilio would refuse is never sent; options left None are not sent (Twilio's defaults).
        """
        problem = validate_room_name(unique_name)
        if problem:
            raise _local_error(problem, kind=ErrorKind.INVALID_INPUT)
        if max_participants is not None and not 1 <= max_participants <= MAX_ROOM_PARTICIPANTS:
            raise _local_error(
                f"Maximum participants must be between 1 and {MAX_ROOM_PARTICIPANTS}.",
                kind=ErrorKind.INVALID_INPUT,
            )
        chosen = options if options is not None else RoomOptions()
        problem = room_options_problem(type, max_participants, chosen)
        if problem:
            raise _local_error(problem, kind=ErrorKind.INVALID_INPUT)
        instance = self._request(
            Operation.WRITE,
            lambda: self._client.video.v1.rooms.create(
                unique_name=unique_name,
                type=type.value,
                max_participants=_or_unset(max_participants),
                empty_room_timeout=_or_unset(chosen.empty_room_timeout_min),
                unused_room_timeout=_or_unset(chosen.unused_room_timeout_min),
                max_participant_duration=_or_unset(chosen.max_participant_duration_s),
                audio_only=chosen.audio_only or values.unset,
                record_participants_on_connect=chosen.record_participants_on_connect
                or values.unset,
                large_room=chosen.large_room or values.unset,
            ),
        )
        return self._convert(room_record, instance)

    def complete_room(self, sid: str) -> Room:
        """End a room: every participant is disconnected and phone guests' calls move on."""
        instance = self._request(
            Operation.WRITE, lambda: self._client.video.v1.rooms(sid).update(status="completed")
        )
        return self._convert(room_record, instance)

    # -- participants -------------------------------------------------------------------------

    def list_participants(
        self,
        room_sid: str,
        *,
        with_tracks: bool = False,
        status: str = "connected",
        identity: str | None = None,
        limit: int | None = None,
    ) -> list[Participant]:
        """Participants of a room (connected ones by default), optionally with their tracks.

        `with_tracks` costs one extra request per participant: use it for the selected room only.
        """
        participants = self._client.video.v1.rooms(room_sid).participants
        instances = self._read_pages(
            lambda: participants.page(
                status=status,
                identity=_or_unset(identity),
                page_size=_page_size(limit, self._participant_page_size),
            ),
            limit,
        )
        result = [self._convert(participant_record, instance) for instance in instances]
        if with_tracks:
            result = [
                participant_with_tracks(p, self.list_published_tracks(room_sid, p.sid))
                for p in result
            ]
        return result

    def list_published_tracks(self, room_sid: str, participant_sid: str) -> list[PublishedTrack]:
        tracks = self._client.video.v1.rooms(room_sid).participants(participant_sid)
        instances = self._read_pages(
            lambda: tracks.published_tracks.page(page_size=self._page_size), None
        )
        return [self._convert(track_record, instance) for instance in instances]

    def disconnect_participant(self, room_sid: str, participant_sid: str) -> Participant:
        """Remove a participant; a phone guest's call then moves on to its next verb and ends."""
        instance = self._request(
            Operation.WRITE,
            lambda: (
                self._client.video.v1.rooms(room_sid)
                .participants(participant_sid)
                .update(status="disconnected")
            ),
        )
        return self._convert(participant_record, instance)

    # -- calls --------------------------------------------------------------------------------

    def create_call(
        self,
        to: str,
        from_: str,
        twiml: str,
        timeout_s: int | None = None,
        status_callback: str | None = None,
        sip_auth_username: str | None = None,
        sip_auth_password: str | None = None,
    ) -> Call:
        """Place a call running `twiml`. Never retried: see `TwilioError.outcome_unknown`.

        `to` may be a SIP URI, then `from_` is the From header's user and the optional
        `sip_auth_username` / `sip_auth_password` answer the endpoint's digest challenge. The
        password travels in the POST body only (the SDK logs URLs and headers, not bodies),
        and any error text that might echo it is scrubbed of it.
        """
        problem = twiml_length_problem(twiml)
        if problem:
            raise _local_error(problem, kind=ErrorKind.INVALID_INPUT)
        calls = self._client.api.v2010.account.calls
        try:
            instance = self._request(
                Operation.CREATE_CALL,
                lambda: calls.create(
                    to=to,
                    from_=from_,
                    twiml=twiml,
                    timeout=_or_unset(timeout_s),
                    status_callback=_or_unset(status_callback),
                    sip_auth_username=_or_unset(sip_auth_username),
                    sip_auth_password=_or_unset(sip_auth_password),
                ),
            )
        except TwilioError as error:
            if not sip_auth_password:
                raise
            secret: str = sip_auth_password

            # Twilio never echoes the password, but nothing it says may carry it either; and
            # the SDK's exception (with the request behind it) is not chained.
            def scrub(text: str | None) -> str | None:
                return text.replace(secret, "•••") if text else text

            raise TwilioError(
                scrub(error.message) or "",
                action=scrub(error.action) or "",
                kind=error.kind,
                code=error.code,
                status=error.status,
                retryable=error.retryable,
                outcome_unknown=error.outcome_unknown,
                retry_after=error.retry_after,
                twilio_message=scrub(error.twilio_message),
            ) from None
        return self._convert(call_record, instance)

    def fetch_call(self, sid: str) -> Call:
        instance = self._request(
            Operation.READ, lambda: self._client.api.v2010.account.calls(sid).fetch()
        )
        return self._convert(call_record, instance)

    def list_calls(
        self,
        to: str | None = None,
        from_: str | None = None,
        status: CallStatus | None = None,
        started_after: datetime | None = None,
        limit: int | None = None,
        *,
        created_after: datetime | None = None,
    ) -> list[Call]:
        """Calls, newest first, filtered by Twilio; `created_after` is filtered here.

        `started_after` is Twilio's StartTime> filter (calls not yet dialed have no start time);
        `created_after` keeps queued calls too, which is what reconciling a lost create needs.
        """
        calls = self._client.api.v2010.account.calls
        instances = self._read_pages(
            lambda: calls.page(
                to=_or_unset(to),
                from_=_or_unset(from_),
                status=_or_unset(status.value if status else None),
                start_time_after=_or_unset(started_after),
                page_size=_page_size(limit, self._page_size),
            ),
            None if created_after else limit,
        )
        result = [self._convert(call_record, instance) for instance in instances]
        if created_after is not None:
            result = [
                c for c in result if c.date_created is None or c.date_created >= created_after
            ]
            if limit is not None:
                result = result[:limit]
        return result

    def cancel_call(self, sid: str) -> Call:
        """Hang up a queued or ringing call (Twilio ignores this for an answered call)."""
        return self._update_call(sid, "canceled")

    def complete_call(self, sid: str) -> Call:
        """Hang up an answered (in-progress) call."""
        return self._update_call(sid, "completed")

    def _update_call(self, sid: str, status: str) -> Call:
        instance = self._request(
            Operation.WRITE,
            lambda: self._client.api.v2010.account.calls(sid).update(status=status),
        )
        return self._convert(call_record, instance)

    def hang_up(self, call_sid: str, status: CallStatus | None = None) -> Call:
        """End a call whatever its state; a call that already ended counts as success.

        `status` is what the caller last saw (skips a fetch); the call may have moved on since,
        so a refusal is answered by looking again rather than by failing.
        """
        call = self.fetch_call(call_sid) if status is None else None
        current = call.status if call is not None else status
        assert current is not None
        for _ in range(3):
            if current.is_final:
                return call if call is not None else self.fetch_call(call_sid)
            try:
                call = (
                    self.cancel_call(call_sid)
                    if current.is_cancelable
                    else self.complete_call(call_sid)
                )
            except TwilioError as error:
                if error.kind not in _MAYBE_ALREADY_ENDED:
                    raise
                call = self.fetch_call(call_sid)  # raises if the call really does not exist
            current = call.status
        if not current.is_final:
            raise _local_error(
                "The call did not end when asked to.",
                kind=ErrorKind.CONFLICT,
                action="Try again in a moment.",
            )
        assert call is not None
        return call

    # -- caller IDs ---------------------------------------------------------------------------

    def list_caller_ids(self) -> list[CallerId]:
        """Numbers this account may put in From: voice-capable numbers, then verified IDs."""
        account = self._client.api.v2010.account
        numbers = self._read_pages(
            lambda: account.incoming_phone_numbers.page(page_size=self._page_size), None
        )
        verified = self._read_pages(
            lambda: account.outgoing_caller_ids.page(page_size=self._page_size), None
        )
        result: dict[str, CallerId] = {}
        for instances, convert in (
            (numbers, incoming_number_record),
            (verified, verified_caller_id_record),
        ):
            for instance in instances:
                caller_id = self._convert(convert, instance)
                if caller_id is not None and caller_id.phone_number not in result:
                    result[caller_id.phone_number] = caller_id
        return list(result.values())

    # -- for the gateway's sibling modules (`dialin_gateway`) ---------------------------------

    @property
    def client(self) -> Client:
        """The SDK client, for requests of products that live in a sibling module."""
        return self._client

    def request(self, operation: Operation, call: Callable[[], T]) -> T:
        """`call` through this gateway's retry policy and error mapping."""
        return self._request(operation, call)

    def read_pages(self, first_page: Callable[[], Any], limit: int | None = None) -> list[Any]:
        """All records of a listing, each page through the retry policy."""
        return self._read_pages(first_page, limit)

    def convert(self, convert: Callable[[Any], T], instance: Any) -> T:
        """A model conversion; a record of the wrong shape is a malformed response."""
        return self._convert(convert, instance)

    def error_for(self, exc: BaseException) -> TwilioError:
        """The TwilioError for an exception of the SDK or of requests."""
        return self._error_for(exc)

    # -- plumbing -----------------------------------------------------------------------------

    def _request(self, operation: Operation, call: Callable[[], T]) -> T:
        """One HTTP request through the retry policy, failures mapped to TwilioError."""
        return self._retry.run(operation, lambda: self._attempt(call))

    def _attempt(self, call: Callable[[], T]) -> T:
        try:
            return call()
        except TwilioError:
            raise
        except _SDK_FAILURES as exc:
            raise self._error_for(exc) from exc
        except _SHAPE_FAILURES:
            raise malformed_response() from None

    def _read_pages(self, first_page: Callable[[], Any], limit: int | None) -> list[Any]:
        """All records of a listing (up to `limit`), each page request retried on its own."""
        page: Any = self._request(Operation.READ, first_page)
        records: list[Any] = []
        while page is not None:
            records.extend(self._convert(list, page))
            if limit is not None and len(records) >= limit:
                return records[:limit]
            page = self._request(Operation.READ, page.next_page)
        return records

    def _error_for(self, exc: BaseException) -> TwilioError:
        error = to_twilio_error(exc)
        retry_after = self._retry_after(error)
        return error.with_retry_after(retry_after) if retry_after is not None else error

    def _retry_after(self, error: TwilioError) -> float | None:
        http_client = getattr(self._client, "http_client", None)
        if not isinstance(http_client, RewritingHttpClient) or error.status is None:
            return None
        response = http_client.last_response
        if response is None or response.status_code != error.status:
            return None
        headers = response.headers or {}
        return parse_retry_after(headers.get("Retry-After"))

    @staticmethod
    def _convert(convert: Callable[[Any], T], instance: Any) -> T:
        """Run a model conversion; a record of the wrong shape is a malformed response."""
        try:
            return convert(instance)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise malformed_response() from None


def parse_retry_after(value: object, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None if absent/garbled."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN / inf
        return None
    return max(0.0, seconds)


# -- conversions: SDK instance -> model -----------------------------------------------------


def _local_error(
    message: str, *, kind: ErrorKind, action: str = "Correct it and try again."
) -> TwilioError:
    """An error found before any request was sent (nothing happened at Twilio)."""
    return TwilioError(message, action=action, kind=kind)


def _or_unset(value: object) -> object:
    return values.unset if value is None else value


def _page_size(limit: int | None, default: int) -> int:
    return default if limit is None else max(1, min(limit, default))
