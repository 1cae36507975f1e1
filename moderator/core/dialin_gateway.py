"""The gateway's dial-in half: the account's numbers, Serverless, and calls already running.

Part of the gateway (the only code that talks to Twilio): it goes through `TwilioGateway`'s
retry policy and error mapping, and adds the one request the SDK cannot make, the multipart
upload of an Asset Version to `serverless-upload.twilio.com` (the same form twilio-labs'
serverless-api sends: fields `Path`, `Visibility` and a `Content` file part). Kept apart from
`gateway.py` so dial-out stays readable on its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moderator.core.errors import ErrorKind, TwilioError, malformed_response
from moderator.core.gateway import TwilioGateway
from moderator.core.gateway_records import call_record as _gateway_call
from moderator.core.http import RewritingHttpClient, rewrite_url
from moderator.core.models import Call, CallStatus, IncomingNumber, VoiceConfig
from moderator.core.retry import Operation

__all__ = [
    "UPLOAD_URL",
    "BuildState",
    "DialInGateway",
    "ServerlessAsset",
    "ServerlessEnvironment",
]

UPLOAD_URL = "https://serverless-upload.twilio.com/v1/Services/{service}/Assets/{asset}/Versions"
UPLOAD_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class ServerlessEnvironment:
    sid: str  # ZE…
    unique_name: str
    domain_name: str  # e.g. room-moderator-lobby-1234-lobby.twil.io
    build_sid: str | None


@dataclass(frozen=True, slots=True)
class ServerlessAsset:
    sid: str  # ZH…
    friendly_name: str


@dataclass(frozen=True, slots=True)
class BuildState:
    sid: str  # ZB…
    status: str  # building | completed | failed
    asset_versions: tuple[tuple[str, str], ...] = ()  # (version SID, path)


class DialInGateway:
    """Twilio requests for dial-in; every method blocks, so call them from a worker."""

    def __init__(self, gateway: TwilioGateway) -> None:
        self._gateway = gateway
        self._client = gateway.client

    # -- the account's numbers ----------------------------------------------------------------

    def list_numbers(self) -> list[IncomingNumber]:
        """The account's phone numbers with their voice configuration, voice-capable first."""
        numbers = self._client.api.v2010.account.incoming_phone_numbers
        instances = self._gateway.read_pages(lambda: numbers.page(page_size=50))
        result = [self._gateway.convert(_number, instance) for instance in instances]
        return sorted(result, key=lambda n: (not n.voice_capable, n.phone_number))

    def fetch_number(self, sid: str) -> IncomingNumber:
        numbers = self._client.api.v2010.account.incoming_phone_numbers
        instance = self._gateway.request(Operation.READ, lambda: numbers(sid).fetch())
        return self._gateway.convert(_number, instance)

    def update_voice(self, sid: str, voice: VoiceConfig) -> IncomingNumber:
        """Set all of a number's voice fields at once (idempotent: the same values twice are
        the same number)."""
        numbers = self._client.api.v2010.account.incoming_phone_numbers
        instance = self._gateway.request(
            Operation.WRITE,
            lambda: numbers(sid).update(
                voice_url=voice.voice_url,
                voice_method=voice.voice_method,
                voice_fallback_url=voice.voice_fallback_url,
                voice_fallback_method=voice.voice_fallback_method,
                voice_application_sid=voice.voice_application_sid,
                trunk_sid=voice.trunk_sid,
            ),
        )
        return self._gateway.convert(_number, instance)

    # -- calls already running ------------------------------------------------------------------

    def list_inbound_calls(self, to: str) -> list[Call]:
        """In-progress calls to one of the account's numbers: the callers on hold (and those
        already admitted, which the caller tells apart by call SID)."""
        calls = self._gateway.list_calls(to=to, status=CallStatus.IN_PROGRESS)
        return [call for call in calls if call.inbound or not call.direction]

    def redirect_call(self, call_sid: str, twiml: str) -> Call:
        """Replace what a live call runs with `twiml` (admit into a room, or a goodbye).

        Sent once, never retried: a second identical update would restart the join and could
        evict the participant the first one made (Twilio 53205).
        """
        calls = self._client.api.v2010.account.calls
        instance = self._gateway.request(
            Operation.CREATE_CALL, lambda: calls(call_sid).update(twiml=twiml)
        )
        return self._gateway.convert(_gateway_call, instance)

    # -- Serverless -----------------------------------------------------------------------------

    def find_service(self, unique_name: str) -> str | None:
        """The SID of the Service with this unique name, or None when there is none."""
        services = self._client.serverless.v1.services
        try:
            instance = self._gateway.request(Operation.READ, lambda: services(unique_name).fetch())
        except TwilioError as error:
            if error.kind is ErrorKind.NOT_FOUND:
                return None
            raise
        return self._gateway.convert(lambda i: _text(i.sid), instance)

    def create_service(self, unique_name: str, friendly_name: str) -> str:
        services = self._client.serverless.v1.services
        instance = self._gateway.request(
            Operation.WRITE,
            lambda: services.create(unique_name=unique_name, friendly_name=friendly_name),
        )
        return self._gateway.convert(lambda i: _text(i.sid), instance)

    def find_environment(self, service: str, unique_name: str) -> ServerlessEnvironment | None:
        environments = self._client.serverless.v1.services(service).environments
        instances = self._gateway.read_pages(lambda: environments.page(page_size=50))
        for instance in instances:
            environment = self._gateway.convert(_environment, instance)
            if environment.unique_name == unique_name:
                return environment
        return None

    def create_environment(
        self, service: str, unique_name: str, domain_suffix: str
    ) -> ServerlessEnvironment:
        environments = self._client.serverless.v1.services(service).environments
        instance = self._gateway.request(
            Operation.WRITE,
            lambda: environments.create(unique_name=unique_name, domain_suffix=domain_suffix),
        )
        return self._gateway.convert(_environment, instance)

    def fetch_environment(self, service: str, sid: str) -> ServerlessEnvironment:
        environments = self._client.serverless.v1.services(service).environments
        instance = self._gateway.request(Operation.READ, lambda: environments(sid).fetch())
        return self._gateway.convert(_environment, instance)

    def find_asset(self, service: str, friendly_name: str) -> ServerlessAsset | None:
        assets = self._client.serverless.v1.services(service).assets
        instances = self._gateway.read_pages(lambda: assets.page(page_size=50))
        for instance in instances:
            asset = self._gateway.convert(_asset, instance)
            if asset.friendly_name == friendly_name:
                return asset
        return None

    def create_asset(self, service: str, friendly_name: str) -> ServerlessAsset:
        assets = self._client.serverless.v1.services(service).assets
        instance = self._gateway.request(
            Operation.WRITE, lambda: assets.create(friendly_name=friendly_name)
        )
        return self._gateway.convert(_asset, instance)

    def upload_asset_version(
        self,
        service: str,
        asset: str,
        *,
        path: str,
        content: bytes,
        content_type: str,
        visibility: str = "public",
    ) -> str:
        """Upload a new version of an asset; returns its SID (ZN…).

        The SDK has no call for this (it cannot send multipart), so it is one `requests` POST
        through the client's own session, URL rewriting and credentials. Not retried: each
        upload makes a new version, and an unanswered one is simply superseded by the next.
        """
        url = UPLOAD_URL.format(service=service, asset=asset)
        http_client = self._client.http_client
        base_url = http_client.base_url if isinstance(http_client, RewritingHttpClient) else None
        session = getattr(http_client, "session", None)
        post: Callable[..., Any]
        if session is not None:
            post = session.post
        else:
            import requests

            post = requests.post
        username = self._client.username
        password = self._client.password

        def send() -> Any:
            response = post(
                rewrite_url(url, base_url),
                data={"Path": path, "Visibility": visibility},
                files={"Content": (path.rsplit("/", 1)[-1] or "asset", content, content_type)},
                auth=(username, password),
                timeout=UPLOAD_TIMEOUT_S,
                headers={"Accept": "application/json"},
            )
            if response.status_code >= 400:
                raise _rest_exception(response, url)
            return response.json()

        body = self._gateway.request(Operation.CREATE_CALL, send)
        if not isinstance(body, dict) or not isinstance(body.get("sid"), str):
            raise malformed_response()
        return str(body["sid"])

    def create_build(self, service: str, asset_versions: list[str]) -> BuildState:
        builds = self._client.serverless.v1.services(service).builds
        instance = self._gateway.request(
            Operation.WRITE, lambda: builds.create(asset_versions=asset_versions)
        )
        return self._gateway.convert(_build, instance)

    def fetch_build(self, service: str, sid: str) -> BuildState:
        builds = self._client.serverless.v1.services(service).builds
        instance = self._gateway.request(Operation.READ, lambda: builds(sid).fetch())
        return self._gateway.convert(_build, instance)

    def build_status(self, service: str, sid: str) -> str:
        builds = self._client.serverless.v1.services(service).builds
        instance = self._gateway.request(Operation.READ, lambda: builds(sid).build_status().fetch())
        return self._gateway.convert(lambda i: _text(i.status), instance)

    def deploy(self, service: str, environment: str, build: str) -> str:
        deployments = (
            self._client.serverless.v1.services(service).environments(environment).deployments
        )
        instance = self._gateway.request(
            Operation.WRITE, lambda: deployments.create(build_sid=build)
        )
        return self._gateway.convert(lambda i: _text(i.sid), instance)


def _rest_exception(response: Any, url: str) -> Exception:
    """The SDK's own exception for an error answer, so it maps like every other request."""
    from twilio.base.exceptions import TwilioRestException

    try:
        body = response.json()
    except (ValueError, json.JSONDecodeError):
        body = {}
    if not isinstance(body, dict):
        body = {}
    code = body.get("code")
    exception: Exception = TwilioRestException(
        response.status_code,
        url,
        msg=str(body.get("message") or f"HTTP {response.status_code}"),
        code=code if isinstance(code, int) else None,
        method="POST",
    )
    return exception


def _text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("expected a non-empty string")
    return value


def _optional(value: object) -> str:
    return value if isinstance(value, str) else ""


def _method(value: object) -> str:
    text = _optional(value).upper()
    return text if text in ("GET", "POST") else "POST"


def _number(instance: Any) -> IncomingNumber:
    capabilities = instance.capabilities
    voice_capable = not isinstance(capabilities, dict) or bool(capabilities.get("voice", True))
    return IncomingNumber(
        sid=_text(instance.sid),
        phone_number=_text(instance.phone_number),
        friendly_name=_optional(instance.friendly_name) or _text(instance.phone_number),
        voice=VoiceConfig(
            voice_url=_optional(instance.voice_url),
            voice_method=_method(instance.voice_method),
            voice_fallback_url=_optional(instance.voice_fallback_url),
            voice_fallback_method=_method(instance.voice_fallback_method),
            voice_application_sid=_optional(instance.voice_application_sid),
            trunk_sid=_optional(instance.trunk_sid),
        ),
        voice_capable=voice_capable,
    )


def _environment(instance: Any) -> ServerlessEnvironment:
    build_sid = instance.build_sid
    return ServerlessEnvironment(
        sid=_text(instance.sid),
        unique_name=_optional(instance.unique_name),
        domain_name=_text(instance.domain_name),
        build_sid=build_sid if isinstance(build_sid, str) and build_sid else None,
    )


def _asset(instance: Any) -> ServerlessAsset:
    return ServerlessAsset(sid=_text(instance.sid), friendly_name=_optional(instance.friendly_name))


def _build(instance: Any) -> BuildState:
    versions = instance.asset_versions or []
    pairs = tuple((str(v["sid"]), str(v.get("path", ""))) for v in versions if isinstance(v, dict))
    return BuildState(sid=_text(instance.sid), status=_text(instance.status), asset_versions=pairs)
