"""The SDK's HTTP client, pointed at the sandbox when asked, and remembering each thread's response.

The twilio SDK builds absolute `https://<product>[.<edge>][.<region>].twilio.com/…` URLs. To talk
to the local sandbox the app swaps the scheme and host (matching the `.twilio.com` suffix, so
regional and edge hostnames work too) and keeps path and query; everything else stays stock.
Api and Video paths never collide, so they arrive as they are (`/2010-04-01/…`, `/v1/Rooms`);
every other product's paths do (Serverless and Sync both have `/v1/Services`), so they arrive
under the product's name: `/serverless/v1/…`, `/serverless-upload/v1/…`. A domain Twilio serves
deployed assets on, `https://<sub>.twil.io/<path>`, arrives as `/twil.io/<sub>/<path>`
(docs/SANDBOX.md describes the same scheme from the sandbox's side).
The last response is kept per thread because several workers share one client and the retry
layer needs the Retry-After header of *its own* failed request.
"""

from __future__ import annotations

import logging
import os
import threading
from urllib.parse import urlsplit, urlunsplit

from requests.adapters import HTTPAdapter
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from moderator.core.credentials import Credentials
from moderator.core.log_masking import mask_numbers_in

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "RewritingHttpClient",
    "is_assets_url",
    "is_twilio_url",
    "make_client",
    "rewrite_url",
]

#: Seconds to wait for a connection and again for an answer; generous for Twilio, short enough
#: that a stalled request does not hold a worker thread for long.
DEFAULT_TIMEOUT_S = 10.0
_TWILIO_DOMAIN = "twilio.com"
_ASSETS_DOMAIN = "twil.io"
#: Products whose paths arrive at the sandbox unprefixed (they were the only two at first).
_UNPREFIXED_PRODUCTS = frozenset({"api", "video", ""})

_logger = logging.getLogger(__name__)
mask_numbers_in()  # the SDK logs query strings (To=…) through `_logger`, urllib3 full URLs


def is_twilio_url(url: str) -> bool:
    """True for https URLs whose host is twilio.com or any subdomain of it."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    return parts.scheme.lower() == "https" and (
        host == _TWILIO_DOMAIN or host.endswith("." + _TWILIO_DOMAIN)
    )


def is_assets_url(url: str) -> bool:
    """True for https URLs on a `<sub>.twil.io` domain (where Twilio serves deployed assets)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    return parts.scheme.lower() == "https" and host.endswith("." + _ASSETS_DOMAIN)


def rewrite_url(url: str, base_url: str | None) -> str:
    """`url` moved onto `base_url` when it is a Twilio (or twil.io) URL, else as is.

    The product prefix (see the module docstring) keeps Serverless and Sync paths apart."""
    if base_url is None:
        return url
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    if is_twilio_url(url):
        product = host.removesuffix(_TWILIO_DOMAIN).split(".")[0]
        prefix = "" if product in _UNPREFIXED_PRODUCTS else f"/{product}"
    elif is_assets_url(url):
        prefix = f"/{_ASSETS_DOMAIN}/{host.removesuffix('.' + _ASSETS_DOMAIN)}"
    else:
        return url
    base = urlsplit(base_url)
    path = base.path.rstrip("/") + prefix + (parts.path or "/")
    return urlunsplit((base.scheme, base.netloc, path, parts.query, parts.fragment))


class RewritingHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """TwilioHttpClient that can redirect Twilio URLs to `base_url` and remembers responses.

    Thread-safe to share between worker threads: `requests.Session` sends concurrently, and the
    only state this class adds is thread-local.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
        pool_size: int | None = None,
    ) -> None:
        super().__init__(pool_connections=True, timeout=timeout, logger=_logger)
        self.base_url = base_url.rstrip("/") if base_url else None
        self._local = threading.local()
        # The parent sizes the pool for https only; the sandbox speaks plain http.
        size = pool_size or min(32, (os.cpu_count() or 1) + 4)
        self.session.mount("http://", HTTPAdapter(pool_maxsize=size))
        self.session.mount("https://", HTTPAdapter(pool_maxsize=size))

    @property
    def last_response(self) -> Response | None:
        """The response to this thread's latest request (None if it got none, e.g. refused)."""
        response: Response | None = getattr(self._local, "response", None)
        return response

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        self._local.response = None
        response: Response = super().request(
            method,
            rewrite_url(url, self.base_url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )
        self._local.response = response
        return response

    def close(self) -> None:
        """Release pooled connections (the app calls this when switching profiles)."""
        if self.session is not None:
            self.session.close()


def make_client(
    credentials: Credentials, base_url: str | None = None, timeout: float = DEFAULT_TIMEOUT_S
) -> Client:
    """A twilio `Client` for these credentials; `base_url` None means the real Twilio."""
    http_client = RewritingHttpClient(base_url, timeout=timeout)
    return Client(
        credentials.username,
        credentials.secret,
        credentials.account_sid,
        http_client=http_client,
    )
