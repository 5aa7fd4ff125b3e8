"""A day at a venue, end to end over real TCP: the PBX simulator (AMI) → AmiBridge → server, a
reception desk and an operator over HTTP and WebSocket.

The desk scans the day's barcodes as a scanner types them and meets each warning (already checked
in, wrong venue, wrong slot, wrong day, no booking, a mistyped number); the tally counts them; the
resident booked at 09:00 who never came is swept onto the worklist as a no-show once; an operator
takes the item, clicks to dial, the PBX rings the operator and then the resident, the resident's
card pops, and the outcome is recorded. The appointments of this day are laid out by hand (the
assignment and its notices are walked in ``test_campaign_loop.py``)."""

from __future__ import annotations

import datetime as dt

from cti_server import protocol
from cti_server.sim.originate import DialPlan
from cti_server.web.keys import BRIDGE, SESSIONS
from cti_server.web.rest_reception import CLOCK
from cti_server.web.rest_worklist import CALLBACKS
from registry.db import session_factory
from registry.models import Phone
from tests.integration.test_end_to_end import LANDLINE, server, simulator, until
from tests.integration.venue_day import build_day
from tests.integration.web_helpers import (
    add_operator,
    auth,
    receive_pop,
    receive_type,
    token,
)

DAY = dt.date(2031, 6, 2)  # far from the wall clock's today: nothing else sweeps it


async def test_a_day_at_a_venue(engine, db_url):
    async with session_factory(engine)() as s:
        day = await build_day(s, DAY)
        s.add(Phone(e164=LANDLINE, raw="0773-62-1234", kind="landline",
                    resident_id=day.residents["past"]))  # fmt: skip
        await s.commit()
    await add_operator(engine, "op1", "operator", "1001")
    async with (
        simulator(agents=1) as (sim, port),
        server(
            engine,
            db_url,
            port,
            dial_caller_id='"舞鶴市" <0773620000>',
            keys={CLOCK: lambda: day.now},
        ) as (app, client),  # 10:05 at the venue
    ):
        sim.dial_plans["0773621234"] = DialPlan("answer", ring=1.0, talk=2.0)
        await until(lambda: app[BRIDGE].connected, "AMI login")

        # the reception desk, as a scanner types: digits, then Enter (one POST per scan)
        desk = auth(await token(app, 50, role="reception", ext=None, venue_id=day.venue))
        scans = [("ok", day.barcodes["ok"]), ("mobility", day.barcodes["mobility"]),
                 ("again", day.barcodes["ok"]), ("other_venue", day.barcodes["other_venue"]),
                 ("later", day.barcodes["later"]), ("tomorrow", day.barcodes["tomorrow"]),
                 ("none", day.barcodes["none"]), ("typo", day.mistyped("race"))]  # fmt: skip
        seen = {}
        for n, (key, code) in enumerate(scans):
            resp = await client.post(
                "/api/reception/checkins",
                headers=desk,
                json={"scan_id": f"d-{n}", "barcode": code, "desk": "受付1"},
            )
            assert resp.status == 200, await resp.text()
            seen[key] = (await resp.json())["outcome"]
        assert seen == {
            "ok": "checked_in", "mobility": "checked_in", "again": "already_checked_in",
            "other_venue": "wrong_venue", "later": "wrong_slot", "tomorrow": "wrong_day",
            "none": "no_booking", "typo": "mistyped_barcode",
        }  # fmt: skip
        tally = (await (await client.get("/api/reception", headers=desk)).json())["tally"]
        assert (tally["checked_in"], tally["no_show"]) == (2, 1)

        # the sweep: the 09:00 resident who did not come is called back, once
        await app[CALLBACKS].sweep(now=day.now)
        await app[CALLBACKS].sweep(now=day.now)
        op = auth(await token(app, 1, ext="1001"))
        page = await (await client.get("/api/worklist", headers=op)).json()
        gone = [i for i in page["items"] if i["reason"] == "no_show"]
        assert [i["resident_id"] for i in gone] == [day.residents["past"]]
        assert gone[0]["phone"] == LANDLINE

        # an operator takes it, clicks the number, the card pops, the outcome is recorded
        ws = await client.ws_connect("/ws", headers=op)
        await receive_type(ws, protocol.Hello)
        taken = await (await client.post("/api/worklist/claim", headers=op)).json()
        assert taken["item"]["item_id"] == gone[0]["item_id"]
        item_id = gone[0]["item_id"]
        dial = await client.post(f"/api/worklist/{item_id}/dial", headers=op)
        assert dial.status == 200, await dial.text()
        dialled = await dial.json()
        pop = await receive_pop(ws, 10)
        assert pop.call.linkedid == dialled["linkedid"]
        assert [m.resident_id for h in pop.households for m in h.members] == [day.residents["past"]]
        ended = await receive_pop(ws, 20, state="ended")
        assert ended.call.outcome == "outbound_answered"
        body = {"outcome": "reached", "call_linkedid": dialled["linkedid"],
                "note": "来週に振り替え希望"}  # fmt: skip
        done = await (await client.post(f"/api/worklist/{item_id}/outcome", json=body,
                                        headers=op)).json()  # fmt: skip
        assert (done["state"], done["attempts"], done["outcome"]) == ("done", 1, "reached")
        await ws.close()
    async with app[SESSIONS]() as s:
        from registry.worklist import get_item

        stored = await get_item(s, item_id)
    assert stored.history[0].call_linkedid == dialled["linkedid"]
