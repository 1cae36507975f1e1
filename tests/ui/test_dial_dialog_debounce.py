"""The dial dialog's pre-flight is debounced while typing: a typed number costs a few reads,
not two per keystroke (Twilio allows 80 reads/s per account, shared with the host's tools)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from moderator.core.models import CallerId
from moderator.sandbox.server import SandboxServer
from moderator.ui.dialogs.dial_dialog import PREFLIGHT_DEBOUNCE_MS, DialDialog
from moderator.ui.session import Session
from tests.ui.window_harness import FAST_POLLING, WAIT_MS, sandbox_credentials


@pytest.fixture
def session(qtbot: QtBot, sandbox: SandboxServer) -> Iterator[Session]:
    sandbox.world.create_room("standup")
    session = Session(
        sandbox_credentials(sandbox), base_url=sandbox.base_url, settings=FAST_POLLING
    )
    caller_ids: list[list[CallerId]] = []
    session.callerIdsChanged.connect(caller_ids.append)
    session.start()
    qtbot.waitUntil(lambda: bool(caller_ids) and session.room_rows() != [], timeout=WAIT_MS)
    yield session
    session.stop()


def test_typing_a_number_runs_few_preflights(qtbot: QtBot, session: Session) -> None:
    calls: list[object] = []
    original = session.preflight

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(args)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    session.preflight = counting  # type: ignore[method-assign]
    room = session.room_rows()[0].room
    dialog = DialDialog(
        backend=session,
        room_sid=room.sid,
        room_name=room.unique_name,
        caller_ids=session.caller_ids,
        default_region="US",
        taken_identities=set,
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=WAIT_MS)  # the room check, at once
    for digit in "4155552671":
        qtbot.keyClicks(dialog.number_edit, digit)
        qtbot.wait(PREFLIGHT_DEBOUNCE_MS // 10)  # a quick typist
    qtbot.waitUntil(lambda: dialog.checks() is not None, timeout=WAIT_MS)
    assert len(calls) <= 3, f"{len(calls)} pre-flights for one typed number"
    dialog.reject()
