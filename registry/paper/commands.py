"""``cti-registry postcards | read-postcards | import-ocr | fill-postcards | notices``: the paper
commands.

Imported by ``registry.cli`` to build its parser; the heavy libraries are imported only when a
command runs, so the rest of the command line works without the ``paper`` extra.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from registry.db import session_factory

DEFAULT_SCAN_DIR = "var/scans"
LOCAL_TZ = ZoneInfo("Asia/Tokyo")


def _bar(unit: str) -> Any:
    from tqdm import tqdm

    return tqdm(unit=unit, file=sys.stderr, disable=None, leave=False)


def scan_dir(args: argparse.Namespace) -> Path:
    return Path(args.scan_dir or os.environ.get("CTI_SCAN_DIR") or DEFAULT_SCAN_DIR)


async def cmd_postcards(args: argparse.Namespace, engine: AsyncEngine) -> int:
    from registry.paper.select import print_postcards

    as_of = args.as_of or dt.datetime.now(LOCAL_TZ).date()
    with _bar("postcards") as bar:
        report = await print_postcards(
            engine,
            args.out,
            args.select,
            layout=args.layout,
            as_of=as_of,
            per_file=args.per_file,
            progress=bar.update,
        )
    note = f", {report.replaced} characters written as 〓 in CP932" if report.replaced else ""
    print(f"{report.postcards} postcards: {', '.join(report.files)}")
    print(f"mail-merge CSV: {', '.join(report.csv_files)}{note}")
    return 0


async def cmd_notices(args: argparse.Namespace, engine: AsyncEngine) -> int:
    from registry.audit import AuditAction, audit
    from registry.paper.notices import NoticeSettings, print_notices

    settings = NoticeSettings(
        call_center=args.call_center or os.environ.get("CTI_CALL_CENTER_NUMBER") or
        NoticeSettings.call_center,
        hours=args.hours or os.environ.get("CTI_CALL_CENTER_HOURS") or NoticeSettings.hours,
    )  # fmt: skip
    with _bar("notices") as bar:
        report = await print_notices(
            engine, args.out, settings=settings, layout=args.layout, per_file=args.per_file,
            progress=bar.update, day=args.day, person_no=args.resident, since=args.since,
        )  # fmt: skip
    async with session_factory(engine)() as session:
        await audit(session, AuditAction.NOTICE_PRINT, operator_id=None,
                    details={"notices": report.notices, "files": list(report.files),
                             "day": args.day and args.day.isoformat(),
                             "since": args.since and args.since.isoformat(),
                             "resident": bool(args.resident)})  # fmt: skip
        await session.commit()
    if not report.notices:
        print("0 notices: nothing to print (no file written)")
        return 0
    note = f", {report.replaced} characters written as 〓 in CP932" if report.replaced else ""
    print(f"{report.notices} notices: {', '.join(report.files)}")
    print(f"mail-merge CSV: {', '.join(report.csv_files)}{note}")
    return 0


async def cmd_read(args: argparse.Namespace, engine: AsyncEngine) -> int:
    from registry.paper.pipeline import read_scans

    with _bar("pages") as bar:
        report = await read_scans(
            session_factory(engine), args.paths, scan_dir=scan_dir(args), progress=bar.update
        )
    for source, page, outcome in report.results:
        if outcome.status == "review" and (outcome.new or args.verbose):
            print(f"{source} p.{page}: review: {', '.join(outcome.reasons)}")
    print(report.summary())
    return 0


async def cmd_import_ocr(args: argparse.Namespace, engine: AsyncEngine) -> int:
    from registry.paper.ocr_import import OcrMapping, load_ocr_mapping, ocr_rows
    from registry.paper.pipeline import ReadReport
    from registry.paper.store import record_once

    mapping = load_ocr_mapping(args.mapping) if args.mapping else OcrMapping()
    report = ReadReport()
    sessions = session_factory(engine)
    with _bar("rows") as bar:
        for scan in ocr_rows(args.file, mapping):
            outcome = await record_once(sessions, scan)
            report.add(scan.source, scan.page, outcome)
            bar.update(1)
    for _, line, outcome in report.results:
        if outcome.status == "review" and outcome.new:
            print(f"line {line}: review: {', '.join(outcome.reasons)}")
    print(report.summary().replace("pages", "rows"))
    return 0


async def cmd_fill(args: argparse.Namespace, engine: AsyncEngine | None) -> int:
    from registry.paper.synth import write_filled_scans

    with _bar("scans") as bar:
        counts = write_filled_scans(
            Path(args.pdf), Path(args.out), count=args.count, seed=args.seed, progress=bar.update
        )
    print(f"{sum(counts.values())} filled scans in {args.out}: "
          + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))  # fmt: skip
    return 0


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not an ISO date: {text!r}") from err


def _instant(text: str) -> dt.datetime:
    try:
        at = dt.datetime.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not an ISO date and time: {text!r}") from err
    if at.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset (e.g. +09:00)")
    return at


def add_paper_commands(subs: Any, sub: Any) -> None:
    """Add the commands to ``cti-registry``'s subparsers (``sub`` makes one)."""
    p = sub(subs, "postcards", cmd_postcards, "print intent postcards (PDF + mail-merge CSV)")
    p.add_argument("out", metavar="OUT.pdf")
    p.add_argument(
        "--select",
        default="all",
        help="all | age:75- | age:65-74 | district:NAME | unanswered | resident:PERSON_NO",
    )
    p.add_argument("--layout", choices=("hagaki", "a4x4"), default="hagaki")
    p.add_argument("--as-of", type=_date, help="date for age bands (default: today, Asia/Tokyo)")
    p.add_argument("--per-file", type=int, default=5000, help="postcards per PDF file")
    p = sub(
        subs, "notices", cmd_notices, "print appointment notices (指定通知; PDF + mail-merge CSV)"
    )
    p.add_argument("out", metavar="OUT.pdf")
    p.add_argument("--day", type=_date, help="only appointments on this day (Asia/Tokyo)")
    p.add_argument("--resident", metavar="PERSON_NO", help="only this resident")
    p.add_argument(
        "--since",
        type=_instant,
        metavar="ISO_TIME",
        help="only appointments made or changed since then (with its offset, e.g. "
        "2026-12-06T09:00+09:00): a run's new seats, not those mailed before",
    )
    p.add_argument("--layout", choices=("hagaki", "a4x4"), default="hagaki")
    p.add_argument("--per-file", type=int, default=5000, help="notices per PDF file")
    p.add_argument("--call-center", help="number printed ($CTI_CALL_CENTER_NUMBER)")
    p.add_argument("--hours", help="its hours ($CTI_CALL_CENTER_HOURS)")
    p = sub(subs, "read-postcards", cmd_read, "read returned postcard scans into the ledger")
    p.add_argument("paths", nargs="+", metavar="DIR|FILE")
    p.add_argument("--scan-dir", help=f"where crops are kept ($CTI_SCAN_DIR, {DEFAULT_SCAN_DIR})")
    p = sub(subs, "fill-postcards", cmd_fill, "demo: fill in and scan printed postcards")
    p.set_defaults(no_db=True)
    p.add_argument("pdf", metavar="PRINTED.pdf")
    p.add_argument("out", metavar="OUT_DIR")
    p.add_argument("--count", type=int, default=50)
    p.add_argument("--seed", type=int, default=1)
    p = sub(subs, "import-ocr", cmd_import_ocr, "import an AI-OCR service's postcard CSV")
    p.add_argument("file")
    p.add_argument("--mapping", metavar="MAP.toml", help="column mapping file")
