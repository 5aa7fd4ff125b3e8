"""Result types shared by the lookup by number and the search by person.

A :class:`ResidentMatch` is one candidate resident with a score (0-100) and the reasons it matched;
a :class:`HouseholdMatch` groups the candidates of one household (世帯). Both are plain frozen
dataclasses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from registry.views import IntentView


@dataclass(frozen=True)
class ResidentMatch:
    """One candidate resident. ``reasons`` say why, e.g. ``("own_mobile",)`` or
    ``("name:kana 92", "birth_exact")``. ``person_no`` (宛名番号), ``household_no`` and
    ``barcode`` (はがき番号) are the ledger's own identifiers, which other city systems key on;
    the in-memory name index leaves person_no and barcode empty (``with_ledger_ids`` fills them).
    """

    resident_id: int
    name: str
    name_kana: str
    birth_date: dt.date | None
    sex: str
    address: str
    household_id: int | None
    household_no: str
    score: float
    reasons: tuple[str, ...]
    person_no: str = ""
    barcode: str = ""
    flags: tuple[str, ...] = ()  # booked / attended / mobility / called (registry.find.flags)
    intent: IntentView | None = None  # the latest intent answer (registry.find.flags)


@dataclass(frozen=True)
class HouseholdMatch:
    """The candidates of one household, best first. ``household_id`` is None for a resident
    without a household (then the group holds that resident alone)."""

    household_id: int | None
    household_no: str
    address: str
    members: tuple[ResidentMatch, ...]

    @property
    def best_score(self) -> float:
        return max((m.score for m in self.members), default=0.0)
