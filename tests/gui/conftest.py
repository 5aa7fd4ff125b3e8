"""GUI fixtures: a fake contract server on a real port, and a client built against it."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from desktop_client import demo_data
from desktop_client.app import Client, build
from desktop_client.link import ServerLink
from desktop_client.models.dates import today_local
from tests.gui.fake_server import FakeServer, FakeState


@pytest.fixture(autouse=True)
def collect_in_the_gui_thread() -> Iterator[None]:
    """No automatic garbage collection during a GUI test; one in this thread after it.

    The servers of these tests run Python in threads of their own (an asyncio loop, aiosqlite's
    workers), and the collector runs in whichever thread allocates when it triggers. A Qt object
    left in a reference cycle (a client's, once its test is over) was then deleted from a server
    thread: its timers could not be stopped there, and one firing later in this thread crashed
    the process (SIGSEGV in ``QCoreApplicationPrivate::sendThroughObjectEventFilters`` from
    ``QTimerInfoList::activateTimers``; about one run in four of the campaign-config tests).
    The client itself runs no Python threads."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        if enabled:
            gc.enable()


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    state = FakeState()
    for rid in (1, 2, 3):
        state.residents[rid] = demo_data.resident_detail(rid)
    state.venues = list(demo_data.VENUES)
    today = today_local()
    state.slots = {s.slot_id: s for s in demo_data.slots(today)}
    server = FakeServer(state)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client(qtbot: object, tmp_path: Path) -> Iterator[Client]:
    settings = QSettings(str(tmp_path / "client.ini"), QSettings.Format.IniFormat)
    link = ServerLink(backoff=(0.05, 0.2))
    c = build(settings, link=link, outbox_path=tmp_path / "outbox.json")
    # the fake's slots are today's from 09:00 (Tokyo): the booking form sees them before they start
    start_of_today = dt.datetime.combine(today_local(), dt.time(0), demo_data.JST)
    c.booking.now = lambda: start_of_today
    qtbot.addWidget(c.window)  # type: ignore[attr-defined]
    yield c
    link.stop()


def disconnect(qtbot: object, client: Client) -> None:
    """Close the client's socket and let the close handshake finish (a server stopping while the
    socket is open waits for it for seconds)."""
    from PySide6.QtNetwork import QAbstractSocket

    client.link.stop()
    unconnected = QAbstractSocket.SocketState.UnconnectedState
    qtbot.waitUntil(lambda: client.link._ws.state() == unconnected, timeout=5000)  # type: ignore[attr-defined]


def log_in(qtbot: object, client: Client, url: str) -> None:
    results = []
    client.link.login(url, "op", "pw", results.append)
    qtbot.waitUntil(lambda: client.link.state == "connected", timeout=5000)  # type: ignore[attr-defined]
    assert results[0].ok
