"""`python -m tools.build`: freeze Room Moderator into one folder, dist/room-moderator/.

Runs PyInstaller (the `build` extra: `pip install -e ".[build]"`) on packaging/room-moderator.spec
for the machine it runs on, then prints the folder's size. The executable is
dist/room-moderator/room-moderator (room-moderator.exe on Windows). Hosts copy that folder and run
it; nothing else is needed but the system libraries Qt itself needs (README, Install).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "room-moderator.spec"
DIST = ROOT / "dist"
WORK = ROOT / "build" / "pyinstaller"
APP_DIR = DIST / "room-moderator"


def executable(app_dir: Path = APP_DIR) -> Path:
    """The built app's executable inside `app_dir`."""
    return app_dir / ("room-moderator.exe" if os.name == "nt" else "room-moderator")


def folder_size_bytes(folder: Path) -> int:
    """Bytes of every file under `folder` (symlinks not followed: they cost nothing)."""
    return sum(
        path.stat().st_size
        for path in folder.rglob("*")
        if path.is_file() and not path.is_symlink()
    )


def build(*, clean: bool = True) -> Path:
    """Run PyInstaller on the spec; returns the executable's path. Raises on failure."""
    if importlib.util.find_spec("PyInstaller") is None:
        raise SystemExit(
            'tools.build: PyInstaller is missing; install it with: pip install -e ".[build]"'
        )
    if clean and APP_DIR.exists():
        shutil.rmtree(APP_DIR)
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level",
        "WARN",
        "--distpath",
        str(DIST),
        "--workpath",
        str(WORK),
        *(["--clean"] if clean else []),
        str(SPEC),
    ]
    subprocess.run(command, check=True, cwd=ROOT)
    exe = executable()
    if not exe.is_file():
        raise SystemExit(f"tools.build: PyInstaller ran but {exe} is missing")
    return exe


def main(argv: Sequence[str] | None = None) -> int:
    """Build, then print where the app is and how big its folder is."""
    parser = argparse.ArgumentParser(prog="python -m tools.build", description=__doc__)
    parser.add_argument(
        "--no-clean", action="store_true", help="reuse PyInstaller's cache (faster rebuilds)"
    )
    args = parser.parse_args(argv)
    exe = build(clean=not args.no_clean)
    size_mb = folder_size_bytes(APP_DIR) / 1e6
    print(f"built {exe.relative_to(ROOT)} ({size_mb:.1f} MB in {APP_DIR.relative_to(ROOT)}/)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
