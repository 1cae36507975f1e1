"""Video v1: rooms (with their create options), participants, and published tracks."""

from __future__ import annotations

from werkzeug.routing import Rule
from werkzeug.wrappers import Request

from moderator.sandbox.errors import ApiError
from moderator.sandbox.paging import parse_page_request, slice_page
from moderator.sandbox.routes.common import (
    NEWEST_FIRST,
    Handlers,
    JsonObject,
    int_form,
    optional,
    query_filters,
)
from moderator.sandbox.serialization import (
    participant_json,
    room_json,
    track_json,
    video_list_json,
)
from moderator.sandbox.world import World
from moderator.sandbox.world.room_options import (
    DEFAULT_MAX_PARTICIPANT_DURATION_S,
    DEFAULT_ROOM_TIMEOUT_MIN,
    RoomOptions,
)

__all__ = ["RULES", "RoomRoutes", "bool_form", "room_options"]

RULES = [
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
]


def bool_form(request: Request, name: str, default: bool) -> bool:
    """A boolean form field as the SDK sends it ("true"/"false"); 20001 for anything else."""
    raw = request.form.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.lower()
    if lowered not in {"true", "false"}:
        raise ApiError(400, 20001, f"{name} must be true or false, got {raw!r}")
    return lowered == "true"


def room_options(request: Request) -> RoomOptions:
    """POST /v1/Rooms's options with Twilio's REST defaults (5-minute timeouts, 4 hours)."""

    def number(name: str, default: int) -> int:
        value = int_form(request, name, default)
        return default if value is None else value

    return RoomOptions(
        audio_only=bool_form(request, "AudioOnly", False),
        record_participants_on_connect=bool_form(request, "RecordParticipantsOnConnect", False),
        max_participant_duration=number(
            "MaxParticipantDuration", DEFAULT_MAX_PARTICIPANT_DURATION_S
        ),
        empty_room_timeout=number("EmptyRoomTimeout", DEFAULT_ROOM_TIMEOUT_MIN),
        unused_room_timeout=number("UnusedRoomTimeout", DEFAULT_ROOM_TIMEOUT_MIN),
        large_room=bool_form(request, "LargeRoom", False),
    )


class RoomRoutes:
    """Handlers for rooms, participants and published tracks."""

    def __init__(self, world: World) -> None:
        self.world = world

    def handlers(self) -> Handlers:
        """(endpoint, method) → handler for this family's rules."""
        return {
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

    def _create_room(self, request: Request) -> tuple[int, JsonObject]:
        form = request.form
        max_participants = int_form(request, "MaxParticipants", None)
        options = room_options(request)
        with self.world.locked():
            sid = self.world.create_room(
                unique_name=form.get("UniqueName") or None,
                type=form.get("Type") or "group",
                max_participants=max_participants,
                status_callback=optional(form.get("StatusCallback")),
                options=options,
                rest=True,
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
                status=optional(args.get("Status")) or "in-progress",
                unique_name=optional(args.get("UniqueName")),
                created_after=optional(args.get("DateCreatedAfter")),
                created_before=optional(args.get("DateCreatedBefore")),
            )
            page = slice_page(rooms, lambda r: NEWEST_FIRST - r.seq, page_request)
            records = [room_json(r, self.world.account_sid) for r in page.items]
        return 200, video_list_json("rooms", records, page, "/v1/Rooms", query_filters(request))

    def _list_participants(self, request: Request, room: str) -> tuple[int, JsonObject]:
        args = request.args
        page_request = parse_page_request(args)
        with self.world.locked():
            participants = self.world.list_participants(
                room,
                status=optional(args.get("Status")),
                identity=optional(args.get("Identity")),
                created_after=optional(args.get("DateCreatedAfter")),
                created_before=optional(args.get("DateCreatedBefore")),
            )
            room_sid = self.world.find_room(room).sid
            page = slice_page(participants, lambda p: p.seq, page_request)
            records = [participant_json(p, self.world.account_sid) for p in page.items]
        return 200, video_list_json(
            "participants",
            records,
            page,
            f"/v1/Rooms/{room_sid}/Participants",
            query_filters(request),
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
            query_filters(request),
        )

    def _fetch_published_track(
        self, request: Request, room: str, participant: str, sid: str
    ) -> tuple[int, JsonObject]:
        with self.world.locked():
            return 200, track_json(self.world.find_published_track(room, participant, sid))
