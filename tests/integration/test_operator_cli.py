"""``cti-registry operator``: several extensions, disable / enable / unlock / reset-password /
logout-everywhere, and what each does to log-ins and tokens."""

from __future__ import annotations

import asyncio
import io
import json
import sys

import pytest

from registry.cli import main
from registry.db import create_engine, session_factory
from registry.errors import AccountLocked, AuthFailed
from registry.lockout import MAX_FAILURES
from registry.operators import authenticate, operator_named, token_generations


def run(capsys, monkeypatch, *argv, stdin=""):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


async def _state(db_url, name="sato"):
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as s:
            op = await operator_named(s, name)
            return op, (await token_generations(s, [op.id])).get(op.id)
    finally:
        await engine.dispose()


async def _login(db_url, password, source="10.0.0.1"):
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as s:
            return await authenticate(s, "sato", password, source=source)
    finally:
        await engine.dispose()


def test_operator_lifecycle(capsys, monkeypatch, db_url):
    cli = ("--db", db_url, "operator")
    code, out, err = run(
        capsys, monkeypatch, *cli, "add", "sato", "--role", "operator",
        "--extension", "1001", "--extension", "1002", stdin="first pass 1\n",
    )  # fmt: skip
    assert code == 0, err
    op, gen = asyncio.run(_state(db_url))
    assert (op.extension, op.extensions, gen) == ("1001", ("1001", "1002"), 0)
    code, out, _ = run(capsys, monkeypatch, *cli, "list", "--json")
    assert json.loads(out)[0]["extensions"] == ["1001", "1002"]

    assert run(capsys, monkeypatch, *cli, "logout-everywhere", "sato")[0] == 0
    assert (asyncio.run(_state(db_url)))[1] == 1
    assert run(capsys, monkeypatch, *cli, "disable", "sato")[0] == 0
    op, gen = asyncio.run(_state(db_url))
    assert (op.active, gen) == (False, None)  # a disabled account has no valid token
    with pytest.raises(AuthFailed):
        asyncio.run(_login(db_url, "first pass 1"))
    assert run(capsys, monkeypatch, *cli, "enable", "sato")[0] == 0
    assert (asyncio.run(_state(db_url)))[1] == 2

    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(AuthFailed):
            asyncio.run(_login(db_url, "wrong pass"))
    with pytest.raises(AccountLocked):
        asyncio.run(_login(db_url, "wrong pass"))
    code, out, _ = run(capsys, monkeypatch, *cli, "unlock", "sato")
    assert (code, "1 source" in out) == (0, True)
    assert (asyncio.run(_login(db_url, "first pass 1"))).username == "sato"

    code, _, err = run(capsys, monkeypatch, *cli, "reset-password", "sato", stdin="\n")
    assert (code, "empty password" in err) == (2, True)
    code, _, _ = run(capsys, monkeypatch, *cli, "reset-password", "sato", stdin="second pass 2\n")
    assert code == 0
    assert (asyncio.run(_state(db_url)))[1] == 3
    with pytest.raises(AuthFailed):
        asyncio.run(_login(db_url, "first pass 1"))
    assert (asyncio.run(_login(db_url, "second pass 2"))).username == "sato"
    code, _, err = run(capsys, monkeypatch, *cli, "disable", "nobody")
    assert (code, "not found" in err) == (1, True)


def test_a_reception_account_is_bound_to_its_venue(capsys, monkeypatch, db_url):
    from registry.venues import create_venue

    async def venue() -> int:
        engine = create_engine(db_url)
        try:
            async with session_factory(engine)() as s:
                v = await create_venue(s, "北吸会場", "舞鶴市")
                await s.commit()
                return v.venue_id
        finally:
            await engine.dispose()

    vid = asyncio.run(venue())
    cli = ("--db", db_url, "operator")
    code, _, err = run(capsys, monkeypatch, *cli, "add", "desk1", "--role", "reception",
                       stdin="desk pass 1\n")  # fmt: skip
    assert code != 0
    assert "venue" in err
    code, out, _ = run(capsys, monkeypatch, *cli, "add", "desk1", "--role", "reception",
                       "--venue", str(vid), stdin="desk pass 1\n")  # fmt: skip
    assert code == 0
    assert f"venue {vid}" in out
    op, _ = asyncio.run(_state(db_url, "desk1"))
    assert (op.role, op.venue_id) == ("reception", vid)
    code, _, err = run(capsys, monkeypatch, *cli, "add", "sv1", "--role", "supervisor",
                       "--venue", str(vid), stdin="sv pass 12\n")  # fmt: skip
    assert code != 0
