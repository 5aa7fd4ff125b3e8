"""The client against the real server (SQLite file): an operator works the 折り返し section.
Ctrl+K opens it, Ctrl+N takes the next callback, a click on the number dials (the PBX link is a
fake that records the Originate), the resident's card pops as for an incoming call, and 不在
(no answer) puts the item back with its next try scheduled."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.gui.test_admin_view import log_in
from tests.gui.test_client_real_server import RealServer, running

pytestmark = pytest.mark.gui


class WorklistServer(RealServer):
    async def setup(self):
        from registry import worklist
        from registry.db import session_factory

        seed = await super().setup()
        async with session_factory(self.engine)() as s:
            first = await worklist.enqueue(
                s, reason="no_show", source_ref="booking:1:no_show",
                resident_id=seed["residents"][0],
            )  # fmt: skip
            await worklist.enqueue(s, reason="abandoned", source_ref="call:x:abandoned",
                                   phone="09012345678")  # fmt: skip
            await s.commit()
        seed["first"] = first.item_id
        return seed

    async def item(self, item_id):
        from registry import worklist
        from registry.db import session_factory

        async with session_factory(self.engine)() as s:
            return await worklist.get_item(s, item_id)


@pytest.fixture
def real(tmp_path):
    server = WorklistServer(tmp_path / "ledger.sqlite3")
    yield from running(server)


def test_operator_takes_dials_and_records_no_answer(qtbot, client, real):
    from cti_server.web.keys import BRIDGE

    log_in(qtbot, client, real, "op1")
    window, ctl = client.window, client.worklist
    view, model = ctl.view, ctl.model
    qtbot.waitUntil(lambda: window.worklist is view and len(model.items) == 2, timeout=10000)
    titles = [window.sections.tabText(i) for i in range(window.sections.count())]
    assert "折り返し (Ctrl+K)" in titles
    assert not view.set_priority.isVisible()  # operators do not reprioritise
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert window.sections.currentWidget() is view
    assert view.table.item(0, 0).text() == "来場なし"  # the no-show first (higher priority)
    assert "待ち 2 件" in view.summary.text()
    qtbot.keyClick(view.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: model.held is not None, timeout=10000)
    assert model.held.item_id == real.seed["first"]
    assert view.dial.text() == "0773-62-1234 に発信 (Ctrl+D)"
    qtbot.mouseClick(view.dial, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(model.linkedid), timeout=10000)
    (originate,) = real.app[BRIDGE].originated
    assert (originate["channel"], originate["exten"]) == ("Local/1001@operators", "0773621234")
    assert originate["channel_id"] == model.linkedid

    def looked_up() -> bool:  # the pop comes first with its ledger lookup pending
        pop = client.pop.pop
        return pop is not None and pop.lookup_error != "pending" and bool(pop.households)

    qtbot.waitUntil(looked_up, timeout=10000)
    pop = client.pop.pop
    assert pop.call.linkedid == model.linkedid
    assert [m.resident_id for h in pop.households for m in h.members] == real.seed["residents"]
    qtbot.mouseClick(view.outcomes["no_answer"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: model.held is None and model.status == "done", timeout=10000)
    stored = real.call(real.item(real.seed["first"]))
    assert (stored.state, stored.attempts, stored.outcome) == ("open", 1, "no_answer")
    assert stored.history[0].call_linkedid == originate["channel_id"]
    client.set_language("en")
    try:
        assert view.outcomes["no_answer"].text() == "No answer"
    finally:
        client.set_language("ja")  # the translator is the application's: leave it as found
