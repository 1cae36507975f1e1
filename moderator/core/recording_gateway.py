"""The gateway's recording half: recording rules, track recordings, compositions, media files.

Part of the gateway (the only code that talks to Twilio): every REST request goes through
`TwilioGateway`'s retry policy and error mapping. The one thing the SDK does not do is fetch a
composition's media: `GET …/Media` answers 302 with `{"redirect_to": URL}`, a short-lived
signed storage URL. That first request is Twilio's (authenticated, not redirected); the file
itself is then streamed from the redirect target **without** Twilio's credentials (the target is
a storage host, not Twilio's API), in chunks, with progress and a cancel flag, into a temporary
file next to the host's chosen path that is renamed only once it is complete.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from moderator.core.errors import ErrorKind, TwilioError, malformed_response
from moderator.core.gateway import TwilioGateway
from moderator.core.http import RewritingHttpClient, rewrite_url
from moderator.core.recording import (
    ComposeRequest,
    Composition,
    CompositionStatus,
    TrackRecording,
)
from moderator.core.retry import Operation

__all__ = [
    "CHUNK_BYTES",
    "DownloadCancelled",
    "RecordingGateway",
]

VIDEO_BASE = "https://video.twilio.com/v1"
#: Bytes read per chunk of a download: small enough for a smooth progress bar and a prompt cancel.
CHUNK_BYTES = 64 * 1024
DOWNLOAD_TIMEOUT_S = 30.0
#: Seconds the signed media URL stays valid (Twilio: 1–3600, default 600).
MEDIA_TTL_S = 600


class DownloadCancelled(Exception):
    """The host cancelled a download; nothing was left under the chosen name."""


class RecordingGateway:
    """Twilio requests for recording; every method blocks, so call them from a worker."""

    def __init__(self, gateway: TwilioGateway) -> None:
        self._gateway = gateway
        self._client = gateway.client

    # -- recording rules ----------------------------------------------------------------------

    def fetch_recording_rules(self, room_sid: str) -> list[dict[str, Any]]:
        rules = self._client.video.v1.rooms(room_sid).recording_rules
        instance = self._gateway.request(Operation.READ, lambda: rules.fetch())
        return self._gateway.convert(_rules, instance)

    def update_recording_rules(
        self, room_sid: str, rules: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """Replace the room's recording rules; idempotent, so retried like any write."""
        resource = self._client.video.v1.rooms(room_sid).recording_rules
        payload = [dict(rule) for rule in rules]
        instance = self._gateway.request(Operation.WRITE, lambda: resource.update(rules=payload))
        return self._gateway.convert(_rules, instance)

    # -- track recordings ---------------------------------------------------------------------

    def list_room_recordings(self, room_sid: str) -> list[TrackRecording]:
        recordings = self._client.video.v1.rooms(room_sid).recordings
        instances = self._gateway.read_pages(lambda: recordings.page(page_size=100))
        return [self._gateway.convert(_recording, instance) for instance in instances]

    def delete_recording(self, room_sid: str, sid: str) -> None:
        """Delete a track recording's media (Twilio keeps its metadata, status `deleted`)."""
        recordings = self._client.video.v1.rooms(room_sid).recordings
        self._gateway.request(Operation.WRITE, lambda: recordings(sid).delete())

    # -- compositions -------------------------------------------------------------------------

    def create_composition(self, request: ComposeRequest) -> Composition:
        """Ask Twilio to compose the room. Never retried blindly: each create is a new
        composition (billed), so an unanswered one is found again by listing."""
        problem = request.problem()
        if problem:
            raise TwilioError(
                problem, action="Correct it and try again.", kind=ErrorKind.INVALID_INPUT
            )
        compositions = self._client.video.v1.compositions
        layout = request.video_layout()
        instance = self._gateway.request(
            Operation.CREATE_CALL,
            lambda: compositions.create(
                room_sid=request.room_sid,
                audio_sources=["*"],
                video_layout=layout if layout is not None else _unset(),
                format=request.format,
            ),
        )
        return self._gateway.convert(_composition, instance)

    def fetch_composition(self, sid: str) -> Composition:
        compositions = self._client.video.v1.compositions
        instance = self._gateway.request(Operation.READ, lambda: compositions(sid).fetch())
        return self._gateway.convert(_composition, instance)

    def list_compositions(self, room_sid: str) -> list[Composition]:
        compositions = self._client.video.v1.compositions
        instances = self._gateway.read_pages(
            lambda: compositions.page(room_sid=room_sid, page_size=100)
        )
        return [self._gateway.convert(_composition, instance) for instance in instances]

    def delete_composition(self, sid: str) -> None:
        compositions = self._client.video.v1.compositions
        self._gateway.request(Operation.WRITE, lambda: compositions(sid).delete())

    # -- media ----------------------------------------------------------------------------------

    def media_url(self, composition_sid: str) -> str:
        """The signed URL Twilio redirects a composition's `/Media` to (valid `MEDIA_TTL_S`)."""
        url = f"{VIDEO_BASE}/Compositions/{composition_sid}/Media"

        def ask() -> str:
            response = self._client.request(
                "GET", url, params={"Ttl": MEDIA_TTL_S}, allow_redirects=False
            )
            if response.status_code >= 400:
                raise _rest_exception(response.status_code, response.text, url)
            return _redirect_target(response.status_code, response.text, response.headers)

        return self._gateway.request(Operation.READ, ask)

    def download(
        self,
        url: str,
        path: Path,
        *,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> int:
        """Stream `url` into `path`; returns the bytes written.

        No Twilio credentials go with it (the URL is pre-signed, and may be any host); only a
        Twilio host is moved onto the sandbox. `progress(done, total)` is called per chunk
        (`total` 0 when the server did not say); `cancelled()` is asked per chunk and stops the
        download with `DownloadCancelled`. The bytes go to a temporary file in `path`'s folder,
        renamed to `path` at the end, so a cancel or a failure leaves no half file behind.
        """
        http_client = self._client.http_client
        base_url = http_client.base_url if isinstance(http_client, RewritingHttpClient) else None
        session = getattr(http_client, "session", None)
        if session is None:
            import requests

            session = requests.Session()
        target = rewrite_url(url, base_url)
        folder = path.parent
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
        done = 0
        try:
            with os.fdopen(handle, "wb") as out:
                try:
                    response = session.get(
                        target, stream=True, timeout=DOWNLOAD_TIMEOUT_S, auth=None, headers={}
                    )
                except Exception as exc:
                    raise self._gateway.error_for(exc) from None
                with contextlib.closing(response):
                    if response.status_code >= 400:
                        raise _download_refused(response.status_code)
                    total = _int_header(response.headers.get("Content-Length"))
                    if progress is not None:
                        progress(0, total)
                    try:
                        for chunk in response.iter_content(CHUNK_BYTES):
                            if cancelled():
                                raise DownloadCancelled()
                            if not chunk:
                                continue
                            out.write(chunk)
                            done += len(chunk)
                            if progress is not None:
                                progress(done, total)
                    except (DownloadCancelled, TwilioError):
                        raise
                    except OSError as exc:
                        raise _disk_error(exc) from None
                    except Exception as exc:
                        raise self._gateway.error_for(exc) from None
                    if cancelled():
                        raise DownloadCancelled()
                    if total and done != total:
                        raise TwilioError(
                            "The download stopped before the whole file arrived.",
                            action="Download again.",
                            kind=ErrorKind.NETWORK,
                            retryable=True,
                        )
            os.replace(temporary, path)
        except OSError as exc:
            _remove(temporary)
            raise _disk_error(exc) from None
        except BaseException:
            _remove(temporary)
            raise
        return done


# -- helpers ----------------------------------------------------------------------------------


def _unset() -> object:
    from twilio.base import values

    return values.unset


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _int_header(value: object) -> int:
    try:
        return max(0, int(str(value)))
    except (TypeError, ValueError):
        return 0


def _disk_error(exc: OSError) -> TwilioError:
    return TwilioError(
        f"The file could not be written: {exc.strerror or exc}.",
        action="Pick a folder you can write to, with enough free space.",
        kind=ErrorKind.INVALID_INPUT,
    )


def _download_refused(status: int) -> TwilioError:
    if status in (401, 403):
        return TwilioError(
            "The download link was refused or has expired.",
            action="Download again: a new link is asked for each time.",
            kind=ErrorKind.PERMISSION,
        )
    if status == 404:
        return TwilioError(
            "The media file is not there any more; it may have been deleted.",
            action="Refresh the list of compositions.",
            kind=ErrorKind.NOT_FOUND,
        )
    return TwilioError(
        f"The media storage answered HTTP {status}.",
        action="Try the download again in a moment.",
        kind=ErrorKind.SERVER,
        retryable=status >= 500,
    )


def _redirect_target(status: int, text: str, headers: Mapping[str, Any] | None) -> str:
    """The URL of Twilio's `…/Media` answer: `redirect_to` in the body, else `Location`."""
    try:
        body = json.loads(text) if text else {}
    except ValueError:
        body = {}
    target = body.get("redirect_to") if isinstance(body, dict) else None
    if not isinstance(target, str) or not target:
        location = (headers or {}).get("Location") if status in (301, 302, 303, 307) else None
        target = location if isinstance(location, str) else None
    if not target:
        raise malformed_response()
    return target


def _rest_exception(status: int, text: str, url: str) -> Exception:
    """The SDK's own exception for an error answer, so it maps like every other request."""
    from twilio.base.exceptions import TwilioRestException

    try:
        body = json.loads(text) if text else {}
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    code = body.get("code")
    exception: Exception = TwilioRestException(
        status,
        url,
        msg=str(body.get("message") or f"HTTP {status}"),
        code=code if isinstance(code, int) else None,
        method="GET",
    )
    return exception


def _text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("expected a non-empty string")
    return value


def _optional(value: object) -> str:
    return value if isinstance(value, str) else ""


def _count(value: object) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise TypeError("expected an integer")
    return int(value)  # type: ignore[call-overload,no-any-return]


def _rules(instance: Any) -> list[dict[str, Any]]:
    rules = instance.rules
    if not isinstance(rules, list):
        raise TypeError("expected a list of rules")
    return [dict(rule) for rule in rules if isinstance(rule, dict)]


def _recording(instance: Any) -> TrackRecording:
    grouping = instance.grouping_sids if isinstance(instance.grouping_sids, dict) else {}
    kind = _optional(instance.type)
    return TrackRecording(
        sid=_text(instance.sid),
        room_sid=_optional(getattr(instance, "room_sid", None))
        or _optional(grouping.get("room_sid")),
        participant_sid=_optional(grouping.get("participant_sid")),
        track_name=_optional(instance.track_name),
        kind=kind or "audio",
        status=_text(instance.status),
        duration_s=_count(instance.duration),
        size=_count(instance.size),
        container_format=_optional(instance.container_format),
        date_created=instance.date_created,
    )


def _composition(instance: Any) -> Composition:
    layout = instance.video_layout
    return Composition(
        sid=_text(instance.sid),
        room_sid=_text(instance.room_sid),
        status=CompositionStatus(_text(instance.status)),
        format=_optional(instance.format) or "webm",
        audio_only=not layout,
        duration_s=_count(instance.duration),
        size=_count(instance.size),
        date_created=instance.date_created,
    )
