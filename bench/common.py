"""Shared bits: machine description, percentiles, RSS, and a Qt event-loop spinner."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

#: Every run happens headless, in folders of its own, so it never reads or writes the user's
#: settings, profiles, journal or keyring.
BENCH_ENV = {
    "QT_QPA_PLATFORM": "offscreen",
    "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
}


def isolate_environment() -> Path:
    """Point the app's config/data folders at a fresh temporary folder; returns that folder."""
    root = Path(tempfile.mkdtemp(prefix="rm-bench-"))
    os.environ.update(BENCH_ENV)
    os.environ["ROOM_MODERATOR_CONFIG_DIR"] = str(root / "config")
    os.environ["ROOM_MODERATOR_DATA_DIR"] = str(root / "data")
    # An installed app runs from cached bytecode; without a cache every start would recompile
    # the app's sources and time the compiler, not the app. The cache goes to the temporary
    # folder, never into the source tree.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
    return root


def machine_info() -> dict[str, object]:
    """CPU model, cores, Python and PySide6 versions: where the numbers come from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import PySide6
    from PySide6 import QtCore

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "pyside6": PySide6.__version__,
        "qt": QtCore.qVersion(),
    }


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0–100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100.0 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def rss_mb() -> float:
    """This process's resident set size (VmRSS) in MB, from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return 0.0


def spin(seconds: float) -> None:
    """Run the Qt event loop for `seconds` (the UI keeps working meanwhile)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(max(0, int(seconds * 1000)), loop.quit)
    loop.exec()


def spin_until(condition: Callable[[], bool], timeout_s: float, step_s: float = 0.02) -> bool:
    """Run the event loop until `condition()` holds or `timeout_s` passes; returns the outcome."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() >= deadline:
            return False
        spin(step_s)
    return True


def log(message: str) -> None:
    """Progress goes to stderr so the last stdout line stays the JSON result."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
