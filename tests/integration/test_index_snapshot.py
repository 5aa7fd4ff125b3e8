"""Index snapshots: a restart loads the name and phone indexes from ``data_dir`` when the ledger
has not changed, never a stale one, and changes made after the snapshot are still seen."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest
from sqlalchemy import update

from cti_server.web.app import create_app
from cti_server.web.keys import LOOKUP
from registry.find import snapshot
from registry.find.phone_index import PhoneIndex
from registry.find.search import NameIndex, SearchQuery
from registry.models import Resident
from registry.seed.load import seed_database
from tests.integration.web_helpers import (
    FakeBridge,
    add_household,
    add_operator,
    auth,
    make_settings,
    token,
)


async def test_a_snapshot_is_used_only_at_its_stamp(engine, sessions, tmp_path: Path):
    await seed_database(engine, 150, seed=5, venues=False)
    async with sessions() as s:
        stamp = await snapshot.ledger_stamp(s)
        index = await NameIndex.load(s)
    path = tmp_path / "name_index.snapshot"
    snapshot.save(path, "name", stamp, index)
    again = snapshot.load(path, "name", stamp, NameIndex)
    assert again is not None
    assert len(again) == len(index) == 150
    q = SearchQuery(name=index._cols.match(7, 0.0, ()).name)
    assert again.search(q) == index.search(q)
    assert snapshot.load(path, "phone", stamp, NameIndex) is None  # another index's file
    assert snapshot.load(path, "name", stamp, PhoneIndex) is None
    async with sessions() as s, s.begin():
        await s.execute(update(Resident).where(Resident.id == 3).values(name="変更 済"))
    async with sessions() as s:
        assert await snapshot.ledger_stamp(s) != stamp
        assert snapshot.load(path, "name", await snapshot.ledger_stamp(s), NameIndex) is None
    path.write_bytes(b"not a snapshot")
    assert snapshot.load(path, "name", stamp, NameIndex) is None
    assert snapshot.load(tmp_path / "none", "name", stamp, NameIndex) is None


async def _started(app, client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Both indexes loaded (/healthz says so): the name index (503 index_loading meanwhile),
    then the phone index."""
    headers = auth(await token(app, 1))
    for _ in range(200):
        indexes = (await (await client.get("/healthz", headers=headers)).json())["indexes"]
        resp = await client.get("/api/residents/search", params={"name": "x"}, headers=headers)
        if indexes["name"] == "ready":  # (asked first: the search may have loaded since)
            assert resp.status == 200, await resp.text()
        if indexes == {"name": "ready", "phone": "ready"}:
            assert app[LOOKUP].index is not None
            return headers
        assert indexes["phone"] == "loading", indexes
        await asyncio.sleep(0.05)
    raise AssertionError("the indexes did not load")


async def _best(client, headers, name: str) -> int | None:  # type: ignore[no-untyped-def]
    resp = await client.get("/api/residents/search", params={"name": name}, headers=headers)
    assert resp.status == 200, await resp.text()
    return next((r["resident_id"] for r in (await resp.json())["results"]), None)


@pytest.mark.parametrize("changed_while_down", [False, True])
async def test_restart_takes_a_current_snapshot_and_never_a_stale_one(
    engine, db_url, aiohttp_client, tmp_path, caplog, changed_while_down
):
    caplog.set_level(logging.INFO, logger="cti_server.web.app")
    first = await add_household(engine, "+81773621234", names=("山田 太郎",), no="H1")
    await add_operator(engine, "op1", "operator", "1001")
    settings = make_settings(db_url, data_dir=str(tmp_path), index_refresh_seconds=0.05)
    app = create_app(settings, engine=engine, bridge=FakeBridge())
    client = await aiohttp_client(app)
    headers = await _started(app, client)
    assert await _best(client, headers, "山田 太郎") == first[0]
    assert (tmp_path / "name_index.snapshot").exists()
    assert (tmp_path / "phone_index.snapshot").exists()
    await client.close()

    if changed_while_down:  # a rename the snapshot does not hold: it must not be used
        async with engine.begin() as conn:
            await conn.execute(
                update(Resident).where(Resident.id == first[0]).values(name="川口 太郎")
            )
    caplog.clear()
    app = create_app(settings, engine=engine, bridge=FakeBridge())
    client = await aiohttp_client(app)
    headers = await _started(app, client)
    from_snapshot = [r.getMessage() for r in caplog.records if "from its snapshot" in r.message]
    if changed_while_down:
        assert from_snapshot == []
        assert await _best(client, headers, "川口 太郎") == first[0]
    else:
        assert len(from_snapshot) == 2  # the phone index and the name index
    # a change after the (re)start is seen by both indexes through the refresh
    changed_at = time.time_ns()
    later = await add_household(engine, "+81773625678", names=("鈴木 一郎",), no="H2")
    phones = app[LOOKUP].index
    assert phones is not None

    def popped() -> list[int]:
        return [m.resident_id for h in phones.lookup("+81773625678") for m in h.members]

    for _ in range(200):  # the phone index is refreshed just after the name index
        if await _best(client, headers, "鈴木 一郎") == later[0] and popped() == later:
            break
        await asyncio.sleep(0.05)
    assert await _best(client, headers, "鈴木 一郎") == later[0]
    assert popped() == later
    for _ in range(200):  # saved after the refresh that saw the change
        if all(
            (tmp_path / f"{kind}.snapshot").stat().st_mtime_ns > changed_at
            for kind in ("name_index", "phone_index")
        ):
            break
        await asyncio.sleep(0.05)
    await client.close()

    # the refresh that saw the change saved new snapshots: the next restart takes them
    caplog.clear()
    app = create_app(settings, engine=engine, bridge=FakeBridge())
    client = await aiohttp_client(app)
    headers = await _started(app, client)
    assert len([r for r in caplog.records if "from its snapshot" in r.message]) == 2
    assert await _best(client, headers, "鈴木 一郎") == later[0]
    pop = app[LOOKUP].index.lookup("+81773625678")
    assert [m.resident_id for h in pop for m in h.members] == later


async def test_an_instance_that_sees_a_ledger_change_tells_the_others(
    engine, db_url, aiohttp_client, tmp_path
):
    """Instance one polls often, instance two never in this test: two learns of the import
    from one through the bus, and its pops' lookup by number has the new household."""
    await add_household(engine, "+81773621234", names=("山田 太郎",), no="H1")
    await add_operator(engine, "op1", "operator", "1001")
    bus = "redis://127.0.0.1:6379/0"
    one = create_app(
        make_settings(db_url, data_dir=str(tmp_path / "one"), redis_url=bus,
                      server_id="one", index_refresh_seconds=0.1),
        engine=engine, bridge=FakeBridge(),
    )  # fmt: skip
    two = create_app(
        make_settings(db_url, data_dir=str(tmp_path / "two"), redis_url=bus,
                      server_id="two", index_refresh_seconds=3600),
        engine=engine, bridge=FakeBridge(),
    )  # fmt: skip
    clients = [await aiohttp_client(app) for app in (one, two)]
    for app, client in zip((one, two), clients, strict=True):
        await _started(app, client)
    assert two[LOOKUP].index is not None
    assert two[LOOKUP].index.lookup("+81773625678") == []
    later = await add_household(engine, "+81773625678", names=("鈴木 一郎",), no="H2")
    for _ in range(200):
        pop = two[LOOKUP].index.lookup("+81773625678")
        if pop:
            break
        await asyncio.sleep(0.05)
    assert [m.resident_id for h in pop for m in h.members] == later
