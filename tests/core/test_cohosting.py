"""Co-hosting's decisions, in simulated time: the outbox keeps every change until Sync confirmed
it, the reads stay inside their budget, Sync trouble pauses (or turns sharing off) and the app
catches up by itself, and the calls of a host whose app vanished are followed."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from moderator.core.cohosting import (
    GUESTS_READ,
    HEARTBEAT,
    HOSTS_READ,
    MAX_READS_PER_S,
    CoHosting,
    SharingState,
)
from moderator.core.errors import ErrorKind, TwilioError
from moderator.core.guest_state import GuestStatus, PhoneGuest
from moderator.core.models import Call, CallStatus
from moderator.core.shared_guests import ENDED_TTL_S, LIVE_TTL_S, guest_fields
from moderator.core.shared_writes import SharedMaps
from moderator.core.sync_gateway import SyncItem

T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
MAPS = SharedMaps("IS" + "0" * 32, "MPguests", "MPhosts")


def _guest(identity: str = "phone-a", status: GuestStatus = GuestStatus.RINGING) -> PhoneGuest:
    return PhoneGuest(
        dial_id=f"d-{identity}", room_sid="RM1", room_name="town-hall", identity=identity,
        number="+14155552671", masked_number="••• 2671", label="Alice", caller_id="+15005550006",
        call_sid=f"CA-{identity}", status=status, dialed_at=T0,
    )  # fmt: skip


def _ready() -> CoHosting:
    hosting = CoHosting("me", "Ana", T0)
    assert hosting.setup_due(0.0)
    hosting.setting_up()
    assert not hosting.setup_due(0.0)
    hosting.ready(MAPS)
    return hosting


def _error(status: int | None, kind: ErrorKind = ErrorKind.SERVER) -> TwilioError:
    return TwilioError("Twilio had a problem", action="", kind=kind, status=status, retryable=True)


def test_changes_are_coalesced_and_written_once_confirmed() -> None:
    hosting = _ready()
    guest = _guest()
    assert hosting.publish([guest]) == 1
    assert hosting.publish([guest]) == 0  # nothing new
    hosting.publish([dataclasses.replace(guest, status=GuestStatus.JOINING)])
    (write,) = hosting.due_writes(0.0)
    assert write.fields["status"] == "joining" and write.create and write.ttl_s == LIVE_TTL_S
    assert hosting.due_writes(0.1) == []  # one write per item in flight
    # A change while the write is in flight stays queued after the answer.
    hosting.publish([dataclasses.replace(guest, status=GuestStatus.BUSY)])
    hosting.written(write, SyncItem("phone-a", write.fields, "1"))
    (again,) = hosting.due_writes(0.2)
    assert again.fields["status"] == "busy" and again.ttl_s == ENDED_TTL_S
    assert again.known is not None and again.known.revision == "1"
    hosting.written(again, SyncItem("phone-a", again.fields, "2"))
    assert hosting.pending_count() == 0


def test_nothing_is_lost_while_sync_is_down_and_it_catches_up() -> None:
    hosting = _ready()
    hosting.publish([_guest("phone-a"), _guest("phone-b")])
    writes = hosting.due_writes(0.0)
    assert len(writes) == 2
    text = hosting.write_failed(writes[0], _error(500), 0.0)
    assert text.startswith("Co-host sharing paused: Twilio Sync is not answering")
    assert hosting.state is SharingState.PAUSED
    assert hosting.write_failed(writes[1], _error(500), 0.0) == ""  # said once
    hosting.note("phone-a", {"muted_by": "Ana"})
    assert "(2 changes kept)" in hosting.status_text()
    assert hosting.due_writes(1.0) == [] and hosting.due_reads(1.0) == []
    assert not hosting.retry_due(1.0)
    assert hosting.retry_due(2.5)  # the first backoff is 2 s: one round probes
    writes = hosting.due_writes(2.5)
    assert {w.key for w in writes} == {"phone-a", "phone-b"}
    assert next(w for w in writes if w.key == "phone-a").fields["muted_by"] == "Ana"
    for write in writes:
        hosting.written(write, SyncItem(write.key, write.fields, "1"))
    assert hosting.state is SharingState.ON and hosting.pending_count() == 0


def test_a_key_without_sync_permission_turns_sharing_off_and_retries_slowly() -> None:
    hosting = CoHosting("me", "Ana", T0)
    hosting.setting_up()
    text = hosting.setup_failed(_error(403, ErrorKind.PERMISSION), 0.0)
    assert text == "Co-host sharing off: this API key may not use Twilio Sync"
    assert not hosting.setup_due(30.0)
    assert hosting.setup_due(60.0)


def test_reads_stay_inside_their_budget() -> None:
    hosting = _ready()
    reads = 0
    heartbeats = 0
    now = 0.0
    while now < 60.0:
        for key in hosting.due_reads(now):
            if key == HEARTBEAT:
                heartbeats += 1
            else:
                reads += 1
            if key == GUESTS_READ:
                hosting.guests_listed([])
            elif key == HOSTS_READ:
                hosting.hosts_listed([], now)
            else:
                hosting.read_done(key)
        now += 0.2
    assert reads <= MAX_READS_PER_S * 60 + 2
    assert reads >= 55  # the guests map about every second, so co-hosts see a dial within 2 s
    assert heartbeats == 6


def test_the_calls_of_a_vanished_hosts_guests_are_followed() -> None:
    hosting = _ready()
    fields = guest_fields(_guest("phone-x"), by="Bob", host_id="bob", tag="t")
    hosting.guests_listed([SyncItem("phone-x", fields, "1")])
    # Bob's heartbeat is listed: nothing to follow.
    bob = SyncItem("bob", {"name": "Bob"}, "1")
    hosting.hosts_listed([bob], 0.0)
    assert hosting.due_orphans(0.0) == []
    # Bob's app stopped: Sync removed his expired heartbeat.
    hosting.hosts_listed([], 0.5)
    (orphan,) = hosting.due_orphans(1.0)
    assert orphan.identity == "phone-x"
    assert hosting.due_orphans(1.5) == []  # in flight
    call = Call("CA-phone-x", "+14155552671", "+1", CallStatus.BUSY, T0)
    hosting.orphan_call(orphan, call, T0 + timedelta(seconds=41))
    (write,) = hosting.due_writes(2.0)
    assert write.fields["status"] == "busy" and not write.create
    assert write.fields["followed_by"] == "Ana" and "Bob's app stopped" in write.fields["reason"]


def test_own_items_from_before_a_restart_are_not_orphans() -> None:
    hosting = _ready()
    fields = guest_fields(_guest("phone-x"), by="Ana", host_id="old-run", tag="t")
    hosting.guests_listed([SyncItem("phone-x", fields, "1")])
    hosting.hosts_listed([], 0.0)
    assert hosting.due_orphans(0.0, mine=["phone-x"]) == []


def test_a_deleted_map_is_found_or_made_again() -> None:
    hosting = _ready()
    (first, *_rest) = hosting.due_reads(0.0)
    hosting.read_failed(first, _error(404, ErrorKind.NOT_FOUND), 0.0)
    assert hosting.maps is None and hosting.setup_due(0.0)


def test_a_guest_whose_number_is_forgotten_keeps_its_items_tag() -> None:
    hosting = _ready()
    adopted = dataclasses.replace(_guest(), number=None)  # rebuilt from the journal
    hosting.publish([adopted])
    (write,) = hosting.due_writes(0.0)
    assert "tag" not in write.fields  # merged onto the item, so the tag written before stays
    assert write.fields["masked"] == "••• 2671"


def test_the_paused_line_counts_changes_queued_after_the_outage_began() -> None:
    hosting = _ready()
    (heartbeat, *_rest) = [k for k in hosting.due_reads(0.0) if k == HEARTBEAT]
    hosting.read_failed(heartbeat, _error(500), 0.0)  # the outage shows first on a heartbeat
    assert "kept" not in hosting.status_text()
    hosting.publish([_guest()])
    assert hosting.status_text().endswith("(1 change kept)")


def test_a_refusal_sent_before_try_again_does_not_undo_it() -> None:
    hosting = _ready()
    (first, *_rest) = hosting.due_reads(0.0)
    stale_epoch = hosting.epoch
    hosting.read_failed(first, _error(401, ErrorKind.AUTH), 0.0, stale_epoch)
    assert hosting.state is SharingState.OFF
    (probe, *_others) = [*hosting.due_reads(0.0)] or ["sync:guests"]
    # The key is restored and the host presses Try again while a probe sent before is out.
    hosting.retry_now(1.0)
    assert hosting.retry_due(1.0)
    assert hosting.read_failed(probe, _error(401, ErrorKind.AUTH), 1.1, stale_epoch) == ""
    assert hosting.state is SharingState.ON  # the old answer changed nothing
    hosting.read_failed(probe, _error(401, ErrorKind.AUTH), 1.2, hosting.epoch)
    assert hosting.state is SharingState.OFF  # a fresh refusal does
