"""The recording core without Qt: what rules imply, the REC book, compositions' progress, and
the words the Recordings dialog shows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from moderator.core.recording import (
    RECORD_ALL,
    RECORD_NONE,
    ComposeRequest,
    Composition,
    CompositionStatus,
    RecordingBook,
    RecordingState,
    composition_progress,
    format_duration,
    format_size,
    recording_state,
    suggested_file_name,
)

INCLUDE_ALL = {"type": "include", "all": True}
EXCLUDE_ALL = {"type": "exclude", "all": True}


@pytest.mark.parametrize(
    ("rules", "state"),
    [
        ([INCLUDE_ALL], RecordingState.ON),
        ([EXCLUDE_ALL], RecordingState.OFF),
        ([EXCLUDE_ALL, INCLUDE_ALL], RecordingState.ON),
        ([INCLUDE_ALL, EXCLUDE_ALL], RecordingState.OFF),
        ([INCLUDE_ALL, {"type": "exclude", "kind": "video"}], RecordingState.PARTIAL),
        ([EXCLUDE_ALL, {"type": "include", "publisher": "alice"}], RecordingState.PARTIAL),
        ([{"type": "include", "kind": "audio"}], RecordingState.PARTIAL),
        ([{"type": "exclude", "kind": "audio"}], RecordingState.OFF),
        ([], RecordingState.OFF),
    ],
)
def test_the_last_all_rule_sets_the_baseline(
    rules: list[dict[str, object]], state: RecordingState
) -> None:
    assert recording_state(rules) is state


def test_the_book_follows_the_click_and_then_what_twilio_says() -> None:
    book = RecordingBook()
    assert book.state("RM1") is RecordingState.UNKNOWN and not book.recording("RM1")
    assert book.read_back("RM1", [EXCLUDE_ALL]) is False  # unknown counts as not recording
    assert book.begin("RM1", True) == RECORD_ALL
    assert book.recording("RM1") and book.busy("RM1")
    assert book.begin("RM1", True) is None  # a double click writes once
    book.written("RM1", [INCLUDE_ALL])
    assert book.recording("RM1") and not book.busy("RM1")
    assert book.rooms_recording() == {"RM1"}
    assert book.begin("RM1", False) == RECORD_NONE
    book.failed("RM1")  # the write failed: REC shows what Twilio said last
    assert book.recording("RM1")
    assert book.read_back("RM1", [EXCLUDE_ALL]) is True
    assert not book.recording("RM1")
    book.forget("RM1")
    assert not book.known("RM1") and book.rooms_recording() == frozenset()


def test_composition_progress_goes_enqueued_processing_completed() -> None:
    steps = [composition_progress(s) for s in CompositionStatus]
    assert [s[0] for s in steps[:3]] == [0, 1, 2]
    assert all(total == 2 for _, total, _ in steps)
    assert composition_progress(CompositionStatus.FAILED)[2].startswith("Failed")
    assert not CompositionStatus.PROCESSING.is_final and CompositionStatus.FAILED.is_final


def test_compose_requests_and_names() -> None:
    assert ComposeRequest("RM1", audio_only=True).video_layout() is None
    assert ComposeRequest("RM1").video_layout() == {"grid": {"video_sources": ["*"]}}
    assert ComposeRequest("RM1", format="avi").problem() is not None
    assert ComposeRequest("RM1", format="webm").problem() is None
    composition = Composition(
        "CJ1", "RM1", CompositionStatus.COMPLETED, "webm", True, 40, 1000, datetime.now(UTC)
    )
    assert suggested_file_name("Team A/B", composition) == "Team-A-B-audio.webm"
    assert composition.downloadable and composition.deletable


def test_durations_and_sizes_read_like_a_file_manager() -> None:
    assert format_duration(65) == "1:05"
    assert format_duration(3725) == "1:02:05"
    assert format_size(512) == "512 B"
    assert format_size(3400) == "3.4 kB"
    assert format_size(12_000_000) == "12.0 MB"
