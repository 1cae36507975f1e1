"""Api 2010: Calls.json — create, fetch, list, and update (cancel, complete, redirect)."""

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
from moderator.sandbox.serialization import api_list_json, call_json
from moderator.sandbox.world import World

__all__ = ["RULES", "CallRoutes"]

RULES = [
    Rule("/2010-04-01/Accounts/<account>/Calls.json", endpoint="calls", methods=["GET", "POST"]),
    Rule(
        "/2010-04-01/Accounts/<account>/Calls/<sid>.json",
        endpoint="call",
        methods=["GET", "POST"],
    ),
]


class CallRoutes:
    """Handlers for the account's calls."""

    def __init__(self, world: World) -> None:
        self.world = world

    def handlers(self) -> Handlers:
        """(endpoint, method) → handler for this family's rules."""
        return {
            ("calls", "GET"): self._list_calls,
            ("calls", "POST"): self._create_call,
            ("call", "GET"): self._fetch_call,
            ("call", "POST"): self._update_call,
        }

    def _create_call(self, request: Request) -> tuple[int, JsonObject]:
        form = request.form
        url = form.get("Url") or form.get("ApplicationSid")
        timeout = int_form(request, "Timeout", 60)
        with self.world.locked():
            call = self.world.create_call(
                optional(form.get("To")),
                optional(form.get("From")),
                optional(form.get("Twiml")),
                url=url,
                timeout=60 if timeout is None else timeout,
                status_callback=optional(form.get("StatusCallback")),
                sip_auth_username=optional(form.get("SipAuthUsername")),
                sip_auth_password=optional(form.get("SipAuthPassword")),
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
                sid, optional(form.get("Status")), optional(form.get("Twiml"))
            )
            return 200, call_json(call, self.world.account_sid)

    def _list_calls(self, request: Request) -> tuple[int, JsonObject]:
        args = request.args
        page_request = parse_page_request(args)
        with self.world.locked():
            calls = self.world.list_calls(
                status=optional(args.get("Status")),
                to=optional(args.get("To")),
                from_=optional(args.get("From")),
                started_after=optional(args.get("StartTime>")),
                started_before=optional(args.get("StartTime<")),
                started_on=optional(args.get("StartTime")),
                ended_after=optional(args.get("EndTime>")),
                ended_before=optional(args.get("EndTime<")),
                ended_on=optional(args.get("EndTime")),
            )
            page = slice_page(calls, lambda c: NEWEST_FIRST - c.seq, page_request)
            records = [call_json(c, self.world.account_sid) for c in page.items]
        base = f"/2010-04-01/Accounts/{self.world.account_sid}"
        return 200, api_list_json(
            "calls", records, page, f"{base}/Calls.json", query_filters(request)
        )
