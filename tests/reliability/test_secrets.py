"""Nothing leaked: a whole session with every logger at DEBUG never writes a secret anywhere.

Profiles are added through the real add-profile dialog (checked with the sandbox over HTTP, the
secret kept in an in-memory keyring), a journaled session dials, meets faults and rejected
credentials, the journal is exported, settings are saved and the profiles removed. Then every
place a secret could end up is searched for the auth token, the API key secret and a wrong
secret typed once. The sandbox, for its part, listens on loopback and refuses anyone without
those credentials.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring.errors
import pytest
import requests
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from moderator.core.connection import ConnectionKind, ConnectionState
from moderator.core.guest_state import GuestStatus
from moderator.core.journal import Journal, default_journal_path
from moderator.core.paths import CONFIG_DIR_ENV, DATA_DIR_ENV
from moderator.core.profiles import KEYRING_SERVICE, Profile, ProfileError, ProfileStore
from moderator.core.settings import SettingsStore
from moderator.sandbox.__main__ import parse_args
from moderator.sandbox.server import SandboxOptions, SandboxServer
from moderator.ui.dialogs.add_profile_dialog import AddProfileDialog
from tests.keyring_memory import BrokenKeyring, MemoryKeyring, installed
from tests.reliability.conftest import SessionFactory
from tests.reliability.recorder import Recorder
from tests.reliability.support import dial, open_room, status_of, wait_for_state

SECTION = "Secrets"

WRONG_SECRET = "Wr0ngSecretTypedOnce0123456789ab"
LEFT = Qt.MouseButton.LeftButton
LOGGERS = ("", "twilio", "moderator", "urllib3", "keyring", "requests")


@pytest.fixture
def debug_log(tmp_path: Path) -> Iterator[Path]:
    """Every logger at DEBUG, written to a file with tracebacks, for the length of the test."""
    path = tmp_path / "debug.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    previous = {name: logging.getLogger(name).level for name in LOGGERS}
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    try:
        yield path
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
        for name, level in previous.items():
            logging.getLogger(name).setLevel(level)


@pytest.fixture
def app_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    config, data = tmp_path / "config", tmp_path / "data"
    monkeypatch.setenv(CONFIG_DIR_ENV, str(config))
    monkeypatch.setenv(DATA_DIR_ENV, str(data))
    return config, data


def type_into(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    edit.clear()
    qtbot.keyClicks(edit, text)


def add_profile(
    qtbot: QtBot,
    store: ProfileStore,
    sandbox: SandboxServer,
    name: str,
    *,
    api_key: bool,
    secret: str,
) -> AddProfileDialog:
    """Fill the real dialog and press Save; returns the dialog (accepted or showing an error)."""
    creds = sandbox.credentials
    dialog = AddProfileDialog(store, base_url=sandbox.base_url)
    qtbot.addWidget(dialog)
    dialog.show()
    type_into(qtbot, dialog.name_edit, name)
    type_into(qtbot, dialog.account_sid_edit, creds.account_sid)
    radio = dialog.api_key_radio if api_key else dialog.auth_token_radio
    qtbot.mouseClick(radio, LEFT, pos=QPoint(8, radio.height() // 2))
    if api_key:
        type_into(qtbot, dialog.api_key_sid_edit, creds.api_key_sid)
        type_into(qtbot, dialog.api_key_secret_edit, secret)
    else:
        type_into(qtbot, dialog.auth_token_edit, secret)
    qtbot.mouseClick(dialog.save_button, LEFT)
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=10_000)
    return dialog


@pytest.mark.allow_log_warnings(r"keyring unavailable: PasswordSetError")
def test_a_whole_session_at_debug_level_leaks_no_secret(
    qtbot: QtBot,
    sandbox: SandboxServer,
    sessions: SessionFactory,
    debug_log: Path,
    app_dirs: tuple[Path, Path],
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    reliability: Recorder,
) -> None:
    creds = sandbox.credentials
    secrets = {
        "auth token": creds.auth_token,
        "API key secret": creds.api_key_secret,
        "wrong secret": WRONG_SECRET,
    }
    config_dir, data_dir = app_dirs
    seen_text: list[str] = []  # everything shown to the host or raised along the way

    with installed(MemoryKeyring()) as backend:
        assert isinstance(backend, MemoryKeyring)
        store = ProfileStore()
        # 1. A wrong secret is refused by Twilio; then both kinds of profile are saved.
        wrong = add_profile(qtbot, store, sandbox, "Typo", api_key=True, secret=WRONG_SECRET)
        assert wrong.error_label.isVisible() and "20003" in wrong.error_label.text()
        seen_text.append(wrong.error_label.text())
        wrong.reject()
        for name, api_key, secret in (
            ("Key", True, creds.api_key_secret),
            ("Token", False, creds.auth_token),
        ):
            dialog = add_profile(qtbot, store, sandbox, name, api_key=api_key, secret=secret)
            assert dialog.saved_profile is not None, dialog.error_label.text()
        assert set(backend.entries) == {(KEYRING_SERVICE, "Key"), (KEYRING_SERVICE, "Token")}
        with pytest.raises(ProfileError) as duplicate:
            store.save(store.get("Key"), creds.api_key_secret)  # type: ignore[arg-type]
        seen_text += [str(duplicate.value), repr(duplicate.value)]

        # 2. A journaled session on the API-key profile: dial, faults, rejected credentials.
        credentials = store.load_credentials("Key")
        journal_path = default_journal_path().with_name(
            f"journal-{credentials.account_sid}.sqlite3"
        )
        h = sessions(sandbox, journal_path)
        states: list[ConnectionState] = []
        h.session.connectionChanged.connect(states.append)
        room = open_room(qtbot, h)
        joined = dial(h, room)
        qtbot.waitUntil(lambda: status_of(h, joined) is GuestStatus.QUEUED)
        sandbox.clock.advance(5)
        qtbot.waitUntil(lambda: status_of(h, joined) is GuestStatus.CONNECTED, timeout=10_000)
        refused = dial(h, room, number="+15005550003", identity="phone-geo")
        qtbot.waitUntil(lambda: status_of(h, refused) is GuestStatus.REJECTED)
        for fault in ("fault_rate", "malformed_rate"):
            setattr(sandbox.controls, fault, 1.0)
            wait_for_state(qtbot, h, ConnectionKind.RETRYING, ConnectionKind.OFFLINE)
            setattr(sandbox.controls, fault, 0.0)
            wait_for_state(qtbot, h, ConnectionKind.ONLINE)
        sandbox.controls.revoke_credentials()
        wait_for_state(qtbot, h, ConnectionKind.AUTH_REJECTED)
        sandbox.controls.restore_credentials()
        h.session.refresh_now()
        wait_for_state(qtbot, h, ConnectionKind.ONLINE)
        row = h.row(joined)
        assert row is not None
        h.session.remove(row)
        qtbot.waitUntil(lambda: status_of(h, joined) is GuestStatus.LEFT, timeout=10_000)

        # 3. Exports and settings, as the app writes them.
        (tmp_path / "export").mkdir()
        with Journal(journal_path) as journal:
            csv_rows = journal.export_csv(tmp_path / "export" / "timeline.csv")
            json_dials = journal.export_json(tmp_path / "export" / "timeline.json")
        settings_store = SettingsStore()
        settings = settings_store.load()
        settings.last_profile = "Key"
        settings_store.save(settings)

        # 4. Remove both profiles: their keyring entries go too.
        store.remove("Key")
        store.remove("Token")
        assert backend.entries == {}

    # A keyring backend that echoes the secret in its error must not pass it on.
    echoing = BrokenKeyring(lambda: keyring.errors.PasswordSetError(f"refused {WRONG_SECRET}"))
    with installed(echoing), pytest.raises(ProfileError) as unavailable:
        ProfileStore().save(store_profile_for(sandbox), WRONG_SECRET)
    seen_text += [str(unavailable.value), repr(unavailable.value), unavailable.value.action]

    for error, context in h.errors:
        seen_text += [str(error), repr(error), context]
        seen_text += [getattr(error, a, None) or "" for a in ("details", "twilio_message")]
    seen_text += [event.text for event in h.events]
    seen_text += [state.label + " " + state.message for state in states]
    captured = capfd.readouterr()

    places: dict[str, bytes] = {
        "debug log": debug_log.read_bytes(),
        "stdout/stderr": (captured.out + captured.err).encode(),
        "errors, events and states shown": "\n".join(seen_text).encode(),
    }
    for folder in (config_dir, data_dir, tmp_path / "export"):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                places[str(path.relative_to(tmp_path))] = path.read_bytes()
    assert any(name.endswith("-wal") for name in places), "the journal's WAL was searched too"
    assert any(name.endswith("settings.json") for name in places)
    assert any(name.endswith("profiles.json") for name in places)

    leaks = [
        f"{what} in {where}"
        for where, content in places.items()
        for what, secret in secrets.items()
        if secret.encode() in content
    ]
    assert leaks == []
    log_text = places["debug log"].decode("utf-8", "replace")
    requests_logged = log_text.count("-- BEGIN Twilio API Request --")
    assert requests_logged > 20, "the log really captured the session at DEBUG"
    assert "DEBUG" in log_text and "Authorization" not in log_text
    reliability.record(
        case="Auth token and API key secret in logs, files, errors or exports",
        produced_by="a whole session with root, twilio, moderator, urllib3 and keyring loggers at "
        "DEBUG into a file: add profiles in the real dialog (a wrong secret first), dial, a "
        "refused dial, 500s, malformed bodies, revoked credentials, remove a guest, export CSV "
        "and JSON, save settings, remove the profiles; a keyring error echoing the secret",
        outcome=f"0 occurrences of the 3 secrets in {len(places)} places searched: the debug "
        f"log ({len(log_text.splitlines())} lines, {requests_logged} Twilio requests), "
        f"stdout/stderr, settings.json, profiles.json, the journal file with its WAL, the CSV "
        f"({csv_rows} steps) and JSON ({json_dials} dials) exports, {len(seen_text)} error "
        f"texts, events and states; the keyring held both secrets until the profiles were "
        f"removed, then nothing",
    )


def store_profile_for(sandbox: SandboxServer) -> Profile:
    creds = sandbox.credentials
    return Profile.with_api_key("Echo", creds.account_sid, creds.api_key_sid)


def listening_addresses(port: int) -> set[str]:
    """Local IPv4 addresses with a socket listening on `port`, from /proc/net/tcp (Linux)."""
    table = Path("/proc/net/tcp")
    if not table.exists():
        pytest.skip("needs /proc/net/tcp (Linux) to see which address a socket is bound to")
    found = set()
    for line in table.read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, port_hex = local.split(":")
        if state == "0A" and int(port_hex, 16) == port:  # 0A = LISTEN
            raw = bytes.fromhex(address)[::-1]
            found.add(".".join(str(b) for b in raw))
    return found


def test_sandbox_listens_on_loopback_by_default(
    sandbox: SandboxServer, reliability: Recorder
) -> None:
    assert SandboxOptions().host == "127.0.0.1"
    assert parse_args([]).host == "127.0.0.1"
    assert listening_addresses(sandbox.port) == {"127.0.0.1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "moderator.sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        first = json.loads(process.stdout.readline())
        cli_port = int(first["base_url"].rsplit(":", 1)[1])
        assert first["base_url"].startswith("http://127.0.0.1:")
        assert listening_addresses(cli_port) == {"127.0.0.1"}
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
    reliability.record(
        case="Sandbox reachable from other machines",
        produced_by="default SandboxOptions, `python -m moderator.sandbox` with no --host; "
        "listening sockets read from /proc/net/tcp",
        outcome="both listen on 127.0.0.1 only (in-process and command line); another "
        "address needs an explicit --host",
    )


def test_sandbox_refuses_unauthenticated_requests(
    sandbox: SandboxServer, reliability: Recorder
) -> None:
    creds = sandbox.credentials
    account = f"/2010-04-01/Accounts/{creds.account_sid}"
    attempts = {
        "no credentials": None,
        "wrong secret": (creds.api_key_sid, WRONG_SECRET),
        "auth token with the API key SID": (creds.api_key_sid, creds.auth_token),
        "empty password": (creds.account_sid, ""),
    }
    answers: list[tuple[int, int]] = []
    for auth in attempts.values():
        for method, path in (
            ("GET", "/v1/Rooms"),
            ("GET", f"{account}.json"),
            ("POST", f"{account}/Calls.json"),
            ("POST", "/v1/Rooms"),
        ):
            response = requests.request(
                method,
                sandbox.base_url + path,
                auth=auth,
                data={"To": "+14155552671", "From": "+15005550006", "Twiml": "<Response/>"},
                timeout=5,
            )
            answers.append((response.status_code, response.json()["code"]))
            assert creds.auth_token not in response.text
    assert set(answers) == {(401, 20003)}
    assert sandbox.world.calls() == [] and sandbox.world.rooms() == []
    reliability.record(
        case="Unauthenticated requests to the sandbox",
        produced_by=f"{len(answers)} requests (rooms, account, create-call, create-room) with "
        f"{', '.join(attempts)}",
        outcome="every one answered 401 with Twilio code 20003; nothing created, no secret in "
        "any answer",
    )
