"""Which residents get a postcard, streamed from the ledger, and the print run itself: the PDF
(``printing.PostcardWriter``) and a mail-merge CSV beside it for the print shop, in CP932
(``OUT.csv``) and in UTF-8 with BOM (``OUT.utf8.csv``), written as the rows come.

Selections: ``all``, ``age:75-`` / ``age:65-74`` / ``age:-64`` (age on ``as_of``),
``district:NAME`` (the address names the town), ``unanswered`` (no intent yet),
``resident:PERSON_NO`` (one resident). Only active residents are selected.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Select, exists, select
from sqlalchemy.ext.asyncio import AsyncEngine

from registry.errors import InvalidInput
from registry.ledger.export import _CsvOut  # the ledger export's CP932 / 〓 handling
from registry.models import Household, Intent, Resident
from registry.paper.layout import format_digits
from registry.paper.printing import DEFAULT_SENDER, Layout, Postcard, PostcardWriter

log = logging.getLogger(__name__)

CSV_HEADER = ("はがき番号", "はがき番号（表示）", "氏名", "住所", "ファイル", "ページ")


@dataclass(frozen=True)
class PrintReport:
    postcards: int
    files: tuple[str, ...]
    csv_files: tuple[str, ...]
    replaced: int  # characters the CP932 CSV could not hold (written as 〓)


def _years_ago(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _age_band(spec: str, as_of: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """``75-`` -> born on or before as_of-75y; ``65-74`` -> born after as_of-75y too."""
    lo, sep, hi = spec.partition("-")
    try:
        low = int(lo) if lo else None
        high = int(hi) if hi else None
    except ValueError as err:
        raise InvalidInput("select", f"age band must look like 75- or 65-74, not {spec!r}") from err
    if not sep or (low is None and high is None):
        raise InvalidInput("select", f"age band must look like 75- or 65-74, not {spec!r}")
    born_by = _years_ago(as_of, low) if low is not None else None
    born_after = _years_ago(as_of, high + 1) if high is not None else None
    return born_by, born_after


def selection(spec: str, *, as_of: dt.date) -> Select[Any]:
    """The residents a selection names, in ledger order, as ``(barcode, name, address)`` rows."""
    r, h = Resident, Household
    stmt = cast(
        "Select[Any]",
        select(r.barcode, r.name, r.address, h.address.label("household_address"))
        .outerjoin(h, h.id == r.household_id)
        .where(r.status == "active")
        .order_by(r.id),
    )
    kind, _, arg = spec.partition(":")
    if kind == "all" and not arg:
        return stmt
    if kind == "unanswered" and not arg:
        return stmt.where(~exists().where(Intent.resident_id == r.id))
    if kind == "age":
        born_by, born_after = _age_band(arg, as_of)
        if born_by is not None:
            stmt = stmt.where(r.birth_date <= born_by)
        if born_after is not None:
            stmt = stmt.where(r.birth_date > born_after)
        return stmt
    if kind == "district" and arg.strip():
        pattern = "%" + arg.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return stmt.where(r.address.like(pattern + "%", escape="\\"))
    if kind == "resident" and arg.strip():
        return stmt.where(r.person_no == arg.strip())
    raise InvalidInput(
        "select",
        f"unknown selection {spec!r}: use all, age:75-, age:65-74, district:NAME, unanswered "
        "or resident:PERSON_NO",
    )


async def postcards(engine: AsyncEngine, spec: str, *, as_of: dt.date) -> AsyncIterator[Postcard]:
    """The selected residents' postcards, streamed (a server-side cursor where there is one)."""
    stmt = selection(spec, as_of=as_of)
    async with engine.connect() as conn:
        result = await conn.stream(stmt.execution_options(yield_per=1000))
        async for row in result:
            yield Postcard(row.barcode, row.name, row.address or row.household_address or "")


async def print_postcards(
    engine: AsyncEngine,
    out: str | Path,
    spec: str,
    *,
    layout: Layout = "hagaki",
    as_of: dt.date,
    sender: str = DEFAULT_SENDER,
    per_file: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> PrintReport:
    """Write the selection's postcards to ``out`` (PDF) and the mail-merge CSVs beside it."""
    out = Path(out)
    csv_paths = (out.with_suffix(".csv"), out.with_suffix(".utf8.csv"))
    selection(spec, as_of=as_of)  # a bad selection fails before any file is made
    with (
        PostcardWriter(out, layout=layout, sender=sender, per_file=per_file) as writer,
        open(csv_paths[0], "wb") as sjis,  # noqa: ASYNC230 - sequential writes, like the PDF
        open(csv_paths[1], "wb") as utf8,  # noqa: ASYNC230
    ):
        outs = (_CsvOut(sjis, "cp932"), _CsvOut(utf8, "utf-8-sig"))
        for o in outs:
            o.write(CSV_HEADER)
        async for card in postcards(engine, spec, as_of=as_of):
            writer.add(card)
            n = writer.count - 1
            row = (card.barcode, format_digits(card.barcode), card.name, card.address,
                   writer.file_of(n).name, writer.page_of(n))  # fmt: skip
            for o in outs:
                o.write(row)
            if progress is not None:
                progress(1)
    log.info("%d postcards printed to %d files", writer.count, len(writer.files))
    return PrintReport(
        writer.count,
        tuple(str(f) for f in writer.files),
        tuple(str(p) for p in csv_paths),
        outs[0].replaced,
    )
