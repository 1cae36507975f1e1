"""The dial dialog on its own: formatting as you type, country, identity, caller IDs, checks.

It talks to a real Session on the sandbox; a thin recorder around the session counts and holds
pre-flight calls where a test needs to control their order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPushButton
from pytestqt.qtbot import QtBot

from moderator.core.dialer import DialRequest
from moderator.core.models import CallerId, CallerIdSource
from moderator.core.preflight import CheckResult
from moderator.sandbox.server import SandboxServer
from moderator.ui.dialogs.dial_dialog import DialDialog
from moderator.ui.dialogs.dial_parts import PreflightHandle, caller_id_text
from moderator.ui.session import Session
from tests.ui.window_harness import FAST_POLLING, WAIT_MS, by_name, click, sandbox_credentials


class HeldRun(QObject):
    """A pre-flight whose results the test delivers by hand (even after it was canceled)."""

    finished = Signal(list)

    def cancel(self) -> None:
        pass


@dataclass
class Recorder:
    """Passes calls on to the session, remembering them; `hold` keeps callbacks for later."""

    session: Session
    hold: bool = False
    preflights: list[DialRequest] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    held: list[Callable[[list[CheckResult]], None]] = field(default_factory=list)
    dials: list[DialRequest] = field(default_factory=list)
    runs: list[HeldRun] = field(default_factory=list)

    def preflight(self, request: DialRequest, *, default_region: str = "US") -> PreflightHandle:
        self.preflights.append(request)
        self.regions.append(default_region)
        if self.hold:
            run = HeldRun()
            self.runs.append(run)  # kept: the dialog holds only a reference
            self.held.append(run.finished.emit)
            return run
        return self.session.preflight(request, default_region=default_region)

    def dial(self, request: DialRequest) -> str:
        self.dials.append(request)
        return self.session.dial(request)


@pytest.fixture
def session(qtbot: QtBot, sandbox: SandboxServer) -> Iterator[Session]:
    sandbox.world.create_room("standup")
    sandbox.world.join_app_participant("standup", "alice")
    session = Session(
        sandbox_credentials(sandbox), base_url=sandbox.base_url, settings=FAST_POLLING
    )
    caller_ids: list[list[CallerId]] = []
    session.callerIdsChanged.connect(caller_ids.append)
    session.start()
    qtbot.waitUntil(lambda: bool(caller_ids) and session.room_rows() != [], timeout=WAIT_MS)
    yield session
    session.stop()


def make_dialog(
    qtbot: QtBot,
    backend: Recorder,
    *,
    region: str = "US",
    taken: set[str] | None = None,
    preferred: str = "",
) -> DialDialog:
    session = backend.session
    room = next(r.room for r in session.room_rows() if r.room.unique_name == "standup")
    dialog = DialDialog(
        backend=backend,
        room_sid=room.sid,
        room_name=room.unique_name,
        caller_ids=session.caller_ids,
        default_region=region,
        taken_identities=lambda: set(taken or ()),
        preferred_caller_id=preferred,
    )
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_number_is_formatted_as_typed_and_cursor_stays_put(qtbot: QtBot, session: Session) -> None:
    dialog = make_dialog(qtbot, Recorder(session))
    number = by_name(dialog, QLineEdit, "Phone number")
    qtbot.keyClicks(number, "4155552671")
    assert number.text() == "(415) 555-2671"
    assert "+1 415-555-2671" in dialog.number_hint.text()
    assert dialog.number() == "+14155552671"
    # Edit in the middle: delete the "5" after "(41" and type it back.
    number.setCursorPosition(4)  # after "(415"
    qtbot.keyClick(number, Qt.Key.Key_Backspace)
    qtbot.keyClicks(number, "5")
    assert number.text() == "(415) 555-2671"
    assert number.cursorPosition() == 4


def test_bad_numbers_explain_themselves(qtbot: QtBot, session: Session) -> None:
    dialog = make_dialog(qtbot, Recorder(session))
    number = by_name(dialog, QLineEdit, "Phone number")
    qtbot.keyClicks(number, "call me")
    assert "letters" in dialog.number_hint.text()
    number.clear()
    qtbot.keyClicks(number, "41555526")
    assert "too short" in dialog.number_hint.text()
    assert dialog.number() is None
    assert not by_name(dialog, QPushButton, "Dial").isEnabled()


def test_country_picker_reads_national_numbers(qtbot: QtBot, session: Session) -> None:
    recorder = Recorder(session)
    dialog = make_dialog(qtbot, recorder, region="GB")
    assert dialog.region() == "GB"
    country = by_name(dialog, QComboBox, "Country")
    assert "+44" in country.currentText()
    qtbot.keyClicks(by_name(dialog, QLineEdit, "Phone number"), "02071838750")
    assert dialog.number() == "+442071838750"
    assert by_name(dialog, QLineEdit, "Phone number").text() == "020 7183 8750"
    # The checks read it with the dialog's country, too.
    qtbot.waitUntil(lambda: dialog.checks() is not None, timeout=WAIT_MS)
    assert recorder.regions[-1] == "GB"
    dialog.set_region("US")
    assert dialog.number() is None  # 020… is no US number


def test_identity_is_generated_unique_and_checked(qtbot: QtBot, session: Session) -> None:
    dialog = make_dialog(qtbot, Recorder(session), taken={"phone-taken"})
    identity = by_name(dialog, QLineEdit, "Identity")
    assert identity.text().startswith("phone-") and identity.text() != "phone-taken"
    identity.setText("phone-taken")
    assert "already" in dialog.identity_hint.text()
    identity.setText("x" * 129)
    assert "128" in dialog.identity_hint.text()
    identity.setText("")
    assert dialog.field_problems()


def test_number_field_has_focus_and_every_label_its_shortcut(
    qtbot: QtBot, session: Session
) -> None:
    dialog = make_dialog(qtbot, Recorder(session))
    qtbot.waitUntil(lambda: by_name(dialog, QLineEdit, "Phone number").hasFocus())
    labels = [label for label in dialog.findChildren(QLabel) if "&" in label.text()]
    assert {label.text() for label in labels} >= {"Phone &number:", "&Identity:", "&Label:"}
    assert all(label.buddy() is not None for label in labels), "an & without a buddy shows as &"
    identity_label = next(label for label in labels if label.text() == "&Identity:")
    assert identity_label.buddy() is by_name(dialog, QLineEdit, "Identity")


def test_twiml_preview_follows_the_identity(qtbot: QtBot, session: Session) -> None:
    dialog = make_dialog(qtbot, Recorder(session))
    by_name(dialog, QLineEdit, "Identity").setText('guest "<b>"')
    preview = dialog.twiml_preview.toPlainText()
    assert 'participantIdentity="guest &quot;&lt;b&gt;&quot;"' in preview
    assert preview.count("<Room") == 1
    assert dialog.twiml_preview.isReadOnly()


def test_caller_ids_fill_and_refresh_keeping_the_choice(qtbot: QtBot, session: Session) -> None:
    dialog = make_dialog(qtbot, Recorder(session), preferred="+14155550199")
    combo = by_name(dialog, QComboBox, "Caller ID")
    numbers = [combo.itemData(i) for i in range(combo.count())]
    assert set(numbers) == {c.phone_number for c in session.caller_ids}
    assert dialog.caller_id() == "+14155550199"  # the preferred one, when offered
    extra = CallerId("+14155550123", "New line", CallerIdSource.INCOMING_NUMBER)
    dialog.set_caller_ids([extra, *session.caller_ids])
    assert dialog.caller_id() == "+14155550199"
    assert combo.count() == len(session.caller_ids) + 1
    assert "New line" in caller_id_text(extra)
    dialog.set_caller_ids([])
    assert dialog.caller_id() == ""
    assert "Choose a caller ID." in dialog.field_problems()


def test_checks_are_debounced_and_stale_results_ignored(qtbot: QtBot, session: Session) -> None:
    recorder = Recorder(session, hold=True)
    dialog = make_dialog(qtbot, recorder)
    qtbot.waitUntil(lambda: len(recorder.held) == 1, timeout=WAIT_MS)  # checks the room at once
    first = recorder.held.pop()
    qtbot.keyClicks(by_name(dialog, QLineEdit, "Phone number"), "4155552671")
    qtbot.waitUntil(lambda: len(recorder.held) == 1, timeout=WAIT_MS)
    # Ten keystrokes, one check: the debounce waits for typing to pause.
    assert len(recorder.preflights) == 2
    assert recorder.preflights[-1].number == "+14155552671"
    latest = recorder.held.pop()

    passing = [CheckResult("Room in progress", True, "standup is in progress.")]
    first(passing)  # an answer for inputs that are no longer on screen
    assert dialog.checks() is None
    assert not by_name(dialog, QPushButton, "Dial").isEnabled()
    latest(passing)
    assert dialog.checks() == passing
    assert by_name(dialog, QPushButton, "Dial").isEnabled()

    # Any edit makes the shown results stale until checked again.
    by_name(dialog, QLineEdit, "Label").setText("Alice")  # the label is not checked…
    assert by_name(dialog, QPushButton, "Dial").isEnabled()
    by_name(dialog, QLineEdit, "Identity").setText("phone-other")  # …the identity is
    assert not by_name(dialog, QPushButton, "Dial").isEnabled()


def test_dial_sends_exactly_what_is_shown_once(qtbot: QtBot, session: Session) -> None:
    recorder = Recorder(session)
    dialog = make_dialog(qtbot, recorder)
    qtbot.keyClicks(by_name(dialog, QLineEdit, "Phone number"), "(415) 555-2671")
    by_name(dialog, QLineEdit, "Label").setText("  Alice ")
    identity = by_name(dialog, QLineEdit, "Identity").text()
    caller_id = dialog.caller_id()
    dial = by_name(dialog, QPushButton, "Dial")
    qtbot.waitUntil(dial.isEnabled, timeout=WAIT_MS)
    with qtbot.waitSignal(dialog.dialed) as dialed:
        click(qtbot, dial)
    assert len(recorder.dials) == 1
    request = recorder.dials[0]
    assert (request.number, request.identity, request.caller_id, request.label) == (
        "+14155552671",
        identity,
        caller_id,
        "Alice",
    )
    assert dialed.args == [dialog.dial_id]
    assert not dialog.isVisible()
    dial.click()  # a late click on the closed dialog does nothing
    assert len(recorder.dials) == 1


def test_check_again_runs_the_checks_at_once(qtbot: QtBot, session: Session) -> None:
    recorder = Recorder(session)
    dialog = make_dialog(qtbot, recorder)
    qtbot.waitUntil(lambda: dialog.checks() is not None, timeout=WAIT_MS)
    before = len(recorder.preflights)
    check_again = by_name(dialog, QPushButton, "Check again")
    assert check_again.isEnabled()
    click(qtbot, check_again)
    assert len(recorder.preflights) == before + 1  # no debounce: the host asked for it
    qtbot.waitUntil(lambda: dialog.checks() is not None, timeout=WAIT_MS)


def test_every_request_of_one_dialog_carries_the_same_request_id(
    qtbot: QtBot, session: Session
) -> None:
    dialog = make_dialog(qtbot, Recorder(session))
    first = dialog.request()
    qtbot.keyClicks(by_name(dialog, QLineEdit, "Phone number"), "4155552671")
    assert dialog.request().request_id == first.request_id
    other = make_dialog(qtbot, Recorder(session))
    assert other.request().request_id != first.request_id
