"""The shared guest book: what an item holds (never a full number), merging by revision, claims
and conflicting writes (re-read and re-apply on 412, never overwrite blindly)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from moderator.core.errors import ErrorKind, TwilioError
from moderator.core.guest_state import Direction, GuestStatus, PhoneGuest
from moderator.core.presence import Presence
from moderator.core.shared_guests import (
    SharedGuest,
    SharedGuestBook,
    claim_key,
    guest_fields,
    number_tag,
)
from moderator.core.shared_writes import SharedMaps, beat, claim, write_fields
from moderator.core.sync_gateway import MAX_ITEM_BYTES, SyncGateway, SyncItem, item_size

T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
NUMBER = "+14155552671"
MAPS = SharedMaps("IS" + "0" * 32, "MPguests", "MPhosts")


def _guest(**changes: Any) -> PhoneGuest:
    base = PhoneGuest(
        dial_id="d1",
        room_sid="RM1",
        room_name="town-hall",
        identity="phone-abc",
        number=NUMBER,
        masked_number="••• 2671",
        label="Alice",
        caller_id="+15005550006",
        call_sid="CA1",
        status=GuestStatus.RINGING,
        dialed_at=T0,
        ringing_at=T0 + timedelta(seconds=2),
    )
    return dataclasses.replace(base, **changes)


class FakeSync:
    """Twilio Sync's item semantics, in memory: revisions, 409 on an existing key, 412 on a
    stale If-Match. `meddle` runs before each update, as a co-host writing in between."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], SyncItem] = {}
        self.revision = 0
        self.meddle: list[Any] = []
        self.requests: list[str] = []

    def _store(self, map_sid: str, key: str, data: dict[str, Any]) -> SyncItem:
        self.revision += 1
        item = SyncItem(key, json.loads(json.dumps(data)), format(self.revision, "x"))
        self.items[(map_sid, key)] = item
        return item

    def fetch_item(self, _service: str, map_sid: str, key: str) -> SyncItem | None:
        self.requests.append(f"fetch {key}")
        return self.items.get((map_sid, key))

    def create_item(
        self, _service: str, map_sid: str, key: str, data: dict[str, Any], _ttl: int | None
    ) -> SyncItem:
        self.requests.append(f"create {key}")
        if (map_sid, key) in self.items:
            raise TwilioError("exists", action="", kind=ErrorKind.CONFLICT, status=409)
        return self._store(map_sid, key, data)

    def update_item(
        self,
        _service: str,
        map_sid: str,
        key: str,
        data: dict[str, Any],
        *,
        revision: str | None,
        ttl_s: int | None = None,
    ) -> SyncItem:
        self.requests.append(f"update {key}")
        if self.meddle:
            self.meddle.pop(0)()
        current = self.items.get((map_sid, key))
        if current is None:
            raise TwilioError("gone", action="", kind=ErrorKind.NOT_FOUND, status=404)
        if revision is not None and revision != current.revision:
            raise TwilioError("stale", action="", kind=ErrorKind.CONFLICT, status=412)
        return self._store(map_sid, key, data)


def _gw(fake: FakeSync) -> SyncGateway:
    return cast(SyncGateway, fake)


def test_an_item_never_holds_the_full_number_and_fits_in_sync() -> None:
    tag = number_tag(MAPS.service_sid, "RM1", NUMBER)
    fields = guest_fields(_guest(), by="Ana", host_id="h1", tag=tag)
    text = json.dumps(fields, ensure_ascii=False)
    assert "4155552671" not in text and "2671" in text
    assert fields["by"] == "Ana" and fields["status"] == "ringing" and fields["label"] == "Alice"
    assert item_size(fields) < MAX_ITEM_BYTES // 16


def test_sip_guests_are_marked_sip_and_keep_only_the_host() -> None:
    guest = _guest(number="sip:alice@pbx.example.com", masked_number="sip:•••@pbx.example.com")
    fields = guest_fields(guest, by="Ana", host_id="h1", tag="t")
    assert fields["kind"] == "sip" and "alice" not in json.dumps(fields)


def test_number_tag_matches_for_the_same_person_only() -> None:
    secret = MAPS.service_sid
    assert number_tag(secret, "RM1", NUMBER) == number_tag(secret, "RM1", f" {NUMBER} ")
    assert number_tag(secret, "RM1", NUMBER) != number_tag(secret, "RM2", NUMBER)
    assert number_tag(secret, "RM1", NUMBER) != number_tag("IS" + "1" * 32, "RM1", NUMBER)
    assert NUMBER[2:] not in number_tag(secret, "RM1", NUMBER)


def test_shared_guest_round_trip_and_roster_shape() -> None:
    fields = guest_fields(_guest(direction=Direction.CALLED_IN), by="Ana", host_id="h1", tag="t")
    shared = SharedGuest.from_item(SyncItem("phone-abc", fields, "5"))
    assert shared is not None
    assert shared.dialed_by_text == "admitted by Ana"
    assert shared.status is GuestStatus.RINGING and shared.call_sid == "CA1"
    phone = shared.as_phone_guest()
    assert phone.number is None and phone.masked_number == "••• 2671" and phone.label == "Alice"


@pytest.mark.parametrize(
    "data",
    [{}, {"v": 99, "status": "ringing", "room_sid": "RM1"}, {"v": 1, "status": "x"}],
)
def test_items_of_another_shape_are_ignored(data: dict[str, Any]) -> None:
    assert SharedGuest.from_item(SyncItem("k", data, "1")) is None


def test_merge_reports_only_what_changed_and_what_went() -> None:
    book = SharedGuestBook("me")
    mine = guest_fields(_guest(identity="phone-me"), by="Me", host_id="me", tag="t1")
    theirs = guest_fields(_guest(), by="Ana", host_id="ana", tag="t2")
    items = [SyncItem("phone-abc", theirs, "1"), SyncItem("phone-me", mine, "1")]
    assert book.merge(items) == {"phone-abc", "phone-me"}
    assert book.merge(items) == set()
    assert [g.identity for g in book.others()] == ["phone-abc"]
    changed = {**theirs, "status": "connected"}
    assert book.merge([SyncItem("phone-abc", changed, "2"), items[1]]) == {"phone-abc"}
    assert book.guest("phone-abc") is not None
    assert book.guest("phone-abc").status is GuestStatus.CONNECTED  # type: ignore[union-attr]
    assert book.merge([items[1]]) == {"phone-abc"}
    assert book.others() == []


def test_live_dial_of_finds_a_cohosts_call_under_way_only() -> None:
    book = SharedGuestBook("me")
    tag = number_tag(MAPS.service_sid, "RM1", NUMBER)
    fields = guest_fields(_guest(), by="Ana", host_id="ana", tag=tag)
    book.merge([SyncItem("phone-abc", fields, "1")])
    busy = book.live_dial_of("RM1", tag)
    assert busy is not None and busy.by == "Ana"
    assert book.live_dial_of("RM2", tag) is None
    book.merge([SyncItem("phone-abc", {**fields, "status": "busy"}, "2")])
    assert book.live_dial_of("RM1", tag) is None


def test_a_write_merges_onto_what_a_cohost_wrote_in_between() -> None:
    sync = FakeSync()
    owner = guest_fields(_guest(), by="Ana", host_id="ana", tag="t")
    first = write_fields(_gw(sync), MAPS, "phone-abc", owner, ttl_s=60, known=None, create=True)
    assert first is not None
    # Bob mutes between Ana's read and her next write: Ana's 412 makes her re-read and merge.
    sync.meddle.append(lambda: sync._store("MPguests", "phone-abc", {**owner, "muted_by": "Bob"}))
    later = {**owner, "status": "connected"}
    sync.requests.clear()
    written = write_fields(_gw(sync), MAPS, "phone-abc", later, ttl_s=60, known=first, create=True)
    assert written is not None
    assert written.data["status"] == "connected" and written.data["muted_by"] == "Bob"
    assert sync.requests == ["update phone-abc", "fetch phone-abc", "update phone-abc"]


def test_a_cohosts_note_about_a_guest_that_is_gone_is_dropped() -> None:
    sync = FakeSync()
    out = write_fields(
        sync, MAPS, "phone-x", {"muted_by": "Bob"}, ttl_s=None, known=None, create=False
    )
    assert out is None and not any(r.startswith("create") for r in sync.requests)


def test_two_creators_of_one_item_end_with_both_fields() -> None:
    sync = FakeSync()
    sync._store("MPguests", "phone-abc", {"muted_by": "Bob"})
    owner = guest_fields(_guest(), by="Ana", host_id="ana", tag="t")
    written = write_fields(_gw(sync), MAPS, "phone-abc", owner, ttl_s=60, known=None, create=True)
    assert written is not None and written.data["muted_by"] == "Bob"
    assert written.data["by"] == "Ana"


def test_a_write_that_keeps_conflicting_fails_and_is_retryable() -> None:
    sync = FakeSync()
    first = sync._store("MPguests", "k", {"a": 1})
    sync.meddle.extend(lambda: sync._store("MPguests", "k", {"a": 2}) for _ in range(10))
    with pytest.raises(TwilioError) as caught:
        write_fields(_gw(sync), MAPS, "k", {"b": 1}, ttl_s=None, known=first, create=True)
    assert caught.value.retryable and caught.value.kind is ErrorKind.CONFLICT


def _claim_data(host: str, by: str) -> dict[str, str]:
    return {"identity": f"phone-{host}", "host": host, "by": by, "masked": "••• 2671",
            "room": "town-hall"}  # fmt: skip


def test_two_hosts_claiming_one_guest_one_wins() -> None:
    sync = FakeSync()
    ana = claim(_gw(sync), MAPS, "tag1", _claim_data("ana", "Ana"))
    bob = claim(_gw(sync), MAPS, "tag1", _claim_data("bob", "Bob"))
    assert ana.ours and not bob.ours
    assert (bob.by, bob.masked, bob.room) == ("Ana", "••• 2671", "town-hall")
    assert claim(_gw(sync), MAPS, "tag1", _claim_data("ana", "Ana")).ours


def test_a_claim_whose_guest_finished_is_taken_over() -> None:
    sync = FakeSync()
    assert claim(_gw(sync), MAPS, "tag1", _claim_data("ana", "Ana")).ours
    ended = guest_fields(_guest(identity="phone-ana", status=GuestStatus.BUSY), by="Ana",
                         host_id="ana", tag="tag1")  # fmt: skip
    sync._store("MPguests", "phone-ana", ended)
    assert claim(_gw(sync), MAPS, "tag1", _claim_data("bob", "Bob")).ours
    assert sync.items[("MPguests", claim_key("tag1"))].data["by"] == "Bob"


def test_heartbeat_creates_then_renews() -> None:
    sync = FakeSync()
    beat(_gw(sync), MAPS, "h1", {"name": "Ana"}, 30)
    beat(_gw(sync), MAPS, "h1", {"name": "Ana B."}, 30)
    assert sync.items[("MPhosts", "h1")].data == {"name": "Ana B."}


def test_presence_lists_others_and_drops_the_stale() -> None:
    presence = Presence("me", "Me", T0)
    items = [
        SyncItem("me", {"name": "Me"}, "1"),
        SyncItem("b", {"name": "Bob"}, "1"),
        SyncItem("a", {"name": "Ana"}, "1"),
    ]
    assert presence.is_present("anyone")  # before the first listing nobody is known gone
    assert presence.listed(items, 0.0)
    assert presence.text() == "Also moderating: Ana, Bob"
    assert not presence.listed(items, 5.0)
    renewed = [items[0], SyncItem("b", {"name": "Bob"}, "2"), items[2]]
    assert not presence.listed(renewed, 20.0)
    # Ana's app stopped renewing (it crashed): gone once two renewals are missed.
    assert presence.listed(renewed, 26.0)
    assert presence.text() == "Also moderating: Bob"
    assert not presence.is_present("a") and presence.is_present("me")
    # Sync removed Bob's expired heartbeat: gone at once.
    assert presence.listed([items[0]], 27.0)
    assert presence.text() == "" and not presence.is_present("b")
