"""The client against the real server (SQLite file): a supervisor manages venues and slots in
the 会場・枠 section; an operator finds a resident by postcard number and records an intent."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt, QTime

from tests.gui.test_client_real_server import JST, RealServer, running

pytestmark = pytest.mark.gui

SERIALS = (4101, 4102)


class AdminServer(RealServer):
    async def setup(self):
        from sqlalchemy import update

        from registry.bookings import book_slot
        from registry.db import session_factory
        from registry.models import Resident
        from registry.normalize.barcode import make_barcode
        from registry.operators import create_operator

        seed = await super().setup()
        async with session_factory(self.engine)() as s:
            await create_operator(s, "sv1", "pw-123456", role="supervisor")
            for rid, serial in zip(seed["residents"], SERIALS, strict=True):
                code = make_barcode(serial)
                await s.execute(update(Resident).where(Resident.id == rid).values(barcode=code))
            await book_slot(
                s, resident_id=seed["residents"][1], slot_id=seed["slot"], channel="phone"
            )
            await s.commit()
        return seed

    async def book_as_operator(self, resident_id, slot_id):
        """A booking taken by an operator elsewhere, through the REST API."""
        import aiohttp

        url = f"http://127.0.0.1:{self.port}"
        async with aiohttp.ClientSession() as http:
            login = {"username": "op1", "password": "pw-123456"}
            async with http.post(f"{url}/api/login", json=login) as resp:
                token = (await resp.json())["token"]
            body = {"resident_id": resident_id, "slot_id": slot_id}
            headers = {"Authorization": f"Bearer {token}"}
            async with http.post(f"{url}/api/bookings", json=body, headers=headers) as resp:
                assert resp.status == 201, await resp.text()

    async def intents(self):
        from sqlalchemy import select

        from registry.db import session_factory
        from registry.models import Intent

        async with session_factory(self.engine)() as s:
            return list((await s.scalars(select(Intent))).all())


@pytest.fixture
def real(tmp_path):
    server = AdminServer(tmp_path / "ledger.sqlite3")
    yield from running(server)


def log_in(qtbot, client, real, user):
    client.window.show()  # shortcuts need an active window
    client.window.activateWindow()
    qtbot.waitUntil(client.window.isActiveWindow, timeout=5000)
    results = []
    client.link.login(f"http://127.0.0.1:{real.port}", user, "pw-123456", results.append)
    qtbot.waitUntil(lambda: client.link.state == "connected", timeout=10000)
    assert results[0].ok


def wait_done(qtbot, model):
    qtbot.waitUntil(lambda: model.status in ("done", "refused", "failed"), timeout=10000)


def test_supervisor_manages_venues_and_slots(qtbot, client, real, monkeypatch):
    log_in(qtbot, client, real, "sv1")
    window, view, model = client.window, client.venues.view, client.venues.model
    qtbot.waitUntil(lambda: window.venues is view, timeout=10000)
    titles = [window.sections.tabText(i) for i in range(window.sections.count())]
    assert "会場・枠 (F9)" in titles
    assert window.venues_action.isVisible()
    assert window.venues_action.shortcut().toString() == "F9"
    qtbot.keyClick(window, Qt.Key.Key_F9)
    assert window.sections.currentWidget() is view
    client.venues.choose(day=real.seed["day"])  # tomorrow: slots that have not started
    slot_id = real.seed["slot"]
    qtbot.waitUntil(lambda: slot_id in model.slots, timeout=10000)
    assert view.venues.item(0, 0).text() == "中総合会館"
    assert view.slots.item(0, 2).text() == "1"  # the booking made in setup

    # a day's slots in bulk: 09:00-10:00 by 30 minutes, 4 seats each
    view.start.setTime(QTime(9, 0))
    view.end.setTime(QTime(10, 0))
    view.minutes.setValue(30)
    view.bulk_capacity.setValue(4)
    qtbot.keyClick(view.bulk_capacity, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    wait_done(qtbot, model)
    assert model.status == "done", model.message
    assert "2 枠を追加しました" in view.status.text()
    qtbot.waitUntil(lambda: len(model.slots) == 3, timeout=10000)
    assert [view.slots.item(r, 0).text() for r in range(3)] == [
        "09:00–09:30",
        "09:30–10:00",
        "10:00–10:30",
    ]

    # an operator books one of the new slots: the counts follow live (SlotsChanged)
    new = next(iter(model.slots))
    real.call(real.book_as_operator(real.seed["residents"][0], new))
    qtbot.waitUntil(lambda: model.slots[new].booked == 1, timeout=10000)
    assert view.slots.item(0, 3).text() == "3"
    assert "予約済 2" in view.totals.text()

    # capacity below the booked seat: the server refuses the plain change, and the client lists
    # the affected booking (the reconfiguration dry run); cancelled, nothing changes
    from desktop_client.views import reconfigure_dialog

    shown = []

    def cancel(parent, plan, slot_text):  # the capacity cut cancelled; the venue closed
        shown.append(plan)
        return None if plan.kind == "capacity" else "worklist"

    monkeypatch.setattr(reconfigure_dialog, "ask_reconfigure", cancel)
    model.select_slot(slot_id)
    view.capacity.setValue(0)
    qtbot.keyClick(view.capacity, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(shown) == 1, timeout=10000)
    assert shown[0].kind == "capacity"
    assert len(shown[0].affected) == 1
    assert view.slots.item(2, 1).text() != "0"
    view.capacity.setValue(5)
    view.capacity_button.click()
    wait_done(qtbot, model)
    assert model.status == "done"
    qtbot.waitUntil(lambda: view.slots.item(2, 1).text() == "5", timeout=10000)
    assert view.slots.item(2, 3).text() == "4"

    # delete an unbooked slot (Delete in the table); a booked one cannot be deleted
    assert not view.delete_button.isEnabled()
    free = list(model.slots)[1]
    model.select_slot(free)
    assert view.delete_button.isEnabled()
    qtbot.keyClick(view.slots, Qt.Key.Key_Delete)
    wait_done(qtbot, model)
    assert free not in model.slots
    assert view.status.text() == "枠を削除しました。"

    # rename, then deactivate the venue
    view.name.setText("中総合会館 2F")
    qtbot.keyClick(view.name, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    wait_done(qtbot, model)
    qtbot.waitUntil(lambda: view.venues.item(0, 0).text() == "中総合会館 2F", timeout=10000)
    view.toggle_button.click()
    wait_done(qtbot, model)
    qtbot.waitUntil(lambda: view.venues.item(0, 2).text() == "無効", timeout=10000)
    assert view.toggle_button.text().startswith("有効に戻す")

    # a new venue with a name already taken names the field
    view.name.setText("中総合会館 2F")
    view.add_button.click()
    wait_done(qtbot, model)
    assert model.status == "refused"
    assert "同じ名前の会場" in view.status.text()
    assert view.name.text() == "中総合会館 2F"

    client.set_language("en")
    assert window.sections.tabText(window.sections.indexOf(view)) == "Venues and slots (F9)"
    assert view.bulk_button.text() == "Add slots  (Ctrl+Enter)"
    assert view.status.text().startswith("A venue with this name already exists.")
    client.set_language("ja")  # the translator belongs to the application, shared by tests


def test_operator_finds_by_postcard_number_and_records_an_intent(qtbot, client, real):
    from registry.normalize.barcode import make_barcode

    log_in(qtbot, client, real, "op1")
    window, pop = client.window, client.window.pop
    qtbot.waitUntil(lambda: client.link.hello is not None, timeout=10000)
    assert window.venues is None  # operators do not manage venues
    assert not window.venues_action.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_F9)
    assert window.sections.currentIndex() == 0

    code = make_barcode(SERIALS[1])
    wrong = code[:4] + str((int(code[4]) + 1) % 10) + code[5:]
    qtbot.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert pop.barcode.hasFocus()
    qtbot.keyClicks(pop.barcode, wrong)
    qtbot.keyClick(pop.barcode, Qt.Key.Key_Return)  # a scanner ends with Enter
    qtbot.waitUntil(lambda: client.search.barcode_error != "", timeout=10000)
    assert client.search.barcode_error == "check_digit"
    assert "確認数字が合いません" in pop.barcode_state.text()
    assert pop.barcode_state.isVisibleTo(window)
    assert client.resident.card is None

    pop.focus_barcode()
    qtbot.keyClicks(pop.barcode, code)  # the 12th digit looks it up, Enter is not needed
    qtbot.waitUntil(lambda: client.resident.card is not None, timeout=10000)
    resident_id = real.seed["residents"][1]
    assert client.resident.card.resident_id == resident_id
    assert not pop.barcode_state.isVisibleTo(window)
    assert "はがき番号の一致" in pop.results.topLevelItem(0).text(2)

    qtbot.keyClick(window, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    form = window.card.intent_form
    assert form.wants.hasFocus()
    form.wants.setCurrentIndex(1)
    form.wants.activated.emit(1)
    form.mobility.setCurrentIndex(2)
    form.mobility.activated.emit(2)
    qtbot.keyClicks(form.notes, "call back Friday")
    qtbot.keyClick(form.notes, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: client.intent.status == "done", timeout=10000)
    assert form.status.text() == "意向を記録しました。"
    qtbot.waitUntil(lambda: len(client.resident.card.intents) == 1, timeout=10000)
    table = window.card.tables["intents"]
    assert [table.item(0, c).text() for c in (0, 1, 2, 4)] == [
        "はい",
        "いいえ",
        "電話",
        "call back Friday",
    ]
    (intent,) = real.call(real.intents())
    assert (intent.resident_id, intent.channel) == (resident_id, "phone")
    assert (intent.wants_vaccination, intent.needs_mobility) == (True, False)
    day = dt.datetime.now(JST).date()
    assert intent.recorded_at.date() in (day, day - dt.timedelta(days=1))
