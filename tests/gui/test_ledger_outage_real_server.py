"""The client against the real server whose PostgreSQL ledger goes away mid-shift (a proxy
between them is cut; the shared PostgreSQL keeps running): the banner says 台帳に接続できません,
a call still pops with the caller's number, a booking made meanwhile waits in the outbox and
lands exactly once when the ledger is back, and the banner goes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy.engine import make_url

from tests.conftest import _reset_pg
from tests.gui.test_client_real_server import LANDLINE, RealServer
from tests.integration.tcp_proxy import CuttableProxy

pytestmark = [pytest.mark.gui, pytest.mark.postgres]

OTHER = "+81773625555"


class ProxiedServer(RealServer):
    """RealServer on PostgreSQL reached through a cuttable proxy (in the server's loop)."""

    def __init__(self, pg_url: str) -> None:
        super().__init__(__import__("pathlib").Path("unused"))
        self.pg = make_url(pg_url)
        self.proxy = CuttableProxy(self.pg.host or "127.0.0.1", self.pg.port or 5432)

    async def setup(self) -> dict[str, Any]:
        await self.proxy.start()
        self.url_db = self.pg.set(host="127.0.0.1", port=self.proxy.port).render_as_string(
            hide_password=False
        )
        seed = await super().setup()
        from tests.integration.web_helpers import add_household

        await add_household(self.engine, OTHER, names=("佐藤 一郎",), no="H0002")
        return seed

    def create_app(self) -> web.Application:
        from cti_server.web.app import create_app
        from tests.integration.web_helpers import FakeBridge, make_settings

        settings = make_settings(self.url_db, ledger_check_seconds=0.2, lookup_timeout_seconds=1.0)
        return create_app(settings, engine=self.engine, bridge=FakeBridge(), load_name_index=False)

    def cut(self) -> None:
        self.loop.call_soon_threadsafe(self.proxy.cut)

    def restore(self) -> None:
        self.loop.call_soon_threadsafe(self.proxy.restore)

    async def ring_from(self, number: str, ext: str) -> str:
        from cti_server.web.keys import SERVICE
        from tests.integration.web_helpers import incoming, new_linkedid, ringing

        linkedid = new_linkedid()
        service = self.app[SERVICE]
        for event in incoming(linkedid, number):
            service.on_event(event)
        await asyncio.sleep(0.2)
        service.on_event(ringing(linkedid, ext))
        return linkedid


@pytest.fixture
def proxied(pg_url):
    asyncio.run(_reset_pg(pg_url))
    server = ProxiedServer(pg_url)
    server.thread.start()
    server.seed = server.call(server.setup())
    server.call(server.start())
    yield server
    server.restore()
    server.call(server.stop())
    server.call(server.engine.dispose())
    server.call(server.proxy.close())
    server.loop.call_soon_threadsafe(server.loop.stop)
    server.thread.join(5)
    server.loop.close()


def test_ledger_outage_banner_pop_with_number_and_booking_lands_once(qtbot, client, proxied):
    real = proxied
    client.link.login(f"http://127.0.0.1:{real.port}", "op1", "pw-123456", lambda r: None)
    qtbot.waitUntil(lambda: client.link.state == "connected", timeout=10000)
    banner = client.window.pop.ledger_banner
    assert banner.isHidden()
    linkedid = real.call(real.ring_from(LANDLINE, "1001"))
    qtbot.waitUntil(lambda: client.pop.pop is not None and bool(client.pop.rows), timeout=10000)
    client.controller.confirm(real.seed["residents"][0])
    qtbot.waitUntil(lambda: client.resident.card is not None, timeout=10000)
    client.controller.choose_venue_day(real.seed["venue"], real.seed["day"])
    qtbot.waitUntil(lambda: real.seed["slot"] in client.booking.slots, timeout=10000)

    real.cut()  # the ledger database goes away
    qtbot.waitUntil(lambda: not client.pop.ledger_ok, timeout=10000)
    assert not banner.isHidden()
    assert banner.text().startswith("台帳に接続できません。")
    assert client.link.state == "connected"  # the server itself is still there

    client.window.show_tab(1)
    client.booking.select_slot(real.seed["slot"])
    client.window.booking.submit.click()
    qtbot.waitUntil(lambda: client.booking.status == "queued" and bool(client.booking.message),
                    timeout=10000)  # fmt: skip
    assert client.outbox.pending_count() == 1

    other = real.call(real.ring_from(OTHER, "1001"))
    qtbot.waitUntil(
        lambda: (
            client.pop.pop is not None
            and client.pop.pop.call.linkedid == other
            and client.pop.pop.lookup_error == "unavailable"
        ),
        timeout=10000,
    )
    assert client.pop.pop.caller.e164 == OTHER
    assert client.window.pop.lookup_error.text() == "台帳に接続できません。"
    client.set_language("en")
    assert banner.text().startswith("Cannot reach the resident ledger.")
    client.set_language("ja")

    real.restore()  # back: the banner goes and the kept booking is sent
    qtbot.waitUntil(lambda: client.pop.ledger_ok, timeout=15000)
    assert banner.isHidden()
    qtbot.waitUntil(lambda: client.outbox.pending_count() == 0, timeout=15000)
    assert not client.outbox.failed()
    bookings, _ = real.call(real.rows())
    assert [(b.resident_id, b.slot_id, b.call_linkedid) for b in bookings] == [
        (real.seed["residents"][0], real.seed["slot"], linkedid)
    ]
