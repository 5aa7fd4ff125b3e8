"""The demo's HTTP port: never one another server holds (the demo would take that server for its
own: wait on its health, print its address, send it the demo's postcards)."""

from __future__ import annotations

import socket

import pytest

from cti_server import demo


@pytest.fixture
def listener():
    """A server already listening on a port of 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def test_the_default_port_is_taken_when_free(monkeypatch):
    monkeypatch.setattr(demo, "DEFAULT_HTTP_PORT", demo._free_port())
    assert demo.http_port({}) == demo.DEFAULT_HTTP_PORT


def test_a_busy_default_port_gives_way_to_a_free_one(monkeypatch, listener, capsys):
    monkeypatch.setattr(demo, "DEFAULT_HTTP_PORT", listener)
    port = demo.http_port({})
    assert port != listener
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))  # free indeed
    assert f"port {listener} is in use" in capsys.readouterr().err


def test_a_busy_port_asked_for_stops_the_demo_with_a_reason(listener):
    with pytest.raises(SystemExit, match=f"port {listener} \\(CTI_HTTP_PORT\\) is in use"):
        demo.http_port({"CTI_HTTP_PORT": str(listener)})


@pytest.mark.parametrize("bad", ["http", "0", "70000", "-1"])
def test_a_port_that_is_no_port_is_refused(bad):
    with pytest.raises(SystemExit, match="is not a port number"):
        demo.http_port({"CTI_HTTP_PORT": bad})


def test_a_free_port_asked_for_is_used():
    port = demo._free_port()
    assert demo.http_port({"CTI_HTTP_PORT": str(port)}) == port
