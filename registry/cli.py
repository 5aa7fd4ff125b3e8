"""``cti-registry``: the ledger's command line for IT and supervisors.

The database is ``--db URL`` or ``CTI_DATABASE_URL`` (default ``sqlite:///var/ledger.sqlite3``,
relative to the current directory); it is created and migrated before every command that uses it
(``normalize`` does not open it). Exit codes: 0 done, 1 error (clear message, no traceback),
2 usage, 3 ``import-ledger`` done but bad rows skipped (``SKIPPED_ROWS``). Logging goes to
stderr (``-v`` for INFO, ``-vv`` for DEBUG); results go to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from registry.db import create_engine, migrate, session_factory
from registry.errors import RegistryError
from registry.operator_cli import ACTIONS as OPERATOR_ACTIONS
from registry.operator_cli import NEEDS_PASSWORD, cmd_operator
from registry.operator_cli import add_parsers as add_operator_parsers
from registry.views import jsonable

log = logging.getLogger(__name__)

DEFAULT_DB = "sqlite:///var/ledger.sqlite3"
SKIPPED_ROWS = 3  # import-ledger wrote the good rows and skipped bad ones (2 is usage)
EXPORT_ENCODING = (
    "CP932 is the default because the city's systems read it; a character it cannot hold "
    "(𠮷, a vendor's 外字) is written as 〓, counted and warned about. A resident export "
    "imported again never replaces a stored character by 〓 (the stored value is kept; where "
    "the file says something else, the row is flagged for review). utf-8-sig keeps every "
    "character."
)
IMPORT_EXIT_STATUS = (
    "exit status: 0 every row imported; 3 imported, but bad rows were skipped (each listed "
    "with its line; with --dry-run: would be); 1 error, or bad rows with --all-or-nothing "
    "(nothing written); 2 usage"
)
LOCAL_TZ = ZoneInfo("Asia/Tokyo")
Handler = Callable[[argparse.Namespace, AsyncEngine], Awaitable[int]]


class UsageError(Exception):
    """A command-line value is wrong (exit code 2)."""


def _emit(value: Any) -> None:
    print(json.dumps(jsonable(value), ensure_ascii=False))


def _iso_datetime(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not an ISO date-time: {text!r}") from err
    return value if value.tzinfo else value.replace(tzinfo=LOCAL_TZ)


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not an ISO date: {text!r}") from err


def _column(text: str) -> tuple[str, str]:
    field, sep, header = text.partition("=")
    if not sep or not field.strip() or not header.strip():
        raise argparse.ArgumentTypeError(f"expected FIELD=HEADER, got {text!r}")
    return field.strip(), header.strip()


def _read_password() -> str:
    """One line from standard input; a prompt (asked twice) when stdin is a terminal."""
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("password again: ") != first:
            raise UsageError("the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


# --- commands -----------------------------------------------------------------------------------


async def cmd_migrate(args: argparse.Namespace, engine: AsyncEngine) -> int:
    print(f"database ready: {engine.url.render_as_string(hide_password=True)}")
    return 0


async def cmd_import(args: argparse.Namespace, engine: AsyncEngine) -> int:
    from tqdm import tqdm

    from registry.ledger.importer import import_ledger
    from registry.ledger.mapping import LedgerMapping, as_mapping, load_mapping

    mapping = load_mapping(args.mapping) if args.mapping else LedgerMapping()
    if args.column:
        extra = as_mapping(dict(args.column)).columns
        mapping = LedgerMapping(
            {**mapping.columns, **extra}, mapping.encoding, mapping.default_area_code
        )
    with tqdm(total=0, unit="rows", file=sys.stderr, disable=None, leave=False) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        report = await import_ledger(
            engine,
            args.file,
            mapping=mapping,
            dry_run=args.dry_run,
            all_or_nothing=args.all_or_nothing,
            progress=progress,
            encoding=args.encoding,
        )
    for line, reason in report.bad_rows:
        print(f"line {line}: {reason}")
    shown = report.flagged if args.verbose else report.flagged[:20]
    for line, reason in shown:
        print(f"line {line}: review: {reason}")
    if len(shown) < len(report.flagged):
        print(f"... and {len(report.flagged) - len(shown)} more rows to review (-v lists all)")
    if report.ignored_columns:
        print(f"columns not imported: {', '.join(report.ignored_columns)}")
    print(("dry run: " if args.dry_run else "") + report.summary())
    if not report.bad_rows:
        return 0
    return 1 if args.all_or_nothing else SKIPPED_ROWS  # a dry run: what the import would do


async def cmd_export(args: argparse.Namespace, engine: AsyncEngine) -> int:
    from registry.ledger.importer import export_bookings, export_residents

    export = export_residents if args.what == "residents" else export_bookings
    report = await export(engine, args.file, encoding=args.encoding)
    note = f", {report.replaced} characters written as 〓" if report.replaced else ""
    print(f"{report.rows} {args.what} written to {report.path} ({report.encoding}{note})")
    if report.replaced:
        print(
            f"cti-registry: warning: {report.replaced} characters are not in {report.encoding} "
            "and are 〓 in the file; --encoding utf-8-sig keeps every character",
            file=sys.stderr,
        )
    return 0


async def cmd_seed(args: argparse.Namespace, engine: AsyncEngine) -> int:
    from registry.seed.load import seed_database

    summary = await seed_database(engine, args.residents, seed=args.seed, venues=not args.no_venues)
    print(summary)
    return 0


async def cmd_lookup(args: argparse.Namespace, engine: AsyncEngine) -> int:
    from registry.find.lookup import lookup_by_number
    from registry.normalize.phone import normalize_caller_id

    cn = normalize_caller_id(args.number)
    households = []
    if cn.e164:
        async with session_factory(engine)() as session:
            households = await lookup_by_number(session, cn.e164, limit=args.limit)
    if args.json:
        _emit(
            {
                "raw": cn.raw,
                "status": cn.status,
                "e164": cn.e164,
                "national": cn.national,
                "kind": cn.kind,
                "flags": cn.flags,
                "reason": cn.reason,
                "households": households,
            }
        )
        return 0
    print(f"{cn.raw!r}: {cn.status} {cn.national or ''} {cn.reason}".rstrip())
    for hh in households:
        print(f"世帯 {hh.household_no or '-'}  {hh.address}")
        for m in hh.members:
            birth = m.birth_date.isoformat() if m.birth_date else "?"
            print(
                f"  #{m.resident_id} {m.name} ({m.name_kana}) {birth} {m.score:.0f} "
                f"{','.join(m.reasons)}"
            )
    if cn.e164 and not households:
        print("no resident at this number")
    return 0


async def cmd_search(args: argparse.Namespace, engine: AsyncEngine) -> int:
    if not (args.name or args.birth or args.address or args.phone):
        raise UsageError("give at least one of --name, --birth, --address, --phone")
    from registry.find.search import NameIndex, SearchQuery, with_ledger_ids

    query = SearchQuery(name=args.name, birth=args.birth, address=args.address, phone=args.phone)
    async with session_factory(engine)() as session:
        index = await NameIndex.load(session)
        page = await asyncio.to_thread(index.search_page, query, args.limit)
        results = await with_ledger_ids(session, page.matches)
    if args.json:
        _emit({"query": query, "results": results, "tied_beyond": page.tied_beyond})
        return 0
    for m in results:
        birth = m.birth_date.isoformat() if m.birth_date else "?"
        print(
            f"{m.score:5.1f}  #{m.resident_id} {m.name} ({m.name_kana}) {birth} "
            f"{m.address}  [{', '.join(m.reasons)}]"
        )
    if page.tied_beyond:
        print(
            f"... and at least {page.tied_beyond} more scored as the last one: "
            "narrow down with --birth or --address (its banchi)"
        )
    if not results:
        print("no candidate")
    return 0


async def cmd_normalize(args: argparse.Namespace, engine: AsyncEngine | None) -> int:
    from registry.normalize.phone import normalize_caller_id, normalize_ledger_phone

    for raw in args.raw:
        if args.ledger:
            cn = normalize_ledger_phone(raw, default_area_code=args.area)
        else:
            cn = normalize_caller_id(raw, default_area_code=args.area)
        if args.json:
            _emit(cn)
        else:
            flags = f" [{','.join(cn.flags)}]" if cn.flags else ""
            print(
                f"{raw!r}: {cn.status} {cn.e164 or '-'} {cn.national} {cn.kind}{flags} "
                f"{cn.reason}".rstrip()
            )
    return 0


async def cmd_venue(args: argparse.Namespace, engine: AsyncEngine) -> int:
    from registry.venues import create_venue, list_venues

    async with session_factory(engine)() as session:
        if args.action == "add":
            v = await create_venue(session, args.name, args.address)
            await session.commit()
            print(f"venue {v.venue_id} created: {v.name}")
            return 0
        venues = await list_venues(session, active_only=not args.all)
    if args.json:
        _emit(venues)
    for v in [] if args.json else venues:
        print(f"{v.venue_id:4d} {v.name}  {v.address}{'' if v.active else ' (inactive)'}")
    return 0


def _slot_line(s: Any) -> str:
    start, end = s.starts_at.astimezone(LOCAL_TZ), s.ends_at.astimezone(LOCAL_TZ)
    return (
        f"slot {s.slot_id} venue {s.venue_id} {start:%Y-%m-%d %H:%M}-{end:%H:%M} "
        f"capacity {s.capacity} booked {s.booked}"
    )


async def cmd_slot(args: argparse.Namespace, engine: AsyncEngine) -> int:
    from registry.venues import create_slot, list_slots, set_slot_capacity

    async with session_factory(engine)() as session:
        if args.action == "list":
            for s in await list_slots(session, args.venue, args.day):
                print(_slot_line(s))
            return 0
        if args.action == "add":
            s = await create_slot(session, args.venue, args.start, args.end, args.capacity)
        else:
            s = await set_slot_capacity(session, args.slot_id, args.capacity)
        await session.commit()
    print(_slot_line(s))
    return 0


# --- parser and entry point ---------------------------------------------------------------------


def _sub(subs: Any, name: str, handler: Any, help: str) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subs.add_parser(name, help=help, description=help)
    p.set_defaults(handler=handler)
    return p


def _ledger_commands(subs: Any) -> None:
    p = _sub(subs, "import-ledger", cmd_import, "import a ledger CSV (UTF-8 or CP932)")
    p.epilog = IMPORT_EXIT_STATUS
    p.add_argument("file")
    p.add_argument("--mapping", metavar="TOML", help="column mapping file")
    p.add_argument(
        "--column",
        action="append",
        type=_column,
        metavar="FIELD=HEADER",
        help="read FIELD (person_no, household_no, name, name_kana, birth_date, sex, "
        "address, phone, mobile) from column HEADER; repeatable",
    )
    p.add_argument("--dry-run", action="store_true", help="check and count; write nothing")
    p.add_argument("--all-or-nothing", action="store_true", help="write nothing if a row is bad")
    p.add_argument("--encoding", help="force the file encoding (default: detected)")
    p = _sub(subs, "export", cmd_export, "export residents or bookings to CSV")
    p.epilog = EXPORT_ENCODING
    p.add_argument("what", choices=("residents", "bookings"))
    p.add_argument("file")
    p.add_argument(
        "--encoding",
        choices=("cp932", "utf-8-sig"),
        default="cp932",
        help="cp932 (default: what city systems read) or utf-8-sig (every character; Excel)",
    )
    p = _sub(subs, "seed", cmd_seed, "fill the database with a synthetic city ledger")
    p.add_argument("--residents", type=int, required=True, metavar="N")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-venues", action="store_true", help="residents only")


def _query_commands(subs: Any) -> None:
    p = _sub(subs, "lookup", cmd_lookup, "residents reached at a phone number")
    p.add_argument("number")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p = _sub(subs, "search", cmd_search, "find a resident by name, birth date, address, phone")
    for opt in ("--name", "--birth", "--address", "--phone"):
        p.add_argument(opt, default="")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--json", action="store_true")
    p = _sub(subs, "normalize", cmd_normalize, "show how caller IDs are normalized")
    p.set_defaults(no_db=True)
    p.add_argument("raw", nargs="+")
    p.add_argument("--ledger", action="store_true", help="as a ledger value, not a caller ID")
    p.add_argument("--area", default="0773", help="default area code (default 0773)")
    p.add_argument("--json", action="store_true", help="one JSON object per input")


async def cmd_audit(args: argparse.Namespace, engine: AsyncEngine) -> int:
    from registry.audit import verify_chain

    async with session_factory(engine)() as session:
        report = await verify_chain(session)
    print(
        f"entries: {report.entries}, before the chain: {report.unchained}, "
        f"head: {report.head or '-'}"
    )
    if not report.ok:
        print(f"cti-registry: audit log tampered with at entry {report.broken_at}", file=sys.stderr)
        return 1
    print("the audit chain holds")
    return 0


def _admin_commands(subs: Any) -> None:
    au = _sub(subs, "audit", cmd_audit, "the audit log").add_subparsers(
        dest="action", required=True, metavar="{verify}"
    )
    au.add_parser("verify", help="check the audit log's hash chain; print its head")
    op = _sub(subs, "operator", cmd_operator, "operator accounts").add_subparsers(
        dest="action", required=True, metavar="{" + ",".join(OPERATOR_ACTIONS) + "}"
    )
    add_operator_parsers(op)
    ve = _sub(subs, "venue", cmd_venue, "vaccination venues").add_subparsers(
        dest="action", required=True, metavar="{add,list}"
    )
    p = ve.add_parser("add", help="create a venue")
    p.add_argument("name")
    p.add_argument("--address", default="")
    p = ve.add_parser("list", help="list venues")
    p.add_argument("--all", action="store_true", help="include inactive venues")
    p.add_argument("--json", action="store_true")
    sl = _sub(subs, "slot", cmd_slot, "time slots of a venue").add_subparsers(
        dest="action", required=True, metavar="{add,capacity,list}"
    )
    p = sl.add_parser("add", help="create a slot (times without an offset are Asia/Tokyo)")
    p.add_argument("--venue", type=int, required=True)
    p.add_argument("--start", type=_iso_datetime, required=True)
    p.add_argument("--end", type=_iso_datetime, required=True)
    p.add_argument("--capacity", type=int, required=True)
    p = sl.add_parser("capacity", help="change a slot's capacity (not below its bookings)")
    p.add_argument("slot_id", type=int)
    p.add_argument("capacity", type=int)
    p = sl.add_parser("list", help="slots of a venue on a day")
    p.add_argument("--venue", type=int, required=True)
    p.add_argument("--day", type=_iso_date, default=dt.date.today())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cti-registry", description=__doc__.split("\n")[0])
    parser.add_argument("--db", help=f"database URL (default $CTI_DATABASE_URL or {DEFAULT_DB})")
    parser.add_argument("-v", "--verbose", action="count", default=0)
    subs = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _sub(subs, "migrate", cmd_migrate, "create or upgrade the database schema")
    _ledger_commands(subs)
    _query_commands(subs)
    _admin_commands(subs)
    from registry.paper.commands import add_paper_commands

    add_paper_commands(subs, _sub)
    from registry.assign.commands import add_assign_commands

    add_assign_commands(subs, _sub)
    return parser


def database_url(args: argparse.Namespace) -> str:
    url = args.db or os.environ.get("CTI_DATABASE_URL") or DEFAULT_DB
    try:
        make_url(url)
    except Exception as err:  # ArgumentError and friends: any unparseable URL
        raise UsageError(f"not a database URL: {url!r}") from err
    return url


async def _run(args: argparse.Namespace) -> int:
    if getattr(args, "no_db", False):
        result: int = await args.handler(args, None)
        return result
    engine = create_engine(database_url(args))
    try:
        await migrate(engine)
        result = await args.handler(args, engine)
        return result
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed by argparse
        return exc.code if isinstance(exc.code, int) else 2
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)]
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        if args.command == "operator" and args.action in NEEDS_PASSWORD:
            args.password = _read_password()
            if not args.password:
                raise UsageError("empty password (give it on standard input, one line)")
        return asyncio.run(_run(args))
    except UsageError as err:
        parser.print_usage(sys.stderr)
        print(f"cti-registry: error: {err}", file=sys.stderr)
        return 2
    except RegistryError as err:
        print(f"cti-registry: error: {err.message}", file=sys.stderr)
        return 1
    except SQLAlchemyError as err:
        log.debug("database error", exc_info=True)
        print(
            f"cti-registry: database error: {err.__class__.__name__}: {_first_line(err)}",
            file=sys.stderr,
        )
        return 1
    except OSError as err:
        print(f"cti-registry: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cti-registry: interrupted", file=sys.stderr)
        return 130


def _first_line(err: BaseException) -> str:
    return str(getattr(err, "orig", None) or err).splitlines()[0] if str(err) else ""


if __name__ == "__main__":
    sys.exit(main())
