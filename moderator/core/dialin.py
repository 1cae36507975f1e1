"""Dial-in: one of the account's numbers answers with a lobby Twilio itself hosts.

A desktop app cannot answer Twilio's voice webhook, so the number's Voice URL points at a
static hold TwiML (`twiml.lobby_twiml`) published as a public Serverless Asset: a Service found
again by unique name, an Environment, one Asset per number, a Build, a Deployment. Callers then
wait on live calls the app lists and admits by replacing their TwiML.

Setting up never loses what the host had: the number's voice configuration is recorded (in
`DialInStore`, before the number is touched) and "Stop dial-in" puts it back exactly. The
number is the last thing changed, so a setup failing at any earlier step leaves it as it was.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from moderator.core.dialin_gateway import DialInGateway
from moderator.core.errors import ErrorKind, TwilioError
from moderator.core.guest_state import utcnow
from moderator.core.identity import validate_room_name
from moderator.core.models import IncomingNumber, VoiceConfig
from moderator.core.phone import format_international, is_e164
from moderator.core.twiml import MAX_HOLD_MINUTES, TwimlError, lobby_twiml

__all__ = [
    "ENVIRONMENT_NAME",
    "SERVICE_UNIQUE_NAME",
    "AdmitMode",
    "AllowEntry",
    "DialIn",
    "DialInRequest",
    "DialInStore",
    "SetupFailed",
    "SetupStep",
    "asset_path",
    "set_up",
    "setup_warnings",
    "tear_down",
]

SERVICE_UNIQUE_NAME = "room-moderator-lobby"
SERVICE_FRIENDLY_NAME = "Room Moderator lobby"
ENVIRONMENT_NAME = "lobby"
DOMAIN_SUFFIX = "lobby"
BUILD_TIMEOUT_S = 180.0
BUILD_POLL_S = 1.0
LOBBY_CONTENT_TYPE = "text/xml"


class AdmitMode(StrEnum):
    """Who gets in without a host clicking Admit."""

    HOLD = "hold"  # everyone waits in the lobby until a host admits them
    EVERYONE = "everyone"  # admitted as soon as the app sees them
    ALLOW_LIST = "allow-list"  # listed numbers admitted at once, the others wait

    @property
    def automatic(self) -> bool:
        return self is not AdmitMode.HOLD


@dataclass(frozen=True, slots=True)
class AllowEntry:
    """A number admitted automatically; the full number stays on this machine (dial-in file)."""

    number: str  # E.164
    label: str = ""


@dataclass(frozen=True, slots=True)
class DialInRequest:
    """What the host chose in "Set up dial-in…"."""

    number: IncomingNumber
    room_name: str
    hold_minutes: int = 10
    greeting: str = ""
    mode: AdmitMode = AdmitMode.HOLD
    allow_list: tuple[AllowEntry, ...] = ()

    def problem(self) -> str | None:
        """Why this cannot be set up, in one line, or None."""
        room = validate_room_name(self.room_name)
        if room:
            return room
        if not 1 <= self.hold_minutes <= MAX_HOLD_MINUTES:
            return f"The hold time must be 1 to {MAX_HOLD_MINUTES} minutes."
        for entry in self.allow_list:
            if not is_e164(entry.number):
                return "Every number on the allow-list must be a full number in +1… form."
        if self.mode is AdmitMode.ALLOW_LIST and not self.allow_list:
            return "Add at least one number to the allow-list, or admit everyone."
        try:
            self.twiml()
        except TwimlError as exc:
            return str(exc)
        return None

    def twiml(self) -> str:
        greeting = self.greeting.strip()
        if greeting:
            return lobby_twiml(greeting, self.hold_minutes)
        return lobby_twiml(hold_minutes=self.hold_minutes)


@dataclass(frozen=True, slots=True)
class DialIn:
    """A number answering with the lobby, and what it did before."""

    number_sid: str
    phone_number: str  # the account's own number
    room_name: str
    hold_minutes: int
    greeting: str
    mode: AdmitMode
    allow_list: tuple[AllowEntry, ...]
    previous: VoiceConfig  # restored by "Stop dial-in"
    voice_url: str  # the deployed lobby asset
    service_sid: str
    started_at: datetime = field(default_factory=utcnow)

    def label_for(self, number: str) -> str | None:
        """The allow-list label of `number` ("" when listed without one), None if not listed."""
        for entry in self.allow_list:
            if entry.number == number:
                return entry.label
        return None

    def admits_automatically(self, number: str) -> bool:
        if self.mode is AdmitMode.EVERYONE:
            return True
        return self.mode is AdmitMode.ALLOW_LIST and self.label_for(number) is not None

    def to_json(self) -> str:
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        data["mode"] = self.mode.value
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> DialIn:
        data = json.loads(text)
        return cls(
            number_sid=str(data["number_sid"]),
            phone_number=str(data["phone_number"]),
            room_name=str(data["room_name"]),
            hold_minutes=int(data["hold_minutes"]),
            greeting=str(data.get("greeting", "")),
            mode=AdmitMode(data.get("mode", AdmitMode.HOLD.value)),
            allow_list=tuple(
                AllowEntry(str(e["number"]), str(e.get("label", "")))
                for e in data.get("allow_list", ())
            ),
            previous=VoiceConfig(**{k: str(v) for k, v in data["previous"].items()}),
            voice_url=str(data["voice_url"]),
            service_sid=str(data["service_sid"]),
            started_at=datetime.fromisoformat(data["started_at"]),
        )


class SetupStep(StrEnum):
    """The steps of setting up, in order; the value is what the progress line says."""

    SERVICE = "Finding the lobby service on Twilio"
    ENVIRONMENT = "Preparing the lobby's web address"
    UPLOAD = "Uploading the hold message"
    BUILD = "Building the lobby"
    DEPLOY = "Deploying the lobby"
    NUMBER = "Pointing the number at the lobby"

    @property
    def ordinal(self) -> int:
        return list(SetupStep).index(self) + 1


class SetupFailed(Exception):
    """A step failed; `str()` says which and that the number was left as it was."""

    def __init__(self, step: SetupStep, error: TwilioError) -> None:
        self.step = step
        self.error = error
        super().__init__(
            f"Dial-in was not set up: {step.value.lower()} failed: {error.message} "
            "The number was not changed."
        )


def asset_path(number_sid: str) -> str:
    """The lobby asset's path for one number (the SID, never a phone number, in the URL)."""
    return f"/lobby-{number_sid}.xml"


def setup_warnings(number: IncomingNumber) -> list[str]:
    """What setting up will change beyond the Voice URL, for the host to confirm first."""
    warnings = []
    if number.voice.trunk_sid:
        warnings.append(
            f"{number.phone_number} is on SIP trunk {number.voice.trunk_sid}: dial-in takes it "
            "off the trunk while it runs; Stop dial-in puts it back."
        )
    if number.voice.voice_application_sid:
        warnings.append(
            f"{number.phone_number} answers with TwiML App {number.voice.voice_application_sid}:"
            " dial-in sets it aside while it runs; Stop dial-in puts it back."
        )
    if number.voice.voice_url and not warnings:
        warnings.append(
            f"Calls to {number.phone_number} now go to {number.voice.voice_url}; dial-in "
            "replaces that while it runs and Stop dial-in puts it back."
        )
    return warnings


def set_up(
    gateway: DialInGateway,
    request: DialInRequest,
    *,
    known: DialIn | None,
    record: Callable[[DialIn], None],
    forget: Callable[[str], None],
    progress: Callable[[SetupStep], None] = lambda _step: None,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    build_timeout_s: float = BUILD_TIMEOUT_S,
    build_poll_s: float = BUILD_POLL_S,
) -> DialIn:
    """Run every step (blocking: call from a worker); returns the dial-in now in force.

    `known` is the number's dial-in if it already has one (changing its room or greeting):
    its recorded `previous` configuration is kept, never replaced by the lobby's own URL.
    `record` stores the dial-in before the number is changed; `forget` drops it again if that
    change fails. Raises SetupFailed naming the step.
    """
    step = SetupStep.SERVICE

    def begin(next_step: SetupStep) -> None:
        nonlocal step
        step = next_step
        progress(next_step)

    try:
        begin(SetupStep.SERVICE)
        service = gateway.find_service(SERVICE_UNIQUE_NAME) or gateway.create_service(
            SERVICE_UNIQUE_NAME, SERVICE_FRIENDLY_NAME
        )
        begin(SetupStep.ENVIRONMENT)
        environment = gateway.find_environment(
            service, ENVIRONMENT_NAME
        ) or gateway.create_environment(service, ENVIRONMENT_NAME, DOMAIN_SUFFIX)
        begin(SetupStep.UPLOAD)
        path = asset_path(request.number.sid)
        name = path.strip("/")
        asset = gateway.find_asset(service, name) or gateway.create_asset(service, name)
        version = gateway.upload_asset_version(
            service,
            asset.sid,
            path=path,
            content=request.twiml().encode("utf-8"),
            content_type=LOBBY_CONTENT_TYPE,
        )
        begin(SetupStep.BUILD)
        # A build replaces everything the environment serves: keep the other numbers' lobbies.
        others: list[str] = []
        if environment.build_sid:
            current = gateway.fetch_build(service, environment.build_sid)
            others = [sid for sid, other_path in current.asset_versions if other_path != path]
        build = gateway.create_build(service, [*others, version])
        _wait_for_build(
            gateway, service, build.sid, sleep, monotonic, build_timeout_s, build_poll_s
        )
        begin(SetupStep.DEPLOY)
        gateway.deploy(service, environment.sid, build.sid)
        begin(SetupStep.NUMBER)
        number = gateway.fetch_number(request.number.sid)
    except TwilioError as error:
        raise SetupFailed(step, error) from error

    voice_url = f"https://{environment.domain_name}{path}"
    previous = known.previous if known is not None else number.voice
    if known is None and number.voice.voice_url == voice_url:
        # The app's own lobby already (a lost record): what it had before is unknown, and
        # restoring "the lobby" would be no restore at all; Stop dial-in then clears it.
        previous = VoiceConfig()
    dial_in = DialIn(
        number_sid=number.sid,
        phone_number=number.phone_number,
        room_name=request.room_name,
        hold_minutes=request.hold_minutes,
        greeting=request.greeting.strip(),
        mode=request.mode,
        allow_list=request.allow_list,
        previous=previous,
        voice_url=voice_url,
        service_sid=service,
        started_at=known.started_at if known is not None else utcnow(),
    )
    record(dial_in)
    lobby = VoiceConfig(
        voice_url=voice_url,
        voice_method="GET",
        voice_fallback_url=previous.voice_fallback_url,
        voice_fallback_method=previous.voice_fallback_method,
    )
    try:
        gateway.update_voice(number.sid, lobby)
    except TwilioError as error:
        if known is None:
            forget(number.sid)
        else:
            record(known)
        raise SetupFailed(SetupStep.NUMBER, error) from error
    return dial_in


def _wait_for_build(
    gateway: DialInGateway,
    service: str,
    build: str,
    sleep: Callable[[float], None],
    monotonic: Callable[[], float],
    timeout_s: float,
    poll_s: float,
) -> None:
    deadline = monotonic() + timeout_s
    while True:
        status = gateway.build_status(service, build)
        if status == "completed":
            return
        if status == "failed":
            raise TwilioError(
                "Twilio could not build the lobby.",
                action="Try again; if it keeps failing, check the account's Serverless limits.",
                kind=ErrorKind.SERVER,
            )
        if monotonic() >= deadline:
            raise TwilioError(
                f"Twilio was still building the lobby after {int(timeout_s)} s.",
                action="Try again in a few minutes.",
                kind=ErrorKind.TIMEOUT,
                retryable=True,
            )
        sleep(poll_s)


def tear_down(gateway: DialInGateway, dial_in: DialIn) -> str:
    """Put the number back as it was; returns what happened, for the event log.

    When the number no longer points at this lobby, someone changed it since (the Console,
    another tool): that newer choice is kept and the text says so.
    """
    number = gateway.fetch_number(dial_in.number_sid)
    if number.voice.voice_url != dial_in.voice_url:
        return (
            f"Dial-in on {format_international(dial_in.phone_number)} stopped; its voice "
            "settings had been changed elsewhere since, so they were left as they are."
        )
    gateway.update_voice(dial_in.number_sid, dial_in.previous)
    return (
        f"Dial-in on {format_international(dial_in.phone_number)} stopped; the number answers "
        "as it did before."
    )


_SCHEMA = """
CREATE TABLE IF NOT EXISTS dial_ins (
    number_sid TEXT PRIMARY KEY,
    data       TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
"""
STORE_SCHEMA_VERSION = 1


class DialInStore:
    """The account's dial-ins on this machine (SQLite), so a crash never loses the number's
    previous configuration. Holds the allow-list's full numbers: it is never exported."""

    def __init__(self, path: Path | str) -> None:
        self.path = None if str(path) == ":memory:" else Path(path)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # Written from the setup's worker (before the number changes) and read on the GUI thread.
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            str(path), timeout=1.0, isolation_level=None, check_same_thread=False
        )
        (version,) = self._db.execute("PRAGMA user_version").fetchone()
        if version > STORE_SCHEMA_VERSION:
            self._db.close()
            raise sqlite3.DatabaseError(
                f"The dial-in file {path} was written by a newer Room Moderator; update the app."
            )
        self._db.execute(_SCHEMA)
        self._db.execute(f"PRAGMA user_version={STORE_SCHEMA_VERSION}")

    @classmethod
    def in_memory(cls) -> DialInStore:
        """For the sandbox and tests: dial-ins forgotten with the process."""
        return cls(":memory:")

    def all(self) -> list[DialIn]:
        with self._lock:
            rows = self._db.execute("SELECT data FROM dial_ins ORDER BY number_sid").fetchall()
        result = []
        for (data,) in rows:
            try:
                result.append(DialIn.from_json(data))
            except (ValueError, KeyError, TypeError):
                continue  # a hand-edited row: skipped, never a crash
        return result

    def get(self, number_sid: str) -> DialIn | None:
        return next((d for d in self.all() if d.number_sid == number_sid), None)

    def put(self, dial_in: DialIn) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO dial_ins (number_sid, data, updated_at) VALUES (?, ?, ?)",
                (dial_in.number_sid, dial_in.to_json(), utcnow().isoformat()),
            )

    def remove(self, number_sid: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM dial_ins WHERE number_sid = ?", (number_sid,))

    def close(self) -> None:
        with self._lock:
            self._db.close()


def with_mode(dial_in: DialIn, mode: AdmitMode, allow_list: Iterable[AllowEntry]) -> DialIn:
    """The same dial-in admitting differently (no Twilio change: admitting is the app's job)."""
    return replace(dial_in, mode=mode, allow_list=tuple(allow_list))
