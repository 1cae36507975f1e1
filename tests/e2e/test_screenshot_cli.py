"""`python main.py --sandbox --screenshot FILE --after SECONDS`, run as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

REPO = Path(__file__).resolve().parents[2]


def test_screenshot_command_writes_a_png_and_exits(tmp_path: Path) -> None:
    target = tmp_path / "window.png"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "ROOM_MODERATOR_CONFIG_DIR": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",  # never the real keyring
    }
    result = subprocess.run(
        [sys.executable, "main.py", "--sandbox", "--screenshot", str(target), "--after", "1.5"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert target.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    image = QImage(str(target))
    assert (image.width(), image.height()) == (1280, 800)
    # Something was painted: a blank window would be one colour.
    colours = {image.pixel(x, y) for x in range(0, 1280, 40) for y in range(0, 800, 40)}
    assert len(colours) > 5
    assert (tmp_path / "config" / "settings.json").exists()
