"""The client against the real server (SQLite file): a supervisor runs the assignment's dry run
in the 割り当て section, reads the report and commits it; an operator then tells the system that
a resident cannot come on the assigned day, from the booking form of the resident card."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from tests.gui.test_admin_view import log_in
from tests.gui.test_client_real_server import JST, RealServer, running

pytestmark = pytest.mark.gui


class AssignServer(RealServer):
    async def setup(self):
        from registry.assign.support import set_distances
        from registry.db import session_factory
        from registry.intents import record_intent
        from registry.operators import create_operator
        from registry.venues import create_slot

        seed = await super().setup()
        async with session_factory(self.engine)() as s:
            await create_operator(s, "sv1", "pw-123456", role="supervisor")
            await set_distances(s, [(seed["venue"], "北吸", 600)])
            later = dt.datetime.combine(seed["day"] + dt.timedelta(days=1), dt.time(11), JST)
            other = await create_slot(s, seed["venue"], later, later + dt.timedelta(minutes=30), 3)
            for rid in seed["residents"]:
                await record_intent(s, resident_id=rid, wants_vaccination=True,
                                    needs_mobility=False, channel="postcard_ocr")  # fmt: skip
            await s.commit()
        seed["other"] = other.slot_id
        return seed

    async def assign(self):
        from registry.assign.run import run_assignment
        from registry.assign.solver import Rules
        from registry.db import session_factory

        async with session_factory(self.engine)() as s:
            report = await run_assignment(s, Rules(as_of=dt.date.today()), commit=True)
            await s.commit()
        return report

    async def state(self):
        from sqlalchemy import select

        from registry.db import session_factory
        from registry.models import Booking, UnavailableDay

        async with session_factory(self.engine)() as s:
            bookings = (await s.scalars(select(Booking).order_by(Booking.id))).all()
            away = (await s.scalars(select(UnavailableDay))).all()
            return [(b.resident_id, b.slot_id, b.channel, b.status) for b in bookings], [
                (a.resident_id, a.day) for a in away
            ]


@pytest.fixture
def real(tmp_path):
    server = AssignServer(tmp_path / "ledger.sqlite3")
    yield from running(server)


def test_supervisor_runs_a_dry_run_then_commits_it(qtbot, client, real, monkeypatch):
    log_in(qtbot, client, real, "sv1")
    window, ctl = client.window, client.assignment
    view, model = ctl.view, ctl.model
    qtbot.waitUntil(lambda: window.assignment is view, timeout=10000)
    titles = [window.sections.tabText(i) for i in range(window.sections.count())]
    assert "割り当て (Ctrl+F10)" in titles
    qtbot.keyClick(window, Qt.Key.Key_F10, Qt.KeyboardModifier.ControlModifier)
    assert window.sections.currentWidget() is view
    assert not view.commit.isEnabled()  # nothing to commit before a dry run

    qtbot.keyClick(view.prefer, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: model.status in ("planned", "refused", "failed"), timeout=10000)
    assert model.status == "planned", model.message
    assert "対象 2 人: 割り当て 2 人、割り当てできない 0 人" in view.summary.text()
    assert "別々の枠になった世帯 0" in view.summary.text()
    assert (view.table.item(0, 1).text(), view.table.item(0, 2).text()) == ("中総合会館", "2")
    assert view.status.text() == "試算です（まだ書き込んでいません）。"
    assert real.call(real.state())[0] == []  # a dry run writes nothing
    client.set_language("en")
    assert "2 residents: 2 assigned, 0 not assigned" in view.summary.text()
    client.set_language("ja")

    asked = []

    def yes(*args):
        asked.append(args[2])
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", staticmethod(yes))
    assert view.commit.isEnabled()
    qtbot.keyClick(view.prefer, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: model.status in ("committed", "refused", "failed"), timeout=10000)
    assert model.status == "committed", model.message
    assert asked == ["2 人に接種日時と会場を割り当て、予約を作成します。よろしいですか？"]
    assert view.status.text() == "2 件の予約を作成しました。"
    assert not view.commit.isEnabled()  # committed once
    bookings, _ = real.call(real.state())
    slot = real.seed["slot"]
    assert sorted(bookings) == sorted(
        (rid, slot, "assigned", "booked") for rid in real.seed["residents"]
    )  # the household together


def test_operator_records_that_a_resident_cannot_come_that_day(qtbot, client, real):
    assert real.call(real.assign()).assigned == 2
    log_in(qtbot, client, real, "op1")
    first = real.seed["residents"][0]
    client.window.pop.confirmed.emit(first)  # the resident found (by name, number or postcard)
    qtbot.waitUntil(lambda: client.booking.existing is not None, timeout=10000)
    assert client.booking.resident_id == first
    client.window.show_tab(1)
    form = client.window.booking
    assert form.cannot_come.isEnabled()
    assert form.cannot_come.text().startswith("この日は来られない")
    assert form.cannot_come.text().endswith("(Ctrl+Shift+U)")
    qtbot.mouseClick(form.cannot_come, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: client.booking.status in ("done", "refused", "failed"), timeout=10000)
    assert client.booking.status == "done", client.booking.message
    assert form.status.text() == "予約を取り消しました。この日には今後割り当てません。"
    assert [o.slot_id for o in client.booking.offers] == [real.seed["other"]]
    assert "中総合会館（残り 3）" in form.offers.text()
    bookings, away = real.call(real.state())
    assert (first, real.seed["slot"], "assigned", "cancelled") in bookings
    assert away == [(first, real.seed["day"])]


def test_supervisor_saves_the_notices_pdf(qtbot, client, real, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QFileDialog

    real.call(real.assign())
    log_in(qtbot, client, real, "sv1")
    view, model = client.assignment.view, client.assignment.model
    qtbot.waitUntil(lambda: client.window.assignment is view, timeout=10000)
    target = tmp_path / "out" / "指定通知"
    chosen = [str(target)]
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (chosen[0], "PDF (*.pdf)")))  # fmt: skip

    view.notices.click()  # a folder that does not exist: said, nothing lost
    qtbot.waitUntil(lambda: model.notices in ("saved", "refused", "failed"), timeout=20000)
    assert model.notices == "refused"
    assert view.notices_status.text().startswith("ファイルに書き込めません: ")

    target.parent.mkdir()
    view.notices.click()
    qtbot.waitUntil(lambda: model.notices in ("saved", "refused", "failed"), timeout=20000)
    assert model.notices == "saved", model.notices_message
    saved = target.with_suffix(".pdf")  # the suffix added
    assert saved.read_bytes().startswith(b"%PDF")
    assert model.notices_bytes == saved.stat().st_size
    assert view.notices_status.text().startswith(f"保存しました: {saved}")
