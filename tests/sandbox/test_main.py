"""The command line: first stdout line is the JSON with base_url and credentials."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from moderator.sandbox.__main__ import main, parse_args, write_config

KEYS = {"base_url", "account_sid", "auth_token", "api_key_sid", "api_key_secret"}


def test_cli_prints_json_line_first_and_serves() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "moderator.sandbox", "--port", "0", "--seed", "3", "--demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = json.loads(process.stdout.readline())
        assert set(line) == {
            "base_url",
            "account_sid",
            "auth_token",
            "api_key_sid",
            "api_key_secret",
        }
        assert line["base_url"].startswith("http://127.0.0.1:")
        response = requests.get(
            f"{line['base_url']}/v1/Rooms",
            auth=(line["api_key_sid"], line["api_key_secret"]),
            timeout=10,
        )
        assert response.status_code == 200
        assert len(response.json()["rooms"]) == 4
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_parse_args_maps_every_option() -> None:
    options = parse_args(
        [
            "--host",
            "0.0.0.0",
            "--port",
            "8765",
            "--latency-ms",
            "150",
            "--fault-rate",
            "0.1",
            "--rate-limit",
            "20",
            "--seed",
            "9",
            "--demo",
        ]
    )
    assert (options.host, options.port, options.latency_ms) == ("0.0.0.0", 8765, 150)
    assert (options.fault_rate, options.rate_limit, options.seed) == (0.1, 20, 9)
    assert options.demo


def test_parse_args_defaults_to_loopback_and_any_port() -> None:
    options = parse_args([])
    assert (options.host, options.port, options.demo, options.rate_limit) == (
        "127.0.0.1",
        0,
        False,
        None,
    )


@pytest.mark.parametrize(
    "bad", [["--fault-rate", "2"], ["--rate-limit", "0"], ["--latency-ms", "-5"]]
)
def test_parse_args_refuses_nonsense(bad: list[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(bad)


def test_cli_writes_config_file_with_the_json_line(tmp_path: Path) -> None:
    config = tmp_path / "sandbox.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "moderator.sandbox", "--seed", "4", "--write-config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        printed = process.stdout.readline()
        line = json.loads(printed)
        assert set(line) == KEYS
        # Written before the line is printed, so a launcher that saw the line can read the file.
        assert config.read_text(encoding="utf-8") == printed
        assert stat.S_IMODE(config.stat().st_mode) == 0o600
        assert [p.name for p in tmp_path.iterdir()] == ["sandbox.json"]  # no temporary left
        response = requests.get(
            f"{line['base_url']}/v1/Rooms",
            auth=(line["api_key_sid"], line["api_key_secret"]),
            timeout=10,
        )
        assert response.status_code == 200
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_write_config_replaces_an_existing_file_and_makes_it_private(tmp_path: Path) -> None:
    config = tmp_path / "sandbox.json"
    config.write_text("stale", encoding="utf-8")
    os.chmod(config, 0o644)
    write_config(config, {"base_url": "http://127.0.0.1:1", "auth_token": "t"})
    assert json.loads(config.read_text(encoding="utf-8")) == {
        "base_url": "http://127.0.0.1:1",
        "auth_token": "t",
    }
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["sandbox.json"]


def test_write_config_failure_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "inside").write_text("x", encoding="utf-8")  # os.replace cannot overwrite it
    with pytest.raises(OSError):
        write_config(target, {"base_url": "http://127.0.0.1:1"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_main_fails_cleanly_when_config_cannot_be_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--write-config", str(tmp_path / "missing" / "sandbox.json")]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""  # no JSON line: nothing should connect to a sandbox that quit
    assert "cannot write config" in captured.err


def test_parse_args_write_config_is_not_a_server_option() -> None:
    assert parse_args(["--write-config", "x.json", "--seed", "2"]) == parse_args(["--seed", "2"])
