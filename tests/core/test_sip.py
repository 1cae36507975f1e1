"""SIP guests in the core: the URI parser, masking, redaction, pre-flight, the dialer's last
check, the keyring for passwords, and the gateway keeping the password out of its errors."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderator.core import sip
from moderator.core.dialer import CreateCall, Dialer, DialRequest, dial_problem
from moderator.core.errors import ErrorKind, TwilioError
from moderator.core.guests import GuestBook
from moderator.core.live_state import LiveState
from moderator.core.log_masking import NumberMaskingFilter
from moderator.core.models import CallerId, CallerIdSource, Room, RoomType
from moderator.core.preflight import (
    CHECK_CALLER_NAME,
    CHECK_SIP_ADDRESS,
    PreflightInputs,
    run_preflight,
)
from moderator.core.redaction import contains_number, mask_number, redact_numbers
from moderator.core.roster import GuestKind, RosterRow
from moderator.core.sip import SipAuth, SipUri, SipUriError
from moderator.core.sip_passwords import KEYRING_SERVICE, SipPasswordStore, entry_name
from moderator.core.twiml import room_twiml
from moderator.sandbox.server import SandboxServer
from tests.keyring_memory import BrokenKeyring, MemoryKeyring

# -- parsing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sip:alice@pbx.example.com", SipUri("sip", "alice", "pbx.example.com")),
        ("  SIP:Alice@PBX.Example.com  ", SipUri("sip", "Alice", "pbx.example.com")),
        ("sips:bob@pbx.example.com:5061", SipUri("sips", "bob", "pbx.example.com", 5061)),
        (
            "sip:+14155552671@trunk.example.com;transport=TLS;lr",
            SipUri(
                "sip",
                "+14155552671",
                "trunk.example.com",
                None,
                (("transport", "TLS"), ("lr", None)),
            ),
        ),
        ("sip:guest@10.0.0.7:5060", SipUri("sip", "guest", "10.0.0.7", 5060)),
        ("sip:guest@[2001:DB8::1]:5060", SipUri("sip", "guest", "[2001:db8::1]", 5060)),
        ("sip:j%40doe@example.com", SipUri("sip", "j%40doe", "example.com")),
    ],
)
def test_valid_uris_parse(text: str, expected: SipUri) -> None:
    assert sip.parse(text) == expected
    assert sip.problem(text) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter a SIP address"),
        ("sip:" + "a" * 240 + "@example.com", "under 255 characters; this one has 256"),
        ("sip:alice smith@example.com", "cannot contain spaces"),
        ("sip:zoë@example.com", "ASCII"),
        ("tel:+14155552671", "starts with sip: or sips:"),
        ("sip:example.com", "Add the user before the host"),
        ("sip:@example.com", "Add the user before the host"),
        ("sip:alice:secret@example.com", "Remove the password"),
        ("sip:a@b@example.com", "a single @"),
        ("sip:al<ice@example.com", "percent-encode"),
        ("sip:alice@", "Add the host after the @"),
        ("sip:alice@-pbx.example.com", "not a valid domain name"),
        ("sip:alice@pbx..example.com", "not a valid domain name"),
        ("sip:alice@300.1.1.1", "not a valid IPv4 address"),
        ("sip:alice@[2001:zz::1]", "not a valid IPv6 address"),
        ("sip:alice@[2001:db8::1", "closing bracket"),
        ("sip:alice@example.com:0", "between 1 and 65535"),
        ("sip:alice@example.com:99999", "between 1 and 65535"),
        ("sip:alice@example.com:port", "must be a number"),
        ("sip:alice@example.com;transport=sctp", "udp, tcp or tls"),
        ("sip:alice@example.com;=x", "malformed"),
        ("sip:alice@example.com;lr;lr", "appears twice"),
        ("sip:alice@example.com?X-Room=standup", "headers"),
    ],
)
def test_bad_uris_say_what_is_wrong_in_one_line(text: str, message: str) -> None:
    with pytest.raises(SipUriError) as caught:
        sip.parse(text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert sip.problem(text) == str(caught.value)


def test_a_uri_reads_back_as_twilio_gets_it_and_reprs_masked() -> None:
    uri = sip.parse("SIPS:Alice@PBX.example.com:5061;transport=tls")
    assert str(uri) == "sips:Alice@pbx.example.com:5061;transport=tls"
    assert sip.parse(str(uri)) == uri
    assert "Alice" not in repr(uri)
    assert uri.masked == "sips:•••@pbx.example.com"


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("front-desk", True),
        ("+14155550100", True),
        ("", False),
        ("front desk", False),
        ("a" * 65, False),
        ("bob@x", False),
    ],
)
def test_caller_name_for_the_from_header(name: str, ok: bool) -> None:
    assert (sip.caller_name_problem(name) is None) is ok


# -- masking and redaction --------------------------------------------------------------------

# Every generated user part starts with "Q", which nothing else in these tests holds (hosts are
# lower case, surrounding text never has one): a "Q" left in the output is a leaked user part.
_USER_CHARS = st.sampled_from(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPRSTUVWXYZ0123456789-_.!~*'()&=+$,;?/%"
)
_users = (
    st.text(_USER_CHARS, max_size=30)
    .map(lambda u: "Q" + u)
    .filter(lambda u: sip.problem(f"sip:{u}@h.io") is None)
)
_labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
_hosts = st.one_of(
    st.lists(_labels, min_size=1, max_size=4)
    .map(".".join)
    .filter(lambda h: not h.split(".")[-1].isdigit()),
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(lambda a: f"[{a}]"),
)
_uris = st.builds(
    lambda scheme, user, host, port, tls: (
        f"{scheme}:{user}@{host}" + (f":{port}" if port else "") + (";transport=tls" if tls else "")
    ),
    st.sampled_from(["sip", "sips", "SIP"]),
    _users,
    _hosts,
    st.one_of(st.none(), st.integers(1, 65535)),
    st.booleans(),
)
_prose = st.text(st.characters(blacklist_characters="Q"), max_size=40)


@settings(max_examples=300, deadline=None)
@given(_uris)
def test_masking_keeps_the_host_and_never_the_user(uri: str) -> None:
    parsed = sip.parse(uri)
    masked = sip.mask(uri)
    assert masked == f"{parsed.scheme}:•••@{parsed.host}"
    assert masked == mask_number(uri) == parsed.masked
    assert "Q" not in masked
    assert not contains_number(masked, uri)


@settings(max_examples=300, deadline=None)
@given(_uris, _prose, _prose)
def test_redaction_scrubs_the_user_part_from_any_surrounding_text(
    uri: str, before: str, after: str
) -> None:
    parsed = sip.parse(uri)
    text = f"{before}{uri}{after}"
    for scrubbed in (redact_numbers(text), redact_numbers(text, (str(parsed),))):
        assert "Q" not in scrubbed, scrubbed
        assert f"•••@{parsed.host}" in scrubbed.casefold()


def test_redaction_in_the_words_twilio_and_hosts_use() -> None:
    uri = "sip:alice.smith@pbx.example.com"
    twilio = f"Invalid 'To' Phone Number: {uri} (not a valid SIP URI under 255 characters)"
    assert redact_numbers(twilio) == (
        "Invalid 'To' Phone Number: sip:•••@pbx.example.com (not a valid SIP URI under 255 "
        "characters)"
    )
    # Without its scheme, a known address is scrubbed too; an IP host stays readable.
    assert redact_numbers("could not reach alice.smith@pbx.example.com", (uri,)) == (
        "could not reach sip:•••@pbx.example.com"
    )
    assert redact_numbers("sip:bob@192.168.100.200:5060 and +1 415 555 2671") == (
        "sip:•••@192.168.100.200:5060 and ••• 2671"
    )
    # Overlapping URIs all lose their user parts.
    assert redact_numbers("sip:x@sip:alice@example.com") == "sip:•••@sip:•••@example.com"
    # Phone numbers are scrubbed exactly as before.
    assert redact_numbers("Call +14155552671 failed") == "Call ••• 2671 failed"


def test_verbose_logs_never_spell_out_a_sip_user() -> None:
    record = logging.LogRecord(
        "moderator.core.http",
        logging.INFO,
        __file__,
        1,
        "GET Request: https://api.twilio.com/Calls.json?To=sip%3Aalice%40pbx.example.com",
        (),
        None,
    )
    NumberMaskingFilter().filter(record)
    assert "alice" not in record.getMessage()
    assert "sip:•••@pbx.example.com" in record.getMessage()


# -- pre-flight and the dialer's last check ---------------------------------------------------

CALLER_IDS = [CallerId("+15005550006", "Main", CallerIdSource.INCOMING_NUMBER)]
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def room() -> Room:
    return Room(
        sid="RM" + "0" * 32,
        unique_name="standup",
        status="in-progress",
        type=RoomType.GROUP,
        max_participants=50,
        date_created=NOW,
    )


def inputs(to: str, from_: str) -> PreflightInputs:
    return PreflightInputs(
        room=room(),
        connected_participants=[],
        phone_participants=0,
        caller_ids=CALLER_IDS,
        to=to,
        from_=from_,
        identity="sip-guest",
        room_query="standup",
    )


def test_preflight_checks_the_uri_and_caller_name_not_e164_and_caller_id() -> None:
    results = {r.name: r for r in run_preflight(inputs("sip:alice@pbx.example.com", "front-desk"))}
    assert all(r.passed for r in results.values()), results
    assert results[CHECK_SIP_ADDRESS].reason == "sip:•••@pbx.example.com is a valid SIP address."
    assert "front-desk" in results[CHECK_CALLER_NAME].reason
    bad = {r.name: r for r in run_preflight(inputs("sip:alice@", "front desk"))}
    assert not bad[CHECK_SIP_ADDRESS].passed and "host" in bad[CHECK_SIP_ADDRESS].reason
    assert not bad[CHECK_CALLER_NAME].passed and "spaces" in bad[CHECK_CALLER_NAME].reason
    # The room checks are the same as for a phone.
    assert [r.name for r in run_preflight(inputs("sip:a@b.io", "x"))][:5] == [
        r.name for r in run_preflight(inputs("+14155552671", "+15005550006"))
    ][:5]


def request(**changes: object) -> DialRequest:
    fields: dict[str, object] = {
        "room_sid": room().sid,
        "room_name": "standup",
        "number": "sip:alice@pbx.example.com",
        "label": "",
        "identity": "sip-guest",
        "caller_id": "front-desk",
    }
    fields.update(changes)
    return DialRequest(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({}, None),
        ({"sip_auth_username": "alice", "sip_auth_password": "pw"}, None),
        ({"sip_auth_username": "alice", "remember_sip_password": True}, None),
        ({"number": "sip:alice@"}, "Add the host"),
        ({"number": "SIP:alice@PBX.example.com"}, "normal form"),
        ({"caller_id": ""}, "caller name"),
        ({"sip_auth_username": "alice"}, "needs its password"),
        ({"sip_auth_password": "pw"}, "without its username"),
    ],
)
def test_dial_problem_for_sip(changes: dict[str, object], problem: str | None) -> None:
    found = dial_problem(request(**changes), CALLER_IDS, LiveState(GuestBook(None), lambda: NOW))
    assert (found is None) if problem is None else (found is not None and problem in found[0])


def test_the_password_travels_to_the_create_call_but_never_into_repr_or_the_guest() -> None:
    book = GuestBook(None, lambda: NOW)
    live = LiveState(book, lambda: NOW)
    dialer = Dialer(book, live, lambda: NOW, lambda: 0.0)
    start = dialer.begin(
        request(sip_auth_username="alice", sip_auth_password="hunter2-secret"), CALLER_IDS
    )
    call = start.call
    assert isinstance(call, CreateCall)
    assert call.to == "sip:alice@pbx.example.com" and call.from_ == "front-desk"
    assert call.sip_auth == SipAuth("alice", False)
    assert call.sip_auth_password == "hunter2-secret"
    assert "hunter2" not in repr(call)
    guest = book.get(start.dial_id)
    assert guest is not None
    assert guest.masked_number == "sip:•••@pbx.example.com"
    assert guest.sip_auth == SipAuth("alice", False)
    assert "hunter2" not in repr(guest)
    assert "hunter2" not in repr(request(sip_auth_password="hunter2-secret"))
    assert all("alice@" not in e.text for e in start.changes.events)


# -- the keyring --------------------------------------------------------------------------------


def test_passwords_are_remembered_only_in_the_keyring_per_account_user_and_host() -> None:
    keyring = MemoryKeyring()
    store = SipPasswordStore(backend=keyring)
    uri = "sip:alice@pbx.example.com"
    remember = SipAuth("alice", remember=True)
    assert store.resolve_password("AC1", remember, uri, "pw-1") == "pw-1"
    assert keyring.entries == {(KEYRING_SERVICE, "AC1/alice@pbx.example.com"): "pw-1"}
    # Left empty, the saved one is used; on another host or account there is none.
    assert store.resolve_password("AC1", remember, "sip:bob@pbx.example.com;lr", "") == "pw-1"
    with pytest.raises(TwilioError, match="No SIP password for alice"):
        store.resolve_password("AC2", remember, uri, "")
    # Not remembered: typed is used and not saved; empty cannot dial.
    assert store.resolve_password("AC1", SipAuth("carol"), uri, "pw-2") == "pw-2"
    assert entry_name("AC1", "carol", uri) not in {name for _, name in keyring.entries}
    with pytest.raises(TwilioError, match="needs its password"):
        store.resolve_password("AC1", SipAuth("carol"), uri, "")
    assert store.resolve_password("AC1", None, uri, "") is None


@pytest.mark.allow_log_warnings(r"SIP password keyring failure: (KeyringLocked|RuntimeError)")
@pytest.mark.parametrize("error", ["locked", "odd"])
def test_a_keyring_that_fails_says_so_without_the_password(error: str) -> None:
    import keyring.errors

    def make_error() -> Exception:
        if error == "locked":
            return keyring.errors.KeyringLocked("pw-9")
        return RuntimeError("backend echoed pw-9")

    store = SipPasswordStore(backend=BrokenKeyring(make_error))
    with pytest.raises(TwilioError) as caught:
        store.resolve_password("AC1", SipAuth("alice", True), "sip:a@b.io", "pw-9")
    assert "keyring" in caught.value.message and "pw-9" not in caught.value.details
    assert caught.value.kind is ErrorKind.INVALID_INPUT
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


# -- the gateway, against the sandbox -----------------------------------------------------------


def test_create_call_sends_the_credentials_and_no_log_line_holds_the_password(
    sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.core.test_gateway import make_gateway

    sandbox.world.create_room("standup")
    gateway = make_gateway(sandbox)
    with caplog.at_level(logging.DEBUG):
        call = gateway.create_call(
            "sip:alice@pbx.example.com",
            "front-desk",
            room_twiml("standup", "sip-guest"),
            sip_auth_username="alice",
            sip_auth_password="hunter2-secret",
        )
        assert call.to == "sip:alice@pbx.example.com"
        gateway.list_calls(to="sip:alice@pbx.example.com")
    record = sandbox.world.call(call.sid)
    assert record.sip_auth_username == "alice" and record.sip_auth_password_given
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Calls" in logged  # the SDK did log its requests
    assert "hunter2" not in logged
    assert "alice@" not in logged and "alice%40" not in logged


def test_a_refused_sip_call_names_neither_the_password_nor_the_user(sandbox: SandboxServer) -> None:
    from tests.core.test_gateway import make_gateway

    gateway = make_gateway(sandbox)
    with pytest.raises(TwilioError) as caught:
        gateway.create_call(
            "sip:alice@-bad-host",
            "front-desk",
            room_twiml("standup", "sip-guest"),
            sip_auth_username="alice",
            sip_auth_password="hunter2-secret",
        )
    error = caught.value
    shown = f"{error.details} {error.twilio_message} {error!r}"
    assert error.code == 21211
    assert "hunter2" not in shown and "alice@" not in shown
    assert error.__cause__ is None


def test_a_redial_asks_for_the_password_again_unless_it_is_remembered() -> None:
    book = GuestBook(None, lambda: NOW)
    dialer = Dialer(book, LiveState(book, lambda: NOW), lambda: NOW, lambda: 0.0)
    typed = dialer.begin(request(sip_auth_username="alice", sip_auth_password="pw"), CALLER_IDS)
    kept = dialer.begin(
        request(
            identity="sip-bob",
            number="sip:bob@pbx.example.com",
            sip_auth_username="alice",
            remember_sip_password=True,
        ),
        CALLER_IDS,
    )
    plain = dialer.begin(
        request(identity="sip-carol", number="sip:carol@pbx.example.com"), CALLER_IDS
    )
    for start in (typed, kept, plain):
        book.dial_rejected(start.dial_id, "refused")
    rows = {
        start.dial_id: RosterRow(
            key=start.dial_id,
            kind=GuestKind.PHONE,
            name="",
            full_number=None,
            label="",
            identity="",
            status=None,
            status_text="",
            connected_since=None,
            has_audio=False,
            has_video=False,
            participant_sid=None,
            call_sid=None,
            dial_id=start.dial_id,
            can_remove=False,
            can_redial=True,
        )
        for start in (typed, kept, plain)
    }
    assert dialer.redial_needs_password(rows[typed.dial_id])
    assert not dialer.redial_needs_password(rows[kept.dial_id])
    assert not dialer.redial_needs_password(rows[plain.dial_id])
    again = dialer.redial(rows[typed.dial_id], "pw-again").call
    assert again is not None and again.sip_auth == SipAuth("alice", False)
    assert again.sip_auth_password == "pw-again" and again.to == "sip:alice@pbx.example.com"
    remembered = dialer.redial(rows[kept.dial_id]).call
    assert remembered is not None and remembered.sip_auth == SipAuth("alice", True)
    assert remembered.sip_auth_password == ""  # read from the keyring when it is sent
    without = dialer.redial(rows[plain.dial_id]).call
    assert without is not None and without.sip_auth is None and without.sip_auth_password == ""
