"""The call journal: schema, writes before and after the request, crash safety, exports."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from moderator.core.guest_state import Direction
from moderator.core.guests import GuestBook, GuestStatus, PhoneGuest
from moderator.core.journal import (
    _SCHEMA_V1,
    SCHEMA_VERSION,
    HostAction,
    Journal,
    JournalError,
    TimelineEvent,
    default_journal_path,
)
from moderator.core.models import CallStatus
from tests.core.guest_helpers import (
    CALLER_ID,
    NUMBER,
    ROOM,
    ROOM_NAME,
    T0,
    FakeClock,
    call,
    dial,
    participant,
)


def guest(dial_id: str = "d1", **changes: object) -> PhoneGuest:
    base = PhoneGuest(
        dial_id=dial_id,
        room_sid=ROOM,
        room_name=ROOM_NAME,
        identity="phone-4kq2",
        number=NUMBER,
        masked_number="••• 2671",
        label="Alice",
        caller_id=CALLER_ID,
        dialed_at=T0,
    )
    return dataclasses.replace(base, **changes)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "journal.sqlite3"


@pytest.fixture
def journal(path: Path) -> Iterator[Journal]:
    with Journal(path) as opened:
        yield opened


def test_new_file_has_schema_version_and_wal(journal: Journal, path: Path) -> None:
    assert path.exists()
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        raw.close()


def test_reopening_keeps_rows_and_schema(path: Path) -> None:
    with Journal(path) as first:
        first.record_dial(guest())
    with Journal(path) as second:
        assert [e.dial_id for e in second.entries()] == ["d1"]


def test_a_newer_schema_is_refused(path: Path) -> None:
    Journal(path).close()
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    raw.commit()
    raw.close()
    with pytest.raises(JournalError, match="newer"):
        Journal(path)


def test_a_version_1_journal_is_migrated_and_keeps_its_rows(path: Path) -> None:
    path.parent.mkdir(parents=True)
    raw = sqlite3.connect(path)
    raw.executescript(_SCHEMA_V1)
    raw.execute(
        "INSERT INTO dials (dial_id, room_sid, room_name, identity, masked_number, label,"
        " caller_id, status, dialed_at, updated_at) VALUES"
        " ('old', 'RM1', 'Standup', 'phone-a', '••• 2671', '', '+15005550006', 'ringing', ?, ?)",
        (T0.isoformat(), T0.isoformat()),
    )
    raw.execute("PRAGMA user_version=1")
    raw.commit()
    raw.close()
    with Journal(path) as journal:
        assert [e.dial_id for e in journal.unfinished()] == ["old"]
        assert journal.unfinished()[0].direction is Direction.DIALED  # all old rows were dials
        journal.record_action(T0, "RM1", "Standup", "ended-room")
        assert len(journal.actions()) == 1
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    finally:
        raw.close()


def test_an_admitted_caller_is_journaled_as_called_in(journal: Journal) -> None:
    guest = PhoneGuest(
        dial_id="in1",
        room_sid="RM1",
        room_name="Standup",
        identity="phone-abc",
        number=NUMBER,
        masked_number="••• 2671",
        label="",
        caller_id="+14155550100",
        history=((GuestStatus.DIALING, T0),),
        dialed_at=T0,
        direction=Direction.CALLED_IN,
    )
    journal.record_dial(guest)
    (entry,) = journal.entries()
    assert entry.direction is Direction.CALLED_IN
    assert entry.to_guest().direction is Direction.CALLED_IN
    (step,) = journal.timeline("in1")
    assert "from the lobby of +14155550100" in step.detail and NUMBER not in step.detail


def test_host_actions_are_recorded_without_numbers(journal: Journal) -> None:
    journal.record_action(T0, "RM1", "Standup", "removed-participant", "bob")
    journal.record_action(T0, "RM2", "Other", "removed-participant", f"caller {NUMBER}")
    assert journal.actions("RM1") == [
        HostAction(T0, "RM1", "Standup", "removed-participant", "bob", "")
    ]
    assert [a.subject for a in journal.actions()] == ["bob", "caller ••• 2671"]


def test_removing_an_app_participant_is_journaled(journal: Journal) -> None:
    book = GuestBook(journal, FakeClock())
    book.apply_participants(ROOM, [participant("PA1", "bob")], room_name=ROOM_NAME)
    events = book.app_participant_removed(ROOM, "bob")
    assert [(e.kind, e.text, e.room_name) for e in events] == [
        ("removed", "Removed app participant bob", ROOM_NAME)
    ]
    assert journal.actions() == [HostAction(T0, ROOM, ROOM_NAME, "removed-participant", "bob", "")]


def test_a_file_that_is_not_a_journal_is_refused(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(JournalError, match="move it aside"):
        Journal(path)


def test_default_path_is_in_the_user_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("ROOM_MODERATOR_DATA_DIR", raising=False)
    if sys.platform != "linux":
        pytest.skip("XDG_DATA_HOME steers platformdirs on Linux only")
    expected = tmp_path / "xdg" / "room-moderator" / "journal.sqlite3"
    assert default_journal_path() == expected
    assert expected.parent.is_dir()
    with Journal() as opened:
        assert opened.path == expected
    assert expected.exists()


def test_data_dir_override_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROOM_MODERATOR_DATA_DIR", str(tmp_path / "elsewhere"))
    assert default_journal_path() == tmp_path / "elsewhere" / "journal.sqlite3"


def test_dial_is_on_disk_before_the_request_and_updated_after(journal: Journal, path: Path) -> None:
    journal.record_dial(guest())
    # A second connection (another process, or this one after a crash) sees it at once.
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("SELECT status, call_sid FROM dials").fetchall() == [("dialing", None)]
        journal.record_call_sid("d1", "CA1", T0 + timedelta(seconds=1))
        journal.record_status("d1", GuestStatus.RINGING, T0 + timedelta(seconds=2))
        journal.record_status(
            "d1", GuestStatus.JOINING, T0 + timedelta(seconds=9), "answered after ringing 7 s"
        )
        journal.record_status(
            "d1",
            GuestStatus.CONNECTED,
            T0 + timedelta(seconds=10),
            "joined",
            participant_sid="PA1",
        )
        journal.record_end("d1", GuestStatus.LEFT, T0 + timedelta(minutes=5), "Left after 4 min")
        assert raw.execute("SELECT status, call_sid, participant_sid FROM dials").fetchall() == [
            ("left", "CA1", "PA1")
        ]
    finally:
        raw.close()
    (entry,) = journal.entries()
    assert entry.status is GuestStatus.LEFT
    assert entry.ringing_at == T0 + timedelta(seconds=2)
    assert entry.answered_at == T0 + timedelta(seconds=9)
    assert entry.connected_at == T0 + timedelta(seconds=10)
    assert entry.ended_at == T0 + timedelta(minutes=5)
    assert entry.end_reason == "Left after 4 min"
    assert journal.timeline("d1") == [
        TimelineEvent(
            "dialing", T0, "Dialing Alice (••• 2671) into Standup as phone-4kq2 from +15005550006"
        ),
        TimelineEvent("call-created", T0 + timedelta(seconds=1), "CA1"),
        TimelineEvent("ringing", T0 + timedelta(seconds=2), ""),
        TimelineEvent("joining", T0 + timedelta(seconds=9), "answered after ringing 7 s"),
        TimelineEvent("connected", T0 + timedelta(seconds=10), "joined"),
        TimelineEvent("left", T0 + timedelta(minutes=5), "Left after 4 min"),
    ]


def test_first_stamp_wins_and_connected_implies_answered(journal: Journal) -> None:
    journal.record_dial(guest())
    journal.record_status("d1", GuestStatus.RINGING, T0 + timedelta(seconds=1))
    journal.record_status("d1", GuestStatus.RINGING, T0 + timedelta(seconds=3))
    journal.record_status("d1", GuestStatus.CONNECTED, T0 + timedelta(seconds=7))
    entry = journal.get("d1")
    assert entry is not None
    assert entry.ringing_at == T0 + timedelta(seconds=1)
    assert entry.answered_at == entry.connected_at == T0 + timedelta(seconds=7)


def test_bad_writes_are_refused(journal: Journal) -> None:
    journal.record_dial(guest())
    with pytest.raises(JournalError, match="already"):
        journal.record_dial(guest())
    with pytest.raises(JournalError, match="not in the journal"):
        journal.record_status("nope", GuestStatus.RINGING, T0)
    with pytest.raises(ValueError, match="not a final"):
        journal.record_end("d1", GuestStatus.RINGING, T0, "x")
    assert len(journal.entries()) == 1
    assert [step.status for step in journal.timeline("d1")] == ["dialing"]


def test_unfinished_and_entries_by_room(journal: Journal) -> None:
    statuses = {
        "dialing": GuestStatus.DIALING,
        "unknown": GuestStatus.UNKNOWN,
        "ringing": GuestStatus.RINGING,
        "connected": GuestStatus.CONNECTED,
        "busy": GuestStatus.BUSY,
        "left": GuestStatus.LEFT,
        "rejected": GuestStatus.REJECTED,
    }
    for dial_id, status in statuses.items():
        journal.record_dial(guest(dial_id, room_sid=f"RM-{dial_id == 'busy'}"))
        if status.is_final:
            journal.record_end(dial_id, status, T0, "over")
        elif status is not GuestStatus.DIALING:
            journal.record_status(dial_id, status, T0)
    assert [e.dial_id for e in journal.unfinished()] == [
        "dialing",
        "unknown",
        "ringing",
        "connected",
    ]
    assert [e.dial_id for e in journal.entries("RM-True")] == ["busy"]
    assert len(journal.entries()) == len(statuses)


def test_in_memory_journal_works_the_same() -> None:
    with Journal.in_memory() as memory:
        assert memory.path is None
        memory.record_dial(guest())
        assert [e.dial_id for e in memory.unfinished()] == ["d1"]


_CRASHING_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import UTC, datetime
    from moderator.core.guests import GuestBook
    from moderator.core.journal import Journal
    from moderator.core.models import Call, CallStatus

    journal = Journal(sys.argv[1])
    book = GuestBook(journal)
    guests = [
        book.start_dial(room_sid="RM1", room_name="Standup", identity=f"phone-{i}",
                        number=f"+1415555267{i}", masked_number="", label=f"G{i}",
                        caller_id="+15005550006")
        for i in range(3)
    ]
    now = datetime.now(UTC)
    book.call_created(guests[0].dial_id, Call("CA0", "+14155552670", "+15005550006",
                                              CallStatus.RINGING, now))
    book.call_created(guests[1].dial_id, Call("CA1", "+14155552671", "+15005550006",
                                              CallStatus.BUSY, now))
    # guests[2]: killed right after Dial, before Twilio answered the create-call request.
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_every_write_survives_sigkill(path: Path) -> None:
    path.parent.mkdir(parents=True)
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    done = subprocess.run(
        [sys.executable, "-c", _CRASHING_CHILD, str(path)],
        env=env,
        capture_output=True,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()

    # A fresh process's view: all rows, nothing lost, nothing doubled.
    with Journal(path) as journal:
        entries = journal.entries()
        assert [(e.identity, e.status, e.call_sid) for e in entries] == [
            ("phone-0", GuestStatus.RINGING, "CA0"),
            ("phone-1", GuestStatus.BUSY, "CA1"),
            ("phone-2", GuestStatus.DIALING, None),
        ]
        assert [e.identity for e in journal.unfinished()] == ["phone-0", "phone-2"]
        book = GuestBook.from_journal(journal)
        adopted = {g.identity: g for g in book.all_guests()}
        assert adopted["phone-0"].status is GuestStatus.RINGING
        assert adopted["phone-2"].status is GuestStatus.UNKNOWN
        assert book.live_call_sids() == ["CA0"]
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("SELECT count(*) FROM dials").fetchone() == (3,)
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        raw.close()


# -- exports -------------------------------------------------------------------------------


def _two_dials(journal: Journal) -> GuestBook:
    clock = FakeClock()
    book = GuestBook(journal, clock)
    alice = dial(book)
    book.call_created(alice.dial_id, call("CA1", CallStatus.RINGING))
    clock.advance(6)
    book.apply_call(call("CA1", CallStatus.IN_PROGRESS))
    clock.advance(1)
    book.apply_participants(ROOM, [participant("PA1", alice.identity)])
    clock.advance(120)
    book.apply_participants(ROOM, [])
    bea = dial(book, identity="phone-bea", label="Bea", room="RM2", room_name="Other")
    book.dial_rejected(bea.dial_id, "Permission to call +14155552671 denied")
    return book


def test_export_csv_has_one_row_per_step(journal: Journal, tmp_path: Path) -> None:
    book = _two_dials(journal)
    alice, bea = book.all_guests()
    out = tmp_path / "all.csv"
    assert journal.export_csv(out) == 8
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["dial_id"], row["step"]) for row in rows] == [
        (alice.dial_id, "dialing"),
        (alice.dial_id, "call-created"),
        (alice.dial_id, "ringing"),
        (alice.dial_id, "joining"),
        (alice.dial_id, "connected"),
        (alice.dial_id, "left"),
        (bea.dial_id, "dialing"),
        (bea.dial_id, "rejected"),
    ]
    first = rows[0]
    assert first["masked_number"] == "••• 2671" and first["label"] == "Alice"
    assert first["room_name"] == ROOM_NAME and first["final_status"] == "left"
    assert rows[-1]["final_status"] == "rejected"
    assert "••• 2671" in rows[-1]["detail"]

    one = tmp_path / "one.csv"
    journal.export_csv(one, dial_id=bea.dial_id)
    with one.open(newline="", encoding="utf-8") as handle:
        assert {row["dial_id"] for row in csv.DictReader(handle)} == {bea.dial_id}


def test_export_json_nests_each_timeline(journal: Journal, tmp_path: Path) -> None:
    book = _two_dials(journal)
    alice, _bea = book.all_guests()
    out = tmp_path / "room.json"
    assert journal.export_json(out, room_sid=ROOM) == 1
    (data,) = json.loads(out.read_text(encoding="utf-8"))
    assert data["dial_id"] == alice.dial_id
    assert data["status"] == "left"
    assert data["call_sid"] == "CA1"
    assert data["masked_number"] == "••• 2671"
    assert data["end_reason"] == "Left the room after 2 min"
    assert data["dialed_at"] == T0.isoformat()
    assert [step["status"] for step in data["timeline"]] == [
        "dialing",
        "call-created",
        "ringing",
        "joining",
        "connected",
        "left",
    ]
    assert data["timeline"][3]["detail"] == "answered after ringing 6 s"
    assert "number" not in data  # masked only
