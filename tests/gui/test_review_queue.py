"""The client against the real server (SQLite file): a supervisor works the はがき確認 section.
A scanned postcard whose QR code is torn lands in review; the supervisor opens the section with
F10, types the postcard number, corrects an answer and accepts with Ctrl+Enter: the resident's
intent is recorded with the postcard channel and the item leaves the list."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.gui.test_admin_view import log_in
from tests.gui.test_client_real_server import RealServer, running

pytestmark = pytest.mark.gui

cv2 = pytest.importorskip("cv2")


class PaperServer(RealServer):
    async def setup(self):
        from registry.db import session_factory
        from registry.operators import create_operator
        from tests.paper_corpus import add_residents

        seed = await super().setup()
        async with session_factory(self.engine)() as s:
            await create_operator(s, "sv1", "pw-123456", role="supervisor")
            await s.commit()
        seed["paper"] = await add_residents(self.engine, 2, first=501)
        return seed

    def create_app(self):
        from cti_server.web.app import create_app
        from tests.integration.web_helpers import FakeBridge, make_settings

        settings = make_settings(self.url_db, scan_dir=str(self.scan_dir))
        return create_app(settings, engine=self.engine, bridge=FakeBridge(), load_name_index=False)

    async def upload(self, scans):
        """The scans as a supervisor uploads them (REST, multipart): the read's outcomes."""
        import aiohttp

        url = f"http://127.0.0.1:{self.port}"
        form = aiohttp.FormData()
        for i, scan in enumerate(scans):
            ok, png = cv2.imencode(".png", scan.image)
            assert ok
            form.add_field("file", png.tobytes(), filename=f"s{i}.png", content_type="image/png")
        async with aiohttp.ClientSession() as http:
            login = {"username": "sv1", "password": "pw-123456"}
            async with http.post(f"{url}/api/login", json=login) as resp:
                token = (await resp.json())["token"]
            headers = {"Authorization": f"Bearer {token}"}
            async with http.post(f"{url}/api/postcards/scans", data=form, headers=headers) as r:
                assert r.status == 200, await r.text()
                return [(x["status"], x["reasons"]) for x in (await r.json())["results"]]

    async def intents(self):
        from sqlalchemy import select

        from registry.db import session_factory
        from registry.models import Intent

        async with session_factory(self.engine)() as s:
            return list((await s.scalars(select(Intent))).all())


@pytest.fixture
def real(tmp_path):
    server = PaperServer(tmp_path / "ledger.sqlite3")
    server.scan_dir = tmp_path / "scans"
    yield from running(server)


def test_supervisor_accepts_a_postcard_with_a_correction_by_keyboard(qtbot, client, real):
    from registry.paper.synth import Filling, Scanning
    from tests.paper_corpus import YES_AM, YES_PICKUP, Case, make_scans

    cases = [
        Case("note", Filling(YES_PICKUP, note=True), expect="note_written"),
        Case("damaged", Filling(YES_AM), Scanning(damaged_qr=True), expect="no_barcode"),
    ]
    residents = real.seed["paper"]
    outcomes = real.call(real.upload(make_scans(cases, residents)))
    assert outcomes == [("review", ["note_written"]), ("review", ["no_barcode"])]

    log_in(qtbot, client, real, "sv1")
    window, ctl = client.window, client.review
    view, model = ctl.view, ctl.model
    qtbot.waitUntil(lambda: window.review is view and len(model.items) == 2, timeout=10000)
    titles = [window.sections.tabText(i) for i in range(window.sections.count())]
    assert "はがき確認 (F10)" in titles
    qtbot.keyClick(window, Qt.Key.Key_F10)
    assert window.sections.currentWidget() is view
    assert view.table.item(0, 0).text() == "自由記入欄に記入あり"
    assert view.table.item(1, 0).text() == "QRコードが読めない"
    assert view.table.item(1, 1).text() == "—"
    qtbot.waitUntil(lambda: view.images["card"] is not None, timeout=10000)  # the scan crop

    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_Down)
    assert model.item.reasons[0].code == "no_barcode"
    assert view.barcode.isEnabled()
    qtbot.keyClick(view.table, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: model.status in ("refused", "failed"), timeout=10000)
    assert view.status.text().startswith("はがき番号")  # no number typed: refused in Japanese
    assert len(model.items) == 2
    client.set_language("en")
    assert view.status.text().isascii(), view.status.text()
    assert view.table.item(1, 0).text() == "QR code unreadable"
    client.set_language("ja")
    assert view.status.text().startswith("はがき番号")

    view.barcode.setFocus()
    qtbot.keyClicks(view.barcode, residents[1][1])
    combo = view.combos["mobility"]
    combo.setFocus()
    combo.setCurrentIndex(combo.findData("wheelchair"))
    combo.activated.emit(combo.currentIndex())  # what choosing with the keyboard emits
    qtbot.keyClick(combo, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: model.status == "done" and len(model.items) == 1, timeout=10000)
    assert model.item.reasons[0].code == "note_written"

    intents = real.call(real.intents())
    assert [(i.resident_id, i.channel, i.wants_vaccination, i.needs_mobility) for i in intents] == [
        (residents[1][0], "postcard_ocr", True, True)
    ]
    assert "車いす" in intents[0].notes


def test_supervisor_uploads_scans_and_the_card_shows_the_postcard_answer(
    qtbot, client, real, tmp_path
):
    """Print → fill → scan → upload from the client → read → review → intent on the card."""
    from registry.paper.synth import Filling
    from tests.paper_corpus import NO, YES_PICKUP, Case, make_scans, write_scans

    residents = real.seed["paper"]
    cases = [
        Case("no", Filling(NO, style="circle")),
        Case("note", Filling(YES_PICKUP, note=True), expect="note_written"),
    ]
    folder = tmp_path / "returned"
    folder.mkdir()
    write_scans(make_scans(cases, residents), str(folder), kinds=("png", "jpg"))
    files = sorted(str(p) for p in folder.iterdir())
    (tmp_path / "notes.txt").write_text("not a scan", encoding="utf-8")

    log_in(qtbot, client, real, "sv1")
    window, ctl = client.window, client.review
    view, uploads = ctl.view, ctl.uploads
    qtbot.waitUntil(lambda: window.review is view, timeout=10000)
    qtbot.keyClick(window, Qt.Key.Key_F10)
    assert view.upload_button.text() == "スキャン取込…  (Ctrl+O)"
    assert ctl.model.items == []

    view.upload_requested.emit(files)  # what choosing the files in the dialog emits
    qtbot.waitUntil(lambda: uploads.status in ("done", "refused", "failed"), timeout=30000)
    assert uploads.status == "done", uploads.message
    assert view.upload_status.text() == (
        "2 枚を読み取り: 反映 1 ／ 確認へ 1（自由記入欄に記入あり 1）"
    )
    qtbot.waitUntil(lambda: len(ctl.model.items) == 1, timeout=10000)
    assert view.table.item(0, 0).text() == "自由記入欄に記入あり"

    view.upload_requested.emit(files)  # the same scans again: nothing changes
    qtbot.waitUntil(
        lambda: uploads.status == "done" and uploads.summary.duplicates > 0, timeout=30000
    )
    assert (
        view.upload_status.text() == "2 枚を読み取り: 反映 0 ／ 確認へ 0 ／ 読込済み 2（変更なし）"
    )
    client.set_language("en")
    assert (
        view.upload_status.text()
        == "2 pages read: applied 0 / to review 0 / read before 2 (no change)"
    )
    client.set_language("ja")

    view.upload_requested.emit([str(tmp_path / "notes.txt")])
    qtbot.waitUntil(lambda: uploads.status in ("refused", "failed"), timeout=30000)
    assert view.upload_status.text() == "PNG・JPEG・TIFF・PDF のスキャンだけを取り込めます。"
    assert len(ctl.model.items) == 1

    view.table.setFocus()  # accept the noted postcard as read (the note was looked at)
    qtbot.keyClick(view.table, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: ctl.model.status == "done" and not ctl.model.items, timeout=10000)

    client.controller.load_resident(residents[1][0], then_show=True)
    qtbot.waitUntil(
        lambda: (
            client.resident.card is not None and client.resident.card.resident_id == residents[1][0]
        ),
        timeout=10000,
    )
    latest = client.resident.card.latest_intent()
    assert (latest.channel, latest.wants_vaccination, latest.needs_mobility) == (
        "postcard_ocr",
        True,
        True,
    )
    shown = client.window.card.values["intent"].text()
    assert shown.startswith("接種希望 はい・移動支援 はい（はがき 20"), shown
