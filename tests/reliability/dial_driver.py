"""A stand-in for the app in a separate process: open a journaled Session, dial once, keep running.

The crash tests start this, SIGKILL it at a chosen moment, and start a fresh Session on the same
journal. It reads its settings as one JSON line on stdin (so no secret shows in `ps`), takes the
journal's folder from ROOM_MODERATOR_DATA_DIR like the app does, dials (the journal row is
written before the request goes out), prints {"dial_id": …} for whoever is reading, then runs
the event loop until killed.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from moderator.core.credentials import Credentials
    from moderator.core.dialer import DialRequest
    from moderator.core.journal import Journal
    from moderator.ui.session import Session

    config = json.loads(sys.stdin.readline())
    app = QApplication(sys.argv[:1])
    session = Session(
        Credentials(config["account_sid"], config["username"], config["secret"]),
        base_url=config["base_url"],
        journal=Journal(),  # the default path: <ROOM_MODERATOR_DATA_DIR>/journal.sqlite3
        timeout_s=5.0,
    )
    session.start()
    dial_id = session.dial(
        DialRequest(
            room_sid=config["room_sid"],
            room_name=config["room_name"],
            number=config["number"],
            label=config["label"],
            identity=config["identity"],
            caller_id=config["caller_id"],
        )
    )
    print(json.dumps({"dial_id": dial_id}), flush=True)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
