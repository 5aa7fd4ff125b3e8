"""cti_server.metrics over the real server: /metrics is Prometheus text from prometheus-client,
and its counters count what happened (events, calls ended by outcome, pops, failed logins,
dropped sockets, board pushes); gauges read the live state at scrape time."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from cti_server import protocol
from cti_server.domain import events as ev
from cti_server.domain.tracker import Tracker
from cti_server.metrics import Metrics
from cti_server.web.app import create_app
from cti_server.web.keys import HUB, SERVICE
from tests.integration.web_helpers import (
    FakeBridge,
    answered,
    auth,
    completed,
    incoming,
    make_settings,
    new_linkedid,
    now,
    receive_pop,
    receive_type,
    ringing,
    token,
)


async def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    resp = await client.get("/metrics")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(await resp.text()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def board_until(ws, check) -> protocol.Board:
    """The first board pushed that passes ``check`` (it has queues)."""
    while True:
        upd = await receive_type(ws, protocol.BoardUpdate)
        if upd.board.queues and check(upd.board):
            return upd.board


def test_a_fresh_registry_per_instance_counts_apart():
    a, b = Metrics(), Metrics()
    a.inc("cti_pops_sent_total", 3)
    a.event("CallQueued")
    assert b"cti_pops_sent_total 3.0" in a.render()
    assert b"cti_pops_sent_total 0.0" in b.render()


def test_a_late_amendment_of_an_ended_call_is_not_another_end():
    tracker, m = Tracker(), Metrics()
    lid = new_linkedid()
    hangup = ev.ChannelHungUp(lid, lid, "Local/0773620000@from-trunk-1;1", 16, "Normal", now())
    for e in [*incoming(lid, "0773621234"), ringing(lid, "1001"), answered(lid, "1001"), hangup]:
        m.count_changes(tracker.apply(e))
    changes = tracker.apply(completed(lid, "1001"))  # AgentComplete after the hang-up
    assert [type(ch).__name__ for ch in changes] == ["CallChanged"]  # the talk time amended
    m.count_changes(changes)
    assert b'cti_calls_total{outcome="answered"} 1.0' in m.render()


async def test_counters_count_what_happened(engine, db_url):
    app = create_app(make_settings(db_url), engine=engine, bridge=FakeBridge(),
                     load_name_index=False)  # fmt: skip
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        before = await scrape(client)
        assert before[("cti_calls_live", ())] == 0
        assert before[("cti_ami_connected", ())] == 1
        op = await client.ws_connect("/ws", headers=auth(await token(app, 5, ext="1001")))
        sv = await client.ws_connect("/ws", headers=auth(await token(app, 7, "supervisor", None)))
        await sv.send_str(protocol.encode(protocol.SubscribeBoard()))
        await receive_type(sv, protocol.BoardUpdate)
        service = app[SERVICE]
        a, b = new_linkedid(), new_linkedid()
        service.on_event([*incoming(a, "0773621234"), *incoming(b, "0773625678")])
        service.on_event(ringing(a, "1001"))
        await receive_pop(op)
        await board_until(sv, lambda board: board.queues[0].waiting > 0)  # a push
        service.on_event([answered(a, "1001"), completed(a, "1001")])
        service.on_event(ev.CallAbandoned(b, "vaccine", 1, 1, 12.0, now()))
        await board_until(  # another push: the call answered, the abandon counted
            sv, lambda board: board.queues[0].waiting == 0 and board.queues[0].today.abandoned
        )
        resp = await client.post("/api/login", json={"username": "nobody", "password": "x"})
        assert resp.status == 401
        (sv_client,) = [c for c in app[HUB].clients if c.who.id == 7]
        sv_client.drop("a test drops it")

        after = await scrape(client)
        assert after[("cti_events_ingested_total", (("type", "CallQueued"),))] == 2
        assert after[("cti_events_ingested_total", (("type", "CallAbandoned"),))] == 1
        assert after[("cti_calls_total", (("outcome", "answered"),))] == 1
        assert after[("cti_calls_total", (("outcome", "abandoned"),))] == 1
        assert after[("cti_pops_sent_total", ())] >= 1
        assert after[("cti_logins_failed_total", ())] == 1
        assert after[("cti_ws_dropped_total", ())] == 1
        assert after[("cti_board_pushes_total", ())] >= 2
        assert after[("cti_ws_clients", ())] == 1  # the operator's socket
        assert after[("cti_lookup_latency_seconds_count", ())] >= 1
        await op.close()
    finally:
        await client.close()
