"""The WSGI application: Werkzeug routes for Twilio's Video v1 and Api 2010 paths.

Each request goes: receipt time → latency → auth (not for served `/twil.io/` assets, which are
public) → product permission (`Controls.deny_product`) → rate limit → injected 500 (neither for
the sandbox's own `/sandbox/` controls) → route failure (`Controls.fail_route`) → route → world
(under its lock) → JSON, possibly cut short by the malformed-body fault → request log. A handler
may answer a ready Response instead of JSON (204 No Content, a served asset's bytes). The routes
and their handlers live in `moderator.sandbox.routes`, one module per resource family; this module
is the pipeline they share. Signed media URLs (`/media/…`, what `…/Media` redirects to) skip
Basic auth, as the storage URLs Twilio redirects to do; they are still logged.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map
from werkzeug.wrappers import Request, Response

from moderator.sandbox.controls import Controls
from moderator.sandbox.errors import ApiError, error_body
from moderator.sandbox.request_log import RequestLog, RequestRecord
from moderator.sandbox.routes import calls, inbound, media, numbers, rooms, serverless, sync
from moderator.sandbox.routes.common import Handlers, JsonObject
from moderator.sandbox.world import World

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["AcceptedCredentials", "SandboxApp"]

log = logging.getLogger(__name__)

URL_MAP = Map(
    [
        *numbers.RULES,
        *calls.RULES,
        *rooms.RULES,
        *serverless.RULES,
        *inbound.RULES,
        *media.RULES,
        *sync.RULES,
    ],
    strict_slashes=False,
)
REDIRECT_STATUSES = {301, 302, 303, 307}


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
        self._media = media.MediaRoutes(world)
        self._handlers: Handlers = {
            **numbers.NumberRoutes(world, credentials.auth_token).handlers(),
            **calls.CallRoutes(world).handlers(),
            **rooms.RoomRoutes(world).handlers(),
            **serverless.ServerlessRoutes(world).handlers(),
            **inbound.InboundCallRoutes(world).handlers(),
            **self._media.handlers(),
            **sync.SyncRoutes(world).handlers(),
        }

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        wall_time, perf_time = time.time(), time.perf_counter()
        request = Request(environ)
        self.request_log.arrived(request.method, request.path)
        try:
            response = self._respond(request)
        finally:
            request.close()  # uploaded files (Serverless asset versions) are temporary files
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
        if request.path.startswith(media.MEDIA_PREFIX):
            return self._media.serve_media(request)
        public = request.path.startswith(serverless.PUBLIC_PREFIX)
        if not public and not self._authenticated(request):
            return self._json(401, error_body(401, 20003, "Authenticate"))
        if self.controls.product_denied(request.path):
            return self._json(403, error_body(403, 70051, "Authorization Failed"))
        control = request.path.startswith(inbound.CONTROL_PREFIX)
        retry_after = None if control else self.controls.admit()
        if retry_after is not None:
            response = self._json(429, error_body(429, 20429, "Too Many Requests"))
            response.headers["Retry-After"] = str(int(retry_after))
            return response
        if not control and self.controls.draw_fault():
            return self._json(500, error_body(500, 20500, "Internal Server Error"))
        failure = self.controls.route_failure(request.method, request.path)
        if failure is not None:
            response = self._json(failure.status, failure.body())
            if failure.status == 429:
                response.headers["Retry-After"] = "1"
            return response
        try:
            answer = self._dispatch(request)
            if isinstance(answer, Response):
                return self._tagged(answer)
            status, body = answer
        except ApiError as exc:
            status, body = exc.status, exc.body()
        except Exception:  # a sandbox bug must still look like Twilio, not an HTML page
            log.exception("sandbox failed on %s %s", request.method, request.path)
            status, body = 500, error_body(500, 20500, "Internal Server Error")
        if status == 204:
            return self._text(204, "")
        text = json.dumps(body)
        if 200 <= status < 300 and not control and self.controls.draw_malformed():
            text = text[: max(1, len(text) // 2)]
        response = self._text(status, text)
        if status in REDIRECT_STATUSES:
            response.headers["Location"] = str(body["redirect_to"])
        return response

    def _authenticated(self, request: Request) -> bool:
        if self.controls.credentials_revoked:
            return False
        auth = request.authorization
        if auth is None or auth.type != "basic":
            return False
        return self.credentials.accepts(auth.username or "", auth.password or "")

    def _dispatch(self, request: Request) -> tuple[int, JsonObject] | Response:
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
    def _tagged(response: Response) -> Response:
        response.headers["Twilio-Request-Id"] = "RQ" + uuid.uuid4().hex
        return response

    @classmethod
    def _text(cls, status: int, text: str) -> Response:
        return cls._tagged(
            Response(text, status=status, content_type="application/json; charset=utf-8")
        )

    def _json(self, status: int, body: JsonObject) -> Response:
        return self._text(status, json.dumps(body))
