"""Shared helpers for the web, popper and end-to-end tests (no tests here).

Settings, a fake PBX bridge, tokens, a tiny ledger written straight into the tables, and
domain-event builders in the order the recorded Asterisk streams give them.
"""

from __future__ import annotations

import atexit
import datetime as dt
import itertools
import shutil
import tempfile
from typing import Any

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_server import protocol
from cti_server.config import Settings
from cti_server.domain import events as ev
from cti_server.web.keys import ACCOUNTS, SESSIONS, SIGNER
from cti_server.web.tokens import Principal
from registry.db import session_factory
from registry.models import Household, Operator, Phone, Resident

SECRET = "test-secret-key-0123456789abcdef"
DATA_DIR = tempfile.mkdtemp(prefix="cti-test-data-")
atexit.register(shutil.rmtree, DATA_DIR, ignore_errors=True)  # one per test process


def make_settings(db_url: str = "sqlite:///:memory:", **kw: Any) -> Settings:
    base: dict[str, Any] = {
        "database_url": db_url,
        "secret_key": SECRET,
        "ami_enabled": False,
        "login_delay_seconds": 0.0,
        "server_id": "test-1",
        "ws_heartbeat_seconds": 5.0,
        "data_dir": DATA_DIR,  # index snapshots: never in the working directory
        # the worklist sweep reads the wall clock's today: a test that wants it calls sweep(now=)
        "worklist_sweep_seconds": 0.0,
    }
    base.update(kw)
    return Settings(**base)


class FakeBridge:
    """Stands in for AmiBridge: a connected flag and a record of QueuePause requests."""

    def __init__(self, connected: bool = True) -> None:
        self.connected = connected
        self.state = "connected" if connected else "disconnected"
        self.last_error = ""
        self.paused: list[tuple[str, bool, str, str]] = []
        self.originated: list[dict[str, Any]] = []

    async def start(self) -> None: ...

    async def originate(self, **fields: Any) -> None:
        self.originated.append(fields)

    async def close(self) -> None: ...

    async def queue_pause(
        self, interface: str, paused: bool, reason: str = "", queue: str = ""
    ) -> None:
        self.paused.append((interface, paused, reason, queue))


async def token(
    app: web.Application,
    op_id: int = 1,
    role: str = "operator",
    ext: str | None = "1001",
    username: str = "",
    venue_id: int | None = None,
) -> str:
    """A token for account ``op_id`` of the started ``app``; the account is made if missing (a
    token of an account that does not exist is refused). ``venue_id``: a reception desk's."""
    async with app[SESSIONS]() as s:
        op = await s.get(Operator, op_id)
        if op is None:
            op = Operator(
                id=op_id,
                username=username or f"op{op_id}",
                display_name=f"Operator {op_id}",
                password_hash="x",
                role=role,
                extension=ext,
                venue_id=venue_id,
            )
            s.add(op)
            await s.flush()
            if s.get_bind().dialect.name == "postgresql":  # explicit id: move the sequence on
                await s.execute(
                    text(
                        "SELECT setval(pg_get_serial_sequence('operators', 'id'), "
                        "(SELECT max(id) FROM operators))"
                    )
                )
            await s.commit()
        generation = op.token_generation or 0
    await app[ACCOUNTS].generation(op_id)  # the server knows the account, as after a log-in
    who = Principal(
        op_id, username or f"op{op_id}", role, ext, f"Operator {op_id}", generation, venue_id
    )
    return str(app[SIGNER].issue(who))


def auth(tok: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tok}"}


async def add_household(
    engine: AsyncEngine,
    e164: str,
    names: tuple[str, ...] = ("山田 太郎", "山田 花子"),
    no: str = "H0001",
) -> list[int]:
    """One household with a shared landline ``e164``; returns the resident ids."""
    async with session_factory(engine)() as s:
        h = Household(household_no=no, address="京都府舞鶴市北吸1044")
        s.add(h)
        await s.flush()
        ids = []
        for i, name in enumerate(names):
            r = Resident(
                person_no=f"{no}-{i}",
                household_id=h.id,
                name=name,
                name_kana="ヤマダ タロウ",
                birth_date=dt.date(1950, 4, 1 + i),
                sex="M",
                address=h.address,
                barcode=f"{no}{i:04d}",
            )
            s.add(r)
            await s.flush()
            ids.append(r.id)
        s.add(Phone(e164=e164, raw=e164, kind="landline", household_id=h.id))
        await s.commit()
    return ids


async def add_operator(engine: AsyncEngine, username: str, role: str, ext: str | None) -> int:
    async with session_factory(engine)() as s:
        op = Operator(
            username=username, display_name=username, password_hash="x", role=role, extension=ext
        )
        s.add(op)
        await s.commit()
        return op.id


_ids = itertools.count(1700000000)


def new_linkedid() -> str:
    return f"{next(_ids)}.1"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def incoming(
    linkedid: str, number: str, *, withheld: bool = False, name: str = "", pres: str = "allowed"
) -> list[Any]:
    """What the bridge emits for a caller entering the queue."""
    at = now()
    return [
        ev.CallerIdentified(
            linkedid, linkedid, "Local/0773620000@from-trunk-1;1", number, name, pres, withheld, at
        ),
        ev.CallQueued(
            linkedid,
            linkedid,
            "vaccine",
            1,
            1,
            number,
            name,
            "prohib" if withheld else pres,
            withheld,
            at,
        ),
    ]


def ringing(linkedid: str, ext: str) -> ev.AgentRinging:
    return ev.AgentRinging(
        linkedid,
        "vaccine",
        f"Local/{ext}@operators/n",
        f"Operator {ext}",
        f"Local/{ext}@operators-1;1",
        now(),
    )


def answered(linkedid: str, ext: str) -> ev.CallAnswered:
    return ev.CallAnswered(
        linkedid, "vaccine", f"Local/{ext}@operators/n", f"Operator {ext}", 1.0, 1.0, now()
    )


def completed(linkedid: str, ext: str) -> ev.CallCompleted:
    return ev.CallCompleted(
        linkedid,
        "vaccine",
        f"Local/{ext}@operators/n",
        f"Operator {ext}",
        1.0,
        5.0,
        "caller",
        now(),
    )


async def receive(ws: Any, limit: float = 5.0) -> Any:
    msg = await ws.receive_str(timeout=limit)
    return protocol.decode(msg)


async def receive_type(ws: Any, cls: type, limit: float = 5.0) -> Any:
    """The next message of type ``cls`` (skipping others such as Hello)."""
    while True:
        msg = await receive(ws, limit)
        if isinstance(msg, cls):
            return msg


async def receive_pop(ws: Any, limit: float = 5.0, *, state: str | None = None) -> Any:
    """The next ScreenPop with the ledger lookup done (a ``pending`` pop is followed by its
    update), in call ``state`` if given (earlier pops are skipped)."""
    while True:
        pop = await receive_type(ws, protocol.ScreenPop, limit)
        if pop.lookup_error != "pending" and (state is None or pop.call.state == state):
            return pop
