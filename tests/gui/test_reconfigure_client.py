"""The client against the real server: a supervisor lowers a slot's capacity below its bookings
in the 会場・枠 section; the affected bookings are listed (the dialog), and on confirmation the
booking goes on the callback worklist and the capacity changes."""

from __future__ import annotations

import pytest

from desktop_client.views import reconfigure_dialog
from tests.gui.test_admin_view import AdminServer, log_in
from tests.gui.test_client_real_server import running

pytestmark = pytest.mark.gui


@pytest.fixture
def real(tmp_path):
    server = AdminServer(tmp_path / "ledger.sqlite3")
    yield from running(server)


async def _state(engine, slot_id):
    from registry import worklist
    from registry.db import session_factory
    from registry.venues import get_slot

    async with session_factory(engine)() as s:
        slot = await get_slot(s, slot_id)
        items = await worklist.list_items(s)
    return slot.capacity, slot.booked, [(i.reason, i.resident_id) for i in items]


def test_capacity_below_bookings_lists_them_and_calls_them_back(qtbot, client, real, monkeypatch):
    shown = []

    def answer(parent, plan, slot_text):
        shown.append([(a.resident_id, a.conflict) for a in plan.affected])
        dialog = reconfigure_dialog.ReconfigureDialog(plan, slot_text, parent)
        assert dialog.move.text() == "提案の枠へ移す"
        dialog.deleteLater()
        return "worklist"

    monkeypatch.setattr(reconfigure_dialog, "ask_reconfigure", answer)
    log_in(qtbot, client, real, "sv1")
    ctl, model = client.venues, client.venues.model
    qtbot.waitUntil(lambda: client.window.venues is ctl.view, timeout=10000)
    ctl.choose(day=real.seed["day"])
    slot_id = real.seed["slot"]
    qtbot.waitUntil(lambda: slot_id in model.slots, timeout=10000)
    ctl.set_capacity(slot_id, 0)
    qtbot.waitUntil(lambda: model.action == "reconfigure" and model.status == "done",
                    timeout=10000)  # fmt: skip
    booked = real.seed["residents"][1]
    assert shown == [[(booked, "over_capacity")]]
    assert real.call(_state(real.engine, slot_id)) == (0, 0, [("slot_changed", booked)])
