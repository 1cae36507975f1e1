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


ICONS = ROOT / "packaging" / "icons"
SVG_ICON = ROOT / "moderator" / "ui" / "resources" / "icons" / "room-moderator.svg"


def render_icons(out_dir: Path = ICONS) -> list[Path]:
    """Render the app's SVG icon into the formats the other platforms' builds take: a 256 px
    PNG, room-moderator.ico (Windows) and room-moderator.icns (macOS), with Qt's own image
    plugins (run with a Qt platform available, e.g. QT_QPA_PLATFORM=offscreen)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QIcon

    _app = QGuiApplication.instance() or QGuiApplication([])
    icon = QIcon(str(SVG_ICON))
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, size in (
        ("room-moderator.png", 256),
        ("room-moderator.ico", 256),  # Windows
        ("room-moderator.icns", 1024),  # macOS
    ):
        image = icon.pixmap(size, size).toImage()
        if image.width() != size:
            image = image.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio)
        target = out_dir / name
        if not image.save(str(target)):  # the format follows the suffix
            raise SystemExit(f"tools.build: Qt could not write {target}")
        written.append(target)
    del _app
    return written


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
    parser.add_argument(
        "--icons",
        action="store_true",
        help="only render packaging/icons/ (.png, Windows .ico, macOS .icns) from the SVG",
    )
    args = parser.parse_args(argv)
    if args.icons:
        for path in render_icons():
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    exe = build(clean=not args.no_clean)
    size_mb = folder_size_bytes(APP_DIR) / 1e6
    print(f"built {exe.relative_to(ROOT)} ({size_mb:.1f} MB in {APP_DIR.relative_to(ROOT)}/)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
