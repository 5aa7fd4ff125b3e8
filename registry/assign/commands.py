"""``cti-registry assign | distances | slot-support``: the assignment's commands.

``assign`` is a dry run unless ``--commit``; it prints the report (``--json``: as JSON).
``distances FILE.csv`` loads the venue distance table (columns ``venue``, ``district``,
``metres``; venue by id or name; UTF-8 or CP932); ``slot-support`` sets a slot's transport seats
and wheelchair access.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from registry.assign.report import AssignmentReport
from registry.assign.solver import DEFAULT_BANDS, Rules, parse_bands
from registry.assign.support import set_distances, set_slot_support
from registry.db import session_factory
from registry.errors import InvalidInput
from registry.models import Operator, Venue
from registry.views import jsonable

LOCAL_TZ = ZoneInfo("Asia/Tokyo")
REASON_TEXT = {
    "no_capacity": "no capacity left",
    "no_transport_seats": "no transport seats left",
    "no_wheelchair_slot": "no slot with wheelchair access left",
    "no_second_dose_slot": "no second-dose slot N days later",
    "unavailable_days": "only on days they cannot come",
}


def print_report(r: AssignmentReport) -> None:
    head = "committed" if r.committed else "dry run (nothing written; --commit writes it)"
    print(f"assignment, {head}: digest {r.digest}")
    print(f"candidates {r.candidates}: assigned {r.assigned}, not assigned {r.not_assigned}")
    for reason, n in r.reasons.items():
        print(f"  not assigned, {REASON_TEXT.get(reason, reason)}: {n}")
    share = "-" if r.nearest_share is None else f"{100 * r.nearest_share:.1f} %"
    print(f"households of 2+: {r.households}, split: {r.households_split}")
    print(f"at their nearest venue: {share}; latest date: {r.latest_date or '-'}")
    print(f"second doses: {r.second_doses}; with transport: {r.with_transport}; "
          f"district unknown: {r.no_district}")  # fmt: skip
    print(f"open slots {r.open_slots}, free seats {r.free_seats}")
    for row in r.per_day_venue:
        print(f"  {row.day}  {row.venue_name}: {row.residents}")
    if r.moved or r.unseated:
        print(f"moved to another slot: {r.moved}; left without a slot: {r.unseated}")
    if r.committed:
        print(f"{r.bookings_written} bookings written, {r.bookings_cancelled} cancelled")


def rules_of(args: argparse.Namespace) -> Rules:
    try:
        bands = parse_bands(args.bands) if args.bands else DEFAULT_BANDS
    except ValueError as err:
        raise InvalidInput("bands", str(err)) from err
    if args.second_dose_days is not None and not 1 <= args.second_dose_days <= 365:
        raise InvalidInput("second_dose_days", "second-dose days must be from 1 to 365")
    return Rules(
        as_of=args.as_of or dt.datetime.now(LOCAL_TZ).date(),
        bands=bands,
        prefer=args.prefer,
        second_dose_days=args.second_dose_days,
    )


async def _operator_id(session: Any, username: str | None) -> int | None:
    if not username:
        return None
    oid = await session.scalar(select(Operator.id).where(Operator.username == username))
    if oid is None:
        raise InvalidInput("operator", f"no operator named {username!r}")
    return int(oid)


async def cmd_assign(args: argparse.Namespace, engine: AsyncEngine) -> int:
    from registry.assign.run import run_assignment

    rules = rules_of(args)
    async with session_factory(engine)() as session:
        report = await run_assignment(
            session,
            rules,
            commit=args.commit,
            expect=args.expect,
            operator_id=await _operator_id(session, args.operator),
            after=args.after,
            until=args.until,
            move_assigned=args.move_assigned,
        )
        if args.commit:
            await session.commit()
    if args.json:
        print(json.dumps(jsonable(report), ensure_ascii=False))
    else:
        print_report(report)
    return 0


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp932")


async def cmd_distances(args: argparse.Namespace, engine: AsyncEngine) -> int:
    rows = list(csv.DictReader(io.StringIO(_read_text(Path(args.file)))))
    async with session_factory(engine)() as session:
        venues = {
            name: vid for name, vid in (await session.execute(select(Venue.name, Venue.id))).all()
        }
        table: list[tuple[int, str, int]] = []
        for line, row in enumerate(rows, start=2):
            venue, district, metres = (
                row.get(k, "") or "" for k in ("venue", "district", "metres")
            )
            vid = int(venue) if venue.strip().isdigit() else venues.get(venue.strip())
            if vid is None or not district.strip() or not metres.strip().isdigit():
                raise InvalidInput(
                    "file", f"line {line}: need venue (id or name), district, metres"
                )
            table.append((vid, district.strip(), int(metres)))
        n = await set_distances(session, table, replace=not args.add)
        await session.commit()
    print(f"{n} venue distances loaded")
    return 0


async def cmd_slot_support(args: argparse.Namespace, engine: AsyncEngine) -> int:
    async with session_factory(engine)() as session:
        s = await set_slot_support(
            session,
            args.slot_id,
            transport_seats=args.transport_seats,
            wheelchair=None if args.wheelchair is None else args.wheelchair == "yes",
            pickup_minutes=args.pickup_minutes,
        )
        await session.commit()
    wheel = "yes" if s.wheelchair else "no"
    print(f"slot {args.slot_id}: transport seats {s.transport_seats} "
          f"(taken {s.transport_booked}), wheelchair {wheel}, "
          f"pickup {s.pickup_minutes} min before")  # fmt: skip
    return 0


def _when(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not an ISO date-time: {text!r}") from err
    return value if value.tzinfo else value.replace(tzinfo=LOCAL_TZ)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not an ISO date: {text!r}") from err


def add_assign_commands(subs: Any, sub: Any) -> None:
    """Add the commands to ``cti-registry``'s subparsers (``sub`` makes one)."""
    p = sub(subs, "assign", cmd_assign, "assign residents who want it a date, time and venue")
    p.add_argument("--commit", action="store_true", help="write the bookings (default: dry run)")
    p.add_argument("--expect", metavar="DIGEST", help="commit only if the plan has this digest")
    p.add_argument("--json", action="store_true")
    p.add_argument("--bands", help="age bands in priority order (default 85-,75-84,65-74,0-64)")
    p.add_argument("--as-of", type=_date, help="day for ages (default: today, Asia/Tokyo)")
    p.add_argument("--prefer", choices=("nearest", "earliest"), default="nearest")
    p.add_argument("--second-dose-days", type=int, metavar="N")
    p.add_argument("--after", type=_when, help="only slots starting after (default: now)")
    p.add_argument("--until", type=_when, help="only slots starting before")
    p.add_argument("--operator", help="the supervisor committing (audited)")
    p.add_argument(
        "--move-assigned",
        action="store_true",
        help="also place again residents an assignment booked (slots not started)",
    )
    p = sub(subs, "distances", cmd_distances, "load venue distances (CSV venue,district,metres)")
    p.add_argument("file")
    p.add_argument("--add", action="store_true", help="keep the rows not in the file")
    p = sub(
        subs, "slot-support", cmd_slot_support, "a slot's transport seats and wheelchair access"
    )
    p.add_argument("slot_id", type=int)
    p.add_argument("--transport-seats", type=int)
    p.add_argument("--wheelchair", choices=("yes", "no"))
    p.add_argument("--pickup-minutes", type=int, help="pickup this many minutes before the start")
