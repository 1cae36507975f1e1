"""Video v1 host controls: subscribe rules, subscribed tracks, recording rules, recordings,
compositions, and the media files behind their `/Media` redirects.

`GET …/Media` answers as Twilio does: 302 with a `Location` header and a JSON body
`{"redirect_to": URL}` pointing at a short-lived signed URL (Ttl 1–3600 s, default 600). That
URL is served by this same sandbox under `/media/` without Basic auth — like the pre-signed
storage URL Twilio hands out — and expires on the sandbox's clock (403 afterwards).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from urllib.parse import urlencode

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from moderator.sandbox.errors import ApiError
from moderator.sandbox.paging import parse_page_request, slice_page
from moderator.sandbox.routes.common import (
    NEWEST_FIRST,
    Handlers,
    JsonObject,
    optional,
    query_filters,
)
from moderator.sandbox.routes.rooms import bool_form
from moderator.sandbox.serialization import video_list_json
from moderator.sandbox.serialization_media import (
    composition_json,
    recording_json,
    recording_rules_json,
    room_recording_json,
    subscribe_rules_json,
    subscribed_track_json,
)
from moderator.sandbox.world import World
from moderator.sandbox.world.media_files import CONTENT_TYPES

__all__ = ["MEDIA_PREFIX", "RULES", "MediaRoutes"]

MEDIA_PREFIX = "/media/"
DEFAULT_TTL_S = 600
MAX_TTL_S = 3600
MAX_ACCOUNT_PAGE_SIZE = 100
PARTICIPANT = "/v1/Rooms/<room>/Participants/<participant>"

RULES = [
    Rule(f"{PARTICIPANT}/SubscribeRules", endpoint="subscribe_rules", methods=["GET", "POST"]),
    Rule(f"{PARTICIPANT}/SubscribedTracks", endpoint="subscribed_tracks", methods=["GET"]),
    Rule(f"{PARTICIPANT}/SubscribedTracks/<sid>", endpoint="subscribed_track", methods=["GET"]),
    Rule("/v1/Rooms/<room>/RecordingRules", endpoint="recording_rules", methods=["GET", "POST"]),
    Rule("/v1/Rooms/<room>/Recordings", endpoint="room_recordings", methods=["GET"]),
    Rule("/v1/Rooms/<room>/Recordings/<sid>", endpoint="room_recording", methods=["GET", "DELETE"]),
    Rule("/v1/Recordings", endpoint="recordings", methods=["GET"]),
    Rule("/v1/Recordings/<sid>", endpoint="recording", methods=["GET", "DELETE"]),
    Rule("/v1/Recordings/<sid>/Media", endpoint="recording_media", methods=["GET"]),
    Rule("/v1/Compositions", endpoint="compositions", methods=["GET", "POST"]),
    Rule("/v1/Compositions/<sid>", endpoint="composition", methods=["GET", "DELETE"]),
    Rule("/v1/Compositions/<sid>/Media", endpoint="composition_media", methods=["GET"]),
]


def _page_size_at_most(request: Request, limit: int) -> None:
    """Account-level Recordings and Compositions allow PageSize up to 100 only."""
    raw = request.args.get("PageSize")
    if raw and raw.isdigit() and int(raw) > limit:
        raise ApiError(400, 20001, f"Invalid PageSize: {raw} is outside 1–{limit}")


def _ttl(request: Request) -> int:
    raw = request.args.get("Ttl")
    if raw is None or raw == "":
        return DEFAULT_TTL_S
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_TTL_S:
        raise ApiError(400, 20001, f"Ttl must be 1–{MAX_TTL_S} seconds, got {raw!r}")
    return int(raw)


def _denied(why: str) -> Response:
    """The storage's refusal: 403 with a plain-text reason, not a Twilio error body."""
    return Response(f"AccessDenied: {why}", status=403, content_type="text/plain")


class MediaRoutes:
    """Handlers for this family's rules, and `serve_media` for the signed media URLs."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._key = secrets.token_bytes(32)

    def handlers(self) -> Handlers:
        """(endpoint, method) → handler for this family's rules."""
        return {
            ("subscribe_rules", "GET"): self._fetch_subscribe_rules,
            ("subscribe_rules", "POST"): self._update_subscribe_rules,
            ("subscribed_tracks", "GET"): self._list_subscribed_tracks,
            ("subscribed_track", "GET"): self._fetch_subscribed_track,
            ("recording_rules", "GET"): self._fetch_recording_rules,
            ("recording_rules", "POST"): self._update_recording_rules,
            ("room_recordings", "GET"): self._list_room_recordings,
            ("room_recording", "GET"): self._fetch_room_recording,
            ("room_recording", "DELETE"): self._delete_room_recording,
            ("recordings", "GET"): self._list_recordings,
            ("recording", "GET"): self._fetch_recording,
            ("recording", "DELETE"): self._delete_recording,
            ("recording_media", "GET"): self._recording_media,
            ("compositions", "GET"): self._list_compositions,
            ("compositions", "POST"): self._create_composition,
            ("composition", "GET"): self._fetch_composition,
            ("composition", "DELETE"): self._delete_composition,
            ("composition_media", "GET"): self._composition_media,
        }

    # ------------------------------------------------------------------ subscriptions

    def _fetch_subscribe_rules(
        self, request: Request, room: str, participant: str
    ) -> tuple[int, JsonObject]:
        with self.world.locked():
            return 200, subscribe_rules_json(self.world.fetch_subscribe_rules(room, participant))

    def _update_subscribe_rules(
        self, request: Request, room: str, participant: str
    ) -> tuple[int, JsonObject]:
        rules = request.form.get("Rules")
        with self.world.locked():
            record = self.world.update_subscribe_rules(room, participant, rules)
            return 200, subscribe_rules_json(record)

    def _list_subscribed_tracks(
        self, request: Request, room: str, participant: str
    ) -> tuple[int, JsonObject]:
        page_request = parse_page_request(request.args)
        with self.world.locked():
            found = self.world.find_participant(room, participant)
            tracks = self.world.list_subscribed_tracks(room, participant)
            page = slice_page(tracks, lambda s: s.track.seq, page_request)
            records = [subscribed_track_json(s) for s in page.items]
        return 200, video_list_json(
            "subscribed_tracks",
            records,
            page,
            f"/v1/Rooms/{found.room_sid}/Participants/{found.sid}/SubscribedTracks",
            query_filters(request),
        )

    def _fetch_subscribed_track(
        self, request: Request, room: str, participant: str, sid: str
    ) -> tuple[int, JsonObject]:
        with self.world.locked():
            found = self.world.find_subscribed_track(room, participant, sid)
            return 200, subscribed_track_json(found)

    # ------------------------------------------------------------------ recordings

    def _fetch_recording_rules(self, request: Request, room: str) -> tuple[int, JsonObject]:
        with self.world.locked():
            return 200, recording_rules_json(self.world.fetch_recording_rules(room))

    def _update_recording_rules(self, request: Request, room: str) -> tuple[int, JsonObject]:
        rules = request.form.get("Rules")
        with self.world.locked():
            return 200, recording_rules_json(self.world.update_recording_rules(room, rules))

    def _recording_filters(self, request: Request) -> dict[str, str | None]:
        args = request.args
        return {
            "status": optional(args.get("Status")),
            "source_sid": optional(args.get("SourceSid")),
            "created_after": optional(args.get("DateCreatedAfter")),
            "created_before": optional(args.get("DateCreatedBefore")),
        }

    def _list_room_recordings(self, request: Request, room: str) -> tuple[int, JsonObject]:
        page_request = parse_page_request(request.args)
        with self.world.locked():
            room_sid = self.world.find_room(room).sid
            found = self.world.room_recordings(room, **self._recording_filters(request))
            page = slice_page(found, lambda r: NEWEST_FIRST - r.seq, page_request)
            now = self.world.now()
            records = [room_recording_json(r, self.world.account_sid, now) for r in page.items]
        return 200, video_list_json(
            "recordings", records, page, f"/v1/Rooms/{room_sid}/Recordings", query_filters(request)
        )

    def _fetch_room_recording(
        self, request: Request, room: str, sid: str
    ) -> tuple[int, JsonObject]:
        with self.world.locked():
            found = self.world.find_recording(sid, room)
            return 200, room_recording_json(found, self.world.account_sid, self.world.now())

    def _delete_room_recording(
        self, request: Request, room: str, sid: str
    ) -> tuple[int, JsonObject]:
        with self.world.locked():
            self.world.delete_recording(sid, room)
        return 204, {}

    def _list_recordings(self, request: Request) -> tuple[int, JsonObject]:
        _page_size_at_most(request, MAX_ACCOUNT_PAGE_SIZE)
        page_request = parse_page_request(request.args)
        media_type = optional(request.args.get("MediaType"))
        with self.world.locked():
            found = self.world.list_recordings(
                grouping_sids=request.args.getlist("GroupingSid"),
                media_type=media_type,
                **self._recording_filters(request),
            )
            page = slice_page(found, lambda r: NEWEST_FIRST - r.seq, page_request)
            now = self.world.now()
            records = [recording_json(r, self.world.account_sid, now) for r in page.items]
        return 200, video_list_json(
            "recordings", records, page, "/v1/Recordings", query_filters(request)
        )

    def _fetch_recording(self, request: Request, sid: str) -> tuple[int, JsonObject]:
        with self.world.locked():
            found = self.world.find_recording(sid)
            return 200, recording_json(found, self.world.account_sid, self.world.now())

    def _delete_recording(self, request: Request, sid: str) -> tuple[int, JsonObject]:
        with self.world.locked():
            self.world.delete_recording(sid)
        return 204, {}

    # ------------------------------------------------------------------ compositions

    def _create_composition(self, request: Request) -> tuple[int, JsonObject]:
        form = request.form
        with self.world.locked():
            created = self.world.create_composition(
                room_sid=optional(form.get("RoomSid")),
                audio_sources=form.getlist("AudioSources"),
                audio_sources_excluded=form.getlist("AudioSourcesExcluded"),
                video_layout=optional(form.get("VideoLayout")),
                resolution=optional(form.get("Resolution")),
                format=optional(form.get("Format")),
                trim=bool_form(request, "Trim", True),
                status_callback=optional(form.get("StatusCallback")),
            )
            return 201, composition_json(created, self.world.account_sid)

    def _list_compositions(self, request: Request) -> tuple[int, JsonObject]:
        _page_size_at_most(request, MAX_ACCOUNT_PAGE_SIZE)
        args = request.args
        page_request = parse_page_request(args)
        with self.world.locked():
            found = self.world.list_compositions(
                status=optional(args.get("Status")),
                room_sid=optional(args.get("RoomSid")),
                created_after=optional(args.get("DateCreatedAfter")),
                created_before=optional(args.get("DateCreatedBefore")),
            )
            page = slice_page(found, lambda c: NEWEST_FIRST - c.seq, page_request)
            records = [composition_json(c, self.world.account_sid) for c in page.items]
        return 200, video_list_json(
            "compositions", records, page, "/v1/Compositions", query_filters(request)
        )

    def _fetch_composition(self, request: Request, sid: str) -> tuple[int, JsonObject]:
        with self.world.locked():
            return 200, composition_json(self.world.find_composition(sid), self.world.account_sid)

    def _delete_composition(self, request: Request, sid: str) -> tuple[int, JsonObject]:
        with self.world.locked():
            self.world.delete_composition(sid)
        return 204, {}

    # ------------------------------------------------------------------ media

    def _signature(self, path: str, expires: int) -> str:
        return hmac.new(self._key, f"{path}:{expires}".encode(), hashlib.sha256).hexdigest()

    def _redirect(self, request: Request, path: str) -> tuple[int, JsonObject]:
        expires = int(self.world.now()) + _ttl(request)
        query = urlencode({"Expires": expires, "Signature": self._signature(path, expires)})
        return 302, {"redirect_to": f"{request.host_url.rstrip('/')}{path}?{query}"}

    def _composition_media(self, request: Request, sid: str) -> tuple[int, JsonObject]:
        container, _ = self.world.composition_media(sid)
        return self._redirect(request, f"{MEDIA_PREFIX}Compositions/{sid}.{container}")

    def _recording_media(self, request: Request, sid: str) -> tuple[int, JsonObject]:
        container, _ = self.world.recording_media(sid)
        return self._redirect(request, f"{MEDIA_PREFIX}Recordings/{sid}.{container}")

    def serve_media(self, request: Request) -> Response:
        """GET /media/{Compositions|Recordings}/{SID}.{ext}?Expires&Signature (no Basic auth)."""
        path = request.path
        expires_raw = request.args.get("Expires", "")
        signature = request.args.get("Signature", "")
        expires = int(expires_raw) if expires_raw.isdigit() else 0
        if not hmac.compare_digest(signature, self._signature(path, expires)):
            return Response("AccessDenied: bad signature", status=403, content_type="text/plain")
        if self.world.now() > expires:
            return Response(
                "AccessDenied: request has expired", status=403, content_type="text/plain"
            )
        family, _, name = path[len(MEDIA_PREFIX) :].partition("/")
        sid = name.partition(".")[0]
        try:
            if family == "Compositions":
                container, data = self.world.composition_media(sid)
            else:
                container, data = self.world.recording_media(sid)
        except ApiError:
            return Response("NoSuchKey", status=404, content_type="text/plain")
        response = Response(data, status=200, content_type=CONTENT_TYPES[container])
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        response.headers["Last-Modified"] = time.strftime(
            "%a, %d %b %Y %H:%M:%S GMT", time.gmtime(self.world.now())
        )
        return response
