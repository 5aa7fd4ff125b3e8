"""Campaign settings over REST: staff read them, only admins save; a stale version is a 409
naming the current one, a bad value a 400 naming the field; a wrap-up accepts a code added a
moment ago and refuses one just removed; the worklist's next outcome follows a new retry policy."""

from __future__ import annotations

import datetime as dt

import pytest

from cti_server import protocol
from cti_server.campaign import CampaignSettings
from cti_server.web.app import create_app
from cti_server.web.keys import SESSIONS
from cti_server.web.rest_config import CAMPAIGN
from registry import campaign_config as cc
from registry import worklist
from tests.integration.web_helpers import (
    FakeBridge,
    add_household,
    add_operator,
    auth,
    make_settings,
    receive_type,
    token,
)

POLICY = {"max_attempts": 1, "interval_minutes": 7, "earliest": "00:00", "latest": "23:59",
          "claim_minutes": 5}  # fmt: skip


@pytest.fixture
async def ctx(engine, db_url, aiohttp_client):
    settings = make_settings(db_url)
    app = create_app(settings, engine=engine, bridge=FakeBridge(), load_name_index=False)
    client = await aiohttp_client(app)
    assert await add_operator(engine, "op1", "operator", "1001") == 1
    assert await add_operator(engine, "sv", "supervisor", None) == 2
    assert await add_operator(engine, "adm", "admin", None) == 3
    heads = {
        "op": auth(await token(app, 1, ext="1001")),
        "sv": auth(await token(app, 2, role="supervisor", ext=None)),
        "adm": auth(await token(app, 3, role="admin", ext=None)),
    }
    return app, client, heads


async def _entries(client, headers) -> dict:
    resp = await client.get("/api/config", headers=headers)
    assert resp.status == 200, await resp.text()
    return {e["key"]: e for e in (await resp.json())["entries"]}


async def test_staff_read_admins_save_and_a_stale_version_is_a_409(ctx):
    _app, client, h = ctx
    start = await _entries(client, h["op"])
    assert list(start) == list(cc.KEYS)
    codes = start["dispositions"]
    assert codes["version"] == 0
    assert codes["created_at"] is None
    assert [c["code"] for c in codes["value"]][:2] == ["booked", "changed"]  # the settings' list
    assert start["retry_policy"]["value"] == {"max_attempts": 3, "interval_minutes": 120,
                                              "earliest": "09:00", "latest": "19:00",
                                              "claim_minutes": 15}  # fmt: skip
    body = {"version": 0, "value": codes["value"][:3]}
    for who in ("op", "sv"):
        resp = await client.put("/api/config/dispositions", json=body, headers=h[who])
        assert resp.status == 403
    resp = await client.put("/api/config/dispositions", json=body, headers=h["adm"])
    assert resp.status == 200, await resp.text()
    saved = await resp.json()
    assert (saved["version"], saved["created_by"], saved["value"]) == (1, 3, body["value"])
    resp = await client.put("/api/config/dispositions", json=body, headers=h["adm"])
    assert resp.status == 409
    refused = await resp.json()
    assert refused["error"] == "conflict"
    assert refused["details"] == {"key": "dispositions", "current_version": 1}
    assert (await _entries(client, h["sv"]))["dispositions"]["version"] == 1
    history = await (await client.get("/api/config/dispositions/history", headers=h["op"])).json()
    assert [v["version"] for v in history["versions"]] == [1]
    assert [(v["created_by"], v["created_by_name"]) for v in history["versions"]] == [(3, "adm")]


@pytest.mark.parametrize(
    ("key", "body", "field"),
    [
        ("dispositions", {"value": []}, "version"),
        ("dispositions", {"version": -1, "value": []}, "version"),
        ("dispositions", {"version": 0, "value": []}, "value"),
        ("dispositions", {"version": 0, "value": [{"code": "A", "ja": "あ", "en": "A"}]},
         "value[0].code"),
        ("dispositions", {"version": 0, "value": [{"code": "a", "ja": "\ud800", "en": "A"}]},
         "value[0].ja"),
        ("retry_policy", {"version": 0, "value": {**POLICY, "earliest": "20:00",
                                                  "latest": "08:00"}}, "latest"),
        ("colours", {"version": 0, "value": []}, "key"),
    ],
)  # fmt: skip
async def test_a_bad_value_is_a_400_naming_the_field(ctx, key, body, field):
    _, client, h = ctx
    resp = await client.put(f"/api/config/{key}", json=body, headers=h["adm"])
    assert resp.status == 400
    assert (await resp.json())["details"]["field"] == field


async def test_a_wrap_up_takes_the_codes_saved_a_moment_ago(ctx):
    _, client, h = ctx
    codes = (await _entries(client, h["adm"]))["dispositions"]["value"]
    kept = [c for c in codes if c["code"] != "other"]
    new = [*kept, {"code": "vaccine_info", "ja": "接種案内", "en": "Vaccine information"}]
    resp = await client.put("/api/config/dispositions", json={"version": 0, "value": new},
                            headers=h["adm"])  # fmt: skip
    assert resp.status == 200, await resp.text()
    listed = await (await client.get("/api/dispositions", headers=h["op"])).json()
    assert listed["dispositions"][-1] == {"code": "vaccine_info", "ja": "接種案内",
                                          "en": "Vaccine information"}  # fmt: skip
    assert "other" not in {d["code"] for d in listed["dispositions"]}
    url = "/api/calls/1700.7/disposition"
    ok = await client.put(url, json={"codes": ["vaccine_info"]}, headers=h["op"])
    assert ok.status == 200, await ok.text()
    assert (await ok.json())["codes"] == ["vaccine_info"]
    gone = await client.put(url, json={"codes": ["other"]}, headers=h["op"])
    assert gone.status == 400
    assert (await gone.json())["details"]["field"] == "codes"


async def _no_answer(app, client, headers, ref: str) -> dict:
    async with app[SESSIONS]() as s:
        item = await worklist.enqueue(s, reason="no_show", source_ref=ref, phone="+81773621234")
        await s.commit()
    resp = await client.post(f"/api/worklist/{item.item_id}/claim", headers=headers)
    assert resp.status == 200, await resp.text()
    resp = await client.post(f"/api/worklist/{item.item_id}/outcome",
                             json={"outcome": "no_answer"}, headers=headers)  # fmt: skip
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def test_the_next_outcome_follows_a_new_retry_policy(ctx):
    app, client, h = ctx
    before = await _no_answer(app, client, h["op"], "test:1")
    assert (before["state"], before["attempts"]) == ("open", 1)  # 3 attempts by the settings
    at = dt.datetime.fromisoformat(before["history"][0]["at"])
    default = app[CAMPAIGN].settings.retry_policy
    assert dt.datetime.fromisoformat(before["next_attempt_at"]) == default.next_try(at)
    resp = await client.put("/api/config/retry_policy", json={"version": 0, "value": POLICY},
                            headers=h["adm"])  # fmt: skip
    assert resp.status == 200, await resp.text()
    after = await _no_answer(app, client, h["op"], "test:2")
    assert (after["state"], after["attempts"]) == ("exhausted", 1)  # one attempt now


async def test_another_instance_rereads_when_told_or_after_its_cache_time(ctx):
    app, client, h = ctx
    campaign = app[CAMPAIGN]
    now = [0.0]
    # a second instance: the same database, a cache of its own
    second = CampaignSettings(campaign.settings, campaign.sessions, ttl=30, clock=lambda: now[0])
    assert (await second.retry_policy()).max_attempts == 3
    resp = await client.put("/api/config/retry_policy", json={"version": 0, "value": POLICY},
                            headers=h["adm"])  # fmt: skip
    assert resp.status == 200
    assert (await second.retry_policy()).max_attempts == 3  # cached
    now[0] = 31.0
    assert (await second.retry_policy()).max_attempts == 1  # the cache time is over
    async with campaign.sessions() as s:
        await cc.put(s, cc.RETRY_POLICY, {**POLICY, "max_attempts": 4}, version=1,
                     operator_id=3)  # fmt: skip
        await s.commit()
    second.invalidate("retry_policy")  # what a bus message "config" does
    assert (await second.retry_policy()).max_attempts == 4


STRETCHER = [
    {"code": "wheelchair", "ja": "車椅子", "en": "Wheelchair"},
    {"code": "stretcher", "ja": "ストレッチャー", "en": "Stretcher"},
]


async def test_mobility_options_follow_the_setting_and_every_client_is_told(ctx, engine):
    _app, client, h = ctx
    (rid,) = await add_household(engine, "+81773621234", names=("山田 太郎",))
    body = {"resident_id": rid, "pickup_address": "舞鶴市浜1", "options": ["stretcher"]}
    resp = await client.post("/api/mobility", json=body, headers=h["op"])
    assert resp.status == 400
    assert (await resp.json())["details"]["field"] == "options"
    op_ws = await client.ws_connect("/ws", headers=h["op"])
    sv_ws = await client.ws_connect("/ws", headers=h["sv"])
    await receive_type(op_ws, protocol.Hello)
    await receive_type(sv_ws, protocol.Hello)
    resp = await client.put("/api/config/mobility_options", json={"version": 0,
                            "value": STRETCHER}, headers=h["adm"])  # fmt: skip
    assert resp.status == 200
    for ws in (op_ws, sv_ws):
        told = await receive_type(ws, protocol.ConfigChanged)
        assert (told.key, told.version) == ("mobility_options", 1)
    resp = await client.post("/api/mobility", json=body, headers=h["op"])
    assert resp.status == 201, await resp.text()
    made = protocol.from_dict(protocol.MobilityRequest, await resp.json())
    assert (made.options, made.wheelchair, made.companion) == (("stretcher",), False, False)
    both = {"options": ["wheelchair", "stretcher"]}
    resp = await client.patch(f"/api/mobility/{made.request_id}", json=both, headers=h["op"])
    assert resp.status == 200
    changed = await resp.json()
    assert (changed["options"], changed["wheelchair"]) == (["wheelchair", "stretcher"], True)
    resp = await client.patch(f"/api/mobility/{made.request_id}",
                              json={"options": ["companion"]}, headers=h["op"])  # fmt: skip
    assert resp.status == 400
    assert (await resp.json())["details"]["field"] == "options"
    await op_ws.close()
    await sv_ws.close()
