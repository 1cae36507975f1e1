"""The room TwiML: exact shape, any valid name round-trips, nothing can inject an element."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from moderator.core.identity import (
    MAX_NAME_BYTES,
    name_length,
    validate_identity,
    validate_room_name,
)
from moderator.core.twiml import (
    DEFAULT_FAREWELL,
    MAX_TWIML_CHARS,
    TwimlError,
    decline_twiml,
    indented_for_reading,
    lobby_twiml,
    room_twiml,
    twiml_length_problem,
)


def parse(twiml: str) -> ET.Element:
    return ET.fromstring(twiml.encode("utf-8"))


def assert_shape(twiml: str, room_name: str, identity: str, farewell: str) -> None:
    root = parse(twiml)
    assert root.tag == "Response"
    children = list(root)
    assert [child.tag for child in children] == ["Connect", "Say"]
    connect, say = children
    rooms = list(connect)
    assert [room.tag for room in rooms] == ["Room"]
    room = rooms[0]
    assert list(room) == []  # no injected child element
    assert room.text == room_name
    assert room.attrib == {"participantIdentity": identity}
    assert list(say) == []
    assert say.text == farewell
    assert len(root.findall(".//Connect")) == 1
    assert len(root.findall(".//Room")) == 1


def test_exact_shape() -> None:
    twiml = room_twiml("standup", "phone-abc234")
    assert twiml.endswith(
        '<Response><Connect><Room participantIdentity="phone-abc234">standup</Room></Connect>'
        f"<Say>{DEFAULT_FAREWELL}</Say></Response>"
    )
    assert_shape(twiml, "standup", "phone-abc234", DEFAULT_FAREWELL)


def test_farewell_explains_why_the_call_ends() -> None:
    assert "ended" in DEFAULT_FAREWELL and "not available" in DEFAULT_FAREWELL


@pytest.mark.parametrize(
    ("room_name", "identity"),
    [
        ("</Room><Hangup/><Room>", '"/><Hangup/><Room participantIdentity="x'),
        ("a & b < c > d", 'it\'s "quoted"'),
        ("]]><!--", "<![CDATA[x]]>"),
        ("&amp;&#10;", "&lt;"),
        ("Zoë 会議 🙂", "ゲスト"),
    ],
)
def test_xml_metacharacters_round_trip(room_name: str, identity: str) -> None:
    assert_shape(room_twiml(room_name, identity), room_name, identity, DEFAULT_FAREWELL)


# Any Unicode XML can carry (no control, surrogate, private-use, unassigned or format characters,
# which validation refuses before TwiML), short enough to stay within 128 UTF-8 bytes.
_xml_safe = st.characters(exclude_categories=["Cc", "Cs", "Co", "Cn", "Cf", "Zl", "Zp"])
names = st.text(alphabet=_xml_safe, min_size=1, max_size=30).map(str.strip).filter(bool)


@settings(max_examples=150)
@given(names, names)
def test_any_valid_name_round_trips_and_never_injects(room_name: str, identity: str) -> None:
    assume(validate_room_name(room_name) is None and validate_identity(identity) is None)
    assert_shape(room_twiml(room_name, identity), room_name, identity, DEFAULT_FAREWELL)


metachar_text = st.text(alphabet="<>&\"'/=![]-;#x ", min_size=1, max_size=40).map(str.strip)


@settings(max_examples=150)
@given(metachar_text, metachar_text)
def test_metacharacter_soup_round_trips(room_name: str, identity: str) -> None:
    assume(room_name and identity)
    assert_shape(room_twiml(room_name, identity), room_name, identity, DEFAULT_FAREWELL)


@settings(max_examples=100)
@given(
    st.text(min_size=1, max_size=20),
    st.characters(categories=["Cc", "Zl", "Zp"]),
    st.text(max_size=20),
)
def test_text_xml_cannot_carry_is_refused_before_any_twiml(
    before: str, bad: str, after: str
) -> None:
    with pytest.raises(TwimlError):
        room_twiml(before + bad + after, "ok")
    with pytest.raises(TwimlError):
        room_twiml("ok", before + bad + after)


@pytest.mark.parametrize("bad", ["\x00", "\x08", "\x1b", "\ufffe", "\uffff", "\r", "\t"])
def test_specific_unrepresentable_characters_are_refused(bad: str) -> None:
    with pytest.raises(TwimlError):
        room_twiml(f"room{bad}name", "ok")


def test_invalid_names_are_refused_with_the_validators_message() -> None:
    with pytest.raises(TwimlError, match="Enter a room name"):
        room_twiml("", "ok")
    with pytest.raises(TwimlError, match="identity"):
        room_twiml("room", "")


def test_length_limit() -> None:
    assert twiml_length_problem("x" * MAX_TWIML_CHARS) is None
    problem = twiml_length_problem("x" * (MAX_TWIML_CHARS + 1))
    assert problem is not None and "4000" in problem


def test_twiml_too_long_is_refused() -> None:
    with pytest.raises(TwimlError, match="at most 4000"):
        room_twiml("room", "me", farewell="Goodbye. " * 500)


def test_longest_valid_names_still_fit() -> None:
    # Worst case for escaping: 128 bytes of characters that each become a 5-6 char entity.
    room_name = "&" * MAX_NAME_BYTES
    identity = '"' * MAX_NAME_BYTES
    assert name_length(room_name) == MAX_NAME_BYTES
    assert len(room_twiml(room_name, identity)) <= MAX_TWIML_CHARS


def test_farewell_is_validated() -> None:
    with pytest.raises(TwimlError):
        room_twiml("room", "me", farewell="   ")
    with pytest.raises(TwimlError):
        room_twiml("room", "me", farewell="bye\x00")


@settings(max_examples=100)
@given(names, names)
def test_indented_preview_keeps_names_exact(room_name: str, identity: str) -> None:
    assume(validate_room_name(room_name) is None and validate_identity(identity) is None)
    pretty = indented_for_reading(room_twiml(room_name, identity))
    assert pretty.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  <Connect>')
    assert_shape(pretty.split("\n", 1)[1], room_name, identity, DEFAULT_FAREWELL)


def test_lobby_twiml_greets_holds_for_the_minutes_and_says_goodbye() -> None:
    root = ET.fromstring(lobby_twiml("Welcome & hello", hold_minutes=12, goodbye="Bye <now>"))
    verbs = [child.tag for child in root]
    assert verbs[0] == "Say" and root[0].text == "Welcome & hello"
    assert verbs.count("Pause") == 12
    assert sum(int(p.get("length", "0")) for p in root.iter("Pause")) == 12 * 60
    assert verbs.count("Say") == 2 + 2  # greeting, reminders at 5 and 10 min, goodbye
    assert verbs[-2:] == ["Say", "Hangup"] and root[-2].text == "Bye <now>"


@pytest.mark.parametrize("minutes", [0, 61])
def test_lobby_hold_time_is_bounded(minutes: int) -> None:
    with pytest.raises(TwimlError, match="1 to 60 minutes"):
        lobby_twiml(hold_minutes=minutes)


@pytest.mark.parametrize("text", ["", "   ", "x" * 501, "bad \x00 char"])
def test_lobby_texts_are_validated(text: str) -> None:
    with pytest.raises(TwimlError):
        lobby_twiml(text)


def test_decline_says_then_hangs_up() -> None:
    root = ET.fromstring(decline_twiml())
    assert [child.tag for child in root] == ["Say", "Hangup"]
