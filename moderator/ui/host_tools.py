"""What an installed app does besides its window: `--install-desktop-entry` and `--check-keyring`.

Both are Qt-free and fast, and both work the same from a pip install and from the frozen folder
(`python -m tools.build`), which is the point: a host who downloaded the folder gets a menu entry
with one command, and CI proves that the frozen app finds the OS keyring (its SecretService
backend travels inside the folder) exactly as the pip-installed one does.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

DESKTOP_ID = "room-moderator"
"""The .desktop file's name (without suffix); QGuiApplication.setDesktopFileName uses it too."""

DESKTOP_ENTRY = """\
[Desktop Entry]
Type=Application
Version=1.5
Name=Room Moderator
GenericName=Video room moderator
Comment=Moderate Twilio Video rooms: live roster, dial phone guests, remove participants
Exec={exec}
TryExec={try_exec}
Icon={icon}
Terminal=false
Categories=Network;AudioVideo;Telephony;
Keywords=Twilio;Video;Meeting;Moderator;Phone;Dial;
StartupNotify=true
StartupWMClass=room-moderator
"""


@dataclass(frozen=True, slots=True)
class InstalledEntry:
    """Where `install_desktop_entry` wrote the menu entry and its icon."""

    desktop_file: Path
    icon_file: Path


def xdg_data_home() -> Path:
    """$XDG_DATA_HOME, or ~/.local/share (the XDG default) when unset or not absolute."""
    value = os.environ.get("XDG_DATA_HOME", "")
    return Path(value) if value and Path(value).is_absolute() else Path.home() / ".local" / "share"


def launch_command() -> list[str]:
    """How a menu entry starts this very app: the frozen executable itself, else the
    `room-moderator` script beside this interpreter (a venv's bin/), else the one on PATH."""
    if getattr(sys, "frozen", False):
        return [str(Path(sys.executable).resolve())]
    script = Path(sys.executable).with_name("room-moderator")
    if script.is_file():
        return [str(script)]
    return [shutil.which("room-moderator") or "room-moderator"]


def _quote(argument: str) -> str:
    """Quote one Exec= argument as the Desktop Entry spec asks (only when it needs it)."""
    if argument and not any(c in argument for c in " \t\n\"'\\><~|&;$*?#()`%"):
        return argument
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in argument).replace("%", "%%")
    return f'"{escaped}"'


def desktop_entry_text(command: list[str], icon: str = DESKTOP_ID) -> str:
    """The .desktop file for `command` (its first item is TryExec: the entry hides itself
    once the app it points at has been deleted)."""
    return DESKTOP_ENTRY.format(
        exec=" ".join(_quote(part) for part in command), try_exec=_quote(command[0]), icon=icon
    )


def install_desktop_entry(data_home: Path | None = None) -> InstalledEntry:
    """Write the menu entry and its scalable icon for this user, under XDG data paths.

    Per user, so no root is needed; running it again (e.g. after moving the folder) rewrites
    both files for the app's current place.
    """
    home = data_home if data_home is not None else xdg_data_home()
    icon_file = home / "icons" / "hicolor" / "scalable" / "apps" / f"{DESKTOP_ID}.svg"
    desktop_file = home / "applications" / f"{DESKTOP_ID}.desktop"
    icon_source = files("moderator.ui.resources").joinpath("icons", f"{DESKTOP_ID}.svg")
    icon_file.parent.mkdir(parents=True, exist_ok=True)
    icon_file.write_bytes(icon_source.read_bytes())
    desktop_file.parent.mkdir(parents=True, exist_ok=True)
    temporary = desktop_file.with_suffix(".desktop.tmp")
    temporary.write_text(desktop_entry_text(launch_command()), encoding="utf-8")
    temporary.chmod(0o755)  # some desktops only launch executable entries in ~/.local
    temporary.replace(desktop_file)
    return InstalledEntry(desktop_file=desktop_file, icon_file=icon_file)


def check_keyring() -> tuple[bool, str]:
    """Store, read back and delete a throwaway secret in the OS keyring, as a profile would.

    Returns (ok, one line for the terminal); the line names the backend, never the secret.
    """
    from moderator.core.profiles import KeyringUnavailable, ProfileStore

    service = f"room-moderator-check-{secrets.token_hex(4)}"
    store = ProfileStore(service=service)
    try:
        backend = store.keyring_backend()
    except KeyringUnavailable as exc:
        return False, f"keyring: unavailable: {exc.message} {exc.action}"
    name = type(backend).__module__ + "." + type(backend).__qualname__
    secret = secrets.token_hex(16)
    try:
        backend.set_password(service, "check", secret)
        read_back = backend.get_password(service, "check")
        backend.delete_password(service, "check")
        gone = backend.get_password(service, "check") is None
    except Exception as exc:  # any backend failure is the answer this check exists to give
        return False, f"keyring: {name} failed: {type(exc).__name__}"
    if read_back != secret or not gone:
        return False, f"keyring: {name} did not give the secret back (or kept it)"
    return True, f"keyring: ok ({name}: set, get, delete)"
