"""Verbose logs of real requests never spell out a guest's number."""

from __future__ import annotations

import logging

import pytest

from moderator.core.credentials import Credentials
from moderator.core.gateway import TwilioGateway
from moderator.core.http import make_client
from moderator.core.log_masking import NumberMaskingFilter
from moderator.sandbox.server import SandboxServer

GUEST = "+14155552671"


def test_filter_masks_encoded_and_plain_numbers() -> None:
    record = logging.LogRecord(
        "moderator.core.http", logging.INFO, __file__, 1, "GET %s", ("…?To=%2B14155552671",), None
    )
    NumberMaskingFilter().filter(record)
    assert "2671" in record.getMessage() and "5552671" not in record.getMessage()
    untouched = logging.LogRecord("x", logging.INFO, __file__, 1, "GET /v1/Rooms", (), None)
    NumberMaskingFilter().filter(untouched)
    assert untouched.getMessage() == "GET /v1/Rooms"


def test_debug_logs_of_a_call_lookup_hide_the_number(
    sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    creds = sandbox.credentials
    gateway = TwilioGateway(
        make_client(
            Credentials(creds.account_sid, creds.api_key_sid, creds.api_key_secret),
            base_url=sandbox.base_url,
        )
    )
    with caplog.at_level(logging.DEBUG):
        gateway.list_calls(to=GUEST, from_="+15005550006")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "Calls.json" in text, "the request was logged at all"
    for spelling in ("4155552671", "%2B1415", "415-555-2671"):
        assert spelling not in text
