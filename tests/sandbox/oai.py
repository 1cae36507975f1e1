"""Raw-HTTP access to a sandbox as if it were Twilio's hosts, with every answer validated against
Twilio's OpenAPI descriptions in ../shared/twilio-oai (the lead's URL scheme decides the path).

`TwilioWire.call("POST", "https://serverless.twilio.com/v1/Services", data)` sends the request to
`{base}/serverless/v1/Services` (api.twilio.com and video.twilio.com keep their path), checks the
status, and validates the body against the document of that host.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from moderator.sandbox.server import SandboxServer


def _find_oai_dir() -> Path:
    """../shared/twilio-oai beside the checkout, or beside any folder above it (worktrees)."""
    for folder in Path(__file__).resolve().parents[2].parents:
        candidate = folder / "shared" / "twilio-oai"
        if candidate.is_dir():
            return candidate
    return Path(__file__).resolve().parents[2].parent / "shared" / "twilio-oai"


OAI_DIR = _find_oai_dir()
DOCUMENTS = {
    "api.twilio.com": "api_v2010",
    "video.twilio.com": "video_v1",
    "serverless.twilio.com": "serverless_v1",
}

needs_oai = pytest.mark.skipif(
    not OAI_DIR.is_dir(),
    reason=f"Twilio's OpenAPI files are not at {OAI_DIR} (CI always has them)",
)


@cache
def raw_document(name: str) -> dict[str, Any]:
    """One of Twilio's OpenAPI documents as JSON (they are not valid YAML)."""
    loaded: dict[str, Any] = json.loads(
        (OAI_DIR / f"twilio_{name}.json").read_text(encoding="utf-8")
    )
    return loaded


@cache
def spec(name: str) -> OpenAPI:
    """The openapi-core validator for one document, built once per test run."""
    return OpenAPI.from_dict(raw_document(name))


def schema_properties(name: str, schema: str) -> set[str]:
    """The fields a schema of a document declares."""
    return set(raw_document(name)["components"]["schemas"][schema]["properties"])


def sandbox_url(base_url: str, url: str) -> str:
    """Where the app's rewriting client sends a Twilio URL (the lead's scheme)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    query = f"?{parts.query}" if parts.query else ""
    if host == "api.twilio.com" or host.startswith("video."):
        return f"{base_url}{parts.path}{query}"
    if host.endswith(".twil.io"):
        return f"{base_url}/twil.io/{host[: -len('.twil.io')]}{parts.path}{query}"
    product = host.split(".", 1)[0]
    return f"{base_url}/{product}{parts.path}{query}"


class TwilioWire:
    """Sends Twilio URLs to a sandbox and validates the answers against Twilio's documents."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        creds = server.credentials
        self.auth = (creds.account_sid, creds.auth_token)
        self.account = creds.account_sid

    def api(self, suffix: str) -> str:
        """An absolute Api 2010 URL under the account."""
        return f"https://api.twilio.com/2010-04-01/Accounts/{self.account}{suffix}"

    def send(
        self, method: str, url: str, data: dict[str, Any] | None = None, **kwargs: Any
    ) -> requests.Response:
        """The raw answer, unvalidated (for error bodies and served assets)."""
        kwargs.setdefault("auth", self.auth)
        return requests.request(
            method, sandbox_url(self.server.base_url, url), data=data, timeout=10, **kwargs
        )

    def call(
        self,
        method: str,
        url: str,
        data: dict[str, Any] | None = None,
        expected: int = 200,
    ) -> Any:
        """Send, assert the status, validate the body against the host's document; its JSON."""
        response = self.send(method, url, data)
        assert response.status_code == expected, response.text
        host = urlsplit(url).hostname or ""
        document = DOCUMENTS["video.twilio.com" if host.startswith("video.") else host]
        twilio_request = requests.Request(method, url, data=data, auth=self.auth)
        spec(document).validate_response(
            RequestsOpenAPIRequest(twilio_request.prepare()), RequestsOpenAPIResponse(response)
        )
        return response.json() if response.content else None
