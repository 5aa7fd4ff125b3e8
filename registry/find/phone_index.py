"""Lookup by number from memory: the ledger's phones, residents and households as compact columns.

``PhoneIndex.lookup(e164)`` answers what ``registry.find.lookup.lookup_by_number`` answers (the
same three reasons, the same ranking: the rows go through the same ``group_rows``) without a
database round trip: tens of microseconds at 1,000,000 residents, where the query takes
milliseconds. The database stays the truth: the index is built from it (``load``) and brought up
to date from it (``refresh``), from the same watermarks the name index uses (the highest
``residents.updated_at`` and ``phones.id`` seen), at the same moments: at start, every
``index_refresh_seconds``, and when another instance says the ledger changed (the bus).

Storage: no per-resident Python objects. Residents loaded by ``load`` are columns of small
integers sorted by id, households likewise, phones as a sorted array of their numbers (E.164
digits as an integer) with their owners; the strings live once in tables the columns point into
(``registry.find.phone_columns``: about 50 bytes a resident in all, where Python objects would
take several hundred), and a lookup rebuilds only the residents it answers with. What a refresh
brings is kept beside, in small dictionaries that win over the columns (``_res_extra``,
``_hh_extra``, the re-read phones by owner and by number), until the next full build.

What a refresh sees: residents updated since the watermark (their row and all their own phones
are re-read), phones added since (every phone of their owner, resident or household, is re-read:
the importer replaces a changed phone by a new row, so the old row of that owner is dropped with
it), and the households of both. Not seen until the next full build: a phone deleted from an
owner that got no new phone and whose resident row did not change (the importer never does
that). More than ``REBUILD_SHARE`` of the residents changed: a full build replaces the index.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from registry.find.lookup import _Row, group_rows
from registry.find.matching import HouseholdMatch
from registry.find.phone_columns import (
    Addresses,
    Households,
    Phones,
    PhoneTuple,
    Residents,
    ResTuple,
    to_date,
)
from registry.find.search_load import stream_rows
from registry.models import Household, Phone, Resident

log = logging.getLogger(__name__)

REBUILD_SHARE = 20  # a refresh rebuilds when more than 1/20 of the residents changed ...
REBUILD_MIN = 5000  # ... and more than this many
CHUNK = 500  # ids per IN (...) when re-reading owners
RESIDENT_SQL = (
    "SELECT id, name, name_kana, birth_date, sex, address, status, household_id, person_no, "
    "barcode FROM residents ORDER BY id"
)
HOUSEHOLD_SQL = "SELECT id, household_no, address FROM households ORDER BY id"
PHONE_SQL = "SELECT e164, kind, resident_id, household_id FROM phones WHERE e164 IS NOT NULL"

Owner = tuple[str, int]  # ("r", resident id) or ("h", household id)
LAYOUT = 2  # of the columns: a snapshot of another layout is not taken (built again)


def number_key(e164: str) -> int | None:
    """An E.164 number as an integer (``+81773621234`` -> 81773621234); None if not E.164."""
    if len(e164) < 3 or e164[0] != "+" or not e164[1:].isdigit():
        return None
    return int(e164[1:])


class PhoneIndex:
    """Phone -> residents in memory (see the module docstring). Thread-safe for readers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        addresses = Addresses()
        self._res = Residents(addresses)
        self._hhs = Households(addresses)
        self._phones = Phones()
        # what refreshes brought, winning over the columns
        self._res_extra: dict[int, ResTuple] = {}  # resident id -> row
        self._hh_extra: dict[int, tuple[str, str]] = {}  # household id -> (no, address)
        self._members_extra: dict[int, set[int]] = {}  # household id -> residents moved in
        self._moved: set[int] = set()  # residents of the columns whose row is in _res_extra
        self._owners: dict[Owner, list[PhoneTuple]] = {}  # owners whose phones were re-read
        self._by_number: dict[int, list[PhoneTuple]] = {}  # their phones by number
        self.watermark: dt.datetime | None = None
        self.last_phone = 0
        self.residents = 0

    # --- reading --------------------------------------------------------------------------

    def lookup(self, e164: str, *, limit: int = 50) -> list[HouseholdMatch]:
        """What ``lookup_by_number(session, e164, limit=limit)`` answers, from memory."""
        key = number_key(e164)
        if key is None:
            return []
        with self._lock:
            rows = self._rows(key)
        rows.sort(key=lambda r: r.prio)
        return group_rows(rows[: limit * 3], limit)

    def _rows(self, key: int) -> list[_Row]:
        rows: list[_Row] = []
        seen: dict[int, ResTuple] = {}  # column row -> resident: each decoded once a lookup
        homes: dict[int | None, tuple[str, str] | None] = {}  # household id -> (no, address)
        for _, kind, rid, hid in self._phones_at(key):
            owner = self._resident(rid, seen) if rid is not None else None
            if owner is not None:
                rows.append(self._row(owner, kind, 1, homes))
                if owner[7] is not None:
                    mates = self._members(owner[7], seen)
                    rows.extend(self._row(m, kind, 3, homes) for m in mates)
            if hid is not None:
                rows.extend(self._row(m, kind, 2, homes) for m in self._members(hid, seen))
        return rows

    def _phones_at(self, key: int) -> list[PhoneTuple]:
        out = [
            p
            for p in self._phones.of(key)
            if not (p[2] is not None and ("r", p[2]) in self._owners)
            and not (p[3] is not None and ("h", p[3]) in self._owners)
        ]
        out.extend(self._by_number.get(key, ()))
        return out

    def _resident(self, rid: int, seen: dict[int, ResTuple] | None = None) -> ResTuple | None:
        extra = self._res_extra.get(rid)
        if extra is not None:
            return extra
        i = self._res.row_of(rid)
        if i is None:
            return None
        r = seen.get(i) if seen is not None else None
        if r is None:
            r = self._res.get(i)
            if seen is not None:
                seen[i] = r
        return r

    def _members(self, hid: int, seen: dict[int, ResTuple]) -> list[ResTuple]:
        out = []
        for i in self._res.members(hid):
            if self._res.rid[i] not in self._moved:
                r = seen.get(i)
                out.append(r if r is not None else seen.setdefault(i, self._res.get(i)))
        out.extend(self._res_extra[rid] for rid in self._members_extra.get(hid, ()))
        return out

    def _household(self, hid: int | None) -> tuple[str, str] | None:
        if hid is None:
            return None
        return self._hh_extra.get(hid) or self._hhs.get(hid)

    def _row(
        self, r: ResTuple, kind: str, prio: int, homes: dict[int | None, tuple[str, str] | None]
    ) -> _Row:
        hh = homes[r[7]] if r[7] in homes else homes.setdefault(r[7], self._household(r[7]))
        return _Row(
            r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7],
            hh[0] if hh else None, hh[1] if hh else None, kind, prio, r[8], r[9],
        )  # fmt: skip

    def __len__(self) -> int:
        return self.residents

    def __getstate__(self) -> dict[str, object]:  # snapshots (pickle)
        return {"layout": LAYOUT} | {k: v for k, v in vars(self).items() if k != "_lock"}

    def __setstate__(self, state: dict[str, object]) -> None:
        if state.pop("layout", None) != LAYOUT:
            raise ValueError("a phone index of another layout")
        self.__dict__.update(state)
        self._lock = threading.Lock()

    # --- building -------------------------------------------------------------------------

    @classmethod
    async def load(cls, session: AsyncSession, *, batch: int = 5000) -> PhoneIndex:
        """Build the index from the database (streamed; the loop runs between batches)."""
        index = cls()
        conn = await session.connection()
        index.watermark, index.last_phone = await _watermarks(conn)
        async for rows in stream_rows(conn, RESIDENT_SQL, batch):
            for row in rows:
                index._res.append(row)
        async for rows in stream_rows(conn, HOUSEHOLD_SQL, batch):
            for hid, no, address in rows:
                index._hhs.append(hid, no, address)
        async for rows in stream_rows(conn, PHONE_SQL, batch):
            for e164, kind, rid, hid in rows:
                key = number_key(e164 or "")
                if key is not None:
                    index._phones.append(key, kind or "", rid, hid)
        for table in (index._res, index._hhs, index._res.addresses, index._phones):
            table.freeze()
        index.residents = len(index._res.rid)
        log.info("phone index built: %d residents, %d phones", index.residents, len(index._phones))
        return index

    def replace_with(self, other: PhoneIndex) -> None:
        """Take over the content of ``other`` (a fresh build), atomically for readers."""
        with self._lock:
            self.__dict__.update({k: v for k, v in vars(other).items() if k != "_lock"})

    async def refresh(self, session: AsyncSession) -> int:
        """Bring the index up to date from the database (see the module docstring); the number
        of residents and phone owners re-read."""
        conn = await session.connection()
        since, last_phone = self.watermark, self.last_phone
        watermark, top_phone = await _watermarks(conn)
        if since == watermark and top_phone == last_phone:
            return 0
        r = Resident
        stmt = select(
            r.id, r.name, r.name_kana, r.birth_date, r.sex, r.address, r.status,
            r.household_id, r.person_no, r.barcode,
        )  # fmt: skip
        if since is not None:
            stmt = stmt.where(r.updated_at > since)
        changed = [tuple(row) for row in (await conn.execute(stmt)).all()]
        if len(changed) > max(REBUILD_MIN, self.residents // REBUILD_SHARE):
            self.replace_with(await type(self).load(session))
            log.info("phone index rebuilt: %d residents changed", len(changed))
            return len(changed)
        new_phones = (
            await conn.execute(
                select(Phone.resident_id, Phone.household_id).where(
                    Phone.id > last_phone, Phone.id <= top_phone
                )
            )
        ).all()
        owners: set[Owner] = {("r", int(row[0])) for row in changed}
        for rid, hid in new_phones:
            if rid is not None:
                owners.add(("r", int(rid)))
            if hid is not None:
                owners.add(("h", int(hid)))
        phones = await _phones_of(conn, owners)
        hids = {int(row[7]) for row in changed if row[7] is not None}
        hids.update(o[1] for o in owners if o[0] == "h")
        households = await _households(conn, hids)
        with self._lock:
            for row in changed:
                self._upsert(row)
            self._hh_extra.update(households)
            self._set_phones(owners, phones)
            self.watermark, self.last_phone = watermark or since, max(top_phone, last_phone)
        if changed or owners:
            log.info("phone index refreshed: %d residents, %d owners", len(changed), len(owners))
        return len(changed) + len(owners)

    def _upsert(self, row: ResTuple) -> None:
        rid, hid = row[0], row[7]
        before = self._resident(rid)
        if before is None:
            self.residents += 1
        elif before[7] is not None:
            self._members_extra.get(before[7], set()).discard(rid)
        if self._res.row_of(rid) is not None:
            self._moved.add(rid)
        self._res_extra[rid] = (*row[:3], to_date(row[3]), *row[4:])
        if hid is not None:
            self._members_extra.setdefault(hid, set()).add(rid)

    def _set_phones(self, owners: set[Owner], phones: list[PhoneTuple]) -> None:
        for owner in owners:
            for p in self._owners.pop(owner, ()):
                left = [q for q in self._by_number.get(p[0], ()) if q != p]
                if left:
                    self._by_number[p[0]] = left
                else:
                    self._by_number.pop(p[0], None)
            self._owners[owner] = []
        for p in phones:
            for tag, oid in (("r", p[2]), ("h", p[3])):
                if oid is not None and (tag, oid) in self._owners:
                    self._owners[(tag, oid)].append(p)
            same = self._by_number.setdefault(p[0], [])
            if p not in same:
                same.append(p)


async def _watermarks(conn: AsyncConnection) -> tuple[dt.datetime | None, int]:
    stamp = (await conn.execute(select(func.max(Resident.updated_at)))).scalar()
    phone = (await conn.execute(select(func.max(Phone.id)))).scalar()
    return stamp, int(phone or 0)


async def _phones_of(conn: AsyncConnection, owners: set[Owner]) -> list[PhoneTuple]:
    """Every indexed phone of these owners, once each."""
    rids = sorted(o[1] for o in owners if o[0] == "r")
    hids = sorted(o[1] for o in owners if o[0] == "h")
    seen: dict[tuple[Any, ...], PhoneTuple] = {}
    cols = (Phone.id, Phone.e164, Phone.kind, Phone.resident_id, Phone.household_id)
    for column, ids in ((Phone.resident_id, rids), (Phone.household_id, hids)):
        for i in range(0, len(ids), CHUNK):
            stmt = select(*cols).where(column.in_(ids[i : i + CHUNK]), Phone.e164.is_not(None))
            for pid, e164, kind, rid, hid in (await conn.execute(stmt)).all():
                key = number_key(e164 or "")
                if key is not None:
                    seen[(pid,)] = (key, kind or "", rid, hid)
    return list(seen.values())


async def _households(conn: AsyncConnection, hids: set[int]) -> dict[int, tuple[str, str]]:
    ids = sorted(hids)
    out: dict[int, tuple[str, str]] = {}
    for i in range(0, len(ids), CHUNK):
        stmt = select(Household.id, Household.household_no, Household.address).where(
            Household.id.in_(ids[i : i + CHUNK])
        )
        for hid, no, address in (await conn.execute(stmt)).all():
            out[int(hid)] = (no or "", address or "")
    return out
