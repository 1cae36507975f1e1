"""MuteBook: the mute state per room from rules read back, the host's commands and their writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from moderator.core.mute_rules import INCLUDE_ALL, Member, SubscribeRule, hears
from moderator.core.mutes import MuteBook, MuteStep, RulesSnapshot

ROOM = "RM1"
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def members(count: int, phones: int = 0) -> list[Member]:
    people = [Member(f"user{i}", f"PA{i:02d}") for i in range(count)]
    people += [Member(f"phone-{i}", f"PAP{i:02d}", is_phone=True) for i in range(phones)]
    return people


def synced_book(people: list[Member]) -> MuteBook:
    """A book that has seen the room and read every member's (default) rules."""
    book = MuteBook(lambda: T0, names=lambda who: who.upper())
    book.participants(ROOM, people)
    assert sorted(book.unread(ROOM)) == sorted(m.sid for m in people if m.sid)
    for member in people:
        assert member.sid is not None
        book.rules_read(ROOM, RulesSnapshot(member.sid, (INCLUDE_ALL,)))
    assert book.synced(ROOM)
    return book


def settle(book: MuteBook, step: MuteStep) -> MuteStep:
    """Every write of `step` accepted by Twilio; the sum of what that implies."""
    total = MuteStep()
    for write in step.writes:
        total += book.written(write, T0)
    return total


def test_nothing_is_written_before_the_rules_are_read() -> None:
    book = MuteBook(lambda: T0)
    people = members(3)
    book.participants(ROOM, people)
    step = book.mute(ROOM, "user0")
    assert step.writes == [] and not step.refused
    assert book.views(ROOM)["user0"].changing == "muting"
    for member in people[:2]:
        assert member.sid is not None
        assert book.rules_read(ROOM, RulesSnapshot(member.sid, (INCLUDE_ALL,))).writes == []
    last = book.rules_read(ROOM, RulesSnapshot("PA02", (INCLUDE_ALL,)))
    assert {w.subscriber for w in last.writes} == {"user1", "user2"}


def test_mute_in_a_ten_person_room_excludes_the_audio_for_every_other_one() -> None:
    people = members(10)
    book = synced_book(people)
    step = book.mute(ROOM, "user3")
    assert {w.subscriber for w in step.writes} == {m.identity for m in people} - {"user3"}
    for write in step.writes:
        assert not hears(write.rules, Member("user3", "PA03"))
        assert hears(write.rules, Member("user4", "PA04"))
        assert hears(write.rules, Member("user3", "PA03"), "video")
    assert book.views(ROOM)["user3"].text == "Muting…"
    done = settle(book, step)
    assert [line.text for line in done.lines] == ["Muted USER3 for everyone"]
    view = book.views(ROOM)["user3"]
    assert view.muted and view.by_you and view.since == T0 and view.changing == ""
    assert "still hears everyone" in view.spoken(lambda at: at.strftime("%H:%M"))


def test_a_newcomer_gets_the_rules_and_unmute_removes_them() -> None:
    people = members(4)
    book = synced_book(people)
    settle(book, book.mute(ROOM, "user0"))
    joined = book.participants(ROOM, [*people, Member("late", "PA99")])
    assert [(w.subscriber, w.participant_sid) for w in joined.writes] == [("late", "PA99")]
    assert not hears(joined.writes[0].rules, Member("user0"))
    settle(book, joined)
    unmute = book.unmute(ROOM, "user0")
    assert {w.subscriber for w in unmute.writes} == {"user1", "user2", "user3", "late"}
    assert all(w.rules == (INCLUDE_ALL,) for w in unmute.writes)
    lines = settle(book, unmute).lines
    assert [line.text for line in lines] == ["Unmuted USER0"]
    assert book.views(ROOM) == {}


def test_a_restarted_app_shows_the_mute_it_did_not_make() -> None:
    people = members(3)
    exclude = (INCLUDE_ALL, SubscribeRule("exclude", publisher="user0", kind="audio"))
    later = T0 + timedelta(minutes=5)
    book = MuteBook(lambda: later)
    book.participants(ROOM, people)
    book.rules_read(ROOM, RulesSnapshot("PA00", (INCLUDE_ALL,)))
    book.rules_read(ROOM, RulesSnapshot("PA01", exclude, T0))
    step = book.rules_read(ROOM, RulesSnapshot("PA02", exclude, T0))
    assert [line.text for line in step.lines] == ["user0 is muted for everyone by another app"]
    record = book.record(ROOM, "user0")
    assert record is not None and not record.by_you and record.since == T0
    assert step.writes == []  # nothing to fix: it is what the rules say


def test_a_member_with_untouched_rules_gets_the_mute_instead_of_ending_it() -> None:
    """Someone joined while no app was watching: they are given the mute, not taken as an unmute."""
    exclude = (INCLUDE_ALL, SubscribeRule("exclude", publisher="user0", kind="audio"))
    book = MuteBook(lambda: T0)
    book.participants(ROOM, members(3))
    book.rules_read(ROOM, RulesSnapshot("PA00", (INCLUDE_ALL,)))
    book.rules_read(ROOM, RulesSnapshot("PA01", exclude, T0))
    step = book.rules_read(ROOM, RulesSnapshot("PA02", (INCLUDE_ALL,)))
    assert book.muted(ROOM) == {"user0"}
    assert [w.subscriber for w in step.writes] == ["user2"]


def test_an_unmute_made_elsewhere_drops_the_mute_and_is_not_fought() -> None:
    people = members(3)
    book = synced_book(people)
    settle(book, book.mute(ROOM, "user0"))
    token = book.read_token(ROOM, "PA01")
    later = T0 + timedelta(seconds=9)
    step = book.rules_read(ROOM, RulesSnapshot("PA01", (INCLUDE_ALL,), later), token)
    assert book.muted(ROOM) == frozenset()
    assert step.writes == []
    assert [line.text for line in step.lines] == ["USER0 was unmuted by another app"]


def test_a_read_older_than_a_write_is_ignored() -> None:
    people = members(3)
    book = synced_book(people)
    token = book.read_token(ROOM, "PA01")
    settle(book, book.mute(ROOM, "user0"))
    stale = book.rules_read(ROOM, RulesSnapshot("PA01", (INCLUDE_ALL,), T0), token)
    assert stale.lines == [] and book.muted(ROOM) == {"user0"}


def test_mute_all_phone_guests_beyond_twenty_rules_uses_the_include_form() -> None:
    people = members(15, phones=35)
    book = synced_book(people)
    step = book.mute_phone_guests(ROOM)
    assert not step.refused
    assert len(step.writes) == 50
    assert all(len(w.rules) <= 20 for w in step.writes)
    settle(book, step)
    assert book.muted(ROOM) == {m.identity for m in people if m.is_phone}
    # A newcomer's audio must then be added for everyone (include form).
    joined = book.participants(ROOM, [*people, Member("late", "PA99")])
    assert len(joined.writes) == 51
    assert all(hears(w.rules, Member("late")) for w in joined.writes if w.subscriber != "late")


def test_the_twenty_rule_limit_refuses_the_whole_command() -> None:
    # 25 app participants, 21 already muted: the next mute would need 22 excludes, and the
    # include form (3 heard + 2) is shorter: fine. Make both forms too long instead.
    people = members(45)
    book = synced_book(people)
    for who in range(21):
        settle(book, book.mute(ROOM, f"user{who}"))
    step = book.mute(ROOM, "user21")
    assert step.writes == []
    assert "more than Twilio's 20" in step.refused and "Nothing was changed" in step.refused
    assert "user21" not in book.muted(ROOM)
    assert "user21" not in book.views(ROOM)


def test_a_failed_write_reports_the_batch_and_rereads_the_rules() -> None:
    people = members(3)
    book = synced_book(people)
    step = book.mute(ROOM, "user0")
    first, second = step.writes
    book.written(first, T0)
    result = book.write_failed(second, "still failing after 5 attempts")
    assert [line.kind for line in result.lines] == ["error"]
    assert "1 of 2" in result.lines[0].text
    assert book.unread(ROOM) == [second.participant_sid]


def test_mute_phone_guests_with_none_says_so() -> None:
    book = synced_book(members(3))
    assert "no phone guest" in book.mute_phone_guests(ROOM).refused


def test_a_command_plans_from_the_writes_still_under_way() -> None:
    """An unmute while the latecomer's mute write is unanswered still unmutes for them."""
    people = members(3)
    book = synced_book(people)
    settle(book, book.mute(ROOM, "user0"))
    joined = book.participants(ROOM, [*people, Member("late", "PA99")])
    (late_write,) = joined.writes
    unmute = book.unmute(ROOM, "user0")
    assert "late" in {w.subscriber for w in unmute.writes}
    assert book.superseded(late_write)  # a retry of it would undo the unmute
    book.dropped(late_write)
    settle(book, unmute)
    assert book.muted(ROOM) == frozenset() and not book.busy(ROOM)


def test_a_given_up_subscriber_is_not_rewritten_by_itself() -> None:
    """After a refused write the rules are read back, and that read does not write again."""
    people = members(3)
    book = synced_book(people)
    step = book.mute(ROOM, "user0")
    first, second = step.writes
    book.written(first, T0)
    book.write_failed(second, "refused")
    token = book.read_token(ROOM, second.participant_sid)
    again = book.rules_read(ROOM, RulesSnapshot(second.participant_sid, (INCLUDE_ALL,)), token)
    assert again.writes == []
    assert book.synced(ROOM)
    # The host's next command tries everyone again.
    retry = book.mute(ROOM, "user1")
    assert second.subscriber in {w.subscriber for w in retry.writes}
