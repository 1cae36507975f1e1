"""The built-in sandbox in a process of its own: serves at once, never outlives the app."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from moderator.ui.sandbox_runner import SandboxProcess, local_sandbox

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX: an inherited socket")

WAIT_S = 30.0


def rooms(runner: SandboxProcess) -> requests.Response:
    creds = runner.credentials()
    # Sent before the child is ready, the request waits in the socket's backlog.
    return requests.get(
        f"{runner.base_url}/v1/Rooms",
        params={"Status": "in-progress"},
        auth=(creds.username, creds.secret),
        timeout=WAIT_S,
    )


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie (not yet reaped by its parent) counts as gone: it runs nothing.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z")


def wait_gone(pid: int) -> bool:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if gone(pid):
            return True
        time.sleep(0.05)
    return False


def test_serves_demo_rooms_with_its_api_key_and_stops_cleanly() -> None:
    runner = SandboxProcess(demo=True, seed=7)
    runner.start()
    try:
        response = rooms(runner)
        assert response.status_code == 200
        assert response.json()["rooms"], "demo mode starts with rooms in progress"
        process = runner._process
        assert process is not None
        cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes()
        assert runner.credentials().secret.encode() not in cmdline  # on stdin, not argv
    finally:
        runner.stop()
        runner.stop()  # idempotent
    assert process.returncode == 0
    with pytest.raises(requests.ConnectionError):
        rooms(runner)


def test_the_sandbox_process_ends_when_the_app_is_killed(tmp_path: Path) -> None:
    app = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, signal, sys\n"
            "from moderator.ui.sandbox_runner import SandboxProcess\n"
            "runner = SandboxProcess(demo=False)\n"
            "runner.start()\n"
            "print(runner._process.pid, flush=True)\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert app.stdout is not None
    child = int(app.stdout.readline())
    assert app.wait(timeout=WAIT_S) == -signal.SIGKILL
    assert wait_gone(child), "the sandbox outlived the app that started it"


def test_the_app_uses_a_sandbox_process_on_posix() -> None:
    assert isinstance(local_sandbox(demo=False), SandboxProcess)
