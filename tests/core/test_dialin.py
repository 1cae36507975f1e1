"""Setting dial-in up and down: the steps, the order, and that the number is touched last."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from moderator.core.dialin import (
    AdmitMode,
    AllowEntry,
    DialIn,
    DialInRequest,
    DialInStore,
    SetupFailed,
    SetupStep,
    asset_path,
    set_up,
    setup_warnings,
    tear_down,
)
from moderator.core.dialin_gateway import BuildState, ServerlessAsset, ServerlessEnvironment
from moderator.core.errors import ErrorKind, TwilioError
from moderator.core.models import IncomingNumber, VoiceConfig

PREVIOUS = VoiceConfig(
    voice_url="https://example.com/ivr",
    voice_method="POST",
    voice_fallback_url="https://example.com/fallback",
    voice_application_sid="",
    trunk_sid="",
)
NUMBER = IncomingNumber("PN" + "1" * 32, "+14155550100", "Front desk", PREVIOUS)


def _error() -> TwilioError:
    return TwilioError("Twilio had a problem.", action="Try again.", kind=ErrorKind.SERVER)


@dataclass
class FakeDialInGateway:
    """Twilio's answers as a dictionary; `fail` names the method that raises."""

    fail: str = ""
    build_statuses: list[str] = field(default_factory=lambda: ["building", "completed"])
    voice: VoiceConfig = PREVIOUS
    calls: list[str] = field(default_factory=list)
    service: str | None = None
    environment: ServerlessEnvironment | None = None
    uploaded: list[tuple[str, bytes]] = field(default_factory=list)
    builds: list[list[str]] = field(default_factory=list)
    other_versions: tuple[tuple[str, str], ...] = ()

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if name == self.fail:
            raise _error()

    def find_service(self, unique_name: str) -> str | None:
        self._call("find_service")
        return self.service

    def create_service(self, unique_name: str, friendly_name: str) -> str:
        self._call("create_service")
        self.service = "ZS" + "0" * 32
        return self.service

    def find_environment(self, service: str, unique_name: str) -> ServerlessEnvironment | None:
        self._call("find_environment")
        return self.environment

    def create_environment(self, service: str, unique: str, suffix: str) -> ServerlessEnvironment:
        self._call("create_environment")
        self.environment = ServerlessEnvironment("ZE1", unique, "lobby-1234-lobby.twil.io", None)
        return self.environment

    def find_asset(self, service: str, name: str) -> ServerlessAsset | None:
        self._call("find_asset")
        return None

    def create_asset(self, service: str, name: str) -> ServerlessAsset:
        self._call("create_asset")
        return ServerlessAsset("ZH1", name)

    def upload_asset_version(self, service: str, asset: str, **kwargs: Any) -> str:
        self._call("upload_asset_version")
        self.uploaded.append((kwargs["path"], kwargs["content"]))
        return "ZN1"

    def fetch_build(self, service: str, sid: str) -> BuildState:
        self._call("fetch_build")
        return BuildState(sid, "completed", self.other_versions)

    def create_build(self, service: str, versions: list[str]) -> BuildState:
        self._call("create_build")
        self.builds.append(list(versions))
        return BuildState("ZB1", "building")

    def build_status(self, service: str, sid: str) -> str:
        self._call("build_status")
        return (
            self.build_statuses.pop(0) if len(self.build_statuses) > 1 else self.build_statuses[0]
        )

    def deploy(self, service: str, environment: str, build: str) -> str:
        self._call("deploy")
        return "ZD1"

    def fetch_number(self, sid: str) -> IncomingNumber:
        self._call("fetch_number")
        return replace(NUMBER, voice=self.voice)

    def update_voice(self, sid: str, voice: VoiceConfig) -> IncomingNumber:
        self._call("update_voice")
        self.voice = voice
        return replace(NUMBER, voice=voice)


def _run(gateway: FakeDialInGateway, **kwargs: Any) -> tuple[DialIn, DialInStore]:
    store = DialInStore.in_memory()
    request = DialInRequest(NUMBER, "town-hall", hold_minutes=5, **kwargs)
    dial_in = set_up(
        gateway,  # type: ignore[arg-type]
        request,
        known=store.get(NUMBER.sid),
        record=store.put,
        forget=store.remove,
        sleep=lambda _s: None,
    )
    return dial_in, store


def test_setup_runs_the_steps_in_order_and_points_the_number_at_the_asset() -> None:
    gateway = FakeDialInGateway()
    steps: list[SetupStep] = []
    store = DialInStore.in_memory()
    dial_in = set_up(
        gateway,  # type: ignore[arg-type]
        DialInRequest(NUMBER, "town-hall", hold_minutes=5),
        known=None,
        record=store.put,
        forget=store.remove,
        progress=steps.append,
        sleep=lambda _s: None,
    )
    assert steps == list(SetupStep)
    assert gateway.calls[-2:] == ["fetch_number", "update_voice"]
    assert dial_in.voice_url == f"https://lobby-1234-lobby.twil.io{asset_path(NUMBER.sid)}"
    assert gateway.voice.voice_url == dial_in.voice_url
    assert gateway.voice.voice_method == "GET"
    assert dial_in.previous == PREVIOUS
    assert store.get(NUMBER.sid) == dial_in
    path, content = gateway.uploaded[0]
    assert path == asset_path(NUMBER.sid) and b"<Pause" in content and b"<Hangup" in content


@pytest.mark.parametrize(
    ("method", "step"),
    [
        ("find_service", SetupStep.SERVICE),
        ("create_service", SetupStep.SERVICE),
        ("create_environment", SetupStep.ENVIRONMENT),
        ("upload_asset_version", SetupStep.UPLOAD),
        ("create_build", SetupStep.BUILD),
        ("build_status", SetupStep.BUILD),
        ("deploy", SetupStep.DEPLOY),
        ("fetch_number", SetupStep.NUMBER),
        ("update_voice", SetupStep.NUMBER),
    ],
)
def test_a_failing_step_is_named_and_leaves_the_number_and_the_store_untouched(
    method: str, step: SetupStep
) -> None:
    gateway = FakeDialInGateway(fail=method)
    store = DialInStore.in_memory()
    with pytest.raises(SetupFailed) as failure:
        set_up(
            gateway,  # type: ignore[arg-type]
            DialInRequest(NUMBER, "town-hall"),
            known=None,
            record=store.put,
            forget=store.remove,
            sleep=lambda _s: None,
        )
    assert failure.value.step is step
    assert step.value.lower() in str(failure.value)
    assert "The number was not changed." in str(failure.value)
    assert gateway.voice == PREVIOUS
    assert store.all() == []


def test_a_failed_build_is_a_build_step_failure() -> None:
    gateway = FakeDialInGateway(build_statuses=["building", "failed"])
    with pytest.raises(SetupFailed) as failure:
        _run(gateway)
    assert failure.value.step is SetupStep.BUILD
    assert "deploy" not in gateway.calls and gateway.voice == PREVIOUS


def test_a_build_that_never_ends_times_out() -> None:
    gateway = FakeDialInGateway(build_statuses=["building"])
    clock = iter(range(0, 10_000, 10))
    with pytest.raises(SetupFailed) as failure:
        set_up(
            gateway,  # type: ignore[arg-type]
            DialInRequest(NUMBER, "town-hall"),
            known=None,
            record=lambda _d: None,
            forget=lambda _s: None,
            sleep=lambda _s: None,
            monotonic=lambda: float(next(clock)),
            build_timeout_s=60,
        )
    assert failure.value.error.kind is ErrorKind.TIMEOUT


def test_service_and_environment_are_found_again_not_created_twice() -> None:
    gateway = FakeDialInGateway()
    _run(gateway)
    gateway.calls.clear()
    _run(gateway)
    assert "create_service" not in gateway.calls
    assert "create_environment" not in gateway.calls


def test_a_new_build_keeps_the_other_numbers_lobbies() -> None:
    gateway = FakeDialInGateway()
    gateway.service = "ZS1"
    gateway.environment = ServerlessEnvironment("ZE1", "lobby", "x-1-lobby.twil.io", "ZB0")
    gateway.other_versions = (("ZN9", "/lobby-PNother.xml"), ("ZN8", asset_path(NUMBER.sid)))
    _run(gateway)
    assert gateway.builds == [["ZN9", "ZN1"]]  # the old version of this number's lobby is out


def test_changing_a_running_dial_in_keeps_what_the_number_had_before() -> None:
    gateway = FakeDialInGateway()
    first, store = _run(gateway)
    second = set_up(
        gateway,  # type: ignore[arg-type]
        DialInRequest(NUMBER, "all-hands", hold_minutes=3),
        known=first,
        record=store.put,
        forget=store.remove,
        sleep=lambda _s: None,
    )
    assert second.previous == PREVIOUS  # not the lobby's own URL
    assert second.room_name == "all-hands"
    assert tear_down(gateway, second).endswith("answers as it did before.")  # type: ignore[arg-type]
    assert gateway.voice == PREVIOUS


def test_a_failed_change_keeps_the_running_dial_in_recorded() -> None:
    gateway = FakeDialInGateway()
    first, store = _run(gateway)
    gateway.fail = "update_voice"
    with pytest.raises(SetupFailed):
        set_up(
            gateway,  # type: ignore[arg-type]
            DialInRequest(NUMBER, "all-hands"),
            known=first,
            record=store.put,
            forget=store.remove,
            sleep=lambda _s: None,
        )
    assert store.get(NUMBER.sid) == first


def test_stop_leaves_a_number_changed_elsewhere_alone() -> None:
    gateway = FakeDialInGateway()
    dial_in, _store = _run(gateway)
    gateway.voice = VoiceConfig(voice_url="https://example.org/new")
    text = tear_down(gateway, dial_in)  # type: ignore[arg-type]
    assert "changed elsewhere" in text
    assert gateway.voice.voice_url == "https://example.org/new"
    assert gateway.calls[-1] == "fetch_number"


def test_warnings_say_what_else_changes() -> None:
    trunked = replace(NUMBER, voice=VoiceConfig(trunk_sid="TK1", voice_application_sid="AP1"))
    warnings = setup_warnings(trunked)
    assert any("SIP trunk TK1" in w for w in warnings)
    assert any("TwiML App AP1" in w for w in warnings)
    assert "https://example.com/ivr" in setup_warnings(NUMBER)[0]
    assert setup_warnings(replace(NUMBER, voice=VoiceConfig())) == []


@pytest.mark.parametrize(
    ("request_", "problem"),
    [
        (DialInRequest(NUMBER, ""), "room"),
        (DialInRequest(NUMBER, "town-hall", hold_minutes=0), "hold time"),
        (DialInRequest(NUMBER, "town-hall", hold_minutes=61), "hold time"),
        (DialInRequest(NUMBER, "town-hall", mode=AdmitMode.ALLOW_LIST), "allow-list"),
        (DialInRequest(NUMBER, "town-hall", allow_list=(AllowEntry("555"),)), "allow-list"),
        (DialInRequest(NUMBER, "town-hall", greeting="x" * 600), "greeting"),
    ],
)
def test_bad_requests_say_why(request_: DialInRequest, problem: str) -> None:
    message = request_.problem()
    assert message is not None and problem in message.lower()


def test_auto_admit_rules() -> None:
    gateway = FakeDialInGateway()
    listed = (AllowEntry("+14155552671", "Ana"),)
    dial_in, _ = _run(gateway, mode=AdmitMode.ALLOW_LIST, allow_list=listed)
    assert dial_in.admits_automatically("+14155552671")
    assert dial_in.label_for("+14155552671") == "Ana"
    assert not dial_in.admits_automatically("+14155559999")
    everyone = replace(dial_in, mode=AdmitMode.EVERYONE)
    assert everyone.admits_automatically("+14155559999")
    assert not replace(dial_in, mode=AdmitMode.HOLD).admits_automatically("+14155552671")


def test_store_survives_a_reopen_and_refuses_a_newer_file(tmp_path: Path) -> None:
    path = tmp_path / "dialin.sqlite3"
    gateway = FakeDialInGateway()
    dial_in, _ = _run(gateway, mode=AdmitMode.EVERYONE, allow_list=(AllowEntry("+14155552671"),))
    store = DialInStore(path)
    store.put(dial_in)
    store.close()
    reopened = DialInStore(path)
    assert reopened.all() == [dial_in]
    reopened.remove(dial_in.number_sid)
    assert reopened.all() == []
    reopened.close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version=99")
    with pytest.raises(sqlite3.DatabaseError, match="newer Room Moderator"):
        DialInStore(path)
