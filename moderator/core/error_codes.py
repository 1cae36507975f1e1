"""What the app says for each Twilio error code it meets, and the kinds errors come in.

A table, worded from Twilio's error dictionary (https://www.twilio.com/docs/api/errors/<code>)
for a meeting host rather than a developer, kept apart from `errors` (which maps the SDK's and
`requests`' failures onto it) so adding a code is an edit of data, not of logic.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["CODES", "MALFORMED", "SERVER", "STATUS_FALLBACK", "ErrorKind", "Known"]


class ErrorKind(StrEnum):
    """What sort of failure this is, so callers can branch without knowing Twilio's codes."""

    AUTH = "auth"  # credentials rejected
    PERMISSION = "permission"  # authenticated, but not allowed (geo permissions, trial limits)
    NOT_FOUND = "not-found"
    RATE_LIMITED = "rate-limited"
    INVALID_INPUT = "invalid-input"
    CONFLICT = "conflict"  # valid request, wrong state (room full, call already ended…)
    NETWORK = "network"
    TIMEOUT = "timeout"
    SERVER = "server"
    MALFORMED = "malformed"  # Twilio answered something we cannot read
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Known:
    kind: ErrorKind
    message: str
    action: str
    retryable: bool = False


SERVER = Known(
    ErrorKind.SERVER,
    "Twilio had a temporary problem.",
    "Try again in a moment.",
    retryable=True,
)

# Codes the app meets in its job, worded from Twilio's error dictionary
# (https://www.twilio.com/docs/api/errors/<code>) for a meeting host rather than a developer.
CODES: dict[int, Known] = {
    20003: Known(
        ErrorKind.AUTH,
        "Twilio rejected the credentials (wrong Account SID, API key or secret, or revoked).",
        "Check the Account SID and the API key and secret (or auth token) in this profile.",
    ),
    20005: Known(
        ErrorKind.PERMISSION,
        "This Twilio account is not active.",
        "Reactivate the account in the Twilio Console or use another profile.",
    ),
    20403: Known(
        ErrorKind.PERMISSION,
        "These credentials are not allowed to do that.",
        "Use an API key with access to Voice and Video, or the account's auth token.",
    ),
    # Twilio's 5xx bodies carry these codes; the host needs the plain words, not the code.
    20500: SERVER,
    20503: Known(
        ErrorKind.SERVER,
        "Twilio is temporarily unavailable.",
        "Try again in a moment.",
        retryable=True,
    ),
    20404: Known(
        ErrorKind.NOT_FOUND,
        "Twilio could not find it; it may have ended or been removed.",
        "Refresh the list and try again.",
    ),
    20429: Known(
        ErrorKind.RATE_LIMITED,
        "Twilio is limiting this account: too many requests at once.",
        "Wait a few seconds; reads are retried automatically.",
        retryable=True,
    ),
    21210: Known(
        ErrorKind.INVALID_INPUT,
        "The caller ID is not a Twilio number of this account or a verified caller ID.",
        "Pick a caller ID from the list, or verify the number in the Twilio Console.",
    ),
    21211: Known(
        ErrorKind.INVALID_INPUT,
        "The number to call is not a valid phone number.",
        "Check the number and its country code (E.164, for example +14155552671).",
    ),
    21212: Known(
        ErrorKind.INVALID_INPUT,
        "The caller ID is not a valid phone number for this account.",
        "Pick one of the account's voice numbers or verified caller IDs.",
    ),
    21214: Known(
        ErrorKind.INVALID_INPUT,
        "The number to call cannot be reached.",
        "Check the number, or try again later.",
    ),
    21215: Known(
        ErrorKind.PERMISSION,
        "This account may not call that country or number range (Voice geographic permissions).",
        "Enable the destination under Voice > Settings > Geo permissions in the Twilio Console.",
    ),
    21216: Known(
        ErrorKind.PERMISSION,
        "This account is not allowed to call that number.",
        "Call a different number, or contact Twilio support.",
    ),
    21217: Known(
        ErrorKind.INVALID_INPUT,
        "The number to call does not appear to be valid.",
        "Check the number and its country code.",
    ),
    21219: Known(
        ErrorKind.PERMISSION,
        "Trial accounts can only call verified numbers, and this one is not verified.",
        "Verify the number in the Twilio Console, or upgrade the account.",
    ),
    21220: Known(
        ErrorKind.CONFLICT,
        "The call is not in a state that allows this; it has probably ended.",
        "Refresh to see the call's final status.",
    ),
    53100: Known(
        ErrorKind.INVALID_INPUT,
        "Twilio refused the room name.",
        "Choose a different room name.",
    ),
    53101: Known(
        ErrorKind.INVALID_INPUT,
        "The room name is too long.",
        "Use at most 128 characters.",
    ),
    53102: Known(
        ErrorKind.INVALID_INPUT,
        "The room name contains characters Twilio does not accept.",
        "Choose a room name without unusual characters.",
    ),
    53105: Known(
        ErrorKind.CONFLICT,
        "The room is full: it already has its maximum number of participants.",
        "Remove a participant first, or use a room with a higher limit.",
    ),
    53106: Known(
        ErrorKind.NOT_FOUND,
        "The room was not found; it may have ended.",
        "Refresh the rooms list and pick an in-progress room.",
    ),
    53107: Known(
        ErrorKind.INVALID_INPUT,
        "The maximum number of participants is out of range for this room type.",
        "Choose a smaller maximum (group rooms allow up to 50).",
    ),
    53108: Known(
        ErrorKind.INVALID_INPUT,
        "Twilio does not accept that room type.",
        "Create a group room.",
    ),
    53112: Known(
        ErrorKind.CONFLICT,
        "The room is not in progress, so it cannot be changed.",
        "Refresh the rooms list.",
    ),
    53113: Known(
        ErrorKind.CONFLICT,
        "A room with that name is already in progress.",
        "Choose another name, or use the room that is already running.",
    ),
    53118: Known(
        ErrorKind.CONFLICT,
        "The room has been completed.",
        "Refresh the rooms list; create the room again if you still need it.",
    ),
    53119: Known(
        ErrorKind.CONFLICT,
        "The account has reached its limit of concurrent rooms.",
        "End a room that is no longer needed, or ask Twilio for a higher quota.",
    ),
    # -- host controls: recording and room options (issue 10) --
    53103: Known(
        ErrorKind.PERMISSION,
        "Twilio could not create the room with these options (large rooms need the account to "
        "have them).",
        "Turn off Large room, or ask Twilio to enable large rooms for the account.",
    ),
    53109: Known(
        ErrorKind.INVALID_INPUT,
        "The empty-room or unused-room timeout is out of range.",
        "Use 1 to 60 minutes.",
    ),
    53120: Known(
        ErrorKind.INVALID_INPUT,
        "Twilio refused the recording rules.",
        "Try again; if it keeps failing, report it.",
    ),
    53122: Known(
        ErrorKind.INVALID_INPUT,
        "Only group rooms can be recorded or composed.",
        "Record in a group room (create one with the type Group).",
    ),
    53123: Known(
        ErrorKind.INVALID_INPUT,
        "The maximum participant duration is out of range.",
        "Use 10 minutes to 24 hours (600 to 86400 seconds).",
    ),
    53124: Known(
        ErrorKind.INVALID_INPUT,
        "Audio-only is offered for group rooms only.",
        "Turn off Audio only, or create a group room.",
    ),
    53200: Known(
        ErrorKind.INVALID_INPUT,
        "Twilio refused the participant identity.",
        "Choose a different identity.",
    ),
    53201: Known(
        ErrorKind.INVALID_INPUT,
        "The participant identity is too long.",
        "Use at most 128 characters.",
    ),
    53205: Known(
        ErrorKind.CONFLICT,
        "A participant joined with the same identity, so the earlier one was disconnected.",
        "Give every participant a unique identity.",
    ),
    # Mute for everyone (subscribe rules).
    53204: Known(
        ErrorKind.NOT_FOUND,
        "The participant is no longer connected, so their subscriptions cannot be changed.",
        "Refresh the roster; nothing needs doing for someone who left.",
    ),
    53215: Known(
        ErrorKind.INVALID_INPUT,
        "Twilio refused the subscribe rules (at most 20 per participant, in group rooms only).",
        "Unmute someone first, or use a group room.",
    ),
}

STATUS_FALLBACK: dict[int, Known] = {
    400: Known(
        ErrorKind.INVALID_INPUT,
        "Twilio refused the request as invalid.",
        "Check the values entered.",
    ),
    401: CODES[20003],
    403: CODES[20403],
    404: CODES[20404],
    405: Known(
        ErrorKind.INVALID_INPUT,
        "Twilio does not allow that operation here.",
        "Refresh and try again.",
    ),
    409: Known(
        ErrorKind.CONFLICT,
        "Twilio refused the change because something else changed first.",
        "Refresh and try again.",
    ),
    429: CODES[20429],
}

MALFORMED = Known(
    ErrorKind.MALFORMED,
    "Twilio sent a response the app could not read.",
    "Try again in a moment; if it keeps happening, check the network or proxy.",
    retryable=True,
)
