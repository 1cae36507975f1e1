"""The recording gateway through the real twilio SDK against the in-process sandbox: rules,
track recordings, compositions, and a media download that never carries Twilio's credentials
and never leaves a half file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
import requests.adapters

from moderator.core.errors import ErrorKind, TwilioError
from moderator.core.gateway import TwilioGateway
from moderator.core.models import RoomType
from moderator.core.recording import (
    RECORD_ALL,
    RECORD_NONE,
    ComposeRequest,
    CompositionStatus,
    RecordingState,
    recording_state,
)
from moderator.core.recording_gateway import DownloadCancelled, RecordingGateway
from moderator.core.room_options import RoomOptions
from moderator.sandbox.server import SandboxServer
from moderator.sandbox.world.compositions import ENQUEUED_S, processing_seconds
from moderator.sandbox.world.recordings import FINALIZE_S
from tests.sandbox.media_parsers import matroska_summary, mp4_duration_s

from .test_gateway import make_gateway


@pytest.fixture
def gateway(sandbox: SandboxServer) -> TwilioGateway:
    return make_gateway(sandbox)


@pytest.fixture
def recording(gateway: TwilioGateway) -> RecordingGateway:
    return RecordingGateway(gateway)


def recorded_room(sandbox: SandboxServer, recording: RecordingGateway) -> str:
    """A group room recorded 40 s with alice (audio + video) and bob (audio), then ended."""
    room = sandbox.world.create_room("talk")
    recording.update_recording_rules(room, RECORD_ALL)
    sandbox.world.join_app_participant(room, "alice")
    sandbox.world.join_app_participant(room, "bob", ("audio",))
    sandbox.clock.advance(40)  # type: ignore[attr-defined]
    sandbox.world.complete_room(room)
    sandbox.clock.advance(FINALIZE_S)  # type: ignore[attr-defined]
    return room


def test_start_and_stop_write_the_rules_twilio_reads_back(
    sandbox: SandboxServer, recording: RecordingGateway
) -> None:
    room = sandbox.world.create_room("standup")
    assert recording_state(recording.fetch_recording_rules(room)) is RecordingState.OFF
    echoed = recording.update_recording_rules(room, RECORD_ALL)
    assert recording_state(echoed) is RecordingState.ON
    assert recording_state(recording.fetch_recording_rules(room)) is RecordingState.ON
    recording.update_recording_rules(room, RECORD_NONE)
    assert recording_state(recording.fetch_recording_rules(room)) is RecordingState.OFF


def test_rules_on_a_room_that_cannot_record_or_has_ended_are_clear_errors(
    sandbox: SandboxServer, recording: RecordingGateway
) -> None:
    p2p = sandbox.world.create_room("pair", type="peer-to-peer")
    with pytest.raises(TwilioError) as refused:
        recording.update_recording_rules(p2p, RECORD_ALL)
    assert refused.value.code == 53122 and "group rooms" in refused.value.message
    room = sandbox.world.create_room("done")
    sandbox.world.complete_room(room)
    with pytest.raises(TwilioError) as ended:
        recording.update_recording_rules(room, RECORD_ALL)
    assert ended.value.code == 53106 and "ended" in ended.value.message


def test_recordings_list_one_per_track_and_delete(
    sandbox: SandboxServer, recording: RecordingGateway
) -> None:
    room = recorded_room(sandbox, recording)
    tracks = recording.list_room_recordings(room)
    assert sorted(t.kind for t in tracks) == ["audio", "audio", "video"]
    assert all(t.status == "completed" and t.duration_s == 40 and t.size > 0 for t in tracks)
    assert all(t.participant_sid.startswith("PA") and t.room_sid == room for t in tracks)
    recording.delete_recording(room, tracks[0].sid)
    after = {t.sid: t for t in recording.list_room_recordings(room)}
    assert after[tracks[0].sid].status == "deleted" and not after[tracks[0].sid].deletable


@pytest.mark.parametrize(("fmt", "audio_only"), [("mp4", False), ("webm", True)])
def test_a_composition_completes_and_downloads_without_twilio_credentials(
    sandbox: SandboxServer,
    recording: RecordingGateway,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
    audio_only: bool,
) -> None:
    sent: list[requests.PreparedRequest] = []
    send = requests.adapters.HTTPAdapter.send

    def spy(
        self: requests.adapters.HTTPAdapter, request: requests.PreparedRequest, **kw: Any
    ) -> Any:
        sent.append(request)
        return send(self, request, **kw)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", spy)
    room = recorded_room(sandbox, recording)
    created = recording.create_composition(ComposeRequest(room, audio_only=audio_only, format=fmt))
    assert created.status is CompositionStatus.ENQUEUED and created.audio_only is audio_only
    sandbox.clock.advance(ENQUEUED_S)  # type: ignore[attr-defined]
    assert recording.fetch_composition(created.sid).status is CompositionStatus.PROCESSING
    sandbox.clock.advance(processing_seconds(40))  # type: ignore[attr-defined]
    done = recording.fetch_composition(created.sid)
    assert done.status is CompositionStatus.COMPLETED and done.size > 0
    assert [c.sid for c in recording.list_compositions(room)] == [created.sid]

    url = recording.media_url(created.sid)
    assert "/media/" in url
    seen: list[tuple[int, int]] = []
    target = tmp_path / f"talk.{fmt}"
    written = recording.download(url, target, progress=lambda d, t: seen.append((d, t)))
    data = target.read_bytes()
    assert written == len(data) == done.size
    assert seen[0] == (0, done.size) and seen[-1] == (done.size, done.size)
    if fmt == "mp4":
        assert mp4_duration_s(data) == pytest.approx(40, abs=1)
    else:
        assert matroska_summary(data)[0] == "webm"
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left next to it
    media = [r for r in sent if "/media/" in (r.url or "")]
    assert len(media) == 1 and "Authorization" not in media[0].headers
    asked = [r for r in sent if (r.url or "").endswith("/Media?Ttl=600")]
    assert len(asked) == 1 and "Authorization" in asked[0].headers


def test_a_cancelled_download_leaves_no_file(
    sandbox: SandboxServer, recording: RecordingGateway, tmp_path: Path
) -> None:
    room = recorded_room(sandbox, recording)
    created = recording.create_composition(ComposeRequest(room, format="mp4"))
    sandbox.clock.advance(ENQUEUED_S + processing_seconds(40))  # type: ignore[attr-defined]
    url = recording.media_url(created.sid)
    target = tmp_path / "talk.mp4"
    with pytest.raises(DownloadCancelled):
        recording.download(url, target, cancelled=lambda: True)
    assert list(tmp_path.iterdir()) == []


def test_an_expired_or_forged_link_is_refused_with_words(
    sandbox: SandboxServer, recording: RecordingGateway, tmp_path: Path
) -> None:
    room = recorded_room(sandbox, recording)
    created = recording.create_composition(ComposeRequest(room, format="mp4"))
    sandbox.clock.advance(ENQUEUED_S + processing_seconds(40))  # type: ignore[attr-defined]
    url = recording.media_url(created.sid)
    with pytest.raises(TwilioError) as refused:
        recording.download(url.replace("Signature=", "Signature=x"), tmp_path / "a.mp4")
    assert refused.value.kind is ErrorKind.PERMISSION and "expired" in refused.value.message
    assert list(tmp_path.iterdir()) == []


def test_composing_a_room_still_in_progress_is_refused(
    sandbox: SandboxServer, recording: RecordingGateway
) -> None:
    room = sandbox.world.create_room("live")
    with pytest.raises(TwilioError) as refused:
        recording.create_composition(ComposeRequest(room))
    assert refused.value.kind is ErrorKind.INVALID_INPUT


def test_room_options_reach_twilio_and_bad_ones_are_refused_before_sending(
    sandbox: SandboxServer, gateway: TwilioGateway
) -> None:
    options = RoomOptions(
        empty_room_timeout_min=10,
        unused_room_timeout_min=20,
        audio_only=True,
        record_participants_on_connect=True,
        max_participant_duration_s=3600,
        large_room=True,
    )
    room = gateway.create_room("opts", RoomType.GROUP, 12, options)
    assert (room.empty_room_timeout, room.unused_room_timeout) == (10, 20)
    assert room.audio_only and room.record_participants_on_connect and room.large_room
    assert room.max_participant_duration == 3600 and room.max_participants == 12
    assert gateway.fetch_room(room.sid).empty_room_timeout == 10
    writes = len(sandbox.request_log.entries())
    for bad in (
        RoomOptions(empty_room_timeout_min=0),
        RoomOptions(unused_room_timeout_min=61),
        RoomOptions(max_participant_duration_s=599),
    ):
        with pytest.raises(TwilioError) as refused:
            gateway.create_room("bad", RoomType.GROUP, None, bad)
        assert refused.value.kind is ErrorKind.INVALID_INPUT and "must be" in refused.value.message
    with pytest.raises(TwilioError, match="group rooms only"):
        gateway.create_room("bad", RoomType.PEER_TO_PEER, None, RoomOptions(audio_only=True))
    assert len(sandbox.request_log.entries()) == writes  # nothing was sent
