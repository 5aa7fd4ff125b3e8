"""Two calls from the same withheld caller against the real server: the operator finds her by
name and by birth year, the confirmed resident is linked to each call, the wrap-up is prefilled
from the booking and saved with several codes, and the second call's card shows the first."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from tests.gui.test_client_flows import type_ja
from tests.gui.test_client_real_server import RealServer, running

pytestmark = pytest.mark.gui


class IndexedServer(RealServer):
    """The real server with its name index (the operator searches by name)."""

    def create_app(self) -> Any:
        from cti_server.web.app import create_app
        from tests.integration.web_helpers import FakeBridge, make_settings

        return create_app(make_settings(self.url_db), engine=self.engine, bridge=FakeBridge())

    async def withheld_call(self, ext: str) -> str:
        from cti_server.web.keys import SERVICE
        from tests.integration.web_helpers import answered, incoming, new_linkedid, ringing

        linkedid = new_linkedid()
        service = self.app[SERVICE]
        for event in incoming(linkedid, "", withheld=True):
            service.on_event(event)
        service.on_event(ringing(linkedid, ext))
        service.on_event(answered(linkedid, ext))
        return linkedid

    async def hang_up(self, linkedid: str, ext: str) -> None:
        from cti_server.web.keys import SERVICE
        from tests.integration.web_helpers import completed

        self.app[SERVICE].on_event(completed(linkedid, ext))

    async def call_row(self, linkedid: str) -> Any:
        from registry.db import session_factory
        from registry.models import CallRecord

        for _ in range(100):  # the recorder writes in the background
            async with session_factory(self.engine)() as s:
                row = await s.scalar(select(CallRecord).where(CallRecord.linkedid == linkedid))
            if row is not None and row.matched_resident_id and row.disposition:
                return row
            await asyncio.sleep(0.05)
        return row


@pytest.fixture
def indexed(tmp_path):
    server = IndexedServer(tmp_path / "ledger.sqlite3")
    yield from running(server)


def search_and_confirm(qtbot, client, **fields: str) -> None:
    pop = client.window.pop
    for name, text in fields.items():
        type_ja(pop.fields[name], text)
    qtbot.waitUntil(lambda: len(client.search.results) >= 1, timeout=10000)
    pop.results.setFocus()
    pop.results.select_index(0)
    qtbot.keyClick(pop.results, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: client.booking.subject is not None, timeout=10000)


def test_a_caller_found_by_search_is_linked_and_her_next_call_shows_the_first(
    qtbot, client, indexed
):
    taro = indexed.seed["residents"][0]  # 山田 太郎, born 1950-04-01 (昭和25年)
    client.link.login(f"http://127.0.0.1:{indexed.port}", "op1", "pw-123456", lambda _r: None)
    qtbot.waitUntil(lambda: client.link.state == "connected", timeout=10000)
    first = indexed.call(indexed.withheld_call("1001"))
    qtbot.waitUntil(lambda: client.pop.pop is not None, timeout=10000)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is client.window.pop.fields["name"])
    search_and_confirm(qtbot, client, name="山田 太郎")
    assert client.resident.card.resident_id == taro
    qtbot.waitUntil(lambda: bool(client.booking.venues), timeout=10000)
    client.controller.choose_venue_day(indexed.seed["venue"], indexed.seed["day"])
    qtbot.waitUntil(lambda: indexed.seed["slot"] in client.booking.slots, timeout=10000)
    client.booking.select_slot(indexed.seed["slot"])
    client.window.booking.submit.click()
    qtbot.waitUntil(lambda: client.booking.status == "done", timeout=10000)
    qtbot.waitUntil(lambda: client.wrapup.codes == ["booked"], timeout=10000)
    client.window.show_tab(3)
    client.window.wrapup.boxes["callback"].click()
    type_ja(client.window.wrapup.notes, "耳が遠い。大きな声で。")
    client.window.wrapup.submit.click()
    qtbot.waitUntil(lambda: client.wrapup.status == "done", timeout=10000)
    indexed.call(indexed.hang_up(first, "1001"))
    row = indexed.call(indexed.call_row(first))
    assert (row.matched_resident_id, row.disposition) == (taro, "booked,callback")
    assert row.notes == "耳が遠い。大きな声で。"

    client.window.pop.tree.setFocus()
    second = indexed.call(indexed.withheld_call("1001"))
    qtbot.waitUntil(lambda: client.pop.pop.call.linkedid == second, timeout=10000)
    assert client.resident.card is None  # the first call's card went with it
    assert client.window.pop.fields["name"].text() == ""
    search_and_confirm(qtbot, client, name="ヤマダ", birth="S25")  # a birth year alone
    assert client.resident.card.resident_id == taro
    calls = client.window.card.tables["calls"]
    qtbot.waitUntil(lambda: calls.rowCount() == 1, timeout=10000)
    assert calls.item(0, 1).text() == "予約した、折り返しが必要"
    assert calls.item(0, 2).text() == "耳が遠い。大きな声で。"
    assert client.resident.card.calls[0].linkedid == first
