"""The callback worklist end to end over real TCP: PbxSimulator (AMI) -> AmiBridge -> server ->
operator WebSocket. An operator takes an item, clicks to dial, the PBX rings their extension and
then the resident; the resident's card pops as for an incoming call; the outcome is recorded.
Also the feeders: a wrap-up asking for a callback, and a caller who gave up in the queue."""

from __future__ import annotations

from cti_server import protocol
from cti_server.sim.originate import DialPlan
from cti_server.web.board_app import BOARD
from cti_server.web.keys import BRIDGE, SERVICE, SESSIONS
from cti_server.web.rest_worklist import CALLBACKS
from registry import worklist
from registry.calls import get_call
from tests.integration.test_end_to_end import LANDLINE, server, simulator, until
from tests.integration.web_helpers import (
    add_household,
    add_operator,
    auth,
    receive_pop,
    receive_type,
    token,
)

CALLER_ID = '"舞鶴市ワクチン" <0773620000>'


async def test_click_to_dial_pops_the_card_and_records_the_outcome(engine, db_url):
    residents = await add_household(engine, LANDLINE)
    await add_operator(engine, "op1", "operator", "1001")
    async with (
        simulator(agents=1) as (sim, port),
        server(engine, db_url, port, dial_caller_id=CALLER_ID) as (app, client),
    ):
        sim.dial_plans["0773621234"] = DialPlan("answer", ring=2.0, talk=4.0)
        await until(lambda: app[BRIDGE].connected, "AMI login")
        headers = auth(await token(app, 1, ext="1001"))
        ws = await client.ws_connect("/ws", headers=headers)
        await receive_type(ws, protocol.Hello)
        async with app[SESSIONS]() as s:
            item = await worklist.enqueue(s, reason="no_show", source_ref="booking:1:no_show",
                                          resident_id=residents[0])  # fmt: skip
            await s.commit()
        assert item.phone == LANDLINE
        taken = await (await client.post("/api/worklist/claim", headers=headers)).json()
        assert taken["item"]["item_id"] == item.item_id
        resp = await client.post(f"/api/worklist/{item.item_id}/dial", headers=headers)
        assert resp.status == 200, await resp.text()
        dialled = await resp.json()
        assert dialled["number"] == "0773621234"
        pop = await receive_pop(ws, 10)
        assert pop.call.linkedid == dialled["linkedid"]
        assert (pop.call.state, pop.call.extension) == ("ringing", "1001")
        assert pop.caller.e164 == LANDLINE
        assert [m.resident_id for h in pop.households for m in h.members] == residents
        answered = await receive_pop(ws, 15, state="answered")
        assert answered.call.linkedid == dialled["linkedid"]
        ended = await receive_pop(ws, 20, state="ended")
        assert ended.call.outcome == "outbound_answered"
        body = {"outcome": "reached", "call_linkedid": dialled["linkedid"], "note": "了承"}
        resp = await client.post(f"/api/worklist/{item.item_id}/outcome", json=body,
                                 headers=headers)  # fmt: skip
        done = await resp.json()
        assert (done["state"], done["attempts"]) == ("done", 1)
        assert done["history"][0]["call_linkedid"] == dialled["linkedid"]
        await ws.close()

    async with app[SESSIONS]() as s:
        record = await get_call(s, dialled["linkedid"])
    assert record.outcome == "outbound_answered"
    assert record.caller_e164 == LANDLINE


async def test_feeders_callback_wrap_up_and_abandoned_caller(engine, db_url):
    residents = await add_household(engine, LANDLINE)
    await add_operator(engine, "op1", "operator", "1001")
    async with (
        simulator(agents=1) as (sim, port),
        server(engine, db_url, port) as (app, client),
    ):
        await until(lambda: app[BRIDGE].connected, "AMI login")
        headers = auth(await token(app, 1, ext="1001"))
        ws = await client.ws_connect("/ws", headers=headers)
        await receive_type(ws, protocol.Hello)
        answered = sim.place_call("0773621234", talk=1.0, ring=0.5)
        await receive_pop(ws, 10, state="ended")
        await until(lambda: answered.linkedid not in app[SERVICE].tracker.calls, "call end")
        await app[SERVICE].recorder.flush()
        body = {"codes": ["callback"], "notes": "午後に折り返し希望"}
        resp = await client.put(f"/api/calls/{answered.linkedid}/disposition", json=body,
                                headers=headers)  # fmt: skip
        assert resp.status == 200, await resp.text()
        again = await client.put(f"/api/calls/{answered.linkedid}/disposition", json=body,
                                 headers=headers)  # fmt: skip
        assert again.status == 200
        short = sim.place_call("0773629999", patience=1.0, no_answer=("1001",))
        await sim.wait_idle()
        gave_up = sim.place_call("09012345678", patience=7.0, no_answer=("1001",))
        await sim.wait_idle()

        def ended(linkedid: str) -> bool:
            call = app[SERVICE].tracker.call(linkedid)
            return call is not None and not call.live

        await until(lambda: ended(short.linkedid) and ended(gave_up.linkedid), "abandons")
        await app[CALLBACKS].drain()
        page = await (await client.get("/api/worklist", headers=headers)).json()

        def on_board() -> int:  # the supervisors' board follows the worklist
            w = app[BOARD].snapshot().worklist
            return -1 if w is None else w.open

        await until(lambda: on_board() == 2, "the board's worklist size")
        assert app[BOARD].snapshot().worklist.oldest_created_at is not None
        await ws.close()
    by_reason = {i["reason"]: i for i in page["items"]}
    # the resend added nothing; a caller who gave up within seconds is not called back
    assert sorted(i["reason"] for i in page["items"]) == ["abandoned", "callback_requested"]
    callback = by_reason["callback_requested"]
    assert callback["phone"] == LANDLINE
    assert callback["detail"]["note"] == "午後に折り返し希望"
    assert callback["resident_id"] in (None, *residents)
    assert by_reason["abandoned"]["phone"] == "+819012345678"
    assert page["summary"]["open"] == 2
