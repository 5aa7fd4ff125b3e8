"""What an assignment does, told before anything is written (and again after a commit).

Definitions of the figures:

- ``candidates``: residents whose latest intent wants the vaccination and who hold no active
  first-dose booking (``load.waiting_residents``);
- ``assigned`` / ``not_assigned``: of them, placed in a slot or not; ``reasons`` counts the
  latter by the first missing thing (``solver.REASONS``);
- ``per_day_venue``: first doses by local day (Asia/Tokyo) and venue;
- ``households``: households with two or more candidates; ``households_split``: of them, those
  that could not come together: some members placed in different slots, or some left out (a
  household none of whose members could be placed is not counted, its members are in
  ``reasons``);
- ``nearest_share``: of the assigned residents whose district is known, the share placed at a
  venue no further than any other venue with a slot in the run;
- ``latest_date``: the latest day any resident is given (second doses included);
- ``moved`` / ``unseated`` (only when asked to move assigned residents): of the residents
  holding an assigned booking, those given another slot, and those left with none;
- ``digest``: a fingerprint of the placements; committing with it refuses a changed plan.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter

from registry.assign.load import Input
from registry.assign.solver import FAR, Plan, by_day_and_venue
from registry.views import View


@dataclasses.dataclass(frozen=True)
class DayVenue(View):
    day: dt.date
    venue_id: int
    venue_name: str
    residents: int


@dataclasses.dataclass(frozen=True)
class AssignmentReport(View):
    candidates: int
    assigned: int
    not_assigned: int
    reasons: dict[str, int]
    per_day_venue: tuple[DayVenue, ...]
    households: int
    households_split: int
    nearest_share: float | None
    latest_date: dt.date | None
    second_doses: int
    with_transport: int
    no_district: int
    open_slots: int
    free_seats: int
    digest: str
    moved: int = 0
    unseated: int = 0
    committed: bool = False
    bookings_written: int = 0
    bookings_cancelled: int = 0


def _nearest_share(plan: Plan, data: Input) -> float | None:
    """Share of assigned residents (district known) at one of their nearest venues in the run."""
    venues = {s.venue_id for s in data.slots}
    district_of = {p.resident_id: p.district for p in data.people}
    venue_of_slot = {s.slot_id: s.venue_id for s in data.slots}
    nearest: dict[str, int] = {}
    known = at_nearest = 0
    for p in plan.placements:
        d = district_of.get(p.resident_id)
        if p.dose != 1 or d is None:
            continue
        if d not in nearest:
            nearest[d] = min((data.distances.get((v, d), FAR) for v in venues), default=FAR)
        known += 1
        at_nearest += data.distances.get((venue_of_slot[p.slot_id], d), FAR) <= nearest[d]
    return None if known == 0 else round(at_nearest / known, 4)


def changed_residents(plan: Plan, data: Input) -> set[int]:
    """Residents holding assigned bookings whose placements differ from them."""
    now: dict[int, set[tuple[int, int]]] = {}
    for p in plan.placements:
        now.setdefault(p.resident_id, set()).add((p.slot_id, p.dose))
    return {
        rid
        for rid, held in data.held.items()
        if now.get(rid, set()) != {(h.slot_id, h.dose) for h in held}
    }


def build_report(plan: Plan, data: Input) -> AssignmentReport:
    day_of = {s.slot_id: s.day for s in data.slots}
    firsts = [p for p in plan.placements if p.dose == 1]
    rows = tuple(
        DayVenue(day, vid, data.venues.get(vid, str(vid)), n)
        for day, vid, n in by_day_and_venue(plan, data.slots)
    )
    return AssignmentReport(
        candidates=len(data.people),
        assigned=len(firsts),
        not_assigned=len(plan.unplaced),
        reasons=dict(sorted(Counter(plan.unplaced.values()).items())),
        per_day_venue=rows,
        households=plan.households,
        households_split=len(plan.split),
        nearest_share=_nearest_share(plan, data),
        latest_date=max((day_of[p.slot_id] for p in plan.placements), default=None),
        second_doses=len(plan.placements) - len(firsts),
        with_transport=sum(p.transport for p in firsts),
        no_district=data.no_district,
        open_slots=sum(1 for s in data.slots if s.free > 0),
        free_seats=sum(s.free for s in data.slots),
        digest=plan.digest(),
        moved=sum(1 for rid in changed_residents(plan, data) if rid not in plan.unplaced),
        unseated=sum(1 for rid in data.held if rid in plan.unplaced),
    )
