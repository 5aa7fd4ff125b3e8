"""Faults seen against a real Asterisk, replayed end to end over real TCP: the PBX simulator
(AMI) -> AmiBridge -> server -> /healthz, the tracker, the records and operator sockets."""

from __future__ import annotations

import asyncio

import pytest

from cti_server.web.keys import BRIDGE, SERVICE
from tests.integration.test_end_to_end import server, simulator, until


async def healthz_status(client, want: int, limit: float = 10.0) -> None:
    """Wait until /healthz answers ``want`` (a state the server reaches on its own)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while (await client.get("/healthz")).status != want:
        if loop.time() > deadline:
            pytest.fail(f"/healthz never answered {want}")
        await asyncio.sleep(0.05)


async def test_restart_before_app_queue_is_loaded_resyncs_after_fully_booted(engine, db_url):
    """Asterisk accepts the login before app_queue is loaded: QueueStatus is refused. The resync
    is not reported complete (/healthz 503), and the agents come back after FullyBooted."""
    async with simulator(agents=3) as (sim, port), server(engine, db_url, port) as (app, client):
        tracker = app[SERVICE].tracker
        await until(lambda: len(tracker.members) == 3, "the agents from the first resync")
        await healthz_status(client, 200)
        sim.restart(booting=True)
        await until(lambda: app[BRIDGE].sessions >= 2, "the login after the restart")
        await until(lambda: "queuesummary" in sim.refused, "the refused resync lists")
        await healthz_status(client, 503)
        body = await (await client.get("/healthz")).json()
        assert body["ami"]["connected"] is True
        assert body["ami"]["status"] == "resync_incomplete"
        assert "QueueStatus" in body["ami"]["error"]
        sim.finish_boot()
        await until(lambda: len(tracker.members) == 3, "the agents after FullyBooted")
        await healthz_status(client, 200)
        assert tracker.last_resync is not None
        assert tracker.last_resync.members == 3
