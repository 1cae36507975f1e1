"""The window paints before anything only a live session needs is imported (the twilio SDK,
`requests`, SQLite): importing the window's modules must not pull them in. A module that needs
them for type hints only imports them under TYPE_CHECKING."""

from __future__ import annotations

import subprocess
import sys


def test_the_window_modules_import_no_sdk_no_http_no_sqlite() -> None:
    code = (
        "import sys, moderator.ui.app, moderator.ui.main_window; "
        "print(sorted(m for m in ('twilio', 'requests', 'sqlite3', 'moderator.ui.session') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
