"""Bad input at the core: every validator refuses with a sentence, and nothing reaches Twilio.

Hypothesis generates the inputs; each test also records what the host would read. "Changes
nothing" is checked against the sandbox over HTTP: no request was sent (the request log is
empty of writes) and no room or call exists afterwards.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from moderator.core.credentials import Credentials
from moderator.core.errors import ErrorKind, TwilioError
from moderator.core.gateway import TwilioGateway
from moderator.core.http import make_client
from moderator.core.identity import (
    MAX_NAME_BYTES,
    name_length,
    validate_identity,
    validate_room_name,
)
from moderator.core.models import CallerId, CallerIdSource, Participant, Room, RoomType
from moderator.core.phone import PhoneNumberError, parse
from moderator.core.preflight import (
    CHECK_CALLER_ID,
    CHECK_IDENTITY,
    CHECK_NUMBER,
    PreflightInputs,
    run_preflight,
)
from moderator.core.twiml import MAX_TWIML_CHARS, TwimlError, room_twiml
from moderator.sandbox.server import SandboxServer
from tests.reliability.recorder import Recorder

SECTION = "Bad input"

CALLER_ID = "+15005550006"
CALLER_IDS = [CallerId(CALLER_ID, "Sandbox main line", CallerIdSource.INCOMING_NUMBER)]
QUICK = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
OVER_HTTP = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def gateway_for(sandbox: SandboxServer) -> TwilioGateway:
    c = sandbox.credentials
    client = make_client(
        Credentials(c.account_sid, c.api_key_sid, c.api_key_secret), sandbox.base_url, timeout=5
    )
    return TwilioGateway(client)


def summary(messages: Counter[str], limit: int = 3) -> str:
    """ "N inputs; messages: “…” ×k, …" — the distinct sentences a host would have read."""
    total = sum(messages.values())
    shown = "; ".join(f"“{text}” ×{count}" for text, count in messages.most_common(limit))
    more = len(messages) - limit
    return f"{total} generated inputs all refused; {shown}" + (
        f"; and {more} other message(s)" if more > 0 else ""
    )


def room(max_participants: int = 50) -> Room:
    return Room(
        sid="RM" + "a" * 32,
        unique_name="standup",
        status="in-progress",
        type=RoomType.GROUP,
        max_participants=max_participants,
        date_created=datetime(2026, 1, 1, tzinfo=UTC),
    )


def preflight(
    *,
    to: str = "+14155552671",
    from_: str = CALLER_ID,
    identity: str = "phone-abc234",
    connected: tuple[str, ...] = (),
) -> dict[str, tuple[bool, str]]:
    participants = [
        Participant(f"PA{i:032x}", room().sid, who, "connected", None)
        for i, who in enumerate(connected)
    ]
    results = run_preflight(
        PreflightInputs(
            room=room(),
            connected_participants=participants,
            phone_participants=0,
            caller_ids=CALLER_IDS,
            to=to,
            from_=from_,
            identity=identity,
        )
    )
    return {r.name: (r.passed, r.reason) for r in results}


# -- phone numbers ---------------------------------------------------------------------------

letters_in_number = st.builds(
    lambda head, letter, tail: head + letter + tail,
    st.from_regex(r"\+?[0-9 ()-]{0,8}", fullmatch=True),
    st.characters(categories=["Lu", "Ll", "Lo"]),
    st.text(alphabet="0123456789 -()abcxyzABC", max_size=10),
)


def test_numbers_with_letters_are_refused(reliability: Recorder) -> None:
    seen: Counter[str] = Counter()

    @QUICK
    @given(letters_in_number)
    def check(text: str) -> None:
        with pytest.raises(PhoneNumberError) as refused:
            parse(text, "US")
        assert "letters" in str(refused.value)
        seen[str(refused.value)] += 1
        assert preflight(to=text)[CHECK_NUMBER][0] is False

    check()
    reliability.record(
        case="Phone number with letters (e.g. “415-CALL-NOW”)",
        produced_by="Hypothesis: digits and punctuation with a letter from any script",
        outcome=summary(seen) + "; the Number check of the pre-flight fails",
    )


def test_too_short_and_too_long_numbers_are_refused(reliability: Recorder) -> None:
    seen: Counter[str] = Counter()

    @QUICK
    @given(
        st.one_of(
            st.from_regex(r"\+1[2-9][0-9]{0,7}", fullmatch=True),  # fewer than 10 digits
            st.from_regex(r"\+1[2-9][0-9]{10,16}", fullmatch=True),  # more than 10 digits
            st.from_regex(r"\+44[1-9][0-9]{11,16}", fullmatch=True),
        )
    )
    def check(text: str) -> None:
        with pytest.raises(PhoneNumberError) as refused:
            parse(text, "US")
        message = str(refused.value)
        assert any(word in message for word in ("too short", "too long", "digits", "area code"))
        seen[message] += 1

    check()
    reliability.record(
        case="Phone number too short or too long",
        produced_by="Hypothesis: +1 with 1–8 or 11–17 digits, +44 with 12–17 digits",
        outcome=summary(seen),
    )


def test_short_codes_and_emergency_numbers_are_refused(reliability: Recorder) -> None:
    """Anything of at most 8 digits typed without + is never dialed: a short code, 911, 112…"""
    seen: Counter[str] = Counter()

    @QUICK
    @given(
        st.from_regex(r"[0-9]{2,8}", fullmatch=True),
        st.sampled_from(["US", "CA", "FR"]),
    )
    def check(digits: str, region: str) -> None:
        with pytest.raises(PhoneNumberError) as refused:
            parse(digits, region)
        seen[str(refused.value)] += 1

    check()
    for region, number in (("US", "911"), ("GB", "999"), ("DE", "112"), ("US", "28444")):
        with pytest.raises(PhoneNumberError) as refused:
            parse(number, region)
        seen[str(refused.value)] += 1
        assert "Emergency" in str(refused.value) or "Short codes" in str(refused.value)
    reliability.record(
        case="Short codes and emergency numbers (28444, 911, 999, 112, any ≤ 8 digits)",
        produced_by="Hypothesis: 2–8 digits in the US, Canada and France (whose full "
        "numbers all have 9–10 digits), plus fixed examples",
        outcome=summary(seen, limit=4),
    )


def test_number_equal_to_caller_id_is_refused(reliability: Recorder) -> None:
    checks = preflight(to=CALLER_ID, from_=CALLER_ID)
    passed, reason = checks[CHECK_NUMBER]
    assert not passed and "caller ID" in reason
    # Typed nationally, it is still the same number.
    passed_national, reason_national = preflight(to="(500) 555-0006", from_=CALLER_ID)[CHECK_NUMBER]
    assert not passed_national
    reliability.record(
        case="To equal to From (the guest's number is the caller ID)",
        produced_by="Pre-flight with To = From, in E.164 and typed nationally",
        outcome=f"Number check fails: “{reason}” (national spelling: “{reason_national}”)",
    )


def test_caller_id_not_on_the_account_is_refused(reliability: Recorder) -> None:
    passed, reason = preflight(from_="+14155550100")[CHECK_CALLER_ID]
    assert not passed and "not one of the account's" in reason
    reliability.record(
        case="Caller ID not on the account",
        produced_by="Pre-flight with a From that is neither a voice number nor a verified ID",
        outcome=f"Caller ID check fails: “{reason}”",
    )


# -- identities ------------------------------------------------------------------------------

control_characters = st.characters(categories=["Cc"]) | st.sampled_from(
    ["\u2028", "\u2029", "\u202e", "\u2066"]
)


def test_bad_identities_are_refused_before_any_twiml(reliability: Recorder) -> None:
    seen: Counter[str] = Counter()

    @QUICK
    @given(
        st.one_of(
            st.sampled_from(["", " ", "\t", "   "]),
            st.text(min_size=1).filter(lambda t: name_length(t) > MAX_NAME_BYTES)
            | st.text(alphabet="ab€😀", min_size=33, max_size=200).filter(
                lambda t: name_length(t) > MAX_NAME_BYTES
            ),
            st.builds(
                lambda a, c, b: a + c + b,
                st.text(max_size=20),
                control_characters,
                st.text(max_size=20),
            ),
        )
    )
    def check(identity: str) -> None:
        problem = validate_identity(identity)
        assert problem is not None
        with pytest.raises(TwimlError) as refused:
            room_twiml("standup", identity)
        assert str(refused.value) == problem
        passed, reason = preflight(identity=identity)[CHECK_IDENTITY]
        assert not passed and reason == problem
        seen[problem.split(" (")[0]] += 1

    check()
    assert any("Enter" in m for m in seen) and any("128" in m for m in seen)
    assert any("control" in m for m in seen)
    reliability.record(
        case="Identity empty, over 128 bytes, or with control / bidi characters",
        produced_by="Hypothesis: blanks, long Unicode text, text with a C0/C1 control, "
        "line/paragraph separator or bidi override",
        outcome=summary(seen, limit=4) + "; no TwiML is built, the Identity check fails",
    )


def test_identity_already_connected_is_refused(reliability: Recorder) -> None:
    passed, reason = preflight(identity="bob", connected=("ann", "bob"))[CHECK_IDENTITY]
    assert not passed and "already in the room" in reason
    reliability.record(
        case="Identity already connected in the room",
        produced_by="Pre-flight with an app participant “bob” connected, dialing as “bob”",
        outcome=f"Identity check fails: “{reason}” (dialing would evict them: 53205)",
    )


# -- room names and TwiML, against the sandbox ---------------------------------------------


def test_bad_room_names_are_refused_without_a_request(
    sandbox: SandboxServer, reliability: Recorder
) -> None:
    gateway = gateway_for(sandbox)
    seen: Counter[str] = Counter()

    @OVER_HTTP
    @given(
        st.one_of(
            st.sampled_from(["", "  ", "RM" + "0" * 32]),
            st.text(alphabet="xyzé漢😀", min_size=43, max_size=200).filter(
                lambda t: name_length(t) > MAX_NAME_BYTES
            ),
            st.builds(lambda a, c: a + c, st.text(max_size=10), control_characters),
            st.builds(lambda a: " " + a, st.text(min_size=1, max_size=10)),
        )
    )
    def check(name: str) -> None:
        problem = validate_room_name(name)
        assert problem is not None
        with pytest.raises(TwilioError) as refused:
            gateway.create_room(name)
        assert refused.value.kind is ErrorKind.INVALID_INPUT
        seen[refused.value.message.split(" (")[0]] += 1

    check()
    assert sandbox.request_log.writes() == []
    assert sandbox.world.rooms() == []
    reliability.record(
        case="Room name empty, over 128 bytes, with control characters, leading space, "
        "or shaped like a room SID",
        produced_by="Hypothesis → TwilioGateway.create_room against the sandbox over HTTP",
        outcome=summary(seen, limit=4)
        + f"; sandbox saw {len(sandbox.request_log.writes())} writes, has "
        f"{len(sandbox.world.rooms())} rooms",
    )


def test_special_characters_in_room_names_round_trip(
    sandbox: SandboxServer, reliability: Recorder
) -> None:
    """Quotes, XML and URL metacharacters are valid names: created, found, and safe in TwiML."""
    gateway = gateway_for(sandbox)
    created: list[str] = []

    @OVER_HTTP
    @given(
        st.text(
            alphabet=st.sampled_from(list("<>&\"'/?#%+=;: .,!*()[]{}|\\^~`@$ab漢é😀")),
            min_size=1,
            max_size=30,
        )
    )
    def check(suffix: str) -> None:
        name = f"r{len(created)}{suffix}".rstrip()
        assume(validate_room_name(name) is None)
        made = gateway.create_room(name)
        assert made.unique_name == name
        assert gateway.fetch_room(name).sid == made.sid
        twiml = room_twiml(name, f"{suffix.strip() or 'x'}-guest")
        root = ET.fromstring(twiml.encode("utf-8"))
        rooms = root.findall(".//Room")
        assert len(rooms) == 1 and rooms[0].text == name and list(rooms[0]) == []
        assert len(twiml) <= MAX_TWIML_CHARS
        created.append(name)

    check()
    assert len(sandbox.world.rooms()) == len(created)
    sample = ", ".join(f"“{n}”" for n in created[:3])
    reliability.record(
        case="Room names with special characters (<>&\"'/?#% and non-Latin text)",
        produced_by="Hypothesis → create_room, fetch_room by name, room_twiml, XML parse",
        outcome=f"{len(created)} names accepted as Twilio accepts them, each created once, "
        f"found again by its exact name and carried verbatim as one <Room> text with no "
        f"injected element (e.g. {sample})",
    )


valid_names = st.one_of(
    # XML metacharacters grow the most when escaped (&amp; &quot;): the worst case for length.
    st.text(alphabet="&<>\"'", min_size=100, max_size=MAX_NAME_BYTES),
    st.text(
        st.characters(
            exclude_categories=["Cc", "Cs", "Zl", "Zp"],
            exclude_characters="\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufffe\uffff",
        ),
        min_size=1,
        max_size=60,
    )
    .map(str.strip)
    .filter(lambda t: bool(t) and name_length(t) <= MAX_NAME_BYTES),
)


def test_twiml_over_4000_characters_is_refused_without_a_request(
    sandbox: SandboxServer, reliability: Recorder
) -> None:
    gateway = gateway_for(sandbox)
    with pytest.raises(TwimlError) as too_long_farewell:
        room_twiml("standup", "phone-abc234", farewell="Goodbye. " * 500)
    twiml = "<Response><Say>" + "a" * MAX_TWIML_CHARS + "</Say></Response>"
    with pytest.raises(TwilioError) as refused:
        gateway.create_call("+14155552671", CALLER_ID, twiml)
    assert refused.value.kind is ErrorKind.INVALID_INPUT
    assert "4000" in refused.value.message
    assert sandbox.request_log.writes() == [] and sandbox.world.calls() == []

    longest: list[int] = []

    @QUICK
    @given(valid_names, valid_names)
    def within_limits(name: str, identity: str) -> None:
        assume(validate_room_name(name) is None and validate_identity(identity) is None)
        longest.append(len(room_twiml(name, identity)))

    within_limits()
    assert max(longest) <= MAX_TWIML_CHARS
    reliability.record(
        case="TwiML over 4000 characters",
        produced_by="room_twiml with a 4500-character farewell; gateway.create_call with 4031 "
        "characters of TwiML; Hypothesis: any valid name and identity",
        outcome=f"“{too_long_farewell.value}” / “{refused.value.message}”; no request sent, "
        f"no call; valid names and identities never exceed the limit "
        f"(longest of {len(longest)} generated: {max(longest)} chars)",
    )
