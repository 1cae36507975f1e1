"""The Video codes a rules write meets, each one line a host can act on."""

from __future__ import annotations

from twilio.base.exceptions import TwilioRestException

from moderator.core.errors import ErrorKind, to_twilio_error

URI = "https://video.twilio.com/v1/Rooms/RM1/Participants/PA1/SubscribeRules"


def test_too_many_or_invalid_rules() -> None:
    error = to_twilio_error(TwilioRestException(400, URI, "Invalid Subscribe Rule(s)", 53215))
    assert error.kind is ErrorKind.INVALID_INPUT and not error.retryable
    assert error.message.startswith("Twilio refused the subscribe rules")
    assert "20 per participant" in error.message
    assert error.action == "Unmute someone first, or use a group room."


def test_participant_gone() -> None:
    error = to_twilio_error(TwilioRestException(400, URI, "Participant is not connected", 53204))
    assert error.kind is ErrorKind.NOT_FOUND
    assert "no longer connected" in error.message
