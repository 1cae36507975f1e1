"""Dial-in through a real session against the sandbox: setup, failures at each step, stop.

The sandbox is Twilio's side (Serverless, IncomingPhoneNumbers); these tests read the number's
configuration back from it, so what the app believes is checked against what Twilio has.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from moderator.core.dialin import DialInRequest, SetupStep
from moderator.core.models import IncomingNumber
from moderator.sandbox.server import SandboxServer
from moderator.ui.session.dial_in import DialInDesk
from tests.ui.session_fixtures import Harness, make_harness

WAIT_MS = 10_000
PREVIOUS_URL = "https://example.com/ivr"


@pytest.fixture
def desk_harness(qtbot: QtBot, sandbox: SandboxServer) -> Iterator[Harness]:
    h = make_harness(qtbot, sandbox)
    h.session.dial_in.build_poll_s = 0.02
    yield h
    h.session.stop()


def voice_settings(h: Harness, number_sid: str) -> Any:
    """The number's voice configuration on Twilio's side, without its last-updated stamp."""
    return dataclasses.replace(h.sandbox.world.number_voice(number_sid), updated_at=0.0)


def numbers(qtbot: QtBot, desk: DialInDesk) -> list[IncomingNumber]:
    loaded: list[list[IncomingNumber]] = []
    desk.numbersLoaded.connect(loaded.append)
    desk.load_numbers()
    qtbot.waitUntil(lambda: bool(loaded), timeout=WAIT_MS)
    return loaded[0]


def run_setup(qtbot: QtBot, h: Harness, request: DialInRequest) -> tuple[bool, str]:
    """Start a setup and let the sandbox's clock run until it finishes."""
    desk = h.session.dial_in
    finished: list[tuple[bool, str]] = []
    desk.setupFinished.connect(lambda ok, text: finished.append((ok, text)))
    desk.start(request)

    def done() -> bool:
        h.sandbox.clock.advance(1.0)  # Twilio's build takes seconds on its clock
        return bool(finished)

    qtbot.waitUntil(done, timeout=WAIT_MS)
    return finished[0]


def first_number(qtbot: QtBot, h: Harness) -> IncomingNumber:
    number = numbers(qtbot, h.session.dial_in)[0]
    h.sandbox.world.set_number_voice(number.sid, voice_url=PREVIOUS_URL, voice_method="GET")
    return numbers(qtbot, h.session.dial_in)[0]


def test_setup_points_the_number_at_a_deployed_lobby_and_stop_restores_it(
    qtbot: QtBot, desk_harness: Harness
) -> None:
    h = desk_harness
    number = first_number(qtbot, h)
    before = voice_settings(h, number.sid)
    steps: list[SetupStep] = []
    h.session.dial_in.setupProgress.connect(steps.append)
    ok, text = run_setup(qtbot, h, DialInRequest(number, "town-hall", hold_minutes=2))
    assert ok, text
    assert steps == list(SetupStep)
    voice = h.sandbox.world.number_voice(number.sid)
    assert voice.voice_url in h.sandbox.world.deployed_urls()
    assert voice.voice_url is not None and ".twil.io/" in voice.voice_url
    served = h.sandbox.world.serverless.fetch_url(voice.voice_url)
    assert b"<Pause" in served.body and b"<Hangup" in served.body
    (dial_in,) = h.session.dial_in.dial_ins()
    assert dial_in.previous.voice_url == PREVIOUS_URL
    assert h.session.dial_in.lobby_numbers() == [number.phone_number]

    stopped: list[tuple[bool, str]] = []
    h.session.dial_in.setupFinished.connect(lambda ok, text: stopped.append((ok, text)))
    h.session.dial_in.stop(number.sid)
    qtbot.waitUntil(lambda: bool(stopped), timeout=WAIT_MS)
    assert stopped[0][0], stopped[0][1]
    assert voice_settings(h, number.sid) == before  # exactly as it was
    assert h.session.dial_in.dial_ins() == [] and h.session.dial_in.lobby_numbers() == []


@pytest.mark.parametrize(
    ("method", "route", "step"),
    [
        ("GET", "/serverless/v1/Services/*", SetupStep.SERVICE),
        ("POST", "/serverless/v1/Services", SetupStep.SERVICE),
        ("POST", "/serverless/v1/Services/*/Environments", SetupStep.ENVIRONMENT),
        ("POST", "/serverless/v1/Services/*/Assets", SetupStep.UPLOAD),
        ("POST", "/serverless-upload/v1/Services/*/Assets/*/Versions", SetupStep.UPLOAD),
        ("POST", "/serverless/v1/Services/*/Builds", SetupStep.BUILD),
        ("POST", "/serverless/v1/Services/*/Environments/*/Deployments", SetupStep.DEPLOY),
        ("POST", "/2010-04-01/Accounts/*/IncomingPhoneNumbers/*.json", SetupStep.NUMBER),
    ],
)
def test_setup_failing_at_any_step_says_which_and_leaves_the_number_untouched(
    qtbot: QtBot, desk_harness: Harness, method: str, route: str, step: SetupStep
) -> None:
    h = desk_harness
    number = first_number(qtbot, h)
    before = voice_settings(h, number.sid)
    h.sandbox.controls.fail_route(method, route, 500, times=None)
    ok, text = run_setup(qtbot, h, DialInRequest(number, "town-hall"))
    assert not ok
    assert step.value.lower() in text and "The number was not changed." in text
    assert voice_settings(h, number.sid) == before
    assert h.session.dial_in.dial_ins() == []


def test_a_failed_build_is_reported_and_changes_nothing(
    qtbot: QtBot, desk_harness: Harness
) -> None:
    h = desk_harness
    number = first_number(qtbot, h)
    before = voice_settings(h, number.sid)
    h.sandbox.world.fail_next_build()
    ok, text = run_setup(qtbot, h, DialInRequest(number, "town-hall"))
    assert not ok and "building the lobby" in text and "could not build" in text
    assert voice_settings(h, number.sid) == before


def test_two_numbers_keep_both_lobbies_deployed(qtbot: QtBot, desk_harness: Harness) -> None:
    h = desk_harness
    found = numbers(qtbot, h.session.dial_in)
    if len(found) < 2:
        pytest.skip("the sandbox account has one voice number")
    for number, room in zip(found[:2], ("town-hall", "support"), strict=True):
        ok, text = run_setup(qtbot, h, DialInRequest(number, room))
        assert ok, text
    urls = h.sandbox.world.deployed_urls()
    for number in found[:2]:
        assert h.sandbox.world.number_voice(number.sid).voice_url in urls
