"""No full phone number ever reaches the journal file, its exports or the event log."""

from __future__ import annotations

from pathlib import Path

import phonenumbers
from hypothesis import given
from hypothesis import strategies as st

from moderator.core.guests import GuestBook
from moderator.core.journal import Journal
from moderator.core.models import CallStatus
from moderator.core.redaction import contains_number, mask_number, redact_numbers
from tests.core.guest_helpers import CALLER_ID, ROOM, FakeClock, call, participant

GUEST_NUMBER = "+14155552671"
SPELLINGS = (
    "+14155552671",
    "14155552671",
    "4155552671",
    "415 555 2671",
    "415-555-2671",
    "(415) 555-2671",
    "+1 415-555-2671",
    "415.555.2671",
)


def test_no_spelling_of_the_number_reaches_the_file_or_exports(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    clock = FakeClock()
    journal = Journal(path)
    book = GuestBook(journal, clock)
    events = []
    # The host typed the number into the label and the identity; Twilio echoes it in errors.
    guest = book.start_dial(
        room_sid=ROOM,
        room_name="Standup",
        identity="guest-415-555-2671",
        number=GUEST_NUMBER,
        masked_number="",
        label="Alice (415) 555-2671",
        caller_id=CALLER_ID,
    )
    events += book.dial_outcome_unknown(guest.dial_id, f"Timed out calling {SPELLINGS[4]}")
    events += book.call_created(guest.dial_id, call("CA1", CallStatus.RINGING))
    events += book.apply_call(call("CA1", CallStatus.IN_PROGRESS))
    events += book.apply_participants(ROOM, [participant("PA1", guest.identity)])
    events += book.mark_removed(guest.dial_id)
    events += book.apply_participants(ROOM, [])
    refused = book.start_dial(
        room_sid=ROOM,
        room_name="Standup",
        identity="phone-x",
        number=GUEST_NUMBER,
        masked_number="",
        label="Bob",
        caller_id=CALLER_ID,
    )
    for spelling in SPELLINGS:
        events += book.dial_rejected(refused.dial_id, f"The 'To' number {spelling} is invalid")
    journal.export_csv(tmp_path / "out.csv")
    journal.export_json(tmp_path / "out.json")

    files = [p for p in tmp_path.iterdir() if p.is_file()]
    assert {p.name for p in files} >= {"journal.sqlite3", "out.csv", "out.json"}
    blob = b"".join(p.read_bytes() for p in files)
    assert b"phone-x" in blob and "••• 2671".encode() in blob  # the search does see the data
    assert CALLER_ID.encode() in blob  # the account's own number is fine to keep
    for spelling in SPELLINGS:
        assert spelling.encode() not in blob, spelling
    assert not contains_number(blob.decode("utf-8", "ignore"), GUEST_NUMBER)
    for event in events:
        assert not contains_number(event.text, GUEST_NUMBER), event.text
    journal.close()


def test_mask_number() -> None:
    assert mask_number("+14155552671") == "••• 2671"
    assert mask_number("+44 20 7946 0958") == "••• 0958"
    assert mask_number("12345") == "•••"
    assert mask_number("") == "•••"


def test_redaction_keeps_sids_and_short_numbers() -> None:
    text = "Call CA0123456789abcdef0123456789abcdef rang 30 s in room 2024; error 21211"
    assert redact_numbers(text) == text


_NATIONAL = st.integers(min_value=200_200_0000, max_value=989_999_9999)


@given(
    national=_NATIONAL,
    number_format=st.sampled_from([0, 1, 2, 3]),
    before=st.text(max_size=20),
    after=st.text(max_size=20),
)
def test_any_spelling_of_a_known_number_is_redacted(
    national: int, number_format: int, before: str, after: str
) -> None:
    number = phonenumbers.parse(f"+1{national}", None)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    spelled = phonenumbers.format_number(number, number_format)
    redacted = redact_numbers(f"{before}{spelled}{after}", (e164,))
    assert not contains_number(redacted, e164)
    # Without being told the number, the usual spellings are caught too.
    assert not contains_number(redact_numbers(f"{before} {spelled} {after}"), e164)
