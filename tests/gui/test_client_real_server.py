"""The client against the real cti_server (create_app) on a real port and a SQLite file:
a call rings -> the pop shows the household -> book a slot -> mobility request -> both rows in
the database; then the server restarts and a queued form is sent on reconnect."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import threading
from asyncio.selector_events import _SelectorSocketTransport
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from PySide6.QtCore import Qt

pytestmark = pytest.mark.gui

JST = dt.timezone(dt.timedelta(hours=9))
LANDLINE = "+81773621234"


class RealServer:
    """cti_server.web.create_app in a thread with its own loop (the Qt loop owns this thread)."""

    def __init__(self, db_path: Path) -> None:
        self.url_db = f"sqlite:///{db_path}"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.port = 0
        self.runner: web.AppRunner | None = None
        self.app: web.Application | None = None

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    async def setup(self) -> dict[str, Any]:
        from registry.db import create_engine, migrate, session_factory
        from registry.operators import create_operator
        from registry.venues import create_slot, create_venue
        from tests.integration.web_helpers import add_household

        self.engine = create_engine(self.url_db)
        await migrate(self.engine)
        residents = await add_household(self.engine, LANDLINE)
        async with session_factory(self.engine)() as s:
            await create_operator(s, "op1", "pw-123456", role="operator", extension="1001")
            venue = await create_venue(s, "中総合会館", "舞鶴市")
            # tomorrow in Tokyo: a slot that has not started (one that has cannot be booked)
            day = dt.datetime.now(JST).date() + dt.timedelta(days=1)
            start = dt.datetime.combine(day, dt.time(10), JST)
            slot = await create_slot(s, venue.venue_id, start, start + dt.timedelta(minutes=30), 2)
            await s.commit()
        return {
            "residents": residents,
            "venue": venue.venue_id,
            "slot": slot.slot_id,
            "day": start.date(),
        }

    def create_app(self) -> web.Application:
        from cti_server.web.app import create_app
        from tests.integration.web_helpers import FakeBridge, make_settings

        return create_app(
            make_settings(self.url_db),
            engine=self.engine,
            bridge=FakeBridge(),
            load_name_index=False,
        )

    async def start(self) -> None:
        self.app = self.create_app()
        # a short shutdown: the client's socket is not answered while this thread blocks Qt
        self.runner = web.AppRunner(self.app, handle_signals=False, shutdown_timeout=0.5)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        self.port = self.port or site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
            await asyncio.sleep(0.05)
            close_leftovers(self.loop)

    async def ring(self, ext: str) -> str:
        from cti_server.web.keys import SERVICE
        from tests.integration.web_helpers import incoming, new_linkedid, ringing

        linkedid = new_linkedid()
        service = self.app[SERVICE]
        for event in incoming(linkedid, LANDLINE):
            service.on_event(event)
        await asyncio.sleep(0.2)  # the lookup starts at the first sight of the number
        service.on_event(ringing(linkedid, ext))
        return linkedid

    async def rows(self) -> tuple[list[Any], list[Any]]:
        from sqlalchemy import select

        from registry.db import session_factory
        from registry.models import Booking, MobilityRequest

        async with session_factory(self.engine)() as s:
            bookings = (await s.execute(select(Booking))).scalars().all()
            mobility = (await s.execute(select(MobilityRequest))).scalars().all()
            return list(bookings), list(mobility)


def close_leftovers(loop: asyncio.AbstractEventLoop) -> None:
    """Close the sockets of ``loop`` that the server's shutdown left open. A client that
    reconnects at once can be accepted while the site closes, and that transport is never
    closed (nor found in the loop's own table of transports): it would be collected unclosed
    in some later test (a ResourceWarning, an error in this suite). Only objects of exactly
    the selector transport's type are looked at."""
    for obj in gc.get_objects():
        if type(obj) is _SelectorSocketTransport and obj._loop is loop and not obj.is_closing():
            obj.abort()


def running(server):
    """Start ``server`` (a RealServer) on its own thread with its seed; stop it after the test."""
    server.thread.start()
    server.seed = server.call(server.setup())
    server.call(server.start())
    yield server
    server.call(server.stop())
    server.call(server.engine.dispose())
    server.loop.call_soon_threadsafe(server.loop.stop)
    server.thread.join(5)
    server.loop.close()


@pytest.fixture
def real(tmp_path):
    server = RealServer(tmp_path / "ledger.sqlite3")
    yield from running(server)


def test_real_server_pop_book_mobility_and_resend_after_restart(qtbot, client, real):
    results = []
    client.link.login(f"http://127.0.0.1:{real.port}", "op1", "pw-123456", results.append)
    qtbot.waitUntil(lambda: client.link.state == "connected", timeout=10000)
    linkedid = real.call(real.ring("1001"))
    qtbot.waitUntil(lambda: client.pop.pop is not None and bool(client.pop.rows), timeout=10000)
    assert client.pop.pop.call.linkedid == linkedid
    assert [c.resident_id for c in client.pop.candidates()] == real.seed["residents"]
    assert client.window.pop.tree.topLevelItem(0).child(0).text(2) == "世帯の固定電話"
    qtbot.keyClick(client.window.pop.tree, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: client.resident.card is not None, timeout=10000)
    qtbot.waitUntil(lambda: bool(client.booking.venues), timeout=10000)
    client.controller.choose_venue_day(real.seed["venue"], real.seed["day"])
    qtbot.waitUntil(lambda: real.seed["slot"] in client.booking.slots, timeout=10000)

    client.window.show_tab(1)
    client.booking.select_slot(real.seed["slot"])
    client.window.booking.submit.click()
    qtbot.waitUntil(lambda: client.booking.status in ("done", "refused", "failed"), timeout=10000)
    assert client.booking.status == "done", client.booking.message
    qtbot.waitUntil(lambda: client.booking.slots[real.seed["slot"]].booked == 1, timeout=10000)

    real.call(real.stop())  # the server goes away with the mobility form open
    qtbot.waitUntil(lambda: client.link.state == "reconnecting", timeout=10000)
    client.window.show_tab(2)
    client.mobility.update(wheelchair=True, notes="段差あり")
    client.window.mobility.submit.click()
    assert client.mobility.status == "queued"
    real.call(real.start())
    qtbot.waitUntil(lambda: client.mobility.status == "done", timeout=15000)

    bookings, mobility = real.call(real.rows())
    assert [(b.resident_id, b.slot_id, b.call_linkedid) for b in bookings] == [
        (real.seed["residents"][0], real.seed["slot"], linkedid)
    ]
    assert len(mobility) == 1
    assert mobility[0].booking_id == bookings[0].id
    assert mobility[0].wheelchair is True
    assert mobility[0].pickup_address == "京都府舞鶴市北吸1044"
    assert mobility[0].client_key
    assert results[0].ok


def _allow(real, extensions):
    from registry.db import session_factory
    from registry.operators import operator_named, update_operator

    async def change():
        async with session_factory(real.engine)() as s:
            op = await operator_named(s, "op1")
            await update_operator(s, op.id, extensions=extensions)
            await s.commit()

    real.call(change())


def _submit(qtbot, dialog, url, extension):
    dialog.server.setText(url)
    dialog.username.setText("op1")
    dialog.password.setText("pw-123456")
    dialog.extension.setText(extension)
    qtbot.mouseClick(
        dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton
    )
    qtbot.waitUntil(lambda: dialog.buttons.isEnabled() or dialog.result() != 0, timeout=10000)


def test_login_binds_the_typed_extension(qtbot, client, real):
    from desktop_client.app import ask_login

    url = f"http://127.0.0.1:{real.port}"
    dialog = ask_login(client)
    qtbot.addWidget(dialog)
    _submit(qtbot, dialog, url, "1002")  # op1 may answer 1001 only
    assert (
        dialog.message.text() == "この内線番号ではログインできません。内線番号を確かめてください。"
    )
    assert client.link.state == "disconnected"
    client.set_language("en")
    _submit(qtbot, dialog, url, "1002")
    assert (
        dialog.message.text() == "You may not log in at this extension. Check the extension number."
    )
    client.set_language("ja")

    _allow(real, ["1001", "1002"])
    _submit(qtbot, dialog, url, "1002")
    qtbot.waitUntil(lambda: client.link.state == "connected", timeout=10000)
    assert client.link.hello is not None
    assert client.link.hello.operator.extension == "1002"
    labels = [w.text() for w in client.window.statusBar().findChildren(type(dialog.message))]
    assert "内線 1002" in labels
    linkedid = real.call(real.ring("1002"))
    qtbot.waitUntil(lambda: client.pop.pop is not None, timeout=10000)
    assert client.pop.pop.call.linkedid == linkedid
    assert client.pop.pop.call.extension == "1002"


def test_revoked_session_signs_out_instead_of_logging_in_again(qtbot, client, real):
    from registry.db import session_factory
    from registry.operators import operator_named, revoke_tokens

    results = []
    client.link.login(f"http://127.0.0.1:{real.port}", "op1", "pw-123456", results.append)
    qtbot.waitUntil(lambda: client.link.state == "connected", timeout=10000)

    async def everywhere():
        async with session_factory(real.engine)() as s:
            await revoke_tokens(s, (await operator_named(s, "op1")).id)
            await s.commit()

    real.call(everywhere())  # `cti-registry operator logout-everywhere op1`
    qtbot.waitUntil(lambda: client.link.state == "signed_out", timeout=15000)
    assert client.window.connection.text().startswith("✖ ログアウトされました")


def test_session_revoked_while_away_signs_out_on_return(qtbot, client, real):
    from registry.db import session_factory
    from registry.operators import operator_named, update_operator

    results = []
    client.link.login(f"http://127.0.0.1:{real.port}", "op1", "pw-123456", results.append)
    qtbot.waitUntil(lambda: client.link.state == "connected", timeout=10000)
    real.call(real.stop())
    qtbot.waitUntil(lambda: client.link.state == "reconnecting", timeout=10000)

    async def new_password():
        async with session_factory(real.engine)() as s:
            op = await operator_named(s, "op1")
            await update_operator(s, op.id, password="changed-pass-2")
            await s.commit()

    real.call(new_password())  # `cti-registry operator reset-password op1`
    real.call(real.start())
    qtbot.waitUntil(lambda: client.link.state == "signed_out", timeout=15000)
