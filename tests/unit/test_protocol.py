"""The wire: every message survives encode/decode, and bad input names what is wrong."""

from __future__ import annotations

import json
import re

import pytest

from cti_server import protocol as p

SAMPLES = [
    p.Hello(
        protocol_version=p.PROTOCOL_VERSION,
        server_id="a",
        operator=p.OperatorInfo(1, "op1", "鈴木", "operator", "1001"),
        server_time="2026-11-26T23:00:00+00:00",
        queue_names={"vaccine": "ワクチン予約"},
    ),
    p.ScreenPop(
        call=p.CallInfo("1795734260.0", "vaccine", "ringing", extension="1001", wait_seconds=1.5),
        caller=p.CallerInfo("number", "+81773621234", "0773-62-1234", "landline"),
        households=(
            p.HouseholdGroup(
                7,
                "000000007",
                "舞鶴市北吸1",
                (
                    p.Candidate(
                        3,
                        "山田 太郎",
                        "ヤマダ タロウ",
                        "1940-04-01",
                        86,
                        "M",
                        "舞鶴市北吸1",
                        7,
                        100.0,
                        ("household_landline",),
                    ),
                ),
            ),
        ),
    ),
    p.ScreenPop(call=p.CallInfo("2.0", "vaccine", "ended"), caller=p.CallerInfo("withheld")),
    p.SlotsChanged(slots=(p.SlotInfo(1, 2, "2026-12-01T09:00:00+09:00", "x", 10, 10),)),
    p.ErrorMessage("forbidden", "supervisors only", {"role": "operator"}),
    p.Pong("n1"),
    p.BoardUpdate(
        p.Board(
            at="2026-11-27T00:00:00+00:00",
            day="2026-11-27",
            tz="Asia/Tokyo",
            pbx_connected=True,
            link_down_since=None,
            settings=p.BoardSettings(20, 5, 15),
            definitions={"service_level": p.Definition("answered within 20 s", "20秒以内")},
            queues=(
                p.BoardQueue(
                    "vaccine",
                    2,
                    "2026-11-27T00:00:00+00:00",
                    3.5,
                    2,
                    1,
                    0,
                    1,
                    0,
                    0,
                    0,
                    p.BoardFigures(offered=3, answered=1, service_level=0.5),
                    (p.BoardInterval("2026-11-27T09:00:00+09:00", 2, p.BoardFigures(offered=3)),),
                    (p.WaitingCall(1, "2026-11-27T00:00:00+00:00", "withheld"),),
                ),
            ),
            agents=(p.BoardAgent("PJSIP/1001", "青木", "1001", ("vaccine",), "available", None),),
            bookings=(p.VenueFill(1, "中総合会館", "2026-11-27", 120, 97),),
        )
    ),
    p.Ping("n1"),
    p.WatchSlots(3, "2026-12-01"),
    p.SubscribeBoard(),
    p.UnsubscribeBoard(),
    p.PauseAgent("Local/1001@operators/n", True, "休憩"),
    p.AgentStatus(
        "1001",
        "after_call",
        "後処理",
        "2026-11-26T23:00:00+00:00",
        "2026-11-26T23:00:30+00:00",
        "after_call",
        "",
        30,
    ),
    p.SetAgentState("paused", "休憩"),
    p.LedgerStatus(ok=False, since="2026-12-04T10:00:00+00:00", error="ConnectionRefusedError"),
    p.PbxLink("down", "2026-12-04T09:00:00+00:00", "connection lost"),
    p.ConfigChanged("mobility_options", 3),
]


@pytest.mark.parametrize("msg", SAMPLES, ids=lambda m: type(m).__name__)
def test_round_trip(msg):
    text = p.encode(msg)
    assert json.loads(text)["type"] == type(msg).type
    assert p.decode(text) == msg


@pytest.mark.parametrize("msg", SAMPLES, ids=lambda m: type(m).__name__)
def test_the_text_is_that_of_compact_json(msg):
    """The fast encoder writes what ``json`` writes: same keys in the same order, kanji as is."""
    data = p.to_dict(msg)
    assert p.encode(msg) == json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def test_what_the_fast_encoder_refuses_is_still_written_for_the_sender_to_refuse():
    """A lone surrogate (not UTF-8) and an integer beyond 64 bits: the text is the ``json`` one,
    and the hub then refuses a text it cannot send (``hub.size_of``)."""
    lone = p.Pong(nonce="a\udc80b")
    assert p.encode(lone) == '{"type":"pong","nonce":"a\udc80b"}'
    big = p.ConfigChanged("mobility_options", 2**70)
    assert json.loads(p.encode(big))["version"] == 2**70


def test_every_message_type_is_registered_once():
    assert set(p.MESSAGE_TYPES) == {type(m).type for m in SAMPLES}


def test_kanji_travel_as_is():
    assert "山田 太郎" in p.encode(SAMPLES[1])


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "JSON object"),
        ('{"type": "nope"}', "unknown message type"),
        ('{"venue_id": 1}', "unknown message type"),
        ('{"type": "watch_slots", "day": "2026-12-01"}', "venue_id: missing"),
        ('{"type": "watch_slots", "venue_id": "3", "day": "x"}', "venue_id: expected an integer"),
        ('{"type": "watch_slots", "venue_id": true, "day": "x"}', "venue_id: expected an integer"),
        ('{"type": "pause_agent", "interface": "x", "paused": 1}', "paused: expected bool"),
        (
            '{"type": "slots_changed", "slots": [{"slot_id": 1}]}',
            "slots[0].venue_id: missing",
        ),
        (
            '{"type": "screen_pop", "call": {"linkedid": "1", "queue": "q", "state": "x"},'
            ' "caller": {"status": "number"}, "households": {}}',
            "households: expected an array",
        ),
    ],
)
def test_bad_messages_are_refused_with_the_field(text, needle):
    with pytest.raises(p.ProtocolError, match=re.escape(needle)):
        p.decode(text)


def test_unknown_fields_are_ignored_for_forward_compatibility():
    assert p.decode('{"type": "ping", "nonce": "a", "future": 1}') == p.Ping("a")


def test_integers_are_accepted_as_floats():
    msg = p.decode(
        '{"type":"screen_pop","call":{"linkedid":"1","queue":"q","state":"ringing",'
        '"wait_seconds":3},"caller":{"status":"number"}}'
    )
    assert msg.call.wait_seconds == 3.0
    assert isinstance(msg.call.wait_seconds, float)


def test_from_dict_builds_parts():
    data = p.to_dict(SAMPLES[1].households[0].members[0])
    assert p.from_dict(p.Candidate, data) == SAMPLES[1].households[0].members[0]
    assert p.SlotInfo(1, 2, "a", "b", 10, 12).remaining == 0


def test_derived_properties_travel_and_are_ignored_when_read_back():
    slot = p.SlotInfo(1, 2, "2031-05-12T00:00:00+00:00", "2031-05-12T00:30:00+00:00", 10, 4)
    data = p.to_dict(slot)
    assert data["remaining"] == 6
    assert p.from_dict(p.SlotInfo, data) == slot


def test_rest_bodies_round_trip_and_requests_leave_out_nulls():
    change = p.MobilityChange(status="done", call="1.1")
    assert p.request_body(change) == {"status": "done", "call": "1.1"}
    results = p.SearchResults(results=SAMPLES[1].households[0].members)
    assert p.from_dict(p.SearchResults, p.to_dict(results)) == results
    with pytest.raises(p.ProtocolError, match=r"results\[0\]\.score"):
        p.from_dict(p.SearchResults, {"results": [{**p.to_dict(results.results[0]), "score": "x"}]})
