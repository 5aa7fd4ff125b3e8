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
            return out[:]  # a slice is allocated to size, frombytes leaves room to grow
    raise OverflowError("integers beyond 64 bits")


def _narrow_in(
    values: array[int], order: NDArray[np.intp] | None, code: str | None = None
) -> array[int]:
    """``values`` put in ``order`` (None: as they are), narrowed (or of type ``code``)."""
    a = np.frombuffer(values, dtype=values.typecode)
    if order is not None:
        a = a[order]
    if code is None:
        return narrow(a)
    out = array(code)
    out.frombytes(a.astype(code).tobytes())
    return out


def _rank(order: NDArray[np.intp]) -> NDArray[np.intp]:
    """Where each row went: ``rank[order[k]] == k``."""
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank


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

    def freeze(self, order: NDArray[np.intp] | None = None) -> None:
        """Done adding; the rows put in ``order`` (row ``k`` becomes what row ``order[k]`` was)."""
        self.heads.freeze()
        self.tails.freeze()
        self.head, self.tail = _narrow_in(self.head, order), _narrow_in(self.tail, order)

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

    def freeze(self, order: NDArray[np.intp] | None = None) -> None:
        assert order is None, "rows of addresses are shared: never reordered"
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
        self._aside = 0
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

    def freeze(self, order: NDArray[np.intp] | None = None) -> None:
        """Done adding; the rows put in ``order`` (as ``SplitColumn.freeze``)."""
        if self._width:
            return
        if order is not None:
            self._values = _narrow_in(self._values, order, "q")
            self._lengths = bytearray(np.frombuffer(self._lengths, dtype=np.uint8)[order])
            rank = _rank(order)
            self._other = {int(rank[i]): s for i, s in self._other.items()}
        seen = Counter(self._lengths)
        seen.pop(0, None)
        self._min_len = min(seen, default=1)
        self._lens = max(seen, default=1) - self._min_len + 1
        values = np.frombuffer(self._values, dtype=np.int64).astype(np.uint64)
        lengths = np.frombuffer(self._lengths, dtype=np.uint8).astype(np.uint64)
        codes = values * np.uint64(self._lens) + lengths - np.uint64(self._min_len)
        other = np.frombuffer(self._lengths, dtype=np.uint8) == 0
        top = int(codes[~other].max()) if (~other).any() else 0
        self._width = max(1, ((top + 1).bit_length() + 7) // 8)
        self._aside = 2 ** (8 * self._width) - 1  # the code of a string kept aside
        codes[other] = np.uint64(self._aside)
        raw = codes.astype("<u8").view(np.uint8).reshape(-1, 8)
        self._buf = raw[:, : self._width].tobytes()
        self._values, self._lengths = array("q"), bytearray()

    def get(self, i: int) -> str:
        if not self._width:
            value = self._values[i]
            return self._other[i] if value < 0 else str(value).zfill(self._lengths[i])
        w = self._width
        code = int.from_bytes(self._buf[i * w : i * w + w], "little")
        if code == self._aside:
            return self._other[i]
        if self._lens == 1:
            return str(code).zfill(self._min_len)
        value, rank = divmod(code, self._lens)
        return str(value).zfill(self._min_len + rank)


def to_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))  # SQLite keeps dates as ISO text


class Residents:
    """Residents of a full build as columns, ordered by household then id (a household's
    members are one run of rows; those without a household come first), with the rows in id
    order beside for ``row_of``; addresses in a table shared with the households."""

    def __init__(self, addresses: Addresses) -> None:
        self.rid, self.hh = array("q"), array("q")  # hh -1: none
        self.birth = array("i")  # date ordinal, 0: unknown; minus ``birth0`` once frozen
        self.birth0 = 0
        self.kinds: Vocab[tuple[str, str]] = Vocab()  # (sex, status)
        self.kind = array("i")
        self.name, self.kana = SplitColumn(cut_at_space), SplitColumn(cut_at_space)
        self.addresses, self.addr = addresses, array("i")
        self.person, self.barcode = DigitColumn(), DigitColumn()
        self.by_rid = array("i")  # rows in id order

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
        rid = np.frombuffer(self.rid, dtype=np.int64)
        order = np.lexsort((rid, np.frombuffer(self.hh, dtype=np.int64)))
        for column in (self.name, self.kana, self.person, self.barcode):
            column.freeze(order)
        birth = np.frombuffer(self.birth, dtype=np.int32)[order]
        known = birth != 0
        self.birth0 = int(birth[known].min()) - 1 if known.any() else 0
        self.birth = narrow(np.where(known, birth - self.birth0, 0))
        self.by_rid = narrow(np.argsort(rid[order], kind="stable"))
        self.rid, self.hh = _narrow_in(self.rid, order), _narrow_in(self.hh, order)
        self.kind, self.addr = _narrow_in(self.kind, order), _narrow_in(self.addr, order)

    def row_of(self, rid: int) -> int | None:
        k = bisect_left(self.by_rid, rid, key=self.rid.__getitem__)
        if k < len(self.by_rid) and self.rid[self.by_rid[k]] == rid:
            return self.by_rid[k]
        return None

    def members(self, hid: int) -> range:
        """The rows of the residents of household ``hid``, in id order."""
        lo = bisect_left(self.hh, hid)
        return range(lo, bisect_right(self.hh, hid, lo))

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
    the low bit of its code) and its kind; the household of a phone that has both aside.

    A number is kept as its low 32 bits (``low``); the high bits are few (country and leading
    digits): each distinct value once (``high``) with where its run of rows starts (``start``)."""

    def __init__(self) -> None:
        self.key, self.owner, self.code = array("q"), array("q"), array("i")
        self.kinds: Vocab[str] = Vocab()
        self.both: dict[int, int] = {}  # row -> household id, for a resident's phone
        self.high, self.start, self.low = array("q"), array("q", [0]), array("I")

    def __len__(self) -> int:
        return len(self.low) + len(self.key)

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
        rank = _rank(order)
        self.both = {int(rank[i]): hid for i, hid in self.both.items()}
        keys = keys[order]
        high, start = np.unique(keys >> 32, return_index=True)
        self.high = narrow(high)
        self.start = narrow(np.append(start, len(keys)))
        self.low = array("I")
        self.low.frombytes((keys & 0xFFFFFFFF).astype(np.uint32).tobytes())
        self.low = self.low[:]  # allocated to size
        self.owner, self.code = _narrow_in(self.owner, order), _narrow_in(self.code, order)
        self.key = array("q")

    def of(self, key: int) -> Iterator[PhoneTuple]:
        high, low = key >> 32, key & 0xFFFFFFFF
        j = bisect_left(self.high, high)
        if j == len(self.high) or self.high[j] != high:
            return
        end = self.start[j + 1]
        lo = bisect_left(self.low, low, self.start[j], end)
        for i in range(lo, bisect_right(self.low, low, lo, end)):
            code, owner = self.code[i], self.owner[i]
            kind = self.kinds.values[code >> 1]
            if code & 1:
                yield key, kind, None, owner
            else:
                yield key, kind, owner, self.both.get(i)
