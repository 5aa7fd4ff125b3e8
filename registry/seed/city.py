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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TypeVar

from registry.normalize.barcode import make_barcode
from registry.normalize.wareki import to_wareki

log = logging.getLogger(__name__)
T = TypeVar("T")


REFERENCE_DAY = dt.date(2024, 4, 1)  # ages are relative to this day so output never drifts

_DATA = Path(__file__).parents[1] / "data" / "seed_city.txt"
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


__all__ = ["CSV_COLUMNS", "LedgerRow", "generate_ledger", "write_ledger_csv"]
