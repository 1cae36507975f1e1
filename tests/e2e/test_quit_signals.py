"""Ctrl+C and SIGTERM quit `python main.py` cleanly: status 0, no traceback, settings saved.

Run as a user would run it, in a child process: a signal sent to this test process would reach
pytest instead. The child says it is ready on stderr (with --verbose, once its event loop runs and
its handlers are in place), so the signal is sent after that line, never after a guessed sleep.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from moderator.sandbox.server import SandboxServer
from moderator.ui.app import READY_MESSAGE

REPO = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 60.0
EXIT_TIMEOUT_S = 30.0  # generous for a loaded CI machine; it takes well under 2 s on a quiet one

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="POSIX signals sent with os.kill / Popen.send_signal"
)


class Child:
    """`python main.py ARGS` with stderr read on a thread (so its pipe never fills up)."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        env = {
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "ROOM_MODERATOR_CONFIG_DIR": str(tmp_path / "config"),
            "ROOM_MODERATOR_DATA_DIR": str(tmp_path / "data"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",  # never the real keyring
        }
        self.config_dir = tmp_path / "config"
        self.ready = threading.Event()
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "main.py", "--verbose", *args],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        stream = self.process.stderr
        assert stream is not None
        for line in stream:
            self.lines.append(line)
            if READY_MESSAGE in line:
                self.ready.set()

    @property
    def stderr(self) -> str:
        self._reader.join(timeout=EXIT_TIMEOUT_S)
        return "".join(self.lines)

    def wait_until_ready(self) -> None:
        if not self.ready.wait(READY_TIMEOUT_S):
            self.process.kill()
            self.process.wait()
            pytest.fail(f"the app never said it was ready:\n{self.stderr[-4000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_quits_cleanly(tmp_path: Path, signum: signal.Signals) -> None:
    child = Child(tmp_path, "--sandbox")
    try:
        child.wait_until_ready()
        child.process.send_signal(signum)
        try:
            code = child.process.wait(timeout=EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running {EXIT_TIMEOUT_S} s after {signum.name}")
    finally:
        child.stop()
    stderr = child.stderr
    assert code == 0, stderr[-4000:]
    assert "Traceback" not in stderr
    assert "KeyboardInterrupt" not in stderr
    assert f"{signum.name} received: quitting" in stderr
    # Closed the normal way: the window saved its settings on the way out.
    settings = json.loads((child.config_dir / "settings.json").read_text(encoding="utf-8"))
    assert isinstance(settings, dict)


def test_ctrl_c_on_a_standalone_sandbox(tmp_path: Path, sandbox: SandboxServer) -> None:
    """`--sandbox-config`: the app reads that sandbox's rooms, then quits on Ctrl+C."""
    config = tmp_path / "sb.json"
    config.write_text(
        json.dumps({"base_url": sandbox.base_url, **sandbox.credentials.as_dict()}),
        encoding="utf-8",
    )
    child = Child(tmp_path, "--sandbox-config", str(config))
    try:
        child.wait_until_ready()
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not sandbox.request_log.count("GET", "/Rooms") and time.monotonic() < deadline:
            time.sleep(0.05)  # waiting on a condition, with a deadline
        assert sandbox.request_log.count("GET", "/Rooms"), "the app never listed its rooms"
        child.process.send_signal(signal.SIGINT)
        code = child.process.wait(timeout=EXIT_TIMEOUT_S)
    finally:
        child.stop()
    stderr = child.stderr
    assert code == 0, stderr[-4000:]
    assert "Traceback" not in stderr
    assert "using the sandbox at " + sandbox.base_url in stderr
    assert sandbox.credentials.api_key_secret not in stderr
    # Looking and quitting changes nothing in the rooms or calls. The only writes are
    # co-hosting's: its Sync Service and Maps on first use and the presence heartbeat.
    writes = sandbox.request_log.writes()
    assert [w.path for w in writes if not w.path.startswith("/sync/v1/")] == []


def test_bad_sandbox_config_from_the_command_line(tmp_path: Path) -> None:
    """The real process: one line on stderr, status 2, no traceback, no secret."""
    config = tmp_path / "sb.json"
    config.write_text('{"api_key_secret": "sekrit-value", "base_url": ', encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "main.py", "--sandbox-config", str(config)],
        cwd=REPO,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"room-moderator: error: --sandbox-config {config}: not JSON")
    assert "sekrit-value" not in result.stderr
