"""A plausible synthetic city ledger (Maizuru-like) for the demo, the tests and the benchmarks.

``generate_ledger`` streams rows, deterministic by seed: households sharing 0773 landlines,
mobiles for most adults, common surnames repeated with realistic frequency (so readings repeat),
variant kanji (髙橋, 山﨑, 渡邊 ...), the look-alike pair 斎藤/斉藤 (same reading), an elderly-heavy
age profile and 舞鶴市 addresses. ``seed_database`` bulk-inserts it (Core executemany in chunks,
streaming, so a million residents fit in little memory) with demo venues, slots and intents.
``write_ledger_csv`` writes the same rows as a municipal ledger CSV for the importer.
All data is fake.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import itertools
import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from registry.barcode import make_barcode
from registry.models import Base
from registry.names import kana_key, name_key
from registry.phone import normalize_ledger_phone
from registry.wareki import to_wareki

log = logging.getLogger(__name__)
T = TypeVar("T")

CHUNK = 5_000

REFERENCE_DAY = dt.date(2024, 4, 1)  # ages are relative to this day so output never drifts

_DATA = Path(__file__).parent / "data" / "seed_city.txt"
_EXCHANGES = [str(x) for x in range(60, 90)]  # 0773-6x..8x: Maizuru's message area


@dataclass(frozen=True, slots=True)
class LedgerRow:
    serial: int
    person_no: str  # 宛名番号
    household_no: str  # 世帯番号
    name: str  # "family given", kanji as written
    name_kana: str
    birth_date: dt.date
    sex: str  # "M" / "F"
    address: str
    landline: str  # the household's landline as written, "" if none
    mobile: str  # the resident's own mobile as written (may be a relative's), "" if none
    barcode: str


def _pick(r: Callable[[], float], seq: Sequence[T]) -> T:
    return seq[int(r() * len(seq))]


def _between(r: Callable[[], float], low: int, high: int) -> int:
    return low + int(r() * (high - low + 1))


def _pairs(text: str) -> list[tuple[str, str]]:
    return [(a, b) for a, _, b in (t.partition(":") for t in text.split())]


@cache
def _city_data() -> dict[str, list[str]]:
    """Sections of data/seed_city.txt: name -> whitespace-separated tokens."""
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for line in _DATA.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[] "), [])
        else:
            current.extend(line.split())
    return sections


class _City:
    def __init__(self, rng: random.Random) -> None:
        data = _city_data()
        self.rng = rng
        self.surnames = [t.split(":") for t in data["surnames"]]
        self.cumulative = list(
            itertools.accumulate(1 / (rank + 1) ** 0.9 for rank in range(len(self.surnames)))
        )
        self.prefixes = _pairs(" ".join(data["prefix"]))
        self.suffixes = _pairs(" ".join(data["suffix"]))
        self.given = {
            (sex, gen): _pairs(" ".join(data[f"given {sex} {gen}"]))
            for sex in "MF"
            for gen in range(3)
        }
        self.towns = data["towns"]
        self.landlines = 0
        self.mobiles = 0

    def surname(self) -> tuple[str, str]:
        """A common surname (Zipf-like, with variant forms) or one from the long tail."""
        r = self.rng.random
        if r() < 0.55:
            a, b = _pick(r, self.prefixes), _pick(r, self.suffixes)
            return a[0] + b[0], a[1] + b[1]
        parts = self.surnames[bisect.bisect(self.cumulative, r() * self.cumulative[-1])]
        written = parts[0]
        if len(parts) > 2 and r() < 0.12:
            written = _pick(r, parts[2].split(","))
        return written, parts[1]

    def landline(self) -> str:
        """A unique landline: 0773-6x..8x first, then Kyoto 075 when a huge city runs out."""
        i = self.landlines
        self.landlines += 1
        if i < 300_000:
            n = (i * 7_919 + 12_345) % 300_000
            ex, sub = _EXCHANGES[n // 10_000], n % 10_000
            style = self.rng.random()
            if style < 0.05:
                return f"{ex}-{sub:04d}"  # local number without area code, as ledgers have them
            if style < 0.08:
                return f"０７７３－{ex}－{sub:04d}".translate(_FULLWIDTH)
            return f"0773-{ex}-{sub:04d}" if style < 0.9 else f"0773{ex}{sub:04d}"
        n = ((i - 300_000) * 7_919 + 1_234_567) % 9_000_000 + 1_000_000
        return f"075-{n // 10_000:03d}-{n % 10_000:04d}"

    def mobile(self) -> str:
        i = self.mobiles
        self.mobiles += 1
        n = (i * 104_729 + 55_555_555) % 300_000_000
        prefix = ("090", "080", "070")[n // 100_000_000]
        rest = n % 100_000_000
        text = f"{prefix}-{rest // 10_000:04d}-{rest % 10_000:04d}"
        return text.replace("-", "") if self.rng.random() < 0.15 else text

    def birth(self, age: int) -> dt.date:
        return REFERENCE_DAY - dt.timedelta(days=age * 365 + int(self.rng.random() * 365))

    def person(self, sex: str, age: int) -> tuple[str, str]:
        born = REFERENCE_DAY.year - age
        generation = 0 if born < 1960 else 1 if born < 1990 else 2
        return _pick(self.rng.random, self.given[(sex, generation)])


_FULLWIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


def _household_ages(rng: random.Random) -> list[tuple[str, int]]:
    """(sex, age) of the members of one household, elderly-heavy like a regional city."""
    r = rng.random
    kind = rng.random()
    old = _between(r, 65, 98)
    if kind < 0.22:  # living alone, elderly
        return [(_pick(r, "FFM"), old)]
    if kind < 0.42:  # elderly couple
        return [("M", old), ("F", max(65, old - _between(r, 0, 5)))]
    if kind < 0.57:  # single adult
        return [(_pick(r, "MF"), _between(r, 19, 64))]
    parent = _between(r, 28, 58)
    family = [("M", parent), ("F", max(20, parent - _between(r, 0, 4)))]
    family += [
        (_pick(r, "MF"), _between(r, 0, min(parent - 20, 30))) for _ in range(_between(r, 0, 3))
    ]
    if kind < 0.72:  # three generations
        family += [("M", old), ("F", old - _between(r, 0, 4))]
    return family


def generate_ledger(n_residents: int, *, seed: int = 1, start: int = 1) -> Iterator[LedgerRow]:
    """Stream ``n_residents`` synthetic rows; the same seed gives the same rows.

    ``start`` is the first serial (宛名番号 and barcode are derived from it), so a second batch
    can follow an existing one without clashing.
    """
    rng = random.Random(seed)
    r = rng.random
    city = _City(rng)
    serial, household = start, start
    emitted = 0
    while emitted < n_residents:
        family, kana = city.surname()
        town = _pick(r, city.towns)
        address = f"京都府舞鶴市{town}{_between(r, 1, 2500)}番地"
        if rng.random() < 0.3:
            address += f"の{_between(r, 1, 30)}"
        members = _household_ages(rng)
        has_old = any(age >= 65 for _, age in members)
        landline = city.landline() if rng.random() < (0.85 if has_old else 0.4) else ""
        mobiles: list[str] = []
        for sex, age in members[: n_residents - emitted]:
            given, given_kana = city.person(sex, age)
            own = rng.random() < (0.9 if 15 <= age < 75 else 0.45 if age >= 75 else 0.0)
            mobile = city.mobile() if own else ""
            if not mobile and age >= 75 and mobiles and rng.random() < 0.4:
                mobile = _pick(r, mobiles)  # a relative's mobile written for an elderly member
            if mobile:
                mobiles.append(mobile)
            name_kana = f"{kana} {given_kana}"
            if rng.random() < 0.05:  # legacy half-width kana
                name_kana = name_kana.translate(_HALFWIDTH)
            yield LedgerRow(
                serial=serial,
                person_no=f"{serial:010d}",
                household_no=f"{household:09d}",
                name=f"{family} {given}",
                name_kana=name_kana,
                birth_date=city.birth(age),
                sex=sex,
                address=address,
                landline=landline,
                mobile=mobile,
                barcode=make_barcode(serial),
            )
            serial += 1
            emitted += 1
        household += 1


_HALF_SRC = (
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン"
)
_HALF_DST = "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜﾝ"
_HALFWIDTH = str.maketrans(_HALF_SRC + "ー", _HALF_DST + "ｰ")


CSV_COLUMNS = ("宛名番号", "世帯番号", "氏名", "氏名カナ", "生年月日", "性別", "住所", "電話番号")


def _csv_birth(date: dt.date, rng: random.Random) -> str:
    style = rng.random()
    if style < 0.7:
        return to_wareki(date)
    if style < 0.9:
        return to_wareki(date, style="letter")
    letter = to_wareki(date, style="letter")
    return f"{'MTSHR'.index(letter[0]) + 1}{letter[1:3]}{date.month:02d}{date.day:02d}"


def write_ledger_csv(
    path: str | Path, n: int, *, seed: int = 1, encoding: str = "utf-8-sig"
) -> int:
    """Write ``n`` synthetic residents as a municipal ledger CSV; return the row count.

    Dates are wareki (kanji, letter and era-coded forms mixed), 性別 is 1 (男) / 2 (女), and
    電話番号 holds the landline and the mobile separated by "／". Characters the encoding cannot
    hold (𠮷 in cp932) are written as "?", as real exports do.
    """
    rng = random.Random(seed + 7)
    rows = 0
    with open(path, "w", encoding=encoding, errors="replace", newline="") as fh:
        out = csv.writer(fh, lineterminator="\r\n")
        out.writerow(CSV_COLUMNS)
        for r in generate_ledger(n, seed=seed):
            phones = "／".join(p for p in (r.landline, r.mobile) if p)
            out.writerow(
                (r.person_no, r.household_no, r.name, r.name_kana, _csv_birth(r.birth_date, rng),
                 "1" if r.sex == "M" else "2", r.address, phones)
            )  # fmt: skip
            rows += 1
    return rows


@dataclass(frozen=True)
class SeedSummary:
    households: int
    residents: int
    phones: int
    venues: int
    slots: int
    intents: int
    seconds: float

    def __str__(self) -> str:
        rate = self.residents / self.seconds if self.seconds else 0.0
        return (
            f"seeded {self.residents} residents in {self.households} households, "
            f"{self.phones} phones, {self.venues} venues, {self.slots} slots, "
            f"{self.intents} intents in {self.seconds:.1f} s ({rate:,.0f} residents/s)"
        )


async def seed_database(
    session_or_engine: AsyncEngine | AsyncSession,
    n_residents: int,
    *,
    seed: int = 1,
    venues: bool = True,
) -> SeedSummary:
    """Bulk-insert ``n_residents`` synthetic residents (plus demo venues, slots and intents).

    With an engine, each chunk is committed; with a session, rows go into its transaction and
    the caller commits. Serials continue after the highest existing barcode, so seeding twice
    adds a second batch.
    """
    started = time.perf_counter()
    if isinstance(session_or_engine, AsyncSession):
        conn = await session_or_engine.connection()
        counts = await _seed(conn, n_residents, seed, venues, commit=False)
    else:
        async with session_or_engine.connect() as conn:
            counts = await _seed(conn, n_residents, seed, venues, commit=True)
    summary = SeedSummary(**counts, seconds=time.perf_counter() - started)
    log.info("%s", summary)
    return summary


class _Batch:
    def __init__(self) -> None:
        self.households: list[dict[str, Any]] = []
        self.residents: list[dict[str, Any]] = []
        self.phones: list[dict[str, Any]] = []
        self.intents: list[dict[str, Any]] = []

    async def flush(self, conn: AsyncConnection, commit: bool) -> None:
        t = Base.metadata.tables
        for name, rows in (("households", self.households), ("residents", self.residents),
                           ("phones", self.phones), ("intents", self.intents)):  # fmt: skip
            if rows:
                await conn.execute(insert(t[name]), rows)
                rows.clear()
        if commit:
            await conn.commit()


def _phone(raw: str, owner: dict[str, int | None]) -> dict[str, Any]:
    cn = normalize_ledger_phone(raw)
    return {"e164": cn.e164, "raw": raw, "kind": cn.kind, "flags": ",".join(cn.flags)[:64], **owner}


async def _seed(
    conn: AsyncConnection, n: int, seed: int, venues: bool, *, commit: bool
) -> dict[str, int]:
    t = Base.metadata.tables
    rid = (await conn.scalar(select(func.max(t["residents"].c.id)))) or 0
    hid = (await conn.scalar(select(func.max(t["households"].c.id)))) or 0
    top = await conn.scalar(select(func.max(t["residents"].c.barcode)))
    start = int(top[:-1]) + 1 if top and top[:-1].isdigit() else 1
    now = dt.datetime.now(dt.UTC)
    rng = random.Random(seed + 11)
    batch, current = _Batch(), ""
    counts = {"households": 0, "residents": 0, "phones": 0, "venues": 0, "slots": 0, "intents": 0}
    for row in generate_ledger(n, seed=seed, start=start):
        if row.household_no != current:
            current, hid = row.household_no, hid + 1
            batch.households.append({"id": hid, "household_no": current, "address": row.address,
                                     "created_at": now})  # fmt: skip
            if row.landline:
                batch.phones.append(
                    _phone(row.landline, {"resident_id": None, "household_id": hid})
                )
        rid += 1
        batch.residents.append(
            {"id": rid, "person_no": row.person_no, "household_id": hid, "name": row.name,
             "name_kana": row.name_kana, "name_key": name_key(row.name),
             "kana_key": kana_key(row.name_kana), "birth_date": row.birth_date, "sex": row.sex,
             "address": row.address, "barcode": row.barcode, "status": "active", "review": "",
             "updated_at": now}
        )  # fmt: skip
        if row.mobile:
            batch.phones.append(_phone(row.mobile, {"resident_id": rid, "household_id": None}))
        if row.birth_date.year < 1960 and rng.random() < 0.1:
            wants = rng.random() < 0.85
            batch.intents.append(
                {"resident_id": rid, "wants_vaccination": wants,
                 "needs_mobility": wants and rng.random() < 0.2,
                 "channel": rng.choice(("postcard_ocr", "postcard_ocr", "web", "phone")),
                 "recorded_at": now, "notes": ""}
            )  # fmt: skip
        if len(batch.residents) >= CHUNK:
            _count(counts, batch)
            await batch.flush(conn, commit)
    _count(counts, batch)
    await batch.flush(conn, commit)
    if venues:
        counts["venues"], counts["slots"] = await _venues(conn)
    await _fix_sequences(conn)
    if commit:
        await conn.commit()
    return counts


def _count(counts: dict[str, int], batch: _Batch) -> None:
    for key in ("households", "residents", "phones", "intents"):
        counts[key] += len(getattr(batch, key))


VENUES = (
    ("舞鶴市総合文化会館", "京都府舞鶴市字浜2021"),
    ("中総合会館", "京都府舞鶴市字南田辺1"),
    ("西駅交流センター", "京都府舞鶴市字伊佐津213-6"),
    ("東体育館", "京都府舞鶴市字溝尻"),
)


async def _venues(conn: AsyncConnection, days: int = 14, capacity: int = 10) -> tuple[int, int]:
    """Demo venues (skipping names that exist) with 30-minute slots 9:00-17:00, Asia/Tokyo."""
    v, s = Base.metadata.tables["venues"], Base.metadata.tables["slots"]
    existing = set((await conn.scalars(select(v.c.name))).all())
    tokyo = ZoneInfo("Asia/Tokyo")
    today = dt.datetime.now(tokyo).date()
    made = slots = 0
    for name, address in VENUES:
        if name in existing:
            continue
        vid = (await conn.execute(insert(v).values(name=name, address=address, active=True)
                                  .returning(v.c.id))).scalar_one()  # fmt: skip
        rows = []
        for d in range(days):
            day = today + dt.timedelta(days=d)
            for k in range(16):
                begin = dt.datetime.combine(day, dt.time(9), tokyo) + dt.timedelta(minutes=30 * k)
                rows.append({"venue_id": vid, "starts_at": begin.astimezone(dt.UTC),
                             "ends_at": (begin + dt.timedelta(minutes=30)).astimezone(dt.UTC),
                             "capacity": capacity, "booked": 0})  # fmt: skip
        await conn.execute(insert(s), rows)
        made, slots = made + 1, slots + len(rows)
    return made, slots


async def _fix_sequences(conn: AsyncConnection) -> None:
    """Explicit ids bypass PostgreSQL sequences: move them past the highest id."""
    if conn.dialect.name != "postgresql":
        return
    for table in ("households", "residents"):
        await conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        ))  # fmt: skip
