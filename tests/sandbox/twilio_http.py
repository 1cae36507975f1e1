"""Raw HTTP to a sandbox, every successful answer validated against Twilio's Video OpenAPI file.

The OAI file is looked for where CI keeps it (../shared/twilio-oai next to the checkout) or in
$TWILIO_OAI_DIR; without it the answers are still checked for status, just not for shape.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from moderator.sandbox.server import SandboxServer

VIDEO_HOST = "https://video.twilio.com"
DEFAULT_OAI_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "twilio-oai"


def oai_dir() -> Path:
    """Where Twilio's OpenAPI files are ($TWILIO_OAI_DIR wins)."""
    return Path(os.environ.get("TWILIO_OAI_DIR") or DEFAULT_OAI_DIR)


@cache
def video_spec() -> OpenAPI | None:
    """Twilio's Video v1 description, loaded once; None when the file is not there."""
    path = oai_dir() / "twilio_video_v1.json"
    if not path.is_file():
        return None
    return OpenAPI.from_dict(json.loads(path.read_text(encoding="utf-8")))


@cache
def video_schemas() -> dict[str, Any]:
    """The OAI file's component schemas (empty when the file is not there)."""
    path = oai_dir() / "twilio_video_v1.json"
    if not path.is_file():
        return {}
    return dict(json.loads(path.read_text(encoding="utf-8"))["components"]["schemas"])


class TwilioHttp:
    """Authenticated raw requests; `call` asserts the status and validates 2xx answers."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        creds = server.credentials
        self.auth = (creds.account_sid, creds.auth_token)

    def raw(self, method: str, path: str, data: Any = None, **kwargs: Any) -> requests.Response:
        """Send without checks (redirects are not followed)."""
        return requests.request(
            method,
            self.server.base_url + path,
            data=data,
            auth=self.auth,
            timeout=10,
            allow_redirects=False,
            **kwargs,
        )

    def call(self, method: str, path: str, data: Any = None, expected: int = 200) -> Any:
        """Send, assert `expected`, validate a 2xx body as if from video.twilio.com."""
        response = self.raw(method, path, data)
        assert response.status_code == expected, response.text
        spec = video_spec()
        if spec is not None and 200 <= expected < 300:
            twilio_request = requests.Request(method, VIDEO_HOST + path, data=data, auth=self.auth)
            spec.validate_response(
                RequestsOpenAPIRequest(twilio_request.prepare()), RequestsOpenAPIResponse(response)
            )
        return response.json() if response.content else None

    def error(self, method: str, path: str, data: Any = None) -> tuple[int, int]:
        """(HTTP status, Twilio code) of a refusal, checking the error body's shape."""
        response = self.raw(method, path, data)
        body = response.json()
        assert set(body) == {"code", "message", "more_info", "status"}, body
        assert body["status"] == response.status_code
        return response.status_code, body["code"]


def assert_schema_fields(schema: str, record: dict[str, Any]) -> None:
    """A record carries exactly the schema's fields (when the OAI file is there)."""
    schemas = video_schemas()
    if schemas:
        assert set(record) == set(schemas[schema]["properties"]), schema
