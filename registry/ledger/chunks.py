"""The parsing half of a ledger import: CSV records in, validated rows out, chunk by chunk,
optionally in worker processes (the second core) while the main process writes.

A chunk travels between processes as a :class:`ParsedChunk`: columns joined into single strings
(``\\x1f`` between values) plus a few ``array``s, because pickling rows as Python objects cost
more in the main process than the rows' SQL (measured: 25 µs/row to unpickle ``LedgerRow``
tuples, against well under 1 µs to split joined columns). The jobs sent the other way are raw
text pieces cut at line ends when the file has no ``"`` at all (so no record spans two lines);
otherwise the main process reads the records and sends them as lists.

Line numbers, bad rows and review notes are exactly those of a sequential parse.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field

from registry.errors import LedgerFileError
from registry.ledger.rows import BadRow, RowParser

SEP = "\x1f"
Records = list[tuple[int, list[str]]]
Job = tuple[int, str] | Records  # (first line number, text piece) or records
RESIDENT_COLUMNS = ("person_no", "household_no", "name", "name_kana", "name_key", "kana_key",
                    "birth", "sex", "address", "review")  # fmt: skip
PHONE_COLUMNS = ("raw", "e164", "kind", "flags")


def _pack(values: list[str]) -> str | list[str]:
    joined = SEP.join(values)
    return joined if joined.count(SEP) == len(values) - 1 else values


def unpack(packed: str | list[str], n: int) -> list[str]:
    if isinstance(packed, list):
        return packed
    return packed.split(SEP) if n else []


@dataclass
class ParsedChunk:
    """The good rows of a chunk as packed columns, with the bad rows and review notes."""

    records: int = 0  # records consumed, blank lines included (for progress)
    rows_read: int = 0  # non-blank records
    lines: array[int] = field(default_factory=lambda: array("i"))
    columns: tuple[str | list[str], ...] = ()  # RESIDENT_COLUMNS, packed
    phone_row: array[int] = field(default_factory=lambda: array("i"))  # index of the owner row
    phone_columns: tuple[str | list[str], ...] = ()  # PHONE_COLUMNS, packed
    phone_shared: bytes = b""
    bad: list[tuple[int, str]] = field(default_factory=list)
    flagged: list[tuple[int, str]] = field(default_factory=list)


def records_of(text: str, first_line: int = 1) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) of every CSV record of ``text``."""
    reader = csv.reader(io.StringIO(text, newline=""))
    prev = first_line - 1
    try:
        for cells in reader:
            start, prev = prev + 1, first_line - 1 + reader.line_num
            yield start, cells
    except csv.Error as err:
        raise LedgerFileError(
            f"line {first_line - 1 + reader.line_num}: broken CSV ({err})"
        ) from err


def parse_records(parse: RowParser, records: Iterator[tuple[int, list[str]]]) -> ParsedChunk:
    out = ParsedChunk()
    cols: list[list[str]] = [[] for _ in RESIDENT_COLUMNS]
    person, household, name, kana, nkey, kkey, birth, sex, address, review = cols
    phone_cols: list[list[str]] = [[] for _ in PHONE_COLUMNS]
    raws, e164s, kinds, flags = phone_cols
    shared = bytearray()
    for line, cells in records:
        out.records += 1
        if not any(c.strip() for c in cells):
            continue  # blank line
        out.rows_read += 1
        try:
            row = parse(cells, line)
        except BadRow as err:
            out.bad.append((line, str(err)))
            continue
        index = len(out.lines)
        out.lines.append(line)
        person.append(row.person_no)
        household.append(row.household_no)
        name.append(row.name)
        kana.append(row.name_kana)
        nkey.append(row.name_key)
        kkey.append(row.kana_key)
        birth.append(row.birth_date.isoformat() if row.birth_date else "")
        sex.append(row.sex)
        address.append(row.address)
        review.append("; ".join(row.notes))
        for p in row.phones:
            out.phone_row.append(index)
            raws.append(p.raw)
            e164s.append(p.e164 or "")
            kinds.append(p.kind)
            flags.append(p.flags)
            shared.append(p.shared)
        if row.notes:
            out.flagged.extend((line, note) for note in row.notes)
    out.columns = tuple(_pack(c) for c in cols)
    out.phone_columns = tuple(_pack(c) for c in phone_cols)
    out.phone_shared = bytes(shared)
    return out


def parse_job(job: Job, parse: RowParser) -> ParsedChunk:
    """Parse one job (in a thread, or in a ``registry.ledger.worker`` process)."""
    if isinstance(job, tuple):
        first_line, text = job
        return parse_records(parse, records_of(text, first_line))
    return parse_records(parse, iter(job))


def split_jobs(text: str, size: int) -> Iterator[Job]:
    """Cut the data records of ``text`` (the header record skipped) into jobs of ``size``
    records. Plain text pieces when every record is one line: no ``"`` anywhere and no bare CR
    (which the csv module also takes for a line end)."""
    if '"' not in text and text.count("\r") == text.count("\r\n"):
        pos = text.find("\n") + 1 or len(text)
        line = 2
        while pos < len(text):
            end = pos
            for _ in range(size):
                end = text.find("\n", end) + 1
                if end == 0:
                    end = len(text)
                    break
            yield line, text[pos:end]
            line += size
            pos = end
        return
    records = records_of(text)
    next(records, None)
    while chunk := list(itertools.islice(records, size)):
        yield chunk


def worker_count(expected_rows: int, size: int) -> int:
    """Worker processes worth starting: none for small files or a single core."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if (cores or 1) < 2 or expected_rows < 4 * size:
        return 0
    return 2
