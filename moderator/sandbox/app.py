"""The WSGI application: Werkzeug routes for Twilio's Video v1 and Api 2010 paths.

Each request goes: receipt time → latency → auth → rate limit → injected 500 → route → world
(under its lock) → JSON, possibly cut short by the malformed-body fault → request log.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from moderator.sandbox.controls import Controls
from moderator.sandbox.errors import ApiError, error_body
from moderator.sandbox.paging import PAGING_PARAMETERS, parse_page_request, slice_page
from moderator.sandbox.request_log import RequestLog, RequestRecord
from moderator.sandbox.serialization import (
    account_json,
    api_list_json,
    call_json,
    caller_id_json,
    incoming_number_json,
    participant_json,
    room_json,
    track_json,
    video_list_json,
)
from moderator.sandbox.world import OwnedNumber, World

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["AcceptedCredentials", "SandboxApp"]

log = logging.getLogger(__name__)

JsonObject = dict[str, Any]
Handler = Callable[..., tuple[int, JsonObject]]
_NEWEST_FIRST = 1 << 48  # ranks for newest-first lists: larger seq → smaller rank

URL_MAP = Map(
    [
        Rule("/2010-04-01/Accounts/<account>.json", endpoint="account", methods=["GET"]),
        Rule(
            "/2010-04-01/Accounts/<account>/Calls.json", endpoint="calls", methods=["GET", "POST"]
        ),
        Rule(
            "/2010-04-01/Accounts/<account>/Calls/<sid>.json",
            endpoint="call",
            methods=["GET", "POST"],
        ),
        Rule(
            "/2010-04-01/Accounts/<account>/IncomingPhoneNumbers.json",
            endpoint="incoming_numbers",
            methods=["GET"],
        ),
        Rule(
            "/2010-04-01/Accounts/<account>/OutgoingCallerIds.json",
            endpoint="caller_ids",
            methods=["GET"],
        ),
        Rule("/v1/Rooms", endpoint="rooms", methods=["GET", "POST"]),
        Rule("/v1/Rooms/<room>", endpoint="room", methods=["GET", "POST"]),
        Rule("/v1/Rooms/<room>/Participants", endpoint="participants", methods=["GET"]),
        Rule(
            "/v1/Rooms/<room>/Participants/<participant>",
            endpoint="participant",
            methods=["GET", "POST"],
        ),
        Rule(
            "/v1/Rooms/<room>/Participants/<participant>/PublishedTracks",
            endpoint="published_tracks",
            methods=["GET"],
        ),
        Rule(
            "/v1/Rooms/<room>/Participants/<participant>/PublishedTracks/<sid>",
            endpoint="published_track",
            methods=["GET"],
        ),
    ],
    strict_slashes=False,
)


@dataclass(frozen=True, repr=False)
class AcceptedCredentials:
    """The only Basic-auth pairs the sandbox accepts (never repr'd: it holds secrets)."""

    account_sid: str
    auth_token: str
    api_key_sid: str
    api_key_secret: str

    def __repr__(self) -> str:
        return f"AcceptedCredentials({self.account_sid!r}, {self.api_key_sid!r}, secrets hidden)"

    def accepts(self, username: str, password: str) -> bool:
        """Constant-time check against both pairs."""
        pairs = ((self.account_sid, self.auth_token), (self.api_key_sid, self.api_key_secret))
        results = [
            hmac.compare_digest(username.encode(), user.encode())
            & hmac.compare_digest(password.encode(), secret.encode())
            for user, secret in pairs
        ]
        return any(results)


def _filters(request: Request) -> dict[str, str]:
    """The query parameters other than paging, in the client's order (kept in page URLs)."""
    return {k: v for k, v in request.args.items(multi=True) if k not in PAGING_PARAMETERS}


def _optional(value: str | None) -> str | None:
    return value if value else None


def _int_form(request: Request, name: str, default: int | None) -> int | None:
    raw = request.form.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ApiError(400, 20001, f"{name} must be an integer, got {raw!r}") from exc


class SandboxApp:
    """WSGI callable serving one world with one set of controls."""

    def __init__(
        self,
        world: World,
        credentials: AcceptedCredentials,
        controls: Controls,
        request_log: RequestLog,
    ) -> None:
        self.world = world
        self.credentials = credentials
        self.controls = controls
        self.request_log = request_log
        self._handlers: dict[tuple[str, str], Handler] = {
            ("account", "GET"): self._fetch_account,
            ("calls", "GET"): self._list_calls,
            ("calls", "POST"): self._create_call,
            ("call", "GET"): self._fetch_call,
            ("call", "POST"): self._update_call,
            ("incoming_numbers", "GET"): self._list_incoming_numbers,
            ("caller_ids", "GET"): self._list_caller_ids,
            ("rooms", "GET"): self._list_rooms,
            ("rooms", "POST"): self._create_room,
            ("room", "GET"): self._fetch_room,
            ("room", "POST"): self._update_room,
            ("participants", "GET"): self._list_participants,
            ("participant", "GET"): self._fetch_participant,
            ("participant", "POST"): self._update_participant,
            ("published_tracks", "GET"): self._list_published_tracks,
            ("published_track", "GET"): self._fetch_published_track,
        }

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        wall_time, perf_time = time.time(), time.perf_counter()
        request = Request(environ)
        self.request_log.arrived(request.method, request.path)
        response = self._respond(request)
        self.request_log.append(
            RequestRecord(
                method=request.method,
                path=request.path,
                query=request.query_string.decode("latin-1"),
                status=response.status_code,
                wall_time=wall_time,
                perf_time=perf_time,
            )
        )
        return response(environ, start_response)

    # ------------------------------------------------------------------ pipeline

    def _respond(self, request: Request) -> Response:
        latency = self.controls.latency_for(request.method, request.path)
        if latency > 0:
            time.sleep(latency / 1000.0)
        if not self._authenticated(request):
            return self._json(401, error_body(401, 20003, "Authenticate"))
        retry_after = self.controls.admit()
        if retry_after is not None:
            response = self._json(429, error_body(429, 20429, "Too Many Requests"))
            response.headers["Retry-After"] = str(int(retry_after))
            return response
        if self.controls.draw_fault():
            return self._json(500, error_body(500, 20500, "Internal Server Error"))
        try:
            status, body = self._dispatch(request)
        except ApiError as exc:
            status, body = exc.status, exc.body()
        except Exception:  # a sandbox bug must still look like Twilio, not an HTML page
            log.exception("sandbox failed on %s %s", request.method, request.path)
            status, body = 500, error_body(500, 20500, "Internal Server Error")
        text = json.dumps(body)
        if 200 <= status < 300 and self.controls.draw_malformed():
            text = text[: max(1, len(text) // 2)]
        return self._text(status, text)

    def _authenticated(self, request: Request) -> bool:
        if self.controls.credentials_revoked:
            return False
        auth = request.authorization
        if auth is None or auth.type != "basic":
            return False
        return self.credentials.accepts(auth.username or "", auth.password or "")

    def _dispatch(self, request: Request) -> tuple[int, JsonObject]:
        adapter = URL_MAP.bind_to_environ(request.environ)
        try:
            endpoint, matched = adapter.match()
        except MethodNotAllowed:
            raise ApiError(
                405, 20004, f"Method {request.method} not allowed on {request.path}"
            ) from None
        except NotFound:
            raise ApiError.not_found(request.path) from None
        args = dict(matched)
        account = args.pop("account", None)
        if account is not None and account != self.world.account_sid:
            raise ApiError.not_found(request.path)
        method = "GET" if request.method == "HEAD" else request.method
        return self._handlers[(str(endpoint), method)](request, **args)

    @staticmethod
    def _text(status: int, text: str) -> Response:
        response = Response(text, status=status, content_type="application/json; charset=utf-8")
        response.headers["Twilio-Request-Id"] = "RQ" + uuid.uuid4().hex
        return response

    def _json(self, status: int, body: JsonObject) -> Response:
        return self._text(status, json.dumps(body))

    # ------------------------------------------------------------------ Api 2010

    def _base(self) -> str:
        return f"/2010-04-01/Accounts/{self.world.account_sid}"

    def _fetch_account(self, request: Request) -> tuple[int, JsonObject]:
        with self.world.locked():
            return 200, account_json(self.world, self.credentials.auth_token)

    def _create_call(self, request: Request) -> tuple[int, JsonObject]:
        form = request.form
        url = form.get("Url") or form.get("ApplicationSid")
        timeout = _int_form(request, "Timeout", 60)
        with self.world.locked():
            call = self.world.create_call(
                _optional(form.get("To")),
                _optional(form.get("From")),
                _optional(form.get("Twiml")),
                url=url,
                timeout=60 if timeout is None else timeout,
                status_callback=_optional(form.get("StatusCallback")),
            )
            return 201, call_json(call, self.world.account_sid)

    def _fetch_call(self, request: Request, sid: str) -> tuple[int, JsonObject]:
        with self.world.locked():
            return 200, call_json(self.world.find_call(sid), self.world.account_sid)

    def _update_call(self, request: Request, sid: str) -> tuple[int, JsonObject]:
        form = request.form
        if form.get("Url"):
            raise ApiError(
                400,
                21205,
                "Url is not supported by the sandbox, which cannot fetch TwiML: pass Twiml",
            )
        with self.world.locked():
            call = self.world.update_call(
                sid, _optional(form.get("Status")), _optional(form.get("Twiml"))
            )
            return 200, call_json(call, self.world.account_sid)

    def _list_calls(self, request: Request) -> tuple[int, JsonObject]:
        args = request.args
        page_request = parse_page_request(args)
        with self.world.locked():
            calls = self.world.list_calls(
                status=_optional(args.get("Status")),
                to=_optional(args.get("To")),
                from_=_optional(args.get("From")),
                started_after=_optional(args.get("StartTime>")),
                started_before=_optional(args.get("StartTime<")),
                started_on=_optional(args.get("StartTime")),
            )
            page = slice_page(calls, lambda c: _NEWEST_FIRST - c.seq, page_request)
            records = [call_json(c, self.world.account_sid) for c in page.items]
        return 200, api_list_json(
            "calls", records, page, f"{self._base()}/Calls.json", _filters(request)
        )

    def _list_incoming_numbers(self, request: Request) -> tuple[int, JsonObject]:
        wanted = request.args.get("PhoneNumber")
        return self._list_owned_numbers(
            request,
            [n for n in self.world.incoming_numbers if wanted is None or wanted in n.phone_number],
            incoming_number_json,
            "incoming_phone_numbers",
            "IncomingPhoneNumbers.json",
        )

    def _list_caller_ids(self, request: Request) -> tuple[int, JsonObject]:
        wanted = request.args.get("PhoneNumber")
        return self._list_owned_numbers(
            request,
            [n for n in self.world.caller_ids if wanted is None or n.phone_number == wanted],
            caller_id_json,
            "outgoing_caller_ids",
            "OutgoingCallerIds.json",
        )

    def _list_owned_numbers(
        self,
        request: Request,
        numbers: list[OwnedNumber],
        to_json: Callable[[OwnedNumber, str], JsonObject],
        key: str,
        resource: str,
    ) -> tuple[int, JsonObject]:
        """One page of the account's numbers, in the world's order."""
        page_request = parse_page_request(request.args)
        page = slice_page(numbers, lambda n: numbers.index(n), page_request)
        records = [to_json(n, self.world.account_sid) for n in page.items]
        return 200, api_list_json(
            key, records, page, f"{self._base()}/{resource}", _filters(request)
        )

    # ------------------------------------------------------------------ Video v1

    def _create_room(self, request: Request) -> tuple[int, JsonObject]:
        form = request.form
        max_participants = _int_form(request, "MaxParticipants", None)
        with self.world.locked():
            sid = self.world.create_room(
                unique_name=form.get("UniqueName") or None,
                type=form.get("Type") or "group",
                max_participants=max_participants,
                status_callback=_optional(form.get("StatusCallback")),
            )
            return 201, room_json(self.world.find_room(sid), self.world.account_sid)

    def _fetch_room(self, request: Request, room: str) -> tuple[int, JsonObject]:
        with self.world.locked():
            return 200, room_json(self.world.find_room(room), self.world.account_sid)

    def _update_room(self, request: Request, room: str) -> tuple[int, JsonObject]:
        status = request.form.get("Status", "")
        with self.world.locked():
            updated = self.world.update_room_status(room, status)
            return 202, room_json(updated, self.world.account_sid)

    def _list_rooms(self, request: Request) -> tuple[int, JsonObject]:
        args = request.args
        page_request = parse_page_request(args)
        with self.world.locked():
            rooms = self.world.list_rooms(
                # Twilio's description: Status "Can be: `in-progress` (default) or `completed`".
                status=_optional(args.get("Status")) or "in-progress",
                unique_name=_optional(args.get("UniqueName")),
                created_after=_optional(args.get("DateCreatedAfter")),
                created_before=_optional(args.get("DateCreatedBefore")),
            )
            page = slice_page(rooms, lambda r: _NEWEST_FIRST - r.seq, page_request)
            records = [room_json(r, self.world.account_sid) for r in page.items]
        return 200, video_list_json("rooms", records, page, "/v1/Rooms", _filters(request))

    def _list_participants(self, request: Request, room: str) -> tuple[int, JsonObject]:
        args = request.args
        page_request = parse_page_request(args)
        with self.world.locked():
            participants = self.world.list_participants(
                room,
                status=_optional(args.get("Status")),
                identity=_optional(args.get("Identity")),
                created_after=_optional(args.get("DateCreatedAfter")),
                created_before=_optional(args.get("DateCreatedBefore")),
            )
            room_sid = self.world.find_room(room).sid
            page = slice_page(participants, lambda p: p.seq, page_request)
            records = [participant_json(p, self.world.account_sid) for p in page.items]
        return 200, video_list_json(
            "participants", records, page, f"/v1/Rooms/{room_sid}/Participants", _filters(request)
        )

    def _fetch_participant(
        self, request: Request, room: str, participant: str
    ) -> tuple[int, JsonObject]:
        with self.world.locked():
            found = self.world.find_participant(room, participant)
            return 200, participant_json(found, self.world.account_sid)

    def _update_participant(
        self, request: Request, room: str, participant: str
    ) -> tuple[int, JsonObject]:
        status = request.form.get("Status", "")
        with self.world.locked():
            updated = self.world.update_participant_status(room, participant, status)
            return 202, participant_json(updated, self.world.account_sid)

    def _list_published_tracks(
        self, request: Request, room: str, participant: str
    ) -> tuple[int, JsonObject]:
        page_request = parse_page_request(request.args)
        with self.world.locked():
            found = self.world.find_participant(room, participant)
            tracks = self.world.list_published_tracks(room, participant)
            page = slice_page(tracks, lambda t: t.seq, page_request)
            records = [track_json(t) for t in page.items]
        return 200, video_list_json(
            "published_tracks",
            records,
            page,
            f"/v1/Rooms/{found.room_sid}/Participants/{found.sid}/PublishedTracks",
            _filters(request),
        )

    def _fetch_published_track(
        self, request: Request, room: str, participant: str, sid: str
    ) -> tuple[int, JsonObject]:
        with self.world.locked():
            return 200, track_json(self.world.find_published_track(room, participant, sid))
