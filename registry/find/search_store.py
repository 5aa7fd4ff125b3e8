"""The compact in-memory storage of ``registry.find.search.NameIndex``: no I/O, no database.

No per-resident Python objects: numbers live in ``array``s, strings in one joined ``str`` per
column with an offset array, de-duplicated while building. :class:`Columns` holds the residents,
:class:`NameKeys` the de-duplicated name keys with their bigram postings (stage 0 of the search)
and :class:`PhoneDigits` the indexed numbers.
"""

from __future__ import annotations

import datetime as dt
import heapq
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz, process

from registry.find.matching import ResidentMatch
from registry.normalize.address import address_score

SEP = "\x00"
COMMON_SHARE = 80  # a bigram in more than 1/80 of the keys is dropped from stage 0 ...
MIN_GRAMS = 4  # ... as long as this many bigrams of the query remain
TIE_FACTOR = 2  # stage 0 keeps at most about this many times the keys asked for
FAMILY_CAP = 8000  # stage 0 also takes every key of the query's family name, when this few


Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Levels = tuple[tuple[str, float], ...]  # registry.normalize.address.address_levels


def view(a: array[int] | bytearray) -> NDArray[np.integer]:
    """A numpy view of ``a``, without a copy. Keep it no longer than a search: while a view (or a
    slice of it) lives, ``a`` cannot grow (BufferError); index it, which copies."""
    return np.frombuffer(a, dtype=a.typecode if isinstance(a, array) else np.uint8)


def _put(a: array[int], value: int) -> array[int]:
    """Append ``value``; a 4-byte array that cannot hold it becomes an 8-byte one first."""
    try:
        a.append(value)
    except OverflowError:
        a = array("q", a)
        a.append(value)
    return a


class StrTable:
    """Append-only table of strings: one joined string plus offsets; de-duplicated until frozen."""

    def __init__(self, dedupe: bool = True) -> None:
        self._parts: list[str] = []
        self._index: dict[str, int] | None = {} if dedupe else None
        self._joined = ""
        self._off = array("Q", [0])
        self._tail: list[str] = []
        self._frozen = False

    def __len__(self) -> int:
        return len(self._off) - 1 + len(self._parts) + len(self._tail)

    def add(self, s: str) -> int:
        if self._frozen:
            self._tail.append(s)
            return len(self) - 1
        if self._index is not None:
            i = self._index.get(s)
            if i is not None:
                return i
            self._index[s] = len(self._parts)
        self._parts.append(s)
        return len(self._parts) - 1

    def freeze(self) -> None:
        if self._frozen:
            return
        self._joined = "".join(p + SEP for p in self._parts)
        self._off = array("I" if len(self._joined) < 2**32 else "Q", [0])  # 4 bytes when they fit
        self._off.extend(accumulate(len(p) + 1 for p in self._parts))
        self._parts, self._index, self._frozen = [], None, True

    def get(self, i: int) -> str:
        n = len(self._off) - 1
        if i < n:
            return self._joined[self._off[i] : self._off[i + 1] - 1]
        return self._tail[i - n] if self._frozen else self._parts[i]

    def get_many(self, idx: Ints) -> list[str]:
        """``[self.get(i) for i in idx]``, sliced with the offsets looked up at once."""
        n = len(self._off) - 1
        if not self._frozen or (len(idx) and int(idx.max()) >= n):
            return [self.get(i) for i in idx.tolist()]
        off = view(self._off)
        j = self._joined
        return [j[a:b] for a, b in zip(off[idx].tolist(), (off[idx + 1] - 1).tolist(), strict=True)]

    def find(self, fragment: str, cap: int | None = None) -> list[int]:
        """Indices of the strings that contain ``fragment``."""
        out: list[int] = []
        pos = self._joined.find(fragment)
        while pos >= 0 and (cap is None or len(out) < cap):
            i = bisect_right(self._off, pos) - 1
            out.append(i)
            pos = self._joined.find(fragment, self._off[i + 1])
        n = len(self._off) - 1
        out.extend(n + k for k, s in enumerate(self._tail) if fragment in s)
        return out


class SortedRows:
    """Rows ordered by an integer key, for equality lookups by bisection (built once)."""

    def __init__(self, keys: array[int]) -> None:
        order = sorted(range(len(keys)), key=keys.__getitem__)
        self.rows = array("i", order)
        small = not keys or (min(keys) >= -(2**31) and max(keys) < 2**31)
        self.keys = array("i" if small else "q", (keys[i] for i in order))  # built once

    def lookup(self, key: int) -> array[int]:
        lo = bisect_left(self.keys, key)
        hi = bisect_right(self.keys, key, lo)
        return self.rows[lo:hi]


@dataclass(frozen=True)
class IndexedResident:
    """One resident as the search index holds it (input of ``NameIndex.upsert``). ``phones``
    are E.164 numbers reaching the resident (their own and their household's)."""

    resident_id: int
    name: str
    name_kana: str = ""
    birth_date: dt.date | None = None
    sex: str = ""
    address: str = ""
    household_id: int | None = None
    household_no: str = ""
    status: str = "active"
    phones: tuple[str, ...] = ()


def _grams(flat: str) -> set[str]:
    s = f"^{flat}$"
    return {s[i : i + 2] for i in range(len(s) - 1)}


Scorer = Callable[[str, tuple[str, ...], str], float]


class NameKeys:
    """De-duplicated name keys (space-less, with where the family name ends), their bigram
    postings and the rows holding each key."""

    def __init__(self) -> None:
        self.flat = StrTable(dedupe=False)  # one joined string once frozen (no str objects)
        self._split = array("B")  # length of the family name, 0 if unknown
        self._index: dict[str, int] | None = {}  # flat key -> entry; None once frozen
        self._grams: dict[str, array[int]] = {}
        self._entry_of_row = array("i")
        self._start = array("I", [0])
        self._rows = array("i")
        self._extra: dict[int, list[int]] = {}
        self._frozen = False

    def __len__(self) -> int:
        return len(self.flat)

    def spaced(self, e: int) -> str:
        k, flat = self._split[e], self.flat.get(e)
        return f"{flat[:k]} {flat[k:]}" if k else flat

    def add(self, key: str, row: int) -> int:
        """Index the spaced ``key`` for ``row``; returns the key's entry (-1 for no key)."""
        flat = key.replace(" ", "")
        index = self._index
        if index is None:  # an upsert after the freeze: the map comes back (once)
            index = self._index = {self.flat.get(e): e for e in range(len(self.flat))}
        e = index.get(flat, -1) if flat else -1
        if flat and e < 0:
            e = index[flat] = len(self.flat)
            self.flat.add(flat)
            k = key.find(" ")
            self._split.append(k if 0 < k < 256 else 0)
            for g in _grams(flat):
                self._grams.setdefault(g, array("i")).append(e)
        if self._frozen:
            if e >= 0:
                self._extra.setdefault(e, []).append(row)
        else:
            self._entry_of_row.append(e)
        return e

    def freeze(self) -> None:
        """Group rows by key (counting sort) into a compact start/rows pair."""
        counts = [0] * (len(self.flat) + 1)
        for e in self._entry_of_row:
            counts[e + 1] += 1  # e == -1 lands in slot 0 and is never read
        self._start = array("I", [0])
        self._start.extend(accumulate(counts[1:]))
        fill = array("I", self._start)
        rows = array("i", bytes(4 * self._start[-1]))
        for row, e in enumerate(self._entry_of_row):
            if e >= 0:
                rows[fill[e]] = row
                fill[e] += 1
        self._rows, self._entry_of_row, self._frozen = rows, array("i"), True
        self.flat.freeze()
        self._index = None  # tens of MB at 1M keys, needed again only by an upsert

    def rows_of(self, e: int) -> Ints:
        """The rows holding key ``e``, as a new array."""
        out: Ints = np.empty(0, np.int64)
        if e + 1 < len(self._start):
            out = view(self._rows)[self._start[e] : self._start[e + 1]].astype(np.int64)
        extra = self._extra.get(e)
        return np.concatenate((out, np.array(extra, np.int64))) if extra else out

    def search(
        self, qform: str, qkeys: tuple[str, ...], n0: int, n1: int, scorer: Scorer
    ) -> list[tuple[int, float]]:
        """Stage 0 (shared bigrams, and every key of the query's family name: ``_family``),
        stage 1 (fuzz.ratio, both orders), stage 2 (``scorer``)."""
        grams = set().union(*(_grams(k) for k in qkeys))
        posts = sorted((p for p in map(self._grams.get, grams) if p is not None), key=len)
        # bigrams shared by a large share of all keys say little: drop them while enough remain
        common = max(len(self.flat) // COMMON_SHARE, 500)
        while len(posts) > MIN_GRAMS and len(posts[-1]) > common:
            posts.pop()
        short = _top_counted([view(p) for p in posts], n0)
        family = self._family(qform)
        if len(family):
            short = np.concatenate((short, np.setdiff1d(family, short, assume_unique=True)))
        flat = self.flat.get_many(short)
        best: dict[int, float] = {}
        for q in qkeys:
            for _, score, i in process.extract(q, flat, scorer=fuzz.ratio, limit=n1):
                best[i] = max(score, best.get(i, 0.0))
        top = heapq.nlargest(n1, best, key=best.__getitem__)
        out = [(int(short[i]), scorer(qform, qkeys, self.spaced(int(short[i])))) for i in top]
        out.sort(key=lambda t: -t[1])
        return out

    def _family(self, qform: str) -> Ints:
        """Every key with the query's family name (the part before its space), if there are at
        most ``FAMILY_CAP``: a kana substituted in a short given name kills two of its three
        bigrams, and stage 0 alone then prefers names that merely share the rest."""
        fam, sep, given = qform.partition(" ")
        if not sep or len(fam) < 2 or not given:
            return np.empty(0, np.int64)
        posts = [self._grams.get(g) for g in _grams(fam) if not g.endswith("$")]
        if any(p is None for p in posts):
            return np.empty(0, np.int64)
        arrays = sorted((view(p) for p in posts if p is not None), key=len)
        block = arrays[0]
        for a in arrays[1:]:
            block = np.intersect1d(block, a, assume_unique=True)
        block = block.astype(np.int64)
        if len(block) > FAMILY_CAP:
            return np.empty(0, np.int64)
        split = view(self._split)[block]
        out: Ints = block[split == len(fam)]
        return out


def _top_counted(posts: list[NDArray[np.integer]], n: int) -> Ints:
    """The keys found in the most ``posts``: at least ``n`` when there are, ties kept, in the
    order they first appear in ``posts`` (which breaks ties in the stages after)."""
    if not posts:
        return np.empty(0, np.int64)
    every = np.concatenate(posts)
    keys, first, counts = np.unique(every, return_index=True, return_counts=True)
    hist = np.bincount(counts)  # hist[c]: keys found in c postings
    taken, threshold = 0, 1
    for c in np.flatnonzero(hist)[::-1].tolist():
        if taken >= n // 2 and taken + int(hist[c]) > TIE_FACTOR * n:
            break  # a large tie at this count: stop above it
        taken += int(hist[c])
        threshold = c
        if taken >= n:
            break
    kept = counts >= threshold
    out: Ints = keys[kept][np.argsort(first[kept], kind="stable")].astype(np.int64)
    return out


class PhoneDigits:
    """National digits of every indexed number, searchable by fragment, with their owners."""

    def __init__(self) -> None:
        self._digits = StrTable(dedupe=False)
        self._rid = array("i")  # ids in 4 bytes; widened to 8 if one does not fit (_put)
        self._hid = array("i")

    def add(self, digits: str, resident_id: int | None, household_id: int | None) -> None:
        self._digits.add(digits)
        self._rid = _put(self._rid, -1 if resident_id is None else resident_id)
        self._hid = _put(self._hid, -1 if household_id is None else household_id)

    def freeze(self) -> None:
        self._digits.freeze()

    def owners(self, fragment: str, cap: int = 20000) -> tuple[set[int], set[int]]:
        """(resident ids, household ids) owning a number that contains ``fragment``."""
        rids: set[int] = set()
        hids: set[int] = set()
        for i in self._digits.find(fragment, cap):
            if self._rid[i] >= 0:
                rids.add(self._rid[i])
            if self._hid[i] >= 0:
                hids.add(self._hid[i])
        return rids, hids


class Columns:
    """Per-resident columns. Rows loaded before ``freeze`` are sorted by resident id; rows
    appended later (upserts) are few and scanned linearly. A removed row keeps its place."""

    def __init__(self) -> None:
        self.rid = array("i")  # ids in 4 bytes; widened to 8 if one does not fit (_put)
        self.kana_e = array("i")
        self.kanji_e = array("i")
        self._state = bytearray()  # 0 removed, else 1 + index in _statuses
        self._statuses: list[str] = []
        self._codes: dict[str, int] = {}  # status -> its _state value
        self._active_code = -1  # the _state value of "active"
        self._birth = array("i")  # date ordinal, 0 if unknown
        self._hh = array("i")  # household id, -1 if none (widened like rid)
        self._sex = bytearray()
        self._name, self._kana = array("i"), array("i")
        self._addr, self._hhno = array("i"), array("i")
        self._names, self._kanas = StrTable(), StrTable()
        self._addresses, self._addr_keys = StrTable(), StrTable(dedupe=False)
        self._hhnos = StrTable()
        self._base = 0
        self._frozen = False
        self._extra_ids: dict[int, int] = {}
        self._born = self._by_hh = self._by_addr = SortedRows(array("q"))
        self.live = 0

    def append(self, r: IndexedResident, address_key: str, kana_e: int, kanji_e: int) -> int:
        birth = r.birth_date.toordinal() if r.birth_date else 0
        return self.append_values(r.resident_id, r.name, r.name_kana, birth, r.sex, r.address,
                                  r.household_id, r.household_no, r.status, kana_e, kanji_e,
                                  lambda _: address_key)  # fmt: skip

    def append_values(
        self, resident_id: int, name: str, name_kana: str, birth: int, sex: str, address: str,
        household_id: int | None, household_no: str, status: str, kana_e: int, kanji_e: int,
        address_key: Callable[[str], str],
    ) -> int:  # fmt: skip
        """Append one resident (``birth`` as a date ordinal, 0 if unknown); ``address_key`` is
        called only for an address not seen before."""
        row = len(self.rid)
        if self._frozen:
            self._extra_ids[resident_id] = row
        self.rid = _put(self.rid, resident_id)
        self.kana_e.append(kana_e)
        self.kanji_e.append(kanji_e)
        code = self._codes.get(status)
        if code is None:
            self._statuses.append(status)
            code = self._codes[status] = len(self._statuses)
            if status == "active":
                self._active_code = code
        self._state.append(code)
        self._birth.append(birth)
        self._hh = _put(self._hh, -1 if household_id is None else household_id)
        self._sex.append(ord(sex[:1] or "\x00") & 0x7F)
        self._name.append(self._names.add(name))
        self._kana.append(self._kanas.add(name_kana))
        n_addr = len(self._addresses)
        a = self._addresses.add(address)
        if len(self._addresses) > n_addr:
            self._addr_keys.add(address_key(address))
        self._addr.append(a)
        self._hhno.append(self._hhnos.add(household_no))
        self.live += 1
        return row

    def freeze(self) -> None:
        for table in (self._names, self._kanas, self._addresses, self._addr_keys, self._hhnos):
            table.freeze()
        self._base, self._frozen = len(self.rid), True
        self._born = SortedRows(self._birth)
        self._by_hh = SortedRows(self._hh)
        self._by_addr = SortedRows(self._addr)

    def _extra_rows(self) -> range:
        return range(self._base, len(self.rid))

    def row_of(self, resident_id: int) -> int | None:
        row = self._extra_ids.get(resident_id)
        if row is None:
            i = bisect_left(self.rid, resident_id, 0, self._base)
            row = i if i < self._base and self.rid[i] == resident_id else None
        return row

    def remove(self, resident_id: int) -> bool:
        row = self.row_of(resident_id)
        if row is None or not self._state[row]:
            return False
        self._state[row] = 0
        self.live -= 1
        return True

    def alive(self, row: int) -> bool:
        return self._state[row] != 0

    def active(self, row: int) -> bool:
        return self._state[row] == self._active_code

    def status(self, row: int) -> str:
        return self._statuses[self._state[row] - 1]

    def entry(self, row: int, mode: str) -> int:
        return self.kana_e[row] if mode == "kana" else self.kanji_e[row]

    def born_on(self, ordinal: int) -> list[int]:
        extra = [r for r in self._extra_rows() if self._birth[r] == ordinal]
        return [*self._born.lookup(ordinal), *extra]

    def rows_of_owners(self, owners: tuple[set[int], set[int]], cap: int) -> list[int]:
        rids, hids = owners
        out = [r for r in map(self.row_of, rids) if r is not None]
        for h in hids:
            out.extend(self._by_hh.lookup(h))
            if len(out) >= cap:
                break
        out.extend(r for r in self._extra_rows() if self._hh[r] in hids)
        return out

    def owned_by(self, row: int, owners: tuple[set[int], set[int]]) -> bool:
        return self.rid[row] in owners[0] or self._hh[row] in owners[1]

    def rows_at_address(self, levels: Levels, cap: int | None) -> set[int]:
        """Residents whose address holds the most precise of ``levels`` found in any."""
        entries: list[int] = []
        for part, _ in levels:
            entries = self._addr_keys.find(part)
            if entries:
                break
        out: set[int] = set()
        for e in entries:
            out.update(self._by_addr.lookup(e))
            if cap is not None and len(out) >= cap:
                break
        wanted = set(entries)
        out.update(r for r in self._extra_rows() if self._addr[r] in wanted)
        return out

    # --- the same questions for many rows at once (numpy; rows as an int64 array) -----------

    def alive_of(self, rows: Ints) -> NDArray[np.bool_]:
        out: NDArray[np.bool_] = view(self._state)[rows] != 0
        return out

    def inactive_of(self, rows: Ints) -> NDArray[np.bool_]:
        out: NDArray[np.bool_] = view(self._state)[rows] != self._active_code
        return out

    def rid_of(self, rows: Ints) -> Ints:
        return view(self.rid)[rows].astype(np.int64)

    def address_scores_of(self, rows: Ints, levels: Levels) -> Floats:
        """``address_score`` (0-100) of every row: each distinct address among them is graded
        once, and only those holding the least precise level at all are graded in full."""
        entries, where = np.unique(view(self._addr)[rows], return_inverse=True)
        texts = self._addr_keys.get_many(entries.astype(np.int64))
        loosest = levels[-1][0]
        graded = np.fromiter(
            (address_score(t, levels) if loosest in t else 0.0 for t in texts), np.float64,
            len(texts),
        )  # fmt: skip
        out: Floats = graded[where.reshape(-1)]
        return out

    def owned_by_of(self, rows: Ints, owners: tuple[set[int], set[int]]) -> NDArray[np.bool_]:
        rids, hids = (np.fromiter(ids, np.int64, len(ids)) for ids in owners)
        hh = view(self._hh)[rows]
        out: NDArray[np.bool_] = np.isin(view(self.rid)[rows], rids) | np.isin(hh, hids)
        return out

    def match(self, row: int, score: float, reasons: tuple[str, ...]) -> ResidentMatch:
        birth, hh, sex = self._birth[row], self._hh[row], self._sex[row]
        return ResidentMatch(
            resident_id=self.rid[row],
            name=self._names.get(self._name[row]),
            name_kana=self._kanas.get(self._kana[row]),
            birth_date=dt.date.fromordinal(birth) if birth else None,
            sex=chr(sex) if sex else "",
            address=self._addresses.get(self._addr[row]),
            household_id=None if hh < 0 else hh,
            household_no=self._hhnos.get(self._hhno[row]),
            score=score,
            reasons=reasons,
        )
