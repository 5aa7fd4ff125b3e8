"""The PBX link state on every client: a banner across the window while the server's PBX link
is down (from Hello and from the pbx_link message), gone when it is back, in the UI language;
a pop received while the link is down says it may be out of date."""

from __future__ import annotations

import datetime as dt

import pytest

from cti_server import protocol

pytestmark = pytest.mark.gui


def hello(link: str = "up", since: str | None = None) -> str:
    who = protocol.OperatorInfo(1, "op", "鈴木", "operator", "1001")
    return protocol.encode(
        protocol.Hello(
            protocol.PROTOCOL_VERSION, "s", who, dt.datetime.now(dt.UTC).isoformat(),
            pbx_link=link, pbx_down_since=since,
        )
    )  # fmt: skip


def test_the_banner_follows_the_pbx_link(qtbot, client):
    window = client.window
    window.show()
    client.link.feed_text(hello("up"))
    assert not window.pbx_banner.isVisible()
    since = "2026-12-04T00:05:00+00:00"
    client.link.feed_text(protocol.encode(protocol.PbxLink("down", since, "connection lost")))
    assert window.pbx_banner.isVisible()
    assert "PBX との接続が切れています" in window.pbx_banner.text()
    assert "09:05" in window.pbx_banner.text()  # since when, in local time (Asia/Tokyo)
    client.set_language("en")
    try:
        assert "PBX" in window.pbx_banner.text()
        assert "接続" not in window.pbx_banner.text()
    finally:
        client.set_language("ja")
    client.link.feed_text(protocol.encode(protocol.PbxLink("up")))
    assert not window.pbx_banner.isVisible()


def test_a_client_connecting_while_the_link_is_down_shows_it_at_once(qtbot, client):
    client.window.show()
    client.link.feed_text(hello("down", "2026-12-04T00:05:00+00:00"))
    assert client.window.pbx_banner.isVisible()
    client.link.feed_text(hello("off"))  # a server without a PBX: nothing to warn about
    assert not client.window.pbx_banner.isVisible()


def test_the_pop_says_a_repeat_caller_and_an_uncertain_call(qtbot, client):
    import dataclasses

    from desktop_client import demo_data

    client.window.show()
    client.link.feed_text(hello("up"))
    pop = dataclasses.replace(demo_data.pop(), repeat_calls=2)
    client.link.feed_text(protocol.encode(pop))
    flags = client.window.pop.flags
    assert flags.isVisible()
    assert "本日 3 回目" in flags.text()
    client.link.feed_text(protocol.encode(dataclasses.replace(pop, uncertain=True)))
    assert "終わっている可能性" in flags.text()
    client.link.feed_text(protocol.encode(dataclasses.replace(pop, repeat_calls=0)))
    assert not flags.isVisible()
