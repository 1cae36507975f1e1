"""What an installed app does besides its window: a menu entry, a keyring check, the frozen
app's sandbox child, and the scripted smoke flow (run from source here; CI runs it on the build).
"""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from moderator.core.profiles import ProfileStore
from moderator.core.settings import SettingsStore
from moderator.ui import app, host_tools, sandbox_runner
from tests.keyring_memory import MemoryKeyring, installed

REPO = Path(__file__).resolve().parents[2]
METAINFO = REPO / "packaging" / "linux" / "io.github.room_moderator.RoomModerator.metainfo.xml"


def read_entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_the_desktop_entry_and_icon_go_to_the_users_xdg_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    entry = host_tools.install_desktop_entry()
    assert entry.desktop_file == tmp_path / "share" / "applications" / "room-moderator.desktop"
    assert entry.icon_file == (
        tmp_path / "share" / "icons" / "hicolor" / "scalable" / "apps" / "room-moderator.svg"
    )
    assert entry.icon_file.read_bytes().lstrip().startswith((b"<svg", b"<?xml"))
    fields = read_entry(entry.desktop_file)
    assert fields["Type"] == "Application"
    assert fields["Name"] == "Room Moderator"
    assert fields["Icon"] == "room-moderator"
    assert fields["StartupWMClass"] == "room-moderator"  # QGuiApplication.desktopFileName
    assert fields["Exec"] == " ".join(host_tools.launch_command())
    assert fields["Categories"].endswith(";")
    # Running it again (the folder moved) rewrites, never duplicates.
    assert host_tools.install_desktop_entry().desktop_file == entry.desktop_file
    assert [p.name for p in (tmp_path / "share" / "applications").iterdir()] == [
        "room-moderator.desktop"
    ]


def test_a_frozen_app_launches_itself(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    exe = tmp_path / "my apps" / "room-moderator"
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(exe))
    assert host_tools.launch_command() == [str(exe)]
    text = host_tools.desktop_entry_text(host_tools.launch_command())
    assert f'Exec="{exe}"' in text  # a space in the path is quoted as the spec asks
    assert sandbox_runner.sandbox_command() == [str(exe), "--run-sandbox"]


def test_from_source_the_sandbox_child_is_python_m() -> None:
    assert sandbox_runner.sandbox_command() == [sys.executable, "-m", "moderator.sandbox"]


def test_the_metainfo_names_the_desktop_entry_and_the_app() -> None:
    import xml.etree.ElementTree as ET

    root = ET.parse(METAINFO).getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    launchable = root.find("launchable")
    assert launchable is not None and launchable.get("type") == "desktop-id"
    assert launchable.text == f"{host_tools.DESKTOP_ID}.desktop"
    assert root.findtext("name") == "Room Moderator"
    assert root.findtext("metadata_license") and root.findtext("project_license") == "MIT"
    assert root.find("description") is not None and root.find("releases/release") is not None


def test_check_keyring_round_trips_a_throwaway_secret() -> None:
    keyring = MemoryKeyring()
    with installed(keyring):
        ok, line = host_tools.check_keyring()
    assert ok, line
    assert line.startswith("keyring: ok (tests.keyring_memory.MemoryKeyring")
    assert not keyring.entries  # nothing left behind


@pytest.mark.allow_log_warnings(r"keyring unavailable")
def test_check_keyring_says_what_to_do_without_one(capsys: pytest.CaptureFixture[str]) -> None:
    import keyring.backends.fail

    with installed(keyring.backends.fail.Keyring()):
        assert app.main(["--check-keyring"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("keyring: unavailable: ") and "gnome-keyring" in out.lower()


def test_run_sandbox_flag_runs_the_sandbox_cli(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        app.main(["--run-sandbox", "--help"])
    assert exited.value.code == 0
    assert "room-moderator-sandbox" in capsys.readouterr().out


def test_smoke_flow_dials_and_removes_a_guest_on_the_sandbox(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "ROOM_MODERATOR_CONFIG_DIR": str(tmp_path / "config"),
        "ROOM_MODERATOR_DATA_DIR": str(tmp_path / "data"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",  # never the real keyring
    }
    result = subprocess.run(
        [sys.executable, "main.py", "--smoke-test"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    steps = [line for line in result.stdout.splitlines() if line.startswith("smoke: ok: ")]
    assert steps[-1] == "smoke: ok: guest hung up and left"
    assert "smoke: ok: guest connected in the room" in steps


@pytest.mark.allow_log_warnings(r"newer Room Moderator")
def test_files_from_a_newer_app_are_reported_once_in_the_status_bar(
    qtbot: QtBot, tmp_path: Path
) -> None:
    (tmp_path / "settings.json").write_text('{"version": 99}', encoding="utf-8")
    (tmp_path / "profiles.json").write_text('{"version": 99, "profiles": []}', encoding="utf-8")
    with installed(MemoryKeyring()):
        context = app.AppContext(
            settings_store=SettingsStore(tmp_path / "settings.json"),
            profiles=ProfileStore(tmp_path / "profiles.json"),
            sandbox=sandbox_runner.SandboxRunner(demo=False),
        )
        window = app.build_window(context)
        qtbot.addWidget(window)
        assert app.report_refused_files(window, context)
    text = window.error_label.text()
    assert "settings.json and profiles.json were saved by a newer Room Moderator" in text
    window.close()
    window.shutdown()
    assert (tmp_path / "settings.json").read_text(encoding="utf-8") == '{"version": 99}'
