"""The assignment's rules, on hand-made inputs (no database)."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest

from registry.assign.solver import OpenSlot, Person, Rules, assign, band_index, parse_bands

DAY = dt.date(2030, 3, 4)
RULES = Rules(as_of=dt.date(2030, 1, 1))
NEAR = {(1, "浜"): 300, (2, "浜"): 5000, (1, "溝尻"): 6000, (2, "溝尻"): 400}


def slot(sid: int, venue: int, hour: int, free: int, *, day: int = 0, transport: int = 0,
         wheelchair: bool = False) -> OpenSlot:  # fmt: skip
    start = dt.datetime(2030, 3, 4 + day, hour, tzinfo=dt.UTC)
    return OpenSlot(sid, venue, start, DAY + dt.timedelta(days=day), free, transport, wheelchair)


def person(rid: int, year: int, *, hh: int | None = None, district: str | None = "浜",
           transport: bool = False, wheelchair: bool = False,
           away: frozenset[dt.date] = frozenset()) -> Person:  # fmt: skip
    return Person(rid, hh, dt.date(year, 6, 1), district, transport, wheelchair, away)


def where(plan, dose: int = 1) -> dict[int, int]:
    return {p.resident_id: p.slot_id for p in plan.placements if p.dose == dose}


def test_capacity_is_never_exceeded_and_the_oldest_are_seated_first() -> None:
    people = [person(i, 1930 + i) for i in range(1, 11)]  # resident 1 the oldest
    plan = assign(people, [slot(1, 1, 1, 3), slot(2, 2, 1, 2)], NEAR, RULES)
    assert Counter(where(plan).values()) == {1: 3, 2: 2}
    assert set(where(plan)) == {1, 2, 3, 4, 5}
    assert plan.unplaced == dict.fromkeys(range(6, 11), "no_capacity")


def test_bands_come_before_birth_dates_and_are_configurable() -> None:
    rules = Rules(as_of=dt.date(2030, 1, 1), bands=parse_bands("65-74,75-"))
    people = [person(1, 1940), person(2, 1960)]  # 89 and 69 years old
    assert band_index(people[1].birth_date, rules) == 0
    plan = assign(people, [slot(1, 1, 1, 1)], NEAR, rules)
    assert where(plan) == {2: 1}
    with pytest.raises(ValueError, match="74-65"):
        parse_bands("74-65")


def test_the_nearest_venue_first_then_the_earliest_slot() -> None:
    slots = [slot(1, 1, 9, 5), slot(2, 2, 8, 5), slot(3, 1, 8, 5)]
    plan = assign([person(1, 1940, district="浜"), person(2, 1941, district="溝尻")], slots,
                  NEAR, RULES)  # fmt: skip
    assert where(plan) == {1: 3, 2: 2}
    earliest = Rules(as_of=RULES.as_of, prefer="earliest")
    later = [slot(1, 1, 9, 5, day=1), slot(2, 2, 9, 5)]
    assert where(assign([person(1, 1940)], later, NEAR, earliest)) == {1: 2}


def test_a_household_comes_together_and_is_split_only_when_it_must() -> None:
    couple = [person(1, 1940, hh=7), person(2, 1942, hh=7)]
    plan = assign(couple, [slot(1, 1, 8, 1), slot(2, 1, 9, 2)], NEAR, RULES)
    assert where(plan) == {1: 2, 2: 2}
    assert plan.split == []
    plan = assign(couple, [slot(1, 1, 8, 1), slot(2, 1, 9, 1)], NEAR, RULES)
    assert sorted(where(plan).values()) == [1, 2]
    assert plan.split == [7]
    assert plan.households == 1


def test_transport_and_wheelchair_only_where_the_slot_has_them() -> None:
    people = [
        person(1, 1930, transport=True),
        person(2, 1931, transport=True),
        person(3, 1932, wheelchair=True),
        person(4, 1933),
    ]
    slots = [slot(1, 1, 8, 10), slot(2, 1, 9, 10, transport=1), slot(3, 2, 9, 10, wheelchair=True)]
    plan = assign(people, slots, NEAR, RULES)
    assert where(plan) == {1: 2, 3: 3, 4: 1}
    assert plan.unplaced == {2: "no_transport_seats"}
    assert [p.transport for p in plan.placements if p.resident_id == 1] == [True]
    plan = assign([person(5, 1930, wheelchair=True)], slots[:2], NEAR, RULES)
    assert plan.unplaced == {5: "no_wheelchair_slot"}


def test_second_dose_at_the_same_venue_and_time_n_days_later() -> None:
    rules = Rules(as_of=RULES.as_of, second_dose_days=21)
    slots = [slot(1, 1, 8, 1), slot(2, 1, 9, 5), slot(3, 1, 9, 5, day=21), slot(4, 1, 8, 5, day=20)]
    plan = assign([person(1, 1940), person(2, 1941)], slots, NEAR, rules)
    assert where(plan) == {1: 2, 2: 2}
    assert where(plan, 2) == {1: 3, 2: 3}
    plan = assign([person(1, 1940)], slots[:1], NEAR, rules)
    assert plan.unplaced == {1: "no_second_dose_slot"}


def test_days_away_are_skipped() -> None:
    away = frozenset({DAY})
    plan = assign([person(1, 1940, away=away)], [slot(1, 1, 8, 5), slot(2, 2, 8, 5, day=1)],
                  NEAR, RULES)  # fmt: skip
    assert where(plan) == {1: 2}
    plan = assign([person(1, 1940, away=away)], [slot(1, 1, 8, 5)], NEAR, RULES)
    assert plan.unplaced == {1: "unavailable_days"}


def test_the_same_input_in_any_order_gives_the_same_assignment() -> None:
    rng = random.Random(3)
    people = [person(i, 1930 + rng.randrange(40), hh=rng.choice((None, i // 2)),
                     district=rng.choice(("浜", "溝尻", None)), transport=rng.random() < 0.2)
              for i in range(1, 200)]  # fmt: skip
    slots = [slot(i, 1 + i % 2, 8 + i % 8, rng.randrange(1, 6), day=i // 16,
                  transport=rng.randrange(3)) for i in range(1, 40)]  # fmt: skip
    first = assign(people, slots, NEAR, RULES)
    rng.shuffle(people)
    rng.shuffle(slots)
    again = assign(people, slots, NEAR, RULES)
    assert first.digest() == again.digest()
    assert sorted(first.placements, key=lambda p: p.resident_id) == sorted(
        again.placements, key=lambda p: p.resident_id
    )
    free = {s.slot_id: s.free for s in slots}
    rides = {s.slot_id: s.transport_free for s in slots}
    for sid, n in Counter(p.slot_id for p in first.placements).items():
        assert n <= free[sid]
    for sid, n in Counter(p.slot_id for p in first.placements if p.transport).items():
        assert n <= rides[sid]


def test_a_household_nobody_of_which_fits_is_not_counted_as_split() -> None:
    couple = [person(1, 1940, hh=7, transport=True), person(2, 1942, hh=7, transport=True)]
    plan = assign(couple, [slot(1, 1, 8, 5)], NEAR, RULES)
    assert plan.split == []
    assert plan.unplaced == {1: "no_transport_seats", 2: "no_transport_seats"}
    plan = assign(couple, [slot(1, 1, 8, 5, transport=1)], NEAR, RULES)
    assert plan.split == [7]  # one of them rides, the other waits
    assert plan.unplaced == {2: "no_transport_seats"}
