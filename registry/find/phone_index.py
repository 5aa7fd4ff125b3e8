"""Lookup by number from memory: the ledger's phones, residents and households as compact columns.

``PhoneIndex.lookup(e164)`` answers what ``registry.find.lookup.lookup_by_number`` answers (the
same three reasons, the same ranking: the rows go through the same ``group_rows``) without a
database round trip: tens of microseconds at 1,000,000 residents, where the query takes
milliseconds. The database stays the truth: the index is built from it (``load``) and brought up
to date from it (``refresh``), from the same watermarks the name index uses (the highest
``residents.updated_at`` and ``phones.id`` seen), at the same moments: at start, every
``index_refresh_seconds``, and when another instance says the ledger changed (the bus).

Storage: no per-resident Python objects. Residents loaded by ``load`` are columns (``array`` and
``StrTable`` strings, de-duplicated where values repeat) sorted by id; households likewise;
phones as a sorted array of their numbers (E.164 digits as an integer) with parallel owner
columns. What a refresh brings is kept beside, in small dictionaries that win over the columns
(``_res``, ``_hh``, ``_phones_of`` per owner), until the next full build.

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
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from registry.find.lookup import _Row, group_rows
from registry.find.matching import HouseholdMatch
from registry.find.search_load import stream_rows
from registry.find.search_store import SortedRows, StrTable
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

# one resident as held beside the columns: the fields of a lookup row, in this order
ResTuple = tuple[int, str, str, dt.date | None, str, str, str, int | None, str, str]
Owner = tuple[str, int]  # ("r", resident id) or ("h", household id)
PhoneTuple = tuple[int, str, int | None, int | None]  # number, kind, resident id, household id


def number_key(e164: str) -> int | None:
    """An E.164 number as an integer (``+81773621234`` -> 81773621234); None if not E.164."""
    if len(e164) < 3 or e164[0] != "+" or not e164[1:].isdigit():
        return None
    return int(e164[1:])


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))  # SQLite keeps dates as ISO text


class _Residents:
    """Residents of a full build as columns, sorted by id."""

    def __init__(self) -> None:
        self.rid = array("q")
        self.hh = array("q")  # -1: none
        self.birth = array("i")  # date ordinal, 0: unknown
        self.sex = bytearray()
        self.status = bytearray()
        self.statuses: list[str] = []
        self._codes: dict[str, int] = {}
        self.name, self.kana, self.addr = array("i"), array("i"), array("i")
        self.person, self.barcode = array("i"), array("i")
        self.names, self.kanas, self.addresses = StrTable(), StrTable(), StrTable()
        self.persons, self.barcodes = StrTable(dedupe=False), StrTable(dedupe=False)
        self.by_hh = SortedRows(array("q"))

    def append(self, row: Sequence[Any]) -> None:
        rid, name, kana, birth, sex, address, status, hid, person_no, barcode = row
        self.rid.append(rid)
        self.hh.append(-1 if hid is None else hid)
        day = _date(birth)
        self.birth.append(day.toordinal() if day else 0)
        self.sex.append(ord((sex or "")[:1] or "\x00") & 0x7F)
        code = self._codes.get(status)
        if code is None:
            code = self._codes[status] = len(self.statuses)
            self.statuses.append(status)
        self.status.append(code)
        self.name.append(self.names.add(name or ""))
        self.kana.append(self.kanas.add(kana or ""))
        self.addr.append(self.addresses.add(address or ""))
        self.person.append(self.persons.add(person_no or ""))
        self.barcode.append(self.barcodes.add(barcode or ""))

    def freeze(self) -> None:
        for table in (self.names, self.kanas, self.addresses, self.persons, self.barcodes):
            table.freeze()
        self.by_hh = SortedRows(self.hh)

    def row_of(self, rid: int) -> int | None:
        i = bisect_left(self.rid, rid)
        return i if i < len(self.rid) and self.rid[i] == rid else None

    def get(self, i: int) -> ResTuple:
        birth, sex, hh = self.birth[i], self.sex[i], self.hh[i]
        return (
            self.rid[i], self.names.get(self.name[i]), self.kanas.get(self.kana[i]),
            dt.date.fromordinal(birth) if birth else None, chr(sex) if sex else "",
            self.addresses.get(self.addr[i]), self.statuses[self.status[i]],
            None if hh < 0 else hh, self.persons.get(self.person[i]),
            self.barcodes.get(self.barcode[i]),
        )  # fmt: skip


class _Households:
    def __init__(self) -> None:
        self.hid = array("q")
        self.no, self.addr = array("i"), array("i")
        self.nos, self.addresses = StrTable(dedupe=False), StrTable()

    def append(self, hid: int, household_no: str, address: str) -> None:
        self.hid.append(hid)
        self.no.append(self.nos.add(household_no or ""))
        self.addr.append(self.addresses.add(address or ""))

    def freeze(self) -> None:
        self.nos.freeze()
        self.addresses.freeze()

    def get(self, hid: int) -> tuple[str, str] | None:
        i = bisect_left(self.hid, hid)
        if i < len(self.hid) and self.hid[i] == hid:
            return self.nos.get(self.no[i]), self.addresses.get(self.addr[i])
        return None


class _Phones:
    """Phones of a full build: numbers sorted, with their owners (-1: none) and kinds."""

    def __init__(self, rows: list[PhoneTuple]) -> None:
        rows.sort(key=lambda p: p[0])
        kinds: dict[str, int] = {}
        self.kinds: list[str] = []
        self.key = array("q", (p[0] for p in rows))
        self.rid = array("q", (-1 if p[2] is None else p[2] for p in rows))
        self.hid = array("q", (-1 if p[3] is None else p[3] for p in rows))
        self.kind = bytearray()
        for p in rows:
            code = kinds.get(p[1])
            if code is None:
                code = kinds[p[1]] = len(self.kinds)
                self.kinds.append(p[1])
            self.kind.append(code)

    def of(self, key: int) -> Iterable[PhoneTuple]:
        lo = bisect_left(self.key, key)
        hi = bisect_right(self.key, key, lo)
        for i in range(lo, hi):
            rid, hid = self.rid[i], self.hid[i]
            yield key, self.kinds[self.kind[i]], None if rid < 0 else rid, None if hid < 0 else hid


class PhoneIndex:
    """Phone -> residents in memory (see the module docstring). Thread-safe for readers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._res = _Residents()
        self._hhs = _Households()
        self._phones = _Phones([])
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
        for _, kind, rid, hid in self._phones_at(key):
            owner = self._resident(rid) if rid is not None else None
            if owner is not None:
                rows.append(self._row(owner, kind, 1))
                if owner[7] is not None:
                    rows.extend(self._row(m, kind, 3) for m in self._members(owner[7]))
            if hid is not None:
                rows.extend(self._row(m, kind, 2) for m in self._members(hid))
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

    def _resident(self, rid: int) -> ResTuple | None:
        extra = self._res_extra.get(rid)
        if extra is not None:
            return extra
        i = self._res.row_of(rid)
        return None if i is None else self._res.get(i)

    def _members(self, hid: int) -> list[ResTuple]:
        out = []
        for i in self._res.by_hh.lookup(hid):
            if self._res.rid[i] not in self._moved:
                out.append(self._res.get(i))
        out.extend(self._res_extra[rid] for rid in self._members_extra.get(hid, ()))
        return out

    def _household(self, hid: int | None) -> tuple[str, str] | None:
        if hid is None:
            return None
        return self._hh_extra.get(hid) or self._hhs.get(hid)

    def _row(self, r: ResTuple, kind: str, prio: int) -> _Row:
        hh = self._household(r[7])
        return _Row(
            r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7],
            hh[0] if hh else None, hh[1] if hh else None, kind, prio, r[8], r[9],
        )  # fmt: skip

    def __len__(self) -> int:
        return self.residents

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in vars(self).items() if k != "_lock"}  # snapshots (pickle)

    def __setstate__(self, state: dict[str, object]) -> None:
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
        phones: list[PhoneTuple] = []
        async for rows in stream_rows(conn, PHONE_SQL, batch):
            for e164, kind, rid, hid in rows:
                key = number_key(e164 or "")
                if key is not None:
                    phones.append((key, kind or "", rid, hid))
        index._res.freeze()
        index._hhs.freeze()
        index._phones = _Phones(phones)
        index.residents = len(index._res.rid)
        log.info("phone index built: %d residents, %d phones", index.residents, len(phones))
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
        self._res_extra[rid] = (*row[:3], _date(row[3]), *row[4:])
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
