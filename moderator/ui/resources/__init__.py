"""Icons and the stylesheet, shipped inside the package so an installed app finds them."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from PySide6.QtGui import QIcon

_ROOT = files(__name__)


@cache
def icon(name: str) -> QIcon:
    """The SVG icon `icons/<name>.svg`, cached: icons are shared by many rows and actions."""
    path = _ROOT.joinpath("icons", f"{name}.svg")
    if not path.is_file():
        raise KeyError(f"no icon named {name!r}")
    return QIcon(str(path))


def stylesheet() -> str:
    """The light application stylesheet."""
    return _ROOT.joinpath("style.qss").read_text(encoding="utf-8")
