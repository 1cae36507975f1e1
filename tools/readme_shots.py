"""The README's pictures of the room history chart, taken of the real dialog.

Run under a real X server (Xvfb), as the README's screenshot section says:

    xvfb-run -a -s "-screen 0 1400x900x24" env QT_QPA_PLATFORM=xcb \
        python -m tools.readme_shots docs/room-history.png

A chart is only worth looking at with hours behind it, so the dialog is given a town hall's
8 hours of counts (people arriving, a full hour, phone guests dialed in, a break, the end),
recorded into a `CountHistory` exactly as the polls record them; nothing else is staged.
"""

from __future__ import annotations

import random
import sys

from PySide6.QtWidgets import QApplication

from moderator.core.count_history import CountHistory
from moderator.ui import resources
from moderator.ui.dialogs.room_history_dialog import RoomHistoryDialog

ROOM_SID = "RM" + "7" * 32
ROOM = "town-hall"
MAX_PARTICIPANTS = 50
POLL_S = 3.0
HOURS = 8


def town_hall(history: CountHistory, start: float) -> float:
    """Eight hours of a town hall's counts; returns the time of the last sample."""
    rng = random.Random(11)
    people = phones = 0
    at = start
    for step in range(int(HOURS * 3600 / POLL_S)):
        at = start + step * POLL_S
        hour = step * POLL_S / 3600
        if hour < 0.75:
            target, phone_target = 46, 4
        elif hour < 3.5:
            target, phone_target = 44, 12
        elif hour < 4.2:
            target, phone_target = 9, 1  # the break
        elif hour < 7.2:
            target, phone_target = 38, 14
        else:
            target, phone_target = 0, 0
        if rng.random() < 0.25:
            people += (target > people) - (target < people) + rng.choice((-1, 0, 0, 1))
            people = max(0, min(MAX_PARTICIPANTS, people))
        if rng.random() < 0.05:
            phones += (phone_target > phones) - (phone_target < phones)
        phones = min(phones, people)
        history.record(ROOM_SID, ROOM, at, people, phones)
    return at


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tools.readme_shots OUTPUT.png", file=sys.stderr)
        return 2
    app = QApplication(sys.argv[:1])
    app.setStyleSheet(resources.stylesheet())
    history = CountHistory()
    start = 1_800_000_000.0
    end = town_hall(history, start) + 60.0
    dialog = RoomHistoryDialog(history, ROOM_SID, ROOM, MAX_PARTICIPANTS, lambda: end)
    dialog.range_combo.setCurrentIndex(dialog.range_combo.findData(8 * 3600.0))
    dialog.show()
    for _ in range(20):
        app.processEvents()
    ok = dialog.grab().save(argv[0])
    dialog.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
