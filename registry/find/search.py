"""Find a resident the caller names: name (kana or kanji), birth date, address or phone fragment.

:class:`NameIndex` holds the ledger in memory as compact columns (``array`` and a few joined
strings, no per-resident Python objects), built from the database in one streamed pass. It is
designed for 1,000,000 residents (see ``bench/bench_search.py`` for the measured memory).

How a query is answered (``NameIndex.search``, CPU-bound, thread-safe):

1. Candidates. With a birth date (western or wareki, ``registry.normalize.wareki.parse_date``): the
   residents born on that date, on its day/month swap and one year either side (and, when no
   one there matches the given name at 80 or more, the name search below too); a year alone
   (``S15``, ``昭和15年``, ``1940``: ``parse_year``) takes every day of that year. Otherwise, with a
   name: a fuzzy search over the *de-duplicated* name keys (kana keys when the name is all kana,
   folded kanji keys otherwise; variant kanji fold, look-alikes never do):
   stage 0 counts shared character bigrams (both name orders; bigrams found in more than 1/80
   of the keys are skipped while four remain) to pick a few hundred keys, stage 1
   scores them with ``fuzz.ratio`` on space-less keys (both orders) down to a short list, stage 2
   re-ranks that list with ``fuzz.token_set_ratio`` on the spaced family/given form. (A plain
   ``process.extract`` over 130k keys measured 25-80 ms per call on this machine, too slow for
   the 30 ms budget at 1M, hence stage 0.) Otherwise the phone or address fragment.
2. Every candidate is scored on *all* given fields (weights below, normalised over the fields
   given) and carries its reasons: ``name:kana 92``, ``birth_exact``, ``birth_swapped``,
   ``birth_year±1``, ``birth_year``, ``address``, ``phone``, ``status:moved``. The address is
   graded, not just found (``registry.normalize.address``): ``浜一丁目２番`` and ``浜1-2`` are one
   key, the whole fragment counts fully, the town with only its first numbers less, the town
   alone half (a town alone given: fully), and a fragment only inside a longer town name (浜 in
   長浜) 0.8 of that, so among same-name residents of one town the banchi given picks the one.
   Equal scores are ordered by resident id.

An empty query raises :class:`registry.errors.InvalidInput` (field ``name``); so does an
unparsable birth date (field ``birth``) or a phone fragment of fewer than 3 digits (``phone``).
Inactive residents (moved, deceased) are kept, 10 points lower, with a ``status:`` reason.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.errors import InvalidInput
from registry.find.matching import ResidentMatch
from registry.find.search_load import load_index, refresh_index
from registry.find.search_store import Columns, IndexedResident, Ints, NameKeys, PhoneDigits
from registry.models import Resident
from registry.normalize.address import address_key, address_levels
from registry.normalize.names import is_kana, kana_key, loose_kana_key, name_key, spaced
from registry.normalize.wareki import parse_date, parse_year

log = logging.getLogger(__name__)

WEIGHTS = {"name": 0.6, "birth": 0.3, "address": 0.15, "phone": 0.2}
BIRTH_SCORES = {
    "birth_exact": 100.0,
    "birth_swapped": 85.0,
    "birth_year±1": 75.0,
    "birth_year": 100.0,  # a year given alone: every day of it matches fully
}
INACTIVE_PENALTY = 10.0
STAGE0_KEYS = 200  # keys kept by the bigram count
STAGE1_KEYS = 40  # keys kept by fuzz.ratio for the token_set_ratio re-rank
NAME_FALLBACK = 80.0  # below this best name score in the birth block, also search by name
WIDE_CAP = 3000  # residents gathered by a phone or address fragment alone
NARROW_CAP = 50  # residents gathered for a name-only query
NAME_SPREAD = 20.0  # name keys this far below the best: expanded only while few residents
_HIRA2KATA = {cp: cp + 0x60 for cp in range(0x3041, 0x3097)}
Floats = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class SearchPage:
    """A result page; ``tied_beyond``: residents left off it with the same score as its last
    match (among the candidates gathered: a name-only query gathers about ``NARROW_CAP``). A
    query that many residents answer equally well, such as a common name in a town where
    twenty people bear it, needs another field (birth date, banchi) to find the one."""

    matches: list[ResidentMatch]
    tied_beyond: int = 0


@dataclass(frozen=True)
class SearchQuery:
    name: str = ""
    birth: str = ""
    address: str = ""
    phone: str = ""


def kana_form(s: str) -> str:
    """Spaced katakana key: ``"さいとう　いちろう"`` -> ``"サイトウ イチロウ"``."""
    return " ".join(k for k in (kana_key(p) for p in spaced(s).split(" ")) if k)


def kanji_form(s: str) -> str:
    """Spaced folded kanji key (hiragana as katakana): ``"髙橋 一郎"`` -> ``"高橋 一郎"``."""
    parts = (name_key(p).translate(_HIRA2KATA) for p in spaced(s).split(" "))
    return " ".join(k for k in parts if k)


def phone_digits(s: str) -> str:
    """National digits of an E.164 number or a typed fragment (``+81 773`` -> ``0773``)."""
    s = unicodedata.normalize("NFKC", s).strip()
    digits = "".join(c for c in s if c.isdigit())
    return "0" + digits[2:] if s.startswith("+81") else digits


def _birth_filter(text: str) -> list[tuple[dt.date, str]]:
    """The days a birth field matches, each with its reason: a date and its near misses, or
    every day of a year given alone (``S15``, ``昭和15年``, ``1940``: reason ``birth_year``)."""
    try:
        return _birth_variants(parse_date(text))
    except ValueError as err:
        try:
            year = parse_year(text)
        except ValueError:
            raise InvalidInput("birth", str(err)) from err
    first = dt.date(year, 1, 1).toordinal()
    last = dt.date(year, 12, 31).toordinal()
    return [(dt.date.fromordinal(n), "birth_year") for n in range(first, last + 1)]


def _birth_variants(d: dt.date) -> list[tuple[dt.date, str]]:
    out = [(d, "birth_exact")]
    if d.day <= 12 and d.day != d.month:
        out.append((dt.date(d.year, d.day, d.month), "birth_swapped"))
    for dy in (-1, 1):
        try:
            out.append((d.replace(year=d.year + dy), "birth_year±1"))
        except ValueError:  # 29 February
            out.append((dt.date(d.year + dy, 2, 28), "birth_year±1"))
    return out


@lru_cache(maxsize=256)
def _loose(s: str) -> str:
    return loose_kana_key(s)


def name_score(query: str, qkeys: tuple[str, ...], entry_spaced: str) -> float:
    """Stage-2 score of one key: the best of fuzz.ratio (both query orders, no spaces) and
    token_set_ratio on the spaced forms (so ``タカハシ`` alone scores 100 against every
    ``タカハシ …``: other fields must pick the person); equal loose kana keys count as 95."""
    flat = entry_spaced.replace(" ", "")
    best = max(fuzz.ratio(q, flat) for q in qkeys)
    if " " in entry_spaced:  # swapped order; a lone family or given name matches its part
        best = max(best, fuzz.token_set_ratio(query, entry_spaced))
    if 80 <= best < 95 and is_kana(flat) and loose_kana_key(flat) == _loose(qkeys[0]):
        best = 95.0
    return float(best)


class NameIndex:
    """In-memory search index over the resident ledger (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cols = Columns()
        self._kana = NameKeys()
        self._kanji = NameKeys()
        self._phones = PhoneDigits()
        self._memo_kana: dict[str, str] = {}  # written -> key, while building only
        self._memo_kanji: dict[str, str] = {}
        self.watermark: dt.datetime | None = None  # highest residents.updated_at loaded
        self.last_phone = 0  # highest phones.id loaded

    def __len__(self) -> int:
        return self._cols.live

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in vars(self).items() if k != "_lock"}  # snapshots (pickle)

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    # --- building -------------------------------------------------------------------------

    @classmethod
    async def load(cls, session: AsyncSession, *, batch: int = 5000) -> NameIndex:
        """Build the index from the database (``registry.find.search_load.load_index``)."""
        index = cls()
        await load_index(index, session, batch)
        log.info("name index built: %d residents", len(index))
        return index

    async def refresh(self, session: AsyncSession) -> int:
        """Pick up what changed in the database since the last load or refresh (an import by
        ``cti-registry``, say); returns the number of residents changed. What a refresh cannot
        see is in ``registry.find.search_load``."""
        return await refresh_index(self, session)

    @classmethod
    def from_residents(cls, residents: list[IndexedResident]) -> NameIndex:
        """Build an index from records (tests, imports); phones come from each record."""
        index = cls()
        for r in residents:
            index._add(r)
            for p in r.phones:
                index._phones.add(phone_digits(p), r.resident_id, None)
        index._freeze()
        return index

    def _add(self, r: IndexedResident) -> int:
        birth = r.birth_date.toordinal() if r.birth_date else 0
        return self._add_values(r.resident_id, r.name, r.name_kana, birth, r.sex, r.address,
                                r.household_id, r.household_no, r.status)  # fmt: skip

    def _add_values(
        self, resident_id: int, name: str, name_kana: str, birth: int, sex: str, address: str,
        household_id: int | None, household_no: str, status: str,
    ) -> int:  # fmt: skip
        kana = self._memo_kana.get(name_kana)
        if kana is None:
            kana = self._memo_kana[name_kana] = kana_form(name_kana)
        kanji = self._memo_kanji.get(name)
        if kanji is None:
            kanji = self._memo_kanji[name] = kanji_form(name)
        row = len(self._cols.rid)
        ke = self._kana.add(kana, row)
        je = self._kanji.add(kanji, row)
        return self._cols.append_values(resident_id, name, name_kana, birth, sex, address,
                                        household_id, household_no, status, ke, je,
                                        address_key)  # fmt: skip

    def _freeze(self) -> None:
        self._cols.freeze()
        self._kana.freeze()
        self._kanji.freeze()
        self._phones.freeze()
        self._memo_kana, self._memo_kanji = {}, {}

    def upsert(self, resident: IndexedResident) -> None:
        """Add or replace one resident (after an import or an edit); O(1) amortised."""
        with self._lock:
            self._cols.remove(resident.resident_id)
            self._add(resident)
            for p in resident.phones:
                self._phones.add(phone_digits(p), resident.resident_id, None)

    def add_phones(self, phones: list[tuple[str, int | None, int | None]]) -> None:
        """Index more numbers: (national digits, resident id, household id)."""
        with self._lock:
            for digits, resident_id, household_id in phones:
                self._phones.add(digits, resident_id, household_id)

    def replace_with(self, other: NameIndex) -> None:
        """Take over the content of ``other`` (a fresh build), atomically for readers."""
        with self._lock:
            state = {k: v for k, v in vars(other).items() if k != "_lock"}
            self.__dict__.update(state)

    def remove(self, resident_id: int) -> bool:
        """Forget a resident; True if it was indexed."""
        with self._lock:
            return self._cols.remove(resident_id)

    # --- searching ------------------------------------------------------------------------

    def search(self, q: SearchQuery, limit: int = 10) -> list[ResidentMatch]:
        """Top ``limit`` candidates for ``q``, best first (see the module docstring)."""
        return self.search_page(q, limit).matches

    def search_page(self, q: SearchQuery, limit: int = 10) -> SearchPage:
        """As ``search``, with how many residents scored the same as the last one and were
        left off the page (the query cannot tell them apart from those on it)."""
        name, addr = q.name.strip(), address_key(q.address)
        digits = phone_digits(q.phone) if q.phone.strip() else ""
        if not (name or q.birth.strip() or addr or digits):
            raise InvalidInput("name", "empty query: give a name, birth date, address or phone")
        if q.phone.strip() and len(digits) < 3:
            raise InvalidInput("phone", "a phone fragment needs at least 3 digits")
        if name and not self._name_mode(name)[1] and not (q.birth.strip() or addr or digits):
            raise InvalidInput("name", "the name has no letters to search by")
        birth: list[tuple[dt.date, str]] | None = None
        if q.birth.strip():
            birth = _birth_filter(q.birth)
        with self._lock:
            return self._search(name, birth, addr, digits, limit)

    def _search(
        self, name: str, birth: list[tuple[dt.date, str]] | None, addr: str, digits: str, limit: int
    ) -> SearchPage:
        cols = self._cols
        births: dict[int, str] = {}
        if birth is not None:
            for day, why in birth:
                for row in cols.born_on(day.toordinal()):
                    births.setdefault(row, why)
        mode, qform = self._name_mode(name)
        keys = self._kana if mode == "kana" else self._kanji
        qkeys = _query_keys(qform)
        names: dict[int, float] = {}
        found: tuple[Ints, Floats] = (np.empty(0, np.int64), np.empty(0))
        if qform:
            for row in births:
                e = cols.entry(row, mode)
                if e >= 0:
                    names[row] = name_score(qform, qkeys, keys.spaced(e))
            if birth is None or max(names.values(), default=0.0) < NAME_FALLBACK:
                found = self._expand(keys, qform, qkeys, births, wide=bool(addr or digits or birth))
        phone_owners = self._phones.owners(digits) if digits else None
        levels = address_levels(addr)
        other: set[int] = set()
        if not births and not len(found[0]) and phone_owners is not None:
            other.update(cols.rows_of_owners(phone_owners, WIDE_CAP))
        if addr and not births and not len(found[0]) and not other:
            other.update(cols.rows_at_address(levels, WIDE_CAP))
        given = {"name": bool(qform), "birth": birth is not None, "address": bool(addr),
                 "phone": phone_owners is not None}  # fmt: skip
        total = sum(WEIGHTS[f] for f, on in given.items() if on)
        if total <= 0 or limit <= 0:
            return SearchPage([])
        w = {k: WEIGHTS[k] / total for k in WEIGHTS}
        # every candidate scored at once (numpy), in the same float operations as one by one
        first = [*births, *other]
        rows = np.concatenate((np.array(first, np.int64), found[0]))
        name_of = np.concatenate((np.array([names.get(r, 0.0) for r in first]), found[1]))
        live = cols.alive_of(rows)
        rows, name_of = rows[live], name_of[live]
        score = w["name"] * name_of if qform else np.zeros(len(rows))
        if birth is not None:
            born = [BIRTH_SCORES.get(births.get(r, ""), 0.0) for r in first]
            born_of = np.concatenate((np.array(born), np.zeros(len(found[0]))))[live]
            score = score + w["birth"] * born_of
        at_addr = cols.address_scores_of(rows, levels) if addr else np.zeros(len(rows))
        score = score + w["address"] * at_addr
        if phone_owners is not None:
            score = score + w["phone"] * 100.0 * cols.owned_by_of(rows, phone_owners)
        score = score - INACTIVE_PENALTY * cols.inactive_of(rows)
        if len(rows) > limit:  # rounding moves a score by 0.05 at most: keep what can still rank
            kth = -np.partition(-score, limit - 1)[limit - 1]
            near = score >= kth - 0.1
            rows, name_of, score, at_addr = rows[near], name_of[near], score[near], at_addr[near]
        name_at = dict(zip(rows.tolist(), name_of.tolist(), strict=True))
        addr_at = dict(zip(rows.tolist(), at_addr.tolist(), strict=True))
        scored = sorted(
            zip([-round(x, 1) for x in score.tolist()], cols.rid_of(rows).tolist(), rows.tolist(),
                strict=True)
        )  # fmt: skip
        page = []
        for neg, _, row in scored[:limit]:
            reasons: list[str] = []
            if qform and name_at.get(row):
                reasons.append(f"name:{mode} {name_at[row]:.0f}")
            if births.get(row):
                reasons.append(births[row])
            if addr_at[row] > 0:
                reasons.append("address")
            if phone_owners is not None and cols.owned_by(row, phone_owners):
                reasons.append("phone")
            if not cols.active(row):
                reasons.append(f"status:{cols.status(row)}")
            page.append(cols.match(row, -neg, tuple(reasons)))
        last = scored[limit - 1][0] if len(scored) >= limit else None
        tied = sum(1 for neg, _, _ in scored[limit:] if neg == last) if last is not None else 0
        return SearchPage(page, tied)

    def _expand(
        self, keys: NameKeys, qform: str, qkeys: tuple[str, ...], taken: dict[int, str], *,
        wide: bool,
    ) -> tuple[Ints, Floats]:  # fmt: skip
        """The live residents of the best-matching name keys (but those in ``taken``), each
        with its key's score. Wide (other fields will pick among same-name people): every key
        within ``NAME_SPREAD`` of the best, then more while fewer than ``NARROW_CAP`` residents;
        else keys in order until ``NARROW_CAP`` residents, just enough for a result page."""
        found = keys.search(qform, qkeys, STAGE0_KEYS, STAGE1_KEYS, name_score)
        floor = (found[0][1] if found else 0.0) - NAME_SPREAD
        before = np.fromiter(taken, np.int64, len(taken))
        count = len(taken)
        rows: list[Ints] = [np.empty(0, np.int64)]
        scores: list[Floats] = [np.empty(0)]
        for e, score in found:
            if score < floor and count >= NARROW_CAP:
                break
            mine = keys.rows_of(e)
            mine = mine[self._cols.alive_of(mine)]
            if len(before):
                mine = mine[~np.isin(mine, before)]
            rows.append(mine)
            scores.append(np.full(len(mine), score))
            count += len(mine)
            if not wide and count >= NARROW_CAP:
                break
        return np.concatenate(rows), np.concatenate(scores)

    @staticmethod
    def _name_mode(name: str) -> tuple[str, str]:
        if not name:
            return "kana", ""
        if is_kana(name):
            return "kana", kana_form(name)
        return "kanji", kanji_form(name)


def _query_keys(qform: str) -> tuple[str, ...]:
    """Space-less query keys: family+given, and given+family when the name has both."""
    parts = qform.split(" ")
    if len(parts) >= 2:
        return ("".join(parts), "".join(parts[1:] + parts[:1]))
    return (qform,)


async def search_residents(index: NameIndex, q: SearchQuery, limit: int = 10) -> SearchPage:
    """Run :meth:`NameIndex.search_page` in a worker thread so the event loop is never
    blocked."""
    return await asyncio.to_thread(index.search_page, q, limit)


async def with_ledger_ids(
    session: AsyncSession, matches: list[ResidentMatch]
) -> list[ResidentMatch]:
    """``matches`` with their 宛名番号 and はがき番号 (one query; the index does not hold them)."""
    ids = [m.resident_id for m in matches]
    if not ids:
        return []
    rows = await session.execute(
        select(Resident.id, Resident.person_no, Resident.barcode).where(Resident.id.in_(ids))
    )
    found = {rid: (person_no, barcode) for rid, person_no, barcode in rows.all()}
    out = []
    for m in matches:
        person_no, barcode = found.get(m.resident_id, ("", ""))
        out.append(replace(m, person_no=person_no, barcode=barcode))
    return out
