"""The assignment itself: pure, deterministic, no I/O.

The rules, in the order they decide:

1. **Priority.** Households (a resident without one is a household of one) are taken in
   priority order: the age band of their oldest member (``Rules.bands``, oldest first by default),
   then the oldest birth date, then the lowest resident id. Each takes the best slot still open
   for it (a serial dictatorship): an older resident is never put further away or later so that a
   younger one gets a better slot.
2. **Households together.** Members of one household get one slot (couples come together). A
   household that fits nowhere together is split, and each member is placed on their own (counted
   as ``split``).
3. **Help.** A resident who needs transport takes one of the slot's transport seats; one who
   needs a wheelchair goes only to a slot with wheelchair access.
4. **Nearest venue first** (``prefer="nearest"``: by distance from the resident's district, then
   by start), or **earliest first** (``prefer="earliest"``: by day, then distance, then start).
   A resident whose district is not in the distance table sees every venue as equally far.
5. **Second dose.** With ``second_dose_days`` = N, a slot is usable only if the slot at the same
   venue starting exactly N days later has room too; both are taken.
6. Days a resident said they cannot come are skipped.

Why a greedy and not a solver: the rules are priorities (older first, then nearer, then earlier),
which a serial dictatorship satisfies exactly, while a min-cost flow would trade an older
resident's distance for a younger one's and cannot keep households whole (that needs integer
group constraints; CP-SAT handles them but not at 300,000 residents in minutes). The gap to the
optimum is measured by ``bench/bench_assign.py --gap`` against CP-SAT on small instances.

Speed: for each demand signature (district, seats, transport seats, wheelchair) a cursor walks the
district's slot order once; seats only ever decrease, so a slot that cannot take a signature now
never can again. The whole run is O(slots x signatures + residents).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Literal

Prefer = Literal["nearest", "earliest"]
FAR = 10**9  # the distance of a venue from an unknown district
REASONS = (
    "no_capacity",
    "no_transport_seats",
    "no_wheelchair_slot",
    "no_second_dose_slot",
    "unavailable_days",
)
DEFAULT_BANDS: tuple[tuple[int, int | None], ...] = ((85, None), (75, 84), (65, 74), (0, 64))


@dataclass(frozen=True, slots=True)
class Person:
    resident_id: int
    household_id: int | None
    birth_date: dt.date | None
    district: str | None
    transport: bool = False
    wheelchair: bool = False
    unavailable: frozenset[dt.date] = frozenset()


@dataclass(frozen=True, slots=True)
class OpenSlot:
    slot_id: int
    venue_id: int
    starts_at: dt.datetime  # aware UTC
    day: dt.date  # the local calendar day
    free: int  # capacity - booked
    transport_free: int = 0
    wheelchair: bool = False


@dataclass(frozen=True)
class Rules:
    as_of: dt.date
    bands: tuple[tuple[int, int | None], ...] = DEFAULT_BANDS  # (low, high) ages, priority order
    prefer: Prefer = "nearest"
    second_dose_days: int | None = None


@dataclass(frozen=True, slots=True)
class Placement:
    resident_id: int
    slot_id: int
    dose: int
    transport: bool


@dataclass
class Plan:
    placements: list[Placement] = field(default_factory=list)
    unplaced: dict[int, str] = field(default_factory=dict)  # resident id -> reason
    households: int = 0  # households of two or more
    split: list[int] = field(default_factory=list)  # households not all in one slot (some placed)
    band_of: dict[int, int] = field(default_factory=dict)  # resident id -> band index

    def digest(self) -> str:
        """A fingerprint of the placements: the same input gives the same digest."""
        h = hashlib.sha256()
        for p in sorted(self.placements, key=lambda p: (p.resident_id, p.dose)):
            h.update(f"{p.resident_id}:{p.slot_id}:{p.dose}:{int(p.transport)};".encode())
        return h.hexdigest()[:16]


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def band_index(birth: dt.date | None, rules: Rules) -> int:
    """The priority band of a birth date (0 first); no birth date or no band: after all bands."""
    if birth is None:
        return len(rules.bands)
    age = age_on(birth, rules.as_of)
    for i, (low, high) in enumerate(rules.bands):
        if age >= low and (high is None or age <= high):
            return i
    return len(rules.bands)


def parse_bands(spec: str) -> tuple[tuple[int, int | None], ...]:
    """``85-,75-84,65-74`` -> bands in priority order; ValueError naming the bad part."""
    bands: list[tuple[int, int | None]] = []
    for part in (p.strip() for p in spec.split(",")):
        lo, sep, hi = part.partition("-")
        if not sep or not lo.isdigit() or (hi and not hi.isdigit()):
            raise ValueError(f"age band must look like 85- or 65-74, not {part!r}")
        low, high = int(lo), int(hi) if hi else None
        if high is not None and high < low:
            raise ValueError(f"age band {part!r} ends before it starts")
        bands.append((low, high))
    if not bands:
        raise ValueError("give at least one age band")
    return tuple(bands)


class _Seats:
    """Free seats of every slot, the second-dose pairs, and a cursor per demand signature."""

    def __init__(
        self,
        slots: Sequence[OpenSlot],
        distances: dict[tuple[int, str], int],
        rules: Rules,
    ) -> None:
        self.slots = list(slots)
        self.free = [s.free for s in self.slots]
        self.tfree = [s.transport_free for s in self.slots]
        self.wheel = [s.wheelchair for s in self.slots]
        self.distances, self.rules = distances, rules
        self.pair: list[int | None] = [None] * len(self.slots)
        if rules.second_dose_days:
            at = {(s.venue_id, s.starts_at): i for i, s in enumerate(self.slots)}
            later = dt.timedelta(days=rules.second_dose_days)
            self.pair = [at.get((s.venue_id, s.starts_at + later)) for s in self.slots]
        self._orders: dict[str | None, list[int]] = {}
        self._cursor: dict[tuple[str | None, int, int, bool], int] = {}
        self.why: dict[tuple[str | None, bool, bool], str] = {}

    def order(self, district: str | None) -> list[int]:
        """Slot indexes in the order a resident of ``district`` prefers them."""
        if district not in self._orders:
            slots, dist = self.slots, self.distances

            def far(i: int) -> int:
                return FAR if district is None else dist.get((slots[i].venue_id, district), FAR)

            def key(i: int) -> tuple[int, int, dt.datetime, int]:
                s = slots[i]
                day = s.day.toordinal() if self.rules.prefer == "earliest" else 0
                return day, far(i), s.starts_at, s.slot_id

            self._orders[district] = sorted(range(len(slots)), key=key)
        return self._orders[district]

    def fits(self, i: int, k: int, t: int, w: bool) -> bool:
        if self.free[i] < k or self.tfree[i] < t or (w and not self.wheel[i]):
            return False
        if not self.rules.second_dose_days:
            return True
        j = self.pair[i]
        return j is not None and self.fits_one(j, k, t, w)

    def fits_one(self, j: int, k: int, t: int, w: bool) -> bool:
        return self.free[j] >= k and self.tfree[j] >= t and (not w or self.wheel[j])

    def first(
        self, district: str | None, k: int, t: int, w: bool, away: frozenset[dt.date]
    ) -> int | None:
        """The first slot in the district's order that takes ``k`` seats, ``t`` transport seats,
        (wheelchair ``w``) on none of the ``away`` days; None if there is none."""
        order = self.order(district)
        key = (district, k, t, w)
        pos = self._cursor.get(key, 0)
        while pos < len(order) and not self.fits(order[pos], k, t, w):
            pos += 1
        self._cursor[key] = pos  # everything before pos can never take this demand again
        if not away:
            return order[pos] if pos < len(order) else None
        for i in order[pos:]:
            if self.fits(i, k, t, w) and not self._away(i, away):
                return i
        return None

    def _away(self, i: int, away: frozenset[dt.date]) -> bool:
        if self.slots[i].day in away:
            return True
        j = self.pair[i]
        return j is not None and self.slots[j].day in away

    def take(self, i: int, k: int, t: int) -> None:
        self.free[i] -= k
        self.tfree[i] -= t
        j = self.pair[i]
        if j is not None:
            self.free[j] -= k
            self.tfree[j] -= t


def _units(people: Iterable[Person], rules: Rules, plan: Plan) -> list[list[Person]]:
    """Households (members by resident id) in priority order."""
    singles: list[list[Person]] = []
    by_household: dict[int, list[Person]] = {}
    for p in people:
        plan.band_of[p.resident_id] = band_index(p.birth_date, rules)
        if p.household_id is None:
            singles.append([p])
        else:
            by_household.setdefault(p.household_id, []).append(p)
    units = singles + list(by_household.values())
    for u in units:
        u.sort(key=lambda p: p.resident_id)
    plan.households = sum(1 for u in units if len(u) > 1)

    def priority(u: list[Person]) -> tuple[int, dt.date, int]:
        band = min(plan.band_of[p.resident_id] for p in u)
        oldest = min((p.birth_date for p in u if p.birth_date), default=dt.date.max)
        return band, oldest, u[0].resident_id

    units.sort(key=priority)
    return units


def _reason(seats: _Seats, p: Person) -> str:
    """Why nothing could take ``p``: the first missing thing, in the order of ``REASONS``.

    Seats only decrease, so once a demand failed every later one like it fails too: the answer
    is kept per demand (a resident with days away is asked afresh).
    """
    key = (p.district, p.transport, p.wheelchair)
    if not p.unavailable and key in seats.why:
        return seats.why[key]
    free = [i for i in range(len(seats.slots)) if seats.free[i] >= 1]
    if not free:
        why = "no_capacity"
    elif p.wheelchair and not any(seats.wheel[i] for i in free):
        why = "no_wheelchair_slot"
    elif p.transport and not any(seats.tfree[i] >= 1 for i in free):
        why = "no_transport_seats"
    elif seats.rules.second_dose_days and not any(
        seats.pair[i] is not None and seats.fits(i, 1, int(p.transport), p.wheelchair) for i in free
    ):
        why = "no_second_dose_slot"
    elif p.unavailable:
        why = "unavailable_days"
    else:
        why = "no_capacity"
    if not p.unavailable:
        seats.why[key] = why
    return why


def _place(seats: _Seats, unit: list[Person], plan: Plan) -> bool:
    k = len(unit)
    t = sum(p.transport for p in unit)
    w = any(p.wheelchair for p in unit)
    away = frozenset().union(*(p.unavailable for p in unit))
    i = seats.first(unit[0].district, k, t, w, away)
    if i is None:
        return False
    seats.take(i, k, t)
    j = seats.pair[i]
    for p in unit:
        plan.placements.append(Placement(p.resident_id, seats.slots[i].slot_id, 1, p.transport))
        if j is not None:
            plan.placements.append(Placement(p.resident_id, seats.slots[j].slot_id, 2, p.transport))
    return True


def assign(
    people: Iterable[Person],
    slots: Sequence[OpenSlot],
    distances: dict[tuple[int, str], int],
    rules: Rules,
) -> Plan:
    """Place ``people`` in ``slots`` by the rules above. Deterministic for the same input."""
    plan = Plan()
    ordered = sorted(slots, key=lambda s: s.slot_id)
    seats = _Seats(ordered, distances, rules)
    for unit in _units(people, rules, plan):
        if _place(seats, unit, plan):
            continue
        placed = len(plan.placements)
        for p in unit:
            if len(unit) == 1 or not _place(seats, [p], plan):
                plan.unplaced[p.resident_id] = _reason(seats, p)
        if len(unit) > 1 and len(plan.placements) > placed:  # some placed: apart, or not all
            plan.split.append(unit[0].household_id or 0)
    return plan


def by_day_and_venue(plan: Plan, slots: Sequence[OpenSlot]) -> list[tuple[dt.date, int, int]]:
    """(day, venue id, residents assigned) of the first doses, by day then venue."""
    of = {s.slot_id: s for s in slots}
    keys = sorted(
        (of[p.slot_id].day, of[p.slot_id].venue_id) for p in plan.placements if p.dose == 1
    )
    return [(day, venue, len(list(g))) for (day, venue), g in groupby(keys)]
