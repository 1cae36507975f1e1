"""Test-wide settings: headless Qt, and the in-process sandbox fixture every layer's tests share."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
