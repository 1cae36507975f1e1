"""startup_s / startup_ratio: process start → first rooms list painted, over a bare PySide6 window.

Both are fresh `python` processes (offscreen Qt), timed from just before the spawn to the child's
own `time.time()` when it painted; runs alternate app/bare so machine noise hits both alike, and
the median of each is reported.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bench.common import log, median

BUNDLE_DIR = Path(__file__).resolve().parent.parent / "dist" / "room-moderator"
BUNDLE_EXE = BUNDLE_DIR / ("room-moderator.exe" if os.name == "nt" else "room-moderator")

TIMEOUT_S = 60.0


def _one(mode: str, latency_ms: float) -> float:
    return _marks(mode, latency_ms)["PAINTED"]


def _marks(mode: str, latency_ms: float) -> dict[str, float]:
    """Seconds from just before the spawn to each mark the child printed (PAINTED, WINDOW)."""
    cmd = [sys.executable, "-m", "bench.startup_child", mode, str(latency_ms)]
    started = time.time()
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=TIMEOUT_S, env=os.environ.copy()
    )
    marks = {}
    for line in proc.stdout.splitlines():
        name, _, value = line.partition(" ")
        if name in ("PAINTED", "WINDOW"):
            marks[name] = float(value) - started
    if "PAINTED" not in marks:
        raise RuntimeError(
            f"{mode} startup printed no PAINTED line (exit {proc.returncode}): "
            f"{proc.stderr[-2000:]}"
        )
    return marks


def measure(runs: int, latency_ms: float) -> dict[str, object]:
    """Median startup of the app and of the bare baseline, and their ratio."""
    _one("bare", latency_ms)  # warm the OS file cache for both; not counted
    _one("app", latency_ms)
    app_times: list[float] = []
    window_times: list[float] = []
    bare_times: list[float] = []
    for i in range(runs):
        bare_times.append(_one("bare", latency_ms))
        marks = _marks("app", latency_ms)
        app_times.append(marks["PAINTED"])
        window_times.append(marks.get("WINDOW", marks["PAINTED"]))
        log(
            f"startup run {i + 1}/{runs}: window {window_times[-1]:.3f} s, live rooms "
            f"{app_times[-1]:.3f} s, bare {bare_times[-1]:.3f} s"
        )
    app_s, bare_s, window_s = median(app_times), median(bare_times), median(window_times)
    round_trip_s = latency_ms / 1000.0
    # Breakdown, for whoever has to make startup faster: the same app with no network latency,
    # and a process that only imports the app's code.
    local = [_one("app", 0.0) for _ in range(max(3, runs // 2))]
    imports = [_one("import", 0.0) for _ in range(max(3, runs // 2))]
    log(f"startup breakdown: app at 0 ms {median(local):.3f} s, imports {median(imports):.3f} s")
    return {
        "startup_s": round(app_s, 3),
        "startup_bare_s": round(bare_s, 3),
        "startup_ratio": round(app_s / bare_s, 2) if bare_s else None,
        # Process start → main window shown, over the bare window.
        "startup_window_s": round(window_s, 3),
        "startup_window_ratio": round(window_s / bare_s, 2) if bare_s else None,
        # (Start → live rooms painted − the one round trip the bare window never pays) / bare.
        "startup_live_ratio": round((app_s - round_trip_s) / bare_s, 2) if bare_s else None,
        "startup_breakdown": {
            "app_at_0ms_latency_s": round(median(local), 3),
            "import_moderator_ui_app_s": round(median(imports), 3),
        },
        "startup_runs": {
            "app": [round(t, 3) for t in app_times],
            "window": [round(t, 3) for t in window_times],
            "bare": [round(t, 3) for t in bare_times],
        },
    }


def _bundle_live() -> float:
    """Seconds from just before spawning the built app (`python -m tools.build`) on its built-in
    sandbox to its LIVE line: the rooms table painted with the first live rooms."""
    started = time.time()
    proc = subprocess.run(
        [str(BUNDLE_EXE), "--sandbox", "--exit-when-live"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env=os.environ.copy(),
    )
    for line in proc.stdout.splitlines():
        name, _, value = line.partition(" ")
        if name == "LIVE":
            return float(value) - started
    raise RuntimeError(
        f"the built app printed no LIVE line (exit {proc.returncode}): {proc.stderr[-2000:]}"
    )


def measure_bundle(runs: int) -> dict[str, object]:
    """bundle_mb (the folder's size) and bundle_startup_ratio: the built app's start → live
    rooms over the bare PySide6 window, alternated in the same run. The built app's sandbox
    answers at once (no added latency), so its figure compares with
    startup_breakdown.app_at_0ms_latency_s of the source tree. None when nothing is built."""
    if not BUNDLE_EXE.is_file():
        log(f"bundle: {BUNDLE_EXE} not built (python -m tools.build); skipped")
        return {"bundle_mb": None, "bundle_startup_s": None, "bundle_startup_ratio": None}
    from tools.build import folder_size_bytes

    _bundle_live()  # warm the OS file cache; not counted
    bundle_times: list[float] = []
    bare_times: list[float] = []
    for i in range(runs):
        bare_times.append(_one("bare", 0.0))
        bundle_times.append(_bundle_live())
        log(
            f"bundle startup run {i + 1}/{runs}: live rooms {bundle_times[-1]:.3f} s, "
            f"bare {bare_times[-1]:.3f} s"
        )
    bundle_s, bare_s = median(bundle_times), median(bare_times)
    return {
        "bundle_mb": round(folder_size_bytes(BUNDLE_DIR) / 1e6, 1),
        "bundle_startup_s": round(bundle_s, 3),
        "bundle_startup_bare_s": round(bare_s, 3),
        "bundle_startup_ratio": round(bundle_s / bare_s, 2) if bare_s else None,
    }
