"""Checks run before a dial, so a host learns why it would fail before a phone rings.

Twilio fails a mis-aimed `<Connect><Room>` silently (the caller just hears the farewell), and a
duplicate identity silently evicts the participant already in the room (53205). These checks
catch that beforehand. `run_preflight` is a pure function of data the app has already fetched,
so the dial dialog can re-run it on every keystroke; `gather_preflight_inputs` fetches that data.

A SIP guest (`to` is a `sip:`/`sips:` URI) gets the same room checks; the number and caller-ID
checks become the URI's syntax and the caller name's (Twilio puts any name in the SIP From
header, so it is not one of the account's caller IDs, and no E.164 or geo rule applies).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from moderator.core.errors import ErrorKind, TwilioError
from moderator.core.identity import validate_identity
from moderator.core.models import CallerId, Participant, Room
from moderator.core.phone import DEFAULT_REGION, PhoneNumberError, mask, parse
from moderator.core.redaction import is_sip_address
from moderator.core.sip import SipUriError, caller_name_problem
from moderator.core.sip import parse as parse_sip

if TYPE_CHECKING:
    from moderator.core.gateway import TwilioGateway

__all__ = [
    "CHECK_CALLER_ID",
    "CHECK_CALLER_NAME",
    "CHECK_IDENTITY",
    "CHECK_NUMBER",
    "CHECK_PHONE_CAPACITY",
    "CHECK_ROOM",
    "CHECK_ROOM_CAPACITY",
    "CHECK_ROOM_TYPE",
    "CHECK_SIP_ADDRESS",
    "MAX_PHONE_PARTICIPANTS",
    "CheckResult",
    "PreflightInputs",
    "all_passed",
    "gather_preflight_inputs",
    "run_preflight",
]

#: Twilio admits at most this many PSTN participants to one room.
MAX_PHONE_PARTICIPANTS = 35

CHECK_ROOM = "Room in progress"
CHECK_ROOM_TYPE = "Room takes phone guests"
CHECK_PHONE_CAPACITY = "Phone guest limit"
CHECK_ROOM_CAPACITY = "Room capacity"
CHECK_IDENTITY = "Identity"
CHECK_CALLER_ID = "Caller ID"
CHECK_NUMBER = "Number to call"
CHECK_CALLER_NAME = "Caller name"
CHECK_SIP_ADDRESS = "SIP address"


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    passed: bool
    reason: str


@dataclass(frozen=True, slots=True)
class PreflightInputs:
    """Everything the checks look at; `room` None means no in-progress room was found.

    `phone_participants` counts the phone guests the app knows are in (or ringing into) the
    room: Twilio marks no participant as a phone one, so only the app can count them.
    """

    room: Room | None
    connected_participants: Sequence[Participant]
    phone_participants: int
    caller_ids: Sequence[CallerId]
    to: str
    from_: str
    identity: str
    room_query: str = ""
    default_region: str = DEFAULT_REGION
    #: Participants expected to join before this one (other dials in flight), for capacity.
    pending_participants: int = 0


def run_preflight(inputs: PreflightInputs) -> list[CheckResult]:
    """Every check, in the order the dial dialog shows them."""
    return [
        _check_room(inputs),
        _check_room_type(inputs),
        _check_phone_capacity(inputs),
        _check_room_capacity(inputs),
        _check_identity(inputs),
        _check_caller_id(inputs),
        _check_number(inputs),
    ]


def all_passed(results: Sequence[CheckResult]) -> bool:
    return bool(results) and all(result.passed for result in results)


def gather_preflight_inputs(
    gateway: TwilioGateway,
    room_name_or_sid: str,
    *,
    to: str,
    from_: str,
    identity: str,
    phone_identities: Collection[str] = (),
    pending_phone_calls: int = 0,
    caller_ids: Sequence[CallerId] | None = None,
    default_region: str = DEFAULT_REGION,
) -> PreflightInputs:
    """Fetch what the checks need (blocking: run it on a worker thread).

    `phone_identities` are the identities the app dialed; connected participants with one of
    them count as phone guests, plus `pending_phone_calls` still ringing into this room.
    Pass `caller_ids` when already loaded to save a request. A missing room is a failed check,
    not an error; other Twilio failures raise TwilioError.
    """
    room: Room | None
    try:
        room = gateway.fetch_room(room_name_or_sid)
    except TwilioError as error:
        if error.kind not in (ErrorKind.NOT_FOUND, ErrorKind.INVALID_INPUT):
            raise
        room = None
    participants: list[Participant] = []
    if room is not None and room.in_progress:
        participants = gateway.list_participants(room.sid)
    if caller_ids is None:
        caller_ids = gateway.list_caller_ids()
    known = set(phone_identities)
    phone_count = sum(1 for p in participants if p.identity in known) + pending_phone_calls
    return PreflightInputs(
        room=room,
        connected_participants=participants,
        phone_participants=phone_count,
        caller_ids=caller_ids,
        to=to,
        from_=from_,
        identity=identity,
        room_query=room_name_or_sid,
        default_region=default_region,
        pending_participants=pending_phone_calls,
    )


def _check_room(inputs: PreflightInputs) -> CheckResult:
    room = inputs.room
    if room is None:
        name = f" named “{inputs.room_query}”" if inputs.room_query else ""
        return CheckResult(CHECK_ROOM, False, f"No room{name} is in progress.")
    if not room.in_progress:
        return CheckResult(
            CHECK_ROOM, False, f"“{room.unique_name}” is {room.status}; it cannot take guests."
        )
    return CheckResult(CHECK_ROOM, True, f"“{room.unique_name}” is in progress.")


def _check_room_type(inputs: PreflightInputs) -> CheckResult:
    room = inputs.room
    if room is None:
        return CheckResult(CHECK_ROOM_TYPE, False, "There is no room to check.")
    if not room.type.takes_phone_participants:
        return CheckResult(
            CHECK_ROOM_TYPE,
            False,
            f"{_type_name(room)} rooms do not accept phone guests; only group rooms do.",
        )
    return CheckResult(CHECK_ROOM_TYPE, True, f"{_type_name(room)} rooms accept phone guests.")


def _check_phone_capacity(inputs: PreflightInputs) -> CheckResult:
    count = inputs.phone_participants
    if count >= MAX_PHONE_PARTICIPANTS:
        return CheckResult(
            CHECK_PHONE_CAPACITY,
            False,
            f"The room already has {count} phone guests; Twilio allows {MAX_PHONE_PARTICIPANTS}.",
        )
    return CheckResult(
        CHECK_PHONE_CAPACITY, True, f"{count} of {MAX_PHONE_PARTICIPANTS} phone guests."
    )


def _check_room_capacity(inputs: PreflightInputs) -> CheckResult:
    room = inputs.room
    if room is None:
        return CheckResult(CHECK_ROOM_CAPACITY, False, "There is no room to check.")
    count = len(inputs.connected_participants) + inputs.pending_participants
    if count >= room.max_participants:
        return CheckResult(
            CHECK_ROOM_CAPACITY,
            False,
            f"The room is full: {count} of {room.max_participants} participants.",
        )
    return CheckResult(
        CHECK_ROOM_CAPACITY, True, f"{count} of {room.max_participants} participants."
    )


def _check_identity(inputs: PreflightInputs) -> CheckResult:
    problem = validate_identity(inputs.identity)
    if problem:
        return CheckResult(CHECK_IDENTITY, False, problem)
    if any(p.identity == inputs.identity and p.connected for p in inputs.connected_participants):
        return CheckResult(
            CHECK_IDENTITY,
            False,
            "Someone with this identity is already in the room; dialing would disconnect them.",
        )
    return CheckResult(CHECK_IDENTITY, True, "Unique in the room.")


def _check_caller_id(inputs: PreflightInputs) -> CheckResult:
    if is_sip_address(inputs.to):
        problem = caller_name_problem(inputs.from_)
        if problem:
            return CheckResult(CHECK_CALLER_NAME, False, problem)
        return CheckResult(CHECK_CALLER_NAME, True, f"The guest sees the call from {inputs.from_}.")
    if not inputs.from_:
        return CheckResult(CHECK_CALLER_ID, False, "Pick a caller ID.")
    if not inputs.caller_ids:
        return CheckResult(
            CHECK_CALLER_ID,
            False,
            "The account has no voice number or verified caller ID to call from.",
        )
    for caller_id in inputs.caller_ids:
        if caller_id.phone_number == inputs.from_:
            return CheckResult(CHECK_CALLER_ID, True, f"Calls come from {caller_id.friendly_name}.")
    return CheckResult(
        CHECK_CALLER_ID,
        False,
        "This caller ID is not one of the account's voice numbers or verified caller IDs.",
    )


def _check_number(inputs: PreflightInputs) -> CheckResult:
    if is_sip_address(inputs.to):
        try:
            uri = parse_sip(inputs.to)
        except SipUriError as error:
            return CheckResult(CHECK_SIP_ADDRESS, False, error.message)
        return CheckResult(CHECK_SIP_ADDRESS, True, f"{uri.masked} is a valid SIP address.")
    try:
        to = parse(inputs.to, inputs.default_region)
    except PhoneNumberError as error:
        return CheckResult(CHECK_NUMBER, False, error.message)
    if to == inputs.from_:
        return CheckResult(CHECK_NUMBER, False, "The number to call is the caller ID itself.")
    return CheckResult(CHECK_NUMBER, True, f"{mask(to)} is a valid number.")


def _type_name(room: Room) -> str:
    """ "Group", "Peer-to-peer": the room type as the start of a sentence."""
    return room.type.value.capitalize()
