"""The command line: first stdout line is the JSON with base_url and credentials."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests

from moderator.sandbox.__main__ import parse_args


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
