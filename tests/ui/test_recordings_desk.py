"""Recording through a real session against the sandbox: REC read back from Twilio's rules,
start/stop written and read back, recordings listed, a composition followed to completion and
downloaded with progress, cancel and delete, and the errors a host meets in words."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from moderator.core.recording import ComposeRequest, Composition, CompositionStatus
from moderator.core.recording_gateway import RecordingGateway
from moderator.core.write_budget import RetryRule
from moderator.sandbox.server import SandboxServer
from moderator.sandbox.world.recordings import FINALIZE_S
from moderator.ui.session.recordings import RecordingsListing
from tests.sandbox.media_parsers import mp4_duration_s
from tests.ui.session_fixtures import Harness, make_harness

WAIT_MS = 10_000


@pytest.fixture
def rec(qtbot: QtBot, sandbox: SandboxServer) -> Iterator[Harness]:
    h = make_harness(qtbot, sandbox)
    h.session.recordings.follow_interval_ms = 20
    yield h
    h.session.stop()


def rules_of(h: Harness, room: str) -> list[dict[str, object]]:
    return [dict(r) for r in h.sandbox.world.fetch_recording_rules(room).rules]


def set_recording(qtbot: QtBot, h: Harness, room: str, on: bool) -> tuple[bool, str]:
    finished: list[tuple[bool, str]] = []
    h.session.recordings.recordingFinished.connect(
        lambda sid, ok, text: finished.append((ok, text))
    )
    h.session.recordings.set_recording(room, on)
    qtbot.waitUntil(lambda: bool(finished), timeout=WAIT_MS)
    return finished[0]


def listing(qtbot: QtBot, h: Harness, room: str) -> RecordingsListing:
    loaded: list[RecordingsListing] = []
    h.session.recordings.listingLoaded.connect(loaded.append)
    h.session.recordings.load(room)
    qtbot.waitUntil(lambda: bool(loaded), timeout=WAIT_MS)
    return loaded[-1]


def test_rec_is_read_back_from_twilio_for_rooms_already_recording(
    qtbot: QtBot, sandbox: SandboxServer
) -> None:
    quiet = sandbox.world.create_room("quiet")
    loud = sandbox.world.create_room("loud")
    sandbox.world.update_recording_rules(loud, '[{"type": "include", "all": true}]')
    h = make_harness(qtbot, sandbox)
    try:
        qtbot.waitUntil(lambda: h.session.recordings.recording(loud), timeout=WAIT_MS)
        assert not h.session.recordings.recording(quiet)
        assert h.session.recordings.rooms_recording() == {loud}
    finally:
        h.session.stop()


def test_start_and_stop_toggle_the_rules_and_rec(qtbot: QtBot, rec: Harness) -> None:
    h = rec
    room = h.sandbox.world.create_room("standup")
    h.session.refresh_now()
    qtbot.waitUntil(lambda: "standup" in h.room_names(), timeout=WAIT_MS)
    ok, text = set_recording(qtbot, h, room, True)
    assert ok and text == "Started recording standup"
    assert rules_of(h, room) == [{"type": "include", "all": True}]
    assert h.session.recordings.recording(room)
    ok, text = set_recording(qtbot, h, room, False)
    assert ok and rules_of(h, room) == [{"type": "exclude", "all": True}]
    assert not h.session.recordings.recording(room)
    assert "recording" in h.kinds()


def test_a_room_that_cannot_record_says_so(qtbot: QtBot, rec: Harness) -> None:
    h = rec
    room = h.sandbox.world.create_room("gone")
    h.sandbox.world.complete_room(room)
    ok, text = set_recording(qtbot, h, room, True)
    assert not ok and "it may have ended" in text
    assert not h.session.recordings.recording(room)
    assert h.errors and "Starting recording" in h.errors[-1][1]


def test_recordings_compose_follow_download_cancel_and_delete(
    qtbot: QtBot, rec: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = rec
    world, clock = h.sandbox.world, h.sandbox.clock
    room = world.create_room("talk")
    set_recording(qtbot, h, room, True)
    world.join_app_participant(room, "alice")
    clock.advance(30)  # type: ignore[attr-defined]
    world.complete_room(room)
    clock.advance(FINALIZE_S)  # type: ignore[attr-defined]
    tracks = listing(qtbot, h, room).recordings
    assert sorted(t.kind for t in tracks) == ["audio", "video"]
    assert all(t.status == "completed" and t.duration_s == 30 for t in tracks)

    seen: list[Composition] = []
    h.session.recordings.compositionChanged.connect(seen.append)
    assert h.session.recordings.compose(ComposeRequest(room, format="mp4"))

    def completed() -> bool:
        clock.advance(0.5)  # type: ignore[attr-defined]
        return bool(seen) and seen[-1].status is CompositionStatus.COMPLETED

    qtbot.waitUntil(completed, timeout=WAIT_MS)
    statuses = [c.status for c in seen]
    assert statuses[0] is CompositionStatus.ENQUEUED
    assert CompositionStatus.PROCESSING in statuses
    composition = seen[-1]

    progress: list[tuple[int, int]] = []
    finished: list[tuple[bool, str]] = []
    desk = h.session.recordings
    desk.downloadProgress.connect(lambda sid, done, total: progress.append((done, total)))
    desk.downloadFinished.connect(lambda sid, ok, text: finished.append((ok, text)))
    target = tmp_path / "talk.mp4"
    assert desk.download(composition.sid, target)
    qtbot.waitUntil(lambda: bool(finished), timeout=WAIT_MS)
    assert finished[0][0], finished[0][1]
    assert progress[-1] == (composition.size, composition.size)
    assert mp4_duration_s(target.read_bytes()) == pytest.approx(30, abs=1)

    # Cancel while the worker is between asking for the link and the first byte: held there
    # by an event the test sets once the cancel is in, so the order is certain.
    held = threading.Event()
    media_url = RecordingGateway.media_url

    def held_media_url(self: RecordingGateway, sid: str) -> str:
        held.wait(WAIT_MS / 1000)
        return media_url(self, sid)

    monkeypatch.setattr(RecordingGateway, "media_url", held_media_url)
    finished.clear()
    assert desk.download(composition.sid, tmp_path / "cancelled.mp4")
    assert not desk.download(composition.sid, tmp_path / "twice.mp4")  # one at a time
    desk.cancel_download(composition.sid)
    held.set()
    qtbot.waitUntil(lambda: bool(finished), timeout=WAIT_MS)
    assert finished[0] == (False, "Download cancelled")
    assert [p.name for p in tmp_path.iterdir()] == ["talk.mp4"]

    done: list[tuple[bool, str]] = []
    desk.commandFinished.connect(lambda ok, text: done.append((ok, text)))
    desk.delete_composition(room, composition.sid)
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT_MS)
    assert done[0] == (True, "Composition deleted")
    assert world.compositions()[0].status == "deleted"
    desk.delete_recording(room, tracks[0].sid)
    qtbot.waitUntil(lambda: len(done) == 2, timeout=WAIT_MS)
    assert done[1] == (True, "Recording deleted")


def test_composing_a_live_room_is_refused_in_words(qtbot: QtBot, rec: Harness) -> None:
    h = rec
    room = h.sandbox.world.create_room("live")
    done: list[tuple[bool, str]] = []
    h.session.recordings.commandFinished.connect(lambda ok, text: done.append((ok, text)))
    h.session.recordings.compose(ComposeRequest(room))
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT_MS)
    assert not done[0][0] and done[0][1].startswith("Not composed:")


def test_a_rules_write_that_fails_transiently_is_tried_again(qtbot: QtBot, rec: Harness) -> None:
    h = rec
    h.session.recordings.retry_rule = RetryRule(max_attempts=3, base_delay_s=0.01)
    room = h.sandbox.world.create_room("flaky")
    h.sandbox.controls.fail_route("POST", "/RecordingRules", 503, times=2)
    ok, text = set_recording(qtbot, h, room, True)
    assert ok, text
    assert rules_of(h, room) == [{"type": "include", "all": True}]
    posts = [r for r in h.sandbox.request_log.entries() if r.method == "POST"]
    assert [r.status for r in posts if r.path.endswith("/RecordingRules")] == [503, 503, 200]
    assert not h.errors


@pytest.mark.allow_log_warnings
def test_a_rules_write_that_keeps_failing_is_reported_once(qtbot: QtBot, rec: Harness) -> None:
    h = rec
    h.session.recordings.retry_rule = RetryRule(max_attempts=3, base_delay_s=0.01)
    room = h.sandbox.world.create_room("down")
    # As a host can only start recording a room the app lists (and so can name).
    qtbot.waitUntil(lambda: room in h.session.recordings.recording_rooms(), timeout=WAIT_MS)
    h.sandbox.controls.fail_route("POST", "/RecordingRules", 503, times=None)
    ok, text = set_recording(qtbot, h, room, True)
    assert not ok and text.startswith("Starting recording down: ")
    assert not h.session.recordings.recording(room)
    assert len(h.errors) == 1
