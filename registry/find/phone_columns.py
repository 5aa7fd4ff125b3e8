"""The columns of ``registry.find.phone_index.PhoneIndex``: no I/O, no database.

Each resident, household and phone of a full build is a row of a few small integers; the
strings live once, in tables the rows point into, and a lookup rebuilds only the rows it
answers with. Every kind of value is kept exactly (``get`` gives back what ``add`` was given):

- names and kana (:class:`SplitColumn`): cut at the first space into family and given part,
  each part de-duplicated (many residents share a family name, many a given name);
- addresses (:class:`Addresses`): one table for residents and households (members share their
  household's address), each address cut before its first digit into place and number, each
  part de-duplicated;
- 宛名番号, barcodes, 世帯番号 (:class:`DigitColumn`): decimal digits as integers of the fewest
  bytes that hold them (5 for 12 digits), anything else kept aside;
- small vocabularies (sex and status, phone kinds) as one-byte codes (:class:`Vocab`);
- integer columns in the narrowest ``array`` type that holds them (:func:`narrow`).
"""

from __future__ import annotations

import datetime as dt
import re
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import Any, Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

from registry.find.search_store import StrTable

K = TypeVar("K", bound=Hashable)
# one resident as a lookup row wants it: id, name, kana, birth date, sex, address, status,
# household id, 宛名番号, barcode
ResTuple = tuple[int, str, str, dt.date | None, str, str, str, int | None, str, str]
PhoneTuple = tuple[int, str, int | None, int | None]  # number, kind, resident id, household id
_DIGIT = re.compile("[0-9\uff10-\uff19]")


def narrow(values: array[int] | NDArray[np.integer]) -> array[int]:
    """``values`` in the smallest array type that holds them all (a copy)."""
    a = np.frombuffer(values, dtype=values.typecode) if isinstance(values, array) else values
    lo, hi = (int(a.min()), int(a.max())) if len(a) else (0, 0)
    for code in "BbHhiq":
        info = np.iinfo(np.dtype(code))
        if info.min <= lo and hi <= info.max:
            out = array(code)
            out.frombytes(a.astype(code).tobytes())
            return out
    raise OverflowError("integers beyond 64 bits")


def cut_at_space(s: str) -> int:
    """Where a name splits into family and given part: the first space (ASCII or ideographic),
    which goes with the given part; the end when there is none."""
    k, j = s.find(" "), s.find("\u3000")
    if j >= 0 and (k < 0 or j < k):
        k = j
    return len(s) if k < 0 else k


def cut_at_digit(s: str) -> int:
    """Where an address splits into place and number: its first digit; the end when none."""
    m = _DIGIT.search(s)
    return len(s) if m is None else m.start()


class Vocab(Generic[K]):
    """A few distinct values (sex and status, phone kinds) as small codes."""

    def __init__(self) -> None:
        self.values: list[K] = []
        self._codes: dict[K, int] = {}

    def code(self, value: K) -> int:
        code = self._codes.get(value)
        if code is None:
            code = self._codes[value] = len(self.values)
            self.values.append(value)
        return code


class SplitColumn:
    """Strings cut in two by ``cut`` (a position), each half de-duplicated in its own table: a
    row is two small integers."""

    def __init__(self, cut: Callable[[str], int]) -> None:
        self._cut = cut
        self.heads, self.tails = StrTable(), StrTable()
        self.head, self.tail = array("i"), array("i")

    def __len__(self) -> int:
        return len(self.head)

    def add(self, s: str) -> int:
        """Append ``s``; its row."""
        k = self._cut(s)
        self.head.append(self.heads.add(s[:k]))
        self.tail.append(self.tails.add(s[k:]))
        return len(self.head) - 1

    def freeze(self) -> None:
        self.heads.freeze()
        self.tails.freeze()
        self.head, self.tail = narrow(self.head), narrow(self.tail)

    def get(self, i: int) -> str:
        return self.heads.get(self.head[i]) + self.tails.get(self.tail[i])


class Addresses(SplitColumn):
    """Addresses cut before their first digit, each whole address once (residents and their
    household point at the same row)."""

    def __init__(self) -> None:
        super().__init__(cut_at_digit)
        self._rows: dict[str, int] | None = {}

    def add(self, s: str) -> int:
        assert self._rows is not None, "frozen"
        row = self._rows.get(s)
        if row is None:
            row = self._rows[s] = super().add(s)
        return row

    def freeze(self) -> None:
        if self._rows is not None:
            super().freeze()
            self._rows = None


class DigitColumn:
    """Strings, most of them decimal digits (宛名番号, barcodes), as integers: the value times the
    number of lengths seen plus the length's rank, in the fewest bytes that hold them all (the
    leading zeros come back from the length). Other strings are kept aside."""

    def __init__(self) -> None:
        self._values = array("q")
        self._lengths = bytearray()
        self._other: dict[int, str] = {}
        self._buf = b""
        self._width = 0
        self._min_len = 0
        self._lens = 1

    def __len__(self) -> int:
        return len(self._values) if self._width == 0 else len(self._buf) // self._width

    def add(self, s: str) -> None:
        if 0 < len(s) <= 17 and s.isascii() and s.isdigit():
            self._values.append(int(s))
            self._lengths.append(len(s))
        else:
            self._other[len(self._values)] = s
            self._values.append(-1)
            self._lengths.append(0)

    def freeze(self) -> None:
        if self._width:
            return
        seen = Counter(self._lengths)
        seen.pop(0, None)
        self._min_len = min(seen, default=1)
        self._lens = max(seen, default=1) - self._min_len + 1
        values = np.frombuffer(self._values, dtype=np.int64).astype(np.uint64)
        lengths = np.frombuffer(self._lengths, dtype=np.uint8).astype(np.uint64)
        codes = values * np.uint64(self._lens) + lengths - np.uint64(self._min_len)
        other = np.frombuffer(self._lengths, dtype=np.uint8) == 0
        top = int(codes[~other].max()) if (~other).any() else 0
        self._width = max(1, ((top + 1).bit_length() + 7) // 8)  # all ones: kept aside
        codes[other] = np.uint64(2 ** (8 * self._width) - 1)
        raw = codes.astype("<u8").view(np.uint8).reshape(-1, 8)
        self._buf = raw[:, : self._width].tobytes()
        self._values, self._lengths = array("q"), bytearray()

    def get(self, i: int) -> str:
        if not self._width:
            value = self._values[i]
            return self._other[i] if value < 0 else str(value).zfill(self._lengths[i])
        w = self._width
        code = int.from_bytes(self._buf[i * w : i * w + w], "little")
        if code == 2 ** (8 * w) - 1:
            return self._other[i]
        value, rank = divmod(code, self._lens)
        return str(value).zfill(self._min_len + rank)


def to_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))  # SQLite keeps dates as ISO text


class ByKey:
    """Row numbers grouped by an integer key, for equality lookups by bisection (built once)."""

    def __init__(self, keys: array[int]) -> None:
        a = np.frombuffer(keys, dtype=keys.typecode)
        order = np.argsort(a, kind="stable")
        self.keys, self.rows = narrow(a[order]), narrow(order)

    def lookup(self, key: int) -> array[int]:
        lo = bisect_left(self.keys, key)
        return self.rows[lo : bisect_right(self.keys, key, lo)]


class Residents:
    """Residents of a full build as columns, sorted by id; addresses in a table shared with the
    households."""

    def __init__(self, addresses: Addresses) -> None:
        self.rid, self.hh = array("q"), array("q")  # hh -1: none
        self.birth = array("i")  # date ordinal, 0: unknown; minus ``birth0`` once frozen
        self.birth0 = 0
        self.kinds: Vocab[tuple[str, str]] = Vocab()  # (sex, status)
        self.kind = array("i")
        self.name, self.kana = SplitColumn(cut_at_space), SplitColumn(cut_at_space)
        self.addresses, self.addr = addresses, array("i")
        self.person, self.barcode = DigitColumn(), DigitColumn()
        self.by_hh = ByKey(array("q"))

    def append(self, row: Sequence[Any]) -> None:
        rid, name, kana, birth, sex, address, status, hid, person_no, barcode = row
        self.rid.append(rid)
        self.hh.append(-1 if hid is None else hid)
        day = to_date(birth)
        self.birth.append(day.toordinal() if day else 0)
        self.kind.append(self.kinds.code((sex or "", status)))
        self.name.add(name or "")
        self.kana.add(kana or "")
        self.addr.append(self.addresses.add(address or ""))
        self.person.add(person_no or "")
        self.barcode.add(barcode or "")

    def freeze(self) -> None:
        for column in (self.name, self.kana, self.person, self.barcode):
            column.freeze()
        birth = np.frombuffer(self.birth, dtype=np.int32)
        known = birth != 0
        self.birth0 = int(birth[known].min()) - 1 if known.any() else 0
        self.birth = narrow(np.where(known, birth - self.birth0, 0))
        self.rid, self.hh = narrow(self.rid), narrow(self.hh)
        self.kind, self.addr = narrow(self.kind), narrow(self.addr)
        self.by_hh = ByKey(self.hh)

    def row_of(self, rid: int) -> int | None:
        i = bisect_left(self.rid, rid)
        return i if i < len(self.rid) and self.rid[i] == rid else None

    def get(self, i: int) -> ResTuple:
        birth, hh = self.birth[i], self.hh[i]
        sex, status = self.kinds.values[self.kind[i]]
        return (
            self.rid[i], self.name.get(i), self.kana.get(i),
            dt.date.fromordinal(birth + self.birth0) if birth else None, sex,
            self.addresses.get(self.addr[i]), status, None if hh < 0 else hh,
            self.person.get(i), self.barcode.get(i),
        )  # fmt: skip


class Households:
    """Households of a full build as columns, sorted by id."""

    def __init__(self, addresses: Addresses) -> None:
        self.hid, self.no = array("q"), DigitColumn()
        self.addresses, self.addr = addresses, array("i")

    def append(self, hid: int, household_no: str | None, address: str | None) -> None:
        self.hid.append(hid)
        self.no.add(household_no or "")
        self.addr.append(self.addresses.add(address or ""))

    def freeze(self) -> None:
        self.no.freeze()
        self.hid, self.addr = narrow(self.hid), narrow(self.addr)

    def get(self, hid: int) -> tuple[str, str] | None:
        i = bisect_left(self.hid, hid)
        if i < len(self.hid) and self.hid[i] == hid:
            return self.no.get(i), self.addresses.get(self.addr[i])
        return None


class Phones:
    """Phones of a full build: numbers sorted, each with one owner (a resident, or a household:
    the low bit of its code) and its kind; the household of a phone that has both aside."""

    def __init__(self) -> None:
        self.key, self.owner, self.code = array("q"), array("q"), array("i")
        self.kinds: Vocab[str] = Vocab()
        self.both: dict[int, int] = {}  # row -> household id, for a resident's phone

    def __len__(self) -> int:
        return len(self.key)

    def append(self, key: int, kind: str, rid: int | None, hid: int | None) -> None:
        if rid is None and hid is None:
            return  # reaches nobody
        if rid is not None and hid is not None:
            self.both[len(self.key)] = hid
        self.key.append(key)
        self.owner.append(rid if rid is not None else hid)  # type: ignore[arg-type]
        self.code.append(self.kinds.code(kind) * 2 + (rid is None))

    def freeze(self) -> None:
        keys = np.frombuffer(self.key, dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        self.both = {int(rank[i]): hid for i, hid in self.both.items()}
        self.key = narrow(keys[order])
        self.owner = narrow(np.frombuffer(self.owner, dtype=np.int64)[order])
        self.code = narrow(np.frombuffer(self.code, dtype=np.int32)[order])

    def of(self, key: int) -> Iterator[PhoneTuple]:
        lo = bisect_left(self.key, key)
        for i in range(lo, bisect_right(self.key, key, lo)):
            code, owner = self.code[i], self.owner[i]
            kind = self.kinds.values[code >> 1]
            if code & 1:
                yield key, kind, None, owner
            else:
                yield key, kind, owner, self.both.get(i)
