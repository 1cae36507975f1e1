"""Capacity alerts fire once per crossing, with hysteresis; totals add up."""

from __future__ import annotations

from moderator.core.capacity import AlertKind, CapacityWatch, Thresholds, totals


def feed(
    watch: CapacityWatch, counts: list[int], *, phones: int = 0, step: float = 5.0
) -> list[AlertKind]:
    fired: list[AlertKind] = []
    for i, count in enumerate(counts):
        fired += [
            a.kind
            for a in watch.update(
                "RM1",
                "town-hall",
                participants=count,
                max_participants=50,
                phones=phones,
                at=i * step,
            )
        ]
    return fired


def test_nearly_full_fires_once_while_hovering_at_the_line() -> None:
    watch = CapacityWatch(Thresholds(full_share=0.9))
    assert feed(watch, [40, 44, 45, 44, 45, 46, 45, 44]) == [AlertKind.NEARLY_FULL]
    assert AlertKind.NEARLY_FULL in watch.active("RM1")


def test_it_fires_again_after_the_room_clearly_emptied_out() -> None:
    watch = CapacityWatch()
    assert feed(watch, [45, 30, 45]) == [AlertKind.NEARLY_FULL, AlertKind.NEARLY_FULL]


def test_phone_guests_alert_and_text() -> None:
    watch = CapacityWatch(Thresholds(phones=30))
    alerts = watch.update("RM1", "town-hall", participants=31, max_participants=50, phones=30, at=0)
    assert [a.kind for a in alerts] == [AlertKind.PHONES_NEARLY_FULL]
    assert alerts[0].text == "town-hall has 30 of 35 phone guests"


def test_an_empty_room_alerts_after_its_minutes_once() -> None:
    watch = CapacityWatch(Thresholds(empty_minutes=10))
    fired = feed(watch, [3] + [0] * 200, step=5.0)  # 1000 s empty
    assert fired == [AlertKind.EMPTY]
    assert feed(watch, [2, 0]) == []  # someone came back: re-armed, not yet empty long enough


def test_totals_text() -> None:
    t = totals([(10, 2), (None, 0), (3, 1)], live_calls=3, call_limit=5)
    assert (t.rooms, t.participants, t.phones) == (3, 13, 3)
    assert t.text == "3 rooms · 13 participants · 3 by phone · 3 live calls of 5"
