"""Who is calling from this number? Residents reached at an E.164 number, grouped by household.

One round trip: a ``UNION ALL`` of three index-driven branches, each starting from
``phones.e164 = :number`` (index ``ix_phones_e164``):

1. residents whose own phone it is        -> reason ``own_mobile`` (kind mobile) or ``own_phone``;
2. members of a household whose phone it is -> reason ``household_landline``;
3. the other members of an owner's household -> reason ``same_household`` (a relative calling
   from their own phone on behalf of someone they live with).

Ranking (documented choice): a resident keeps their best reason (score 100 / 90 / 70). Residents
whose status is not ``active`` (moved, deceased) are *kept* — the operator must see who the caller
names — but score 40 less, carry a ``status:<status>`` reason and come last in their household.
Within a household: score, then active first, then oldest first (vaccination priority; the elderly
are the usual callers on a shared landline). Households are ordered by their best member.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import CompoundSelect, Select, bindparam, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from registry.matching import HouseholdMatch, ResidentMatch
from registry.models import Household, Phone, Resident

log = logging.getLogger(__name__)

SCORE_OWN = 100.0
SCORE_LANDLINE = 90.0
SCORE_SAME_HOUSEHOLD = 70.0
INACTIVE_PENALTY = 40.0


def _branch(src: Select[Any], resident: Any, prio: int) -> Select[Any]:
    hh = aliased(Household)
    return (
        src.add_columns(
            resident.id,
            resident.name,
            resident.name_kana,
            resident.birth_date,
            resident.sex,
            resident.address,
            resident.status,
            resident.household_id,
            hh.household_no,
            hh.address.label("household_address"),
            Phone.kind,
            literal(prio).label("prio"),
        )
        .outerjoin(hh, hh.id == resident.household_id)
        .where(Phone.e164 == bindparam("number", type_=Phone.e164.type))
    )


def lookup_statement(cap: int) -> CompoundSelect[Any]:
    """The lookup query (bound parameter ``number``); exposed so tests can EXPLAIN it."""
    own = aliased(Resident)
    member = aliased(Resident)
    owner = aliased(Resident)
    mate = aliased(Resident)
    b1 = _branch(select().select_from(Phone).join(own, own.id == Phone.resident_id), own, 1)
    b2 = _branch(
        select().select_from(Phone).join(member, member.household_id == Phone.household_id),
        member,
        2,
    )
    b3 = _branch(
        select()
        .select_from(Phone)
        .join(owner, owner.id == Phone.resident_id)
        .join(mate, mate.household_id == owner.household_id),
        mate,
        3,
    )
    return union_all(b1, b2, b3).order_by("prio").limit(cap)


def _reason(prio: int, kind: str) -> tuple[str, float]:
    if prio == 1:
        return ("own_mobile" if kind == "mobile" else "own_phone"), SCORE_OWN
    if prio == 2:
        return "household_landline", SCORE_LANDLINE
    return "same_household", SCORE_SAME_HOUSEHOLD


def _age_key(birth: dt.date | None) -> int:
    return birth.toordinal() if birth else dt.date.max.toordinal()


def group_rows(rows: list[Any], limit: int) -> list[HouseholdMatch]:
    """Turn raw lookup rows into ranked households (pure; each resident once, best reason)."""
    best: dict[int, ResidentMatch] = {}
    active: dict[int, bool] = {}
    for row in rows:
        reason, score = _reason(row.prio, row.kind or "")
        reasons: tuple[str, ...] = (reason,)
        if row.status != "active":
            score -= INACTIVE_PENALTY
            reasons += (f"status:{row.status}",)
        prev = best.get(row.id)
        if prev is not None and prev.score >= score:
            continue
        active[row.id] = row.status == "active"
        best[row.id] = ResidentMatch(
            resident_id=row.id, name=row.name, name_kana=row.name_kana,
            birth_date=row.birth_date, sex=row.sex, address=row.address,
            household_id=row.household_id, household_no=row.household_no or "",
            score=score, reasons=reasons,
        )  # fmt: skip
    hh_address = {r.household_id: r.household_address or "" for r in rows}
    ranked = sorted(
        best.values(),
        key=lambda m: (-m.score, not active[m.resident_id], _age_key(m.birth_date)),
    )[:limit]
    groups: dict[tuple[int, int], list[ResidentMatch]] = {}
    for m in ranked:  # a resident without a household forms a group of their own
        key = (0, m.household_id) if m.household_id is not None else (1, m.resident_id)
        groups.setdefault(key, []).append(m)
    out = [
        HouseholdMatch(
            household_id=ms[0].household_id,
            household_no=ms[0].household_no,
            address=hh_address.get(ms[0].household_id) or ms[0].address,
            members=tuple(ms),
        )
        for ms in groups.values()
    ]
    out.sort(key=lambda h: (-h.best_score, h.household_no))
    return out


async def lookup_by_number(
    session: AsyncSession, e164: str, *, limit: int = 50
) -> list[HouseholdMatch]:
    """Residents reached at ``e164`` (e.g. ``"+81773621234"``), grouped by household, best first.

    At most ``limit`` residents in all. An empty or non-E.164 string gives an empty list.
    """
    if not e164.startswith("+") or not e164[1:].isdigit():
        return []
    rows = list((await session.execute(lookup_statement(limit * 3), {"number": e164})).all())
    result = group_rows(rows, limit)
    log.debug("lookup: %d rows, %d households", len(rows), len(result))
    return result
