"""The gateway, driving the real twilio SDK over HTTP against the in-process sandbox."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from moderator.core.credentials import Credentials
from moderator.core.errors import ErrorKind, TwilioError
from moderator.core.gateway import TwilioGateway, parse_retry_after
from moderator.core.http import make_client
from moderator.core.models import CallerIdSource, CallStatus, RoomType
from moderator.core.preflight import (
    CHECK_IDENTITY,
    CHECK_PHONE_CAPACITY,
    CHECK_ROOM,
    CHECK_ROOM_TYPE,
    all_passed,
    gather_preflight_inputs,
    run_preflight,
)
from moderator.core.retry import RetryPolicy
from moderator.core.twiml import room_twiml
from moderator.sandbox.server import SandboxServer

CALLER = "+15005550006"  # the sandbox account's main line
GUEST = "+14155552671"  # any other valid number answers
RING_S = 1.0  # sandbox: queued -> ringing
ANSWER_S = 3.0  # sandbox: ringing -> answered


class RecordingSleep:
    """Stands in for time.sleep: records each wait, optionally runs a side effect."""

    def __init__(self, effect: Callable[[float], None] | None = None) -> None:
        self.waits: list[float] = []
        self.effect = effect

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.effect is not None:
            self.effect(seconds)


def make_gateway(
    sandbox: SandboxServer,
    *,
    sleep: Callable[[float], None] | None = None,
    api_key: bool = True,
    timeout: float = 10.0,
    **sizes: int,
) -> TwilioGateway:
    creds = sandbox.credentials
    if api_key:
        credentials = Credentials(creds.account_sid, creds.api_key_sid, creds.api_key_secret)
    else:
        credentials = Credentials(creds.account_sid, creds.account_sid, creds.auth_token)
    client = make_client(credentials, sandbox.base_url, timeout=timeout)
    policy = RetryPolicy(sleep=sleep or RecordingSleep(), random=lambda: 0.5)
    return TwilioGateway(client, retry_policy=policy, **sizes)


@pytest.fixture
def gateway(sandbox: SandboxServer) -> TwilioGateway:
    return make_gateway(sandbox)


def dial(
    gateway: TwilioGateway,
    room: str,
    identity: str,
    to: str = GUEST,
    timeout_s: int | None = None,
) -> str:
    return gateway.create_call(to, CALLER, room_twiml(room, identity), timeout_s=timeout_s).sid


def answer_all(sandbox: SandboxServer) -> None:
    sandbox.clock.advance(RING_S + ANSWER_S + 0.1)


# -- credentials ---------------------------------------------------------------------------


@pytest.mark.parametrize("api_key", [True, False])
def test_validate_credentials(sandbox: SandboxServer, api_key: bool) -> None:
    account = make_gateway(sandbox, api_key=api_key).validate_credentials()
    assert account.sid == sandbox.credentials.account_sid
    assert account.status == "active"


def test_bad_credentials_are_20003_on_fetch_and_on_lists(sandbox: SandboxServer) -> None:
    creds = sandbox.credentials
    wrong = Credentials(creds.account_sid, creds.api_key_sid, "not-the-secret")
    gateway = TwilioGateway(make_client(wrong, sandbox.base_url))
    with pytest.raises(TwilioError) as fetch_error:
        gateway.validate_credentials()
    with pytest.raises(TwilioError) as list_error:  # the SDK's bare "Unable to fetch page" shape
        gateway.list_rooms()
    for error in (fetch_error.value, list_error.value):
        assert (error.code, error.status, error.kind) == (20003, 401, ErrorKind.AUTH)
        assert "not-the-secret" not in str(error) + error.action + repr(error)
    assert sandbox.request_log.count() == 2  # auth failures are not retried


def test_credentials_revoked_mid_session(sandbox: SandboxServer, gateway: TwilioGateway) -> None:
    gateway.list_rooms()
    sandbox.controls.revoke_credentials()
    with pytest.raises(TwilioError) as caught:
        gateway.list_rooms()
    assert caught.value.kind is ErrorKind.AUTH
    sandbox.controls.restore_credentials()
    assert gateway.list_rooms() == []


# -- rooms ---------------------------------------------------------------------------------


def test_list_rooms_across_several_pages(sandbox: SandboxServer) -> None:
    gateway = make_gateway(sandbox, page_size=10)
    names = [f"room-{i:02d}" for i in range(27)]
    for name in names:
        sandbox.world.create_room(name)
    sandbox.world.complete_room("room-00")
    sandbox.request_log.clear()

    rooms = gateway.list_rooms()
    assert sorted(room.unique_name for room in rooms) == names[1:]
    assert len({room.sid for room in rooms}) == 26
    assert all(room.in_progress and room.type is RoomType.GROUP for room in rooms)
    assert sandbox.request_log.count("GET", "/v1/Rooms") == 3

    completed = gateway.list_rooms("completed")
    assert [room.unique_name for room in completed] == ["room-00"]
    assert completed[0].end_time is not None

    sandbox.request_log.clear()
    assert len(gateway.list_rooms(limit=4)) == 4
    assert sandbox.request_log.count("GET", "/v1/Rooms") == 1


def test_default_page_size_keeps_requests_low(sandbox: SandboxServer) -> None:
    for i in range(120):
        sandbox.world.create_room(f"r{i}")
    sandbox.request_log.clear()
    assert len(TwilioGateway(make_gateway(sandbox)._client).list_rooms()) == 120
    assert sandbox.request_log.count("GET", "/v1/Rooms") == 2


def test_fetch_room_by_sid_and_by_name(sandbox: SandboxServer, gateway: TwilioGateway) -> None:
    sid = sandbox.world.create_room("standup", max_participants=10)
    by_name = gateway.fetch_room("standup")
    by_sid = gateway.fetch_room(sid)
    assert by_name == by_sid
    assert (by_sid.sid, by_sid.max_participants, by_sid.status) == (sid, 10, "in-progress")
    assert by_sid.date_created.tzinfo is not None


@pytest.mark.parametrize("name", ["Team A/B? #1", "50% & more", "Café Zoë", "a b"])
def test_fetch_room_with_url_reserved_characters(
    sandbox: SandboxServer, gateway: TwilioGateway, name: str
) -> None:
    sid = sandbox.world.create_room(name)
    assert gateway.fetch_room(name).sid == sid


def test_fetch_missing_or_completed_room_by_name_is_not_found(
    sandbox: SandboxServer, gateway: TwilioGateway
) -> None:
    sid = sandbox.world.create_room("gone")
    sandbox.world.complete_room(sid)
    for key in ("gone", "never-existed", "never/existed"):
        with pytest.raises(TwilioError) as caught:
            gateway.fetch_room(key)
        assert caught.value.kind is ErrorKind.NOT_FOUND
        assert caught.value.code == 20404
    assert gateway.fetch_room(sid).status == "completed"  # still fetchable by SID


def test_create_and_complete_room(sandbox: SandboxServer, gateway: TwilioGateway) -> None:
    room = gateway.create_room("weekly", max_participants=8)
    assert (room.unique_name, room.type, room.max_participants) == ("weekly", RoomType.GROUP, 8)
    assert room.in_progress
    sandbox.world.join_app_participant(room.sid, "alice")

    with pytest.raises(TwilioError) as caught:
        gateway.create_room("weekly")
    assert (caught.value.code, caught.value.kind) == (53113, ErrorKind.CONFLICT)

    ended = gateway.complete_room(room.sid)
    assert ended.status == "completed" and ended.end_time is not None
    assert gateway.list_participants(room.sid) == []  # completed rooms list disconnected only
    assert [p.status for p in gateway.list_participants(room.sid, status="disconnected")] == [
        "disconnected"
    ]
    with pytest.raises(TwilioError) as again:
        gateway.complete_room(room.sid)
    assert again.value.kind is ErrorKind.CONFLICT


def test_bad_room_input_is_refused_before_any_request(
    sandbox: SandboxServer, gateway: TwilioGateway
) -> None:
    for name, kwargs in (("", {}), ("x" * 200, {}), ("ok", {"max_participants": 51})):
        with pytest.raises(TwilioError) as caught:
            gateway.create_room(name, **kwargs)  # type: ignore[arg-type]
        assert caught.value.kind is ErrorKind.INVALID_INPUT
    assert sandbox.request_log.count() == 0


# -- participants --------------------------------------------------------------------------


def test_list_participants_across_several_pages_with_tracks(sandbox: SandboxServer) -> None:
    gateway = make_gateway(sandbox, participant_page_size=7)
    sid = sandbox.world.create_room("big")
    identities = [f"user-{i:02d}" for i in range(23)]
    for identity in identities:
        sandbox.world.join_app_participant(sid, identity)
    sandbox.request_log.clear()

    participants = gateway.list_participants(sid)
    assert [p.identity for p in participants] == identities
    assert all(p.connected and p.room_sid == sid and p.tracks == () for p in participants)
    assert sandbox.request_log.count("GET", "/Participants") == 4

    with_tracks = gateway.list_participants(sid, with_tracks=True)
    assert all(sorted(t.kind for t in p.tracks) == ["audio", "video"] for p in with_tracks)
    assert gateway.list_participants(sid, identity="user-05")[0].identity == "user-05"


def test_disconnect_app_participant(sandbox: SandboxServer, gateway: TwilioGateway) -> None:
    sid = sandbox.world.create_room("r")
    participant_sid = sandbox.world.join_app_participant(sid, "bob")
    removed = gateway.disconnect_participant(sid, participant_sid)
    assert removed.status == "disconnected" and removed.end_time is not None
    assert gateway.list_participants(sid) == []


# -- calls ---------------------------------------------------------------------------------


def test_dial_rings_then_joins_with_the_chosen_identity(
    sandbox: SandboxServer, gateway: TwilioGateway
) -> None:
    room_sid = sandbox.world.create_room("standup")
    call = gateway.create_call(GUEST, CALLER, room_twiml("standup", "phone-k3m9qx"))
    assert call.status is CallStatus.QUEUED
    assert (call.to, call.from_) == (GUEST, CALLER)

    sandbox.clock.advance(RING_S)
    assert gateway.fetch_call(call.sid).status is CallStatus.RINGING
    assert gateway.list_participants(room_sid) == []

    sandbox.clock.advance(ANSWER_S)
    live = gateway.fetch_call(call.sid)
    assert live.status is CallStatus.IN_PROGRESS and live.start_time is not None
    [guest] = gateway.list_participants(room_sid, with_tracks=True)
    assert guest.identity == "phone-k3m9qx"
    assert [t.kind for t in guest.tracks] == ["audio"]
    assert GUEST[-4:] not in guest.identity


def test_cancel_while_ringing(sandbox: SandboxServer, gateway: TwilioGateway) -> None:
    room_sid = sandbox.world.create_room("standup")
    sid = dial(gateway, "standup", "phone-aaaaaa")
    sandbox.clock.advance(RING_S)
    ended = gateway.hang_up(sid)
    assert ended.status is CallStatus.CANCELED
    answer_all(sandbox)
    assert gateway.fetch_call(sid).status is CallStatus.CANCELED
    assert gateway.list_participants(room_sid) == []

    queued = dial(gateway, "standup", "phone-bbbbbb")
    assert gateway.cancel_call(queued).status is CallStatus.CANCELED


def test_kick_a_phone_participant_completes_its_call(
    sandbox: SandboxServer, gateway: TwilioGateway
) -> None:
    room_sid = sandbox.world.create_room("standup")
    sid = dial(gateway, "standup", "phone-kick00")
    answer_all(sandbox)
    [guest] = gateway.list_participants(room_sid)

    gateway.disconnect_participant(room_sid, guest.sid)
    assert gateway.list_participants(room_sid) == []
    sandbox.clock.advance(30)  # the farewell <Say> plays, then the call ends
    final = gateway.fetch_call(sid)
    assert final.status is CallStatus.COMPLETED
    assert final.end_time is not None and final.duration_s is not None


def test_hang_up_an_answered_call_removes_the_guest(
    sandbox: SandboxServer, gateway: TwilioGateway
) -> None:
    room_sid = sandbox.world.create_room("standup")
    sid = dial(gateway, "standup", "phone-hang00")
    answer_all(sandbox)
    assert gateway.hang_up(sid, CallStatus.RINGING).status is CallStatus.COMPLETED  # stale view
    assert gateway.list_participants(room_sid) == []
    # Hanging up a call that already ended is a success, not an error.
    assert gateway.hang_up(sid).status is CallStatus.COMPLETED
    assert gateway.hang_up(sid, CallStatus.IN_PROGRESS).status is CallStatus.COMPLETED
    with pytest.raises(TwilioError) as caught:
        gateway.complete_call(sid)
    assert (caught.value.code, caught.value.kind) == (21220, ErrorKind.CONFLICT)


def test_duplicate_identity_evicts_the_first_participant(
    sandbox: SandboxServer, gateway: TwilioGateway
) -> None:
    room_sid = sandbox.world.create_room("standup")
    first = sandbox.world.join_app_participant(room_sid, "alice")

    checks = run_preflight(
        gather_preflight_inputs(
            gateway, "standup", to=GUEST, from_=CALLER, identity="alice", caller_ids=()
        )
    )
    assert not next(c for c in checks if c.name == CHECK_IDENTITY).passed

    dial(gateway, "standup", "alice")  # dialed anyway: Twilio evicts the first "alice"
    answer_all(sandbox)
    [now_in_room] = gateway.list_participants(room_sid)
    assert now_in_room.identity == "alice" and now_in_room.sid != first
    evicted = gateway.list_participants(room_sid, status="disconnected")
    assert [p.sid for p in evicted] == [first]


def test_dialing_a_room_that_does_not_exist(sandbox: SandboxServer, gateway: TwilioGateway) -> None:
    other = sandbox.world.create_room("other")
    sid = dial(gateway, "no-such-room", "phone-lost00")
    answer_all(sandbox)
    sandbox.clock.advance(30)
    assert gateway.fetch_call(sid).status is CallStatus.COMPLETED
    assert sandbox.world.participant_for_call(sid) is None
    assert gateway.list_participants(other) == []


def test_the_35_phone_participant_cap(sandbox: SandboxServer, gateway: TwilioGateway) -> None:
    room_sid = sandbox.world.create_room("town-hall")
    call_sids = [
        dial(gateway, "town-hall", f"phone-{i:03d}", to=f"+1415555{i:04d}") for i in range(36)
    ]
    answer_all(sandbox)
    participants = gateway.list_participants(room_sid)
    assert len(participants) == 35
    joined = {p.identity for p in participants}
    refused = [sid for i, sid in enumerate(call_sids) if f"phone-{i:03d}" not in joined]
    assert len(refused) == 1
    sandbox.clock.advance(30)
    assert gateway.fetch_call(refused[0]).status is CallStatus.COMPLETED

    identities = {f"phone-{i:03d}" for i in range(36)}
    inputs = gather_preflight_inputs(
        gateway,
        "town-hall",
        to=GUEST,
        from_=CALLER,
        identity="phone-new",
        phone_identities=identities,
    )
    assert inputs.phone_participants == 35
    failed = {c.name for c in run_preflight(inputs) if not c.passed}
    assert failed == {CHECK_PHONE_CAPACITY}


@pytest.mark.parametrize(
    ("to", "final"),
    [
        ("+14155551111", CallStatus.BUSY),
        ("+14155553333", CallStatus.FAILED),
    ],
)
def test_callee_busy_and_failed(
    sandbox: SandboxServer, gateway: TwilioGateway, to: str, final: CallStatus
) -> None:
    sandbox.world.create_room("standup")
    sid = dial(gateway, "standup", "phone-x", to=to)
    answer_all(sandbox)
    call = gateway.fetch_call(sid)
    assert call.status is final
    assert sandbox.world.participant_for_call(sid) is None


def test_callee_no_answer_after_timeout(sandbox: SandboxServer, gateway: TwilioGateway) -> None:
    sandbox.world.create_room("standup")
    sid = dial(gateway, "standup", "phone-x", to="+14155552222", timeout_s=15)
    sandbox.clock.advance(RING_S + 14)
    assert gateway.fetch_call(sid).status is CallStatus.RINGING
    sandbox.clock.advance(1.5)
    assert gateway.fetch_call(sid).status is CallStatus.NO_ANSWER


def test_callee_answers(sandbox: SandboxServer, gateway: TwilioGateway) -> None:
    room_sid = sandbox.world.create_room("standup")
    dial(gateway, "standup", "phone-x", to="+442071838750")
    answer_all(sandbox)
    assert [p.identity for p in gateway.list_participants(room_sid)] == ["phone-x"]


@pytest.mark.parametrize(
    ("to", "from_", "code", "kind"),
    [
        ("+15005550001", CALLER, 21211, ErrorKind.INVALID_INPUT),
        ("+15005550003", CALLER, 21215, ErrorKind.PERMISSION),
        ("4155552671", CALLER, 21211, ErrorKind.INVALID_INPUT),
        (GUEST, "+14155550000", 21210, ErrorKind.INVALID_INPUT),
        (GUEST, "not-a-number", 21212, ErrorKind.INVALID_INPUT),
    ],
)
def test_create_call_refusals_map_to_their_codes(
    sandbox: SandboxServer, gateway: TwilioGateway, to: str, from_: str, code: int, kind: ErrorKind
) -> None:
    with pytest.raises(TwilioError) as caught:
        gateway.create_call(to, from_, room_twiml("standup", "phone-x"))
    error = caught.value
    assert (error.code, error.status, error.kind) == (code, 400, kind)
    assert to not in error.message  # Twilio's text is not echoed raw for known codes
    assert sandbox.world.calls() == []
    assert sandbox.request_log.count("POST") == 1  # never retried


def test_create_call_refuses_oversized_twiml_locally(
    sandbox: SandboxServer, gateway: TwilioGateway
) -> None:
    with pytest.raises(TwilioError) as caught:
        gateway.create_call(GUEST, CALLER, "<Response>" + " " * 4000 + "</Response>")
    assert caught.value.kind is ErrorKind.INVALID_INPUT and "4000" in caught.value.message
    assert sandbox.request_log.count() == 0


def test_list_calls_filters(sandbox: SandboxServer, gateway: TwilioGateway) -> None:
    before = datetime.now(UTC) - timedelta(days=1)
    sandbox.world.create_room("standup")
    first = dial(gateway, "standup", "a", to="+14155550001")
    second = dial(gateway, "standup", "b", to="+14155550002")
    assert [c.sid for c in gateway.list_calls()] == [second, first]  # newest first
    assert [c.sid for c in gateway.list_calls(to="+14155550001")] == [first]
    assert [c.sid for c in gateway.list_calls(from_=CALLER, limit=1)] == [second]
    assert gateway.list_calls(status=CallStatus.QUEUED, created_after=before)
    assert gateway.list_calls(status=CallStatus.IN_PROGRESS) == []
    assert gateway.list_calls(started_after=before) == []  # not dialed yet: no start time
    answer_all(sandbox)
    assert {c.sid for c in gateway.list_calls(status=CallStatus.IN_PROGRESS)} == {first, second}


def test_list_calls_across_pages(sandbox: SandboxServer) -> None:
    gateway = make_gateway(sandbox, page_size=4)
    sids = {dial(gateway, "r", f"p{i}", to=f"+1415555{i:04d}") for i in range(10)}
    assert {c.sid for c in gateway.list_calls()} == sids
    assert len(gateway.list_calls(limit=6)) == 6


def test_list_caller_ids(sandbox: SandboxServer, gateway: TwilioGateway) -> None:
    caller_ids = gateway.list_caller_ids()
    numbers = [c.phone_number for c in caller_ids]
    assert len(numbers) == len(set(numbers))
    assert CALLER in numbers
    assert all(n.startswith("+") for n in numbers)
    sources = {c.phone_number: c.source for c in caller_ids}
    assert sources[CALLER] is CallerIdSource.INCOMING_NUMBER
    assert CallerIdSource.VERIFIED_CALLER_ID in sources.values()
    assert all(c.friendly_name for c in caller_ids)


# -- pre-flight over the sandbox -----------------------------------------------------------


def test_preflight_gathered_from_the_sandbox(
    sandbox: SandboxServer, gateway: TwilioGateway
) -> None:
    sandbox.world.create_room("standup")
    sandbox.world.create_room("one-on-one", type="peer-to-peer")
    inputs = gather_preflight_inputs(
        gateway, "standup", to=GUEST, from_=CALLER, identity="phone-new"
    )
    assert all_passed(run_preflight(inputs)), run_preflight(inputs)

    p2p = run_preflight(
        gather_preflight_inputs(gateway, "one-on-one", to=GUEST, from_=CALLER, identity="x")
    )
    assert {c.name for c in p2p if not c.passed} == {CHECK_ROOM_TYPE}

    missing = run_preflight(
        gather_preflight_inputs(gateway, "nope", to=GUEST, from_=CALLER, identity="x")
    )
    assert CHECK_ROOM in {c.name for c in missing if not c.passed}


# -- faults --------------------------------------------------------------------------------


def test_429_then_success_honouring_retry_after(sandbox: SandboxServer) -> None:
    sleep = RecordingSleep(time.sleep)  # the sandbox's rate window is in real time
    gateway = make_gateway(sandbox, sleep=sleep)
    sandbox.world.create_room("standup")
    sandbox.controls.rate_limit = 1
    gateway.list_rooms()
    assert [room.unique_name for room in gateway.list_rooms()] == ["standup"]
    assert len(sleep.waits) == 1 and sleep.waits[0] >= 1.0  # the sandbox said Retry-After: 1
    statuses = [record.status for record in sandbox.request_log.entries()]
    assert statuses == [200, 429, 200]


def test_429_on_a_write_is_retried_but_never_on_create_call(sandbox: SandboxServer) -> None:
    def lift(_: float) -> None:
        sandbox.controls.rate_limit = None

    gateway = make_gateway(sandbox, sleep=RecordingSleep(lift))
    room_sid = sandbox.world.create_room("standup")
    sandbox.controls.rate_limit = 1
    gateway.list_rooms()  # uses up this second's allowance
    assert gateway.complete_room(room_sid).status == "completed"

    sandbox.controls.rate_limit = 1
    gateway.list_rooms()
    with pytest.raises(TwilioError) as caught:
        dial(gateway, "standup", "phone-x")
    assert caught.value.kind is ErrorKind.RATE_LIMITED and caught.value.retry_after == 1.0
    assert sandbox.request_log.count("POST", "/Calls.json") == 1
    assert sandbox.world.calls() == []


def test_500s_are_retried_for_reads_only(sandbox: SandboxServer) -> None:
    gateway = make_gateway(sandbox)
    room_sid = sandbox.world.create_room("standup")
    sandbox.controls.fault_rate = 1.0

    with pytest.raises(TwilioError) as read_error:
        gateway.list_rooms()
    assert read_error.value.kind is ErrorKind.SERVER and read_error.value.status == 500
    assert sandbox.request_log.count("GET") == 3  # bounded

    with pytest.raises(TwilioError):
        gateway.complete_room(room_sid)
    assert sandbox.request_log.count("POST", "/v1/Rooms") == 1

    with pytest.raises(TwilioError) as create_error:
        dial(gateway, "standup", "phone-x")
    assert create_error.value.outcome_unknown  # a 500 does not prove nothing happened
    assert sandbox.request_log.count("POST", "/Calls.json") == 1


def test_a_burst_of_500s_is_ridden_out(sandbox: SandboxServer) -> None:
    def recover(_: float) -> None:
        sandbox.controls.fault_rate = 0.0

    gateway = make_gateway(sandbox, sleep=RecordingSleep(recover))
    sandbox.world.create_room("standup")
    sandbox.controls.fault_rate = 1.0
    assert [r.unique_name for r in gateway.list_rooms()] == ["standup"]


def test_malformed_bodies(sandbox: SandboxServer, gateway: TwilioGateway) -> None:
    sandbox.world.create_room("standup")
    sandbox.controls.malformed_rate = 1.0
    for read in (gateway.list_rooms, lambda: gateway.fetch_room("standup")):
        with pytest.raises(TwilioError) as caught:
            read()
        assert caught.value.kind is ErrorKind.MALFORMED

    started = datetime.now(UTC) - timedelta(minutes=1)
    with pytest.raises(TwilioError) as create_error:
        dial(gateway, "standup", "phone-x")
    assert create_error.value.kind is ErrorKind.MALFORMED
    assert create_error.value.outcome_unknown
    sandbox.controls.malformed_rate = 0.0
    # The call was placed: reconcile by looking it up instead of dialing again.
    [placed] = gateway.list_calls(to=GUEST, from_=CALLER, created_after=started)
    assert placed.status is CallStatus.QUEUED
    assert sandbox.request_log.count("POST", "/Calls.json") == 1


def test_connection_refused_then_back(sandbox: SandboxServer, gateway: TwilioGateway) -> None:
    sandbox.world.create_room("standup")
    sandbox.stop()
    with pytest.raises(TwilioError) as caught:
        gateway.list_rooms()
    assert caught.value.kind is ErrorKind.NETWORK
    assert not caught.value.outcome_unknown
    sandbox.start()
    assert [r.unique_name for r in gateway.list_rooms()] == ["standup"]


def test_create_call_timeout_is_not_retried_and_outcome_unknown(sandbox: SandboxServer) -> None:
    gateway = make_gateway(sandbox, timeout=0.3)
    sandbox.world.create_room("standup")
    sandbox.controls.latency_ms = 900
    with pytest.raises(TwilioError) as caught:
        dial(gateway, "standup", "phone-x")
    assert caught.value.kind is ErrorKind.TIMEOUT and caught.value.outcome_unknown
    sandbox.controls.latency_ms = 0
    deadline = threading.Event()
    for _ in range(50):  # the slow request is still being served: wait for it to land
        if sandbox.world.calls():
            break
        deadline.wait(0.05)
    assert len(sandbox.world.calls()) == 1  # placed exactly once


def test_gateway_is_safe_to_share_between_threads(sandbox: SandboxServer) -> None:
    gateway = make_gateway(sandbox, participant_page_size=3)
    sids = [sandbox.world.create_room(f"room-{i}") for i in range(4)]
    for sid in sids:
        for j in range(7):
            sandbox.world.join_app_participant(sid, f"user-{j}")

    def work(i: int) -> tuple[int, int]:
        sid = sids[i % len(sids)]
        return len(gateway.list_rooms()), len(gateway.list_participants(sid))

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(work, range(24)))
    assert set(results) == {(4, 7)}


# -- pure helpers --------------------------------------------------------------------------


def test_parse_retry_after() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-4") == 0.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:05 GMT", now) == 5.0
    for garbled in (None, "", "soon", "nan", "inf"):
        assert parse_retry_after(garbled) is None
