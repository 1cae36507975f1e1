"""Small JSON files that survive crashes and hand edits.

Settings and the profile list are tiny, so they are rewritten whole: into a temporary file next to
the target, flushed, then renamed over it, so a crash mid-write leaves the old file intact rather
than half a file. A file that cannot be parsed is set aside (never silently overwritten) so the user
can still recover what was in it.

Each file carries a format `version` and is migrated forward on load (the next save writes the
current format). A file from a newer app (a downgrade, or two versions sharing a home folder) is
refused with `NewerFormat`: its owner keeps running on defaults in memory and never writes it,
so going back to the newer app finds it intact.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)


class UnreadableFile(Exception):
    """The file exists but is not the JSON we wrote; it has been moved to `moved_to`."""

    def __init__(self, path: Path, moved_to: Path | None, reason: str) -> None:
        super().__init__(f"{path} could not be read ({reason}); kept as {moved_to or 'is'}")
        self.path = path
        self.moved_to = moved_to
        self.reason = reason


class NewerFormat(Exception):
    """The file was written by a newer Room Moderator; it is left exactly as it is."""

    def __init__(self, path: Path, found: int, supported: int) -> None:
        super().__init__(
            f"{path} was written by a newer Room Moderator (format {found}; this version reads up "
            f"to {supported}); it is left as it is: update the app to use it"
        )
        self.path = path
        self.found = found
        self.supported = supported


def format_version(data: object, path: Path, supported: int, *, unversioned: int = 1) -> int:
    """The `version` of a parsed file (`unversioned` for a file from before versions, or one
    whose version is not a whole number); raises `NewerFormat` above `supported`."""
    version = data.get("version") if isinstance(data, dict) else None
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        return unversioned
    if version > supported:
        raise NewerFormat(path, version, supported)
    return version


def read_json(path: Path) -> object | None:
    """The parsed content of `path`, or None when it does not exist.

    Raises `UnreadableFile` after moving a corrupt file aside, so the caller can fall back to
    defaults and the next save does not destroy the only copy of the user's data.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UnreadableFile(path, None, exc.strerror or type(exc).__name__) from None
    try:
        data: object = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        moved_to = _set_aside(path)
        log.warning("%s is not valid JSON (%s); kept as %s", path, type(exc).__name__, moved_to)
        raise UnreadableFile(path, moved_to, "not valid JSON") from None
    return data


def write_json_atomic(path: Path, data: object) -> None:
    """Replace `path` with `data` as JSON in one rename; readable by the user only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(OSError):  # not every filesystem has POSIX modes
            os.chmod(tmp_name, 0o600)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


def _set_aside(path: Path) -> Path | None:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    try:
        os.replace(path, target)
    except OSError:
        return None
    return target
