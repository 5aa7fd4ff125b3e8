"""``cti-registry operator ...``: accounts from the command line.

add (``--role reception --venue ID`` for a venue's reception desk), list, disable, enable,
unlock, reset-password (the password on standard input) and logout-everywhere. Disabling, a
new password and logout-everywhere revoke the account's tokens: every server refuses them within
seconds and closes their sockets. A kiosk account's wallboard
URL is printed by ``cti-server --kiosk-token NAME`` (the server holds the signing key).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from registry import operators
from registry.db import session_factory
from registry.views import OperatorView

ACTIONS = ("add", "list", "disable", "enable", "unlock", "reset-password", "logout-everywhere")
NEEDS_PASSWORD = ("add", "reset-password")


def add_parsers(op: Any) -> None:
    """The sub-commands of ``operator`` (``op`` is its subparsers object)."""
    p = op.add_parser("add", help="create an operator; the password is read from stdin")
    p.add_argument("name")
    p.add_argument("--role", choices=operators.ROLES, required=True)
    p.add_argument(
        "--extension",
        action="append",
        default=[],
        help="an extension the operator may log in at; repeat for several (the first is the "
        "default)",
    )
    p.add_argument("--display-name", default="")
    p.add_argument(
        "--venue", type=int, default=None, help="a reception account's venue (its id; required)"
    )
    op.add_parser("list", help="list operators").add_argument("--json", action="store_true")
    for action, text in (
        ("disable", "disable an account and revoke its tokens"),
        ("enable", "enable a disabled account"),
        ("unlock", "lift the account's log-in lockouts (every source address)"),
        ("reset-password", "set a new password (read from stdin); revokes the tokens"),
        ("logout-everywhere", "revoke every token of the account (its clients log in again)"),
    ):
        op.add_parser(action, help=text).add_argument("name")


def _line(op: OperatorView) -> str:
    state = "" if op.active else " (inactive)"
    exts = ",".join(op.extensions) or "-"
    return f"{op.id:4d} {op.username:<16} {op.role:<10} {exts:<8} {op.display_name}{state}"


async def cmd_operator(args: argparse.Namespace, engine: AsyncEngine) -> int:
    async with session_factory(engine)() as session:
        if args.action == "list":
            ops = await operators.list_operators(session)
            if args.json:
                print(json.dumps([o.to_dict() for o in ops], ensure_ascii=False))
            for o in [] if args.json else ops:
                print(_line(o))
            return 0
        if args.action == "add":
            created = await operators.create_operator(
                session,
                args.name,
                args.password,
                role=args.role,
                extensions=args.extension,
                display_name=args.display_name,
                venue_id=args.venue,
            )
            await session.commit()
            at = f", venue {created.venue_id}" if created.venue_id is not None else ""
            print(f"operator {created.username} created (id {created.id}, role {created.role}{at})")
            return 0
        op = await operators.operator_named(session, args.name)
        print(await _change(session, op, args))
        await session.commit()
    return 0


async def _change(session: Any, op: OperatorView, args: argparse.Namespace) -> str:
    if args.action == "disable":
        await operators.update_operator(session, op.id, active=False)
        return f"operator {op.username} disabled; its tokens are revoked"
    if args.action == "enable":
        await operators.update_operator(session, op.id, active=True)
        return f"operator {op.username} enabled"
    if args.action == "unlock":
        n = await operators.unlock(session, op.id)
        return f"operator {op.username} unlocked ({n} source(s) cleared)"
    if args.action == "reset-password":
        await operators.update_operator(session, op.id, password=args.password)
        return f"operator {op.username}: new password set; its tokens are revoked"
    await operators.revoke_tokens(session, op.id)
    return f"operator {op.username} logged out everywhere"
