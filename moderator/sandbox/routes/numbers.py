"""Api 2010: the account itself, its incoming phone numbers and its outgoing caller IDs."""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.routing import Rule
from werkzeug.wrappers import Request

from moderator.sandbox.paging import parse_page_request, slice_page
from moderator.sandbox.routes.common import Handlers, JsonObject, query_filters
from moderator.sandbox.serialization import (
    account_json,
    api_list_json,
    caller_id_json,
    incoming_number_json,
)
from moderator.sandbox.world import OwnedNumber, World

__all__ = ["RULES", "NumberRoutes"]

RULES = [
    Rule("/2010-04-01/Accounts/<account>.json", endpoint="account", methods=["GET"]),
    Rule(
        "/2010-04-01/Accounts/<account>/IncomingPhoneNumbers.json",
        endpoint="incoming_numbers",
        methods=["GET"],
    ),
    Rule(
        "/2010-04-01/Accounts/<account>/IncomingPhoneNumbers/<sid>.json",
        endpoint="incoming_number",
        methods=["GET", "POST"],
    ),
    Rule(
        "/2010-04-01/Accounts/<account>/OutgoingCallerIds.json",
        endpoint="caller_ids",
        methods=["GET"],
    ),
]


class NumberRoutes:
    """Handlers for the account and its numbers; the account JSON shows the auth token."""

    def __init__(self, world: World, auth_token: str) -> None:
        self.world = world
        self._auth_token = auth_token

    def handlers(self) -> Handlers:
        """(endpoint, method) → handler for this family's rules."""
        return {
            ("account", "GET"): self._fetch_account,
            ("incoming_numbers", "GET"): self._list_incoming_numbers,
            ("incoming_number", "GET"): self._fetch_incoming_number,
            ("incoming_number", "POST"): self._update_incoming_number,
            ("caller_ids", "GET"): self._list_caller_ids,
        }

    def _fetch_account(self, request: Request) -> tuple[int, JsonObject]:
        with self.world.locked():
            return 200, account_json(self.world, self._auth_token)

    def _fetch_incoming_number(self, request: Request, sid: str) -> tuple[int, JsonObject]:
        number, voice = self.world.find_incoming_number(sid)
        return 200, incoming_number_json(number, self.world.account_sid, voice)

    def _update_incoming_number(self, request: Request, sid: str) -> tuple[int, JsonObject]:
        number, voice = self.world.update_incoming_number(sid, request.form.to_dict())
        return 200, incoming_number_json(number, self.world.account_sid, voice)

    def _list_incoming_numbers(self, request: Request) -> tuple[int, JsonObject]:
        wanted = request.args.get("PhoneNumber")
        with self.world.locked():
            voices = {n.sid: self.world.number_voice(n.sid) for n in self.world.incoming_numbers}
        return self._list_owned_numbers(
            request,
            [n for n in self.world.incoming_numbers if wanted is None or wanted in n.phone_number],
            lambda number, account: incoming_number_json(number, account, voices[number.sid]),
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
        base = f"/2010-04-01/Accounts/{self.world.account_sid}"
        return 200, api_list_json(key, records, page, f"{base}/{resource}", query_filters(request))
