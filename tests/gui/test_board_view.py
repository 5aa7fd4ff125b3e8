"""The supervisor view over a real board (the recorded burst through the server's builder):
figures shown, definitions on hover, the service level's formula beside it, callers waiting,
colours at the supervisor's thresholds (kept in QSettings), pause / unpause sent as PauseAgent
(pending until the board shows it, and by keyboard), refusals in red, the main window fitting a
1366x768 screen with a large board, the designated appointments in their tab, and an offscreen
render to a temporary directory."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialogButtonBox

from cti_server import protocol
from cti_server.ami.frames import iter_file
from cti_server.ami.translate import StreamTranslator
from cti_server.config import Settings
from cti_server.domain.board.build import build_board
from cti_server.domain.board.records import record_from_call
from cti_server.domain.board.today import TodayRecords
from cti_server.domain.changes import CallChanged
from cti_server.domain.figures import FigureSettings
from cti_server.domain.tracker import Tracker
from desktop_client import demo_board
from desktop_client.models.board import BoardModel, Thresholds
from desktop_client.views import board_view
from desktop_client.views.board_thresholds import ThresholdDialog
from desktop_client.views.board_view import BoardView

pytestmark = pytest.mark.gui
BASE = dt.datetime(2026, 11, 27, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def burst_board(ami_fixtures: Path, upto: int | None = None) -> protocol.Board:
    """The board after (part of) 11-burst.ami, built as the server builds it."""
    settings = Settings(secret_key="x" * 16)
    tracker = Tracker()
    today = TodayRecords(FigureSettings(), BASE.date())
    (path,) = ami_fixtures.glob("11-*.ami")
    st = StreamTranslator()
    at = BASE
    for i, msg in enumerate(list(iter_file(path))[:upto]):
        at = BASE + dt.timedelta(milliseconds=10 * i)
        for e in st.translate(msg, at):
            for ch in tracker.apply(e):
                if isinstance(ch, CallChanged):
                    ext = settings.extension_of(ch.call.agent_interface, ch.call.agent_name) or ""
                    rec = record_from_call(ch.call, ext)
                    if rec is not None:
                        today.put(rec)
    bookings = [
        protocol.VenueFill(1, "中総合会館", "2026-11-27", 120, 97),
        protocol.VenueFill(2, "西市民プラザ", "2026-11-27", 60, 60),
        protocol.VenueFill(1, "中総合会館", "2026-11-28", 120, 41),
    ]
    return build_board(tracker, today, at, settings.extension_of, bookings=bookings,
                       mobility_open=3)  # fmt: skip


@pytest.fixture
def qsettings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "client.ini"), QSettings.Format.IniFormat)


def make_view(qtbot, qsettings, board):
    sent: list = []
    model = BoardModel(clock=lambda: dt.datetime.fromisoformat(board.at))
    view = BoardView(model, sent.append, qsettings)
    qtbot.addWidget(view)
    model.on_update(protocol.BoardUpdate(board=board))
    return view, model, sent


def test_figures_and_definitions_are_shown(qtbot, qsettings, ami_fixtures):
    view, _, _ = make_view(qtbot, qsettings, burst_board(ami_fixtures))
    today = [view.today.item(0, c).text() for c in range(view.today.columnCount())]
    assert today == ["vaccine", "30", "12", "12", "6", "50%", "0:10", "0:19", "0:03"]
    sl_item = view.today.item(0, 5)
    assert sl_item.toolTip() == (
        "20秒以内に応答した呼 ÷（応答呼＋放棄呼）。5秒未満の短時間放棄は除く"
    )
    assert view.sl_formula.text() == "SL = 20秒以内の応答 ÷（応答＋放棄）"
    assert view.today.horizontalHeaderItem(4).toolTip().startswith("5秒未満で切断")
    agents = {view.agents.item(r, 0).text(): view.agents.item(r, 5).text()
              for r in range(view.agents.rowCount())}  # fmt: skip
    assert agents == {"1001": "4", "1002": "4", "1003": "4"}
    assert view.bookings.item(1, 2).text() == "60 / 60"
    assert "3" in view.mobility.text()


def test_the_interval_table_reads_tokyo_time(qtbot, qsettings, ami_fixtures):
    """Intervals are UTC on the wire; the table, like the charts, shows Tokyo time."""
    view, _, _ = make_view(qtbot, qsettings, burst_board(ami_fixtures))
    starts = [view.intervals.item(r, 0).text() for r in range(view.intervals.rowCount())]
    assert starts[0] == "09:00"  # the burst starts at 09:00 Tokyo (00:00 UTC)


def test_thresholds_colour_and_persist(qtbot, qsettings, ami_fixtures):
    board = burst_board(ami_fixtures, upto=900)  # mid-burst: callers waiting
    view, model, _ = make_view(qtbot, qsettings, board)
    waiting = board.queues[0].waiting
    assert waiting >= 3
    assert view.queues.item(0, 1).background().color().name() != "#000000"
    view.apply_thresholds(Thresholds(waiting_warn=waiting + 1, waiting_bad=waiting + 2))
    assert model.level("waiting", waiting) == "ok"
    again = BoardView(BoardModel(), lambda m: None, qsettings)
    qtbot.addWidget(again)
    assert again.model.thresholds.waiting_warn == waiting + 1


def test_pause_and_unpause_send_pause_agent(qtbot, qsettings, ami_fixtures, monkeypatch):
    board = burst_board(ami_fixtures)
    view, model, sent = make_view(qtbot, qsettings, board)
    monkeypatch.setattr(board_view, "ask_pause_reason", lambda *a, **k: ("研修", True))
    assert not view.pause_button.isEnabled()  # nobody selected
    view.agents.selectRow(1)
    assert view.pause_button.isEnabled()
    assert not view.resume_button.isEnabled()  # not paused
    view.pause_button.click()
    assert sent == [protocol.PauseAgent("Local/1002@operators/n", True, "研修")]
    assert view.agents.item(1, 2).text() == "休止を依頼中…"
    assert "PBX に送りました" in view.notice.text()

    agents = tuple(
        dataclasses.replace(a, state="paused", paused_reason="研修")
        if a.interface == "Local/1002@operators/n" else a
        for a in board.agents
    )  # fmt: skip
    model.on_update(protocol.BoardUpdate(board=dataclasses.replace(board, agents=agents)))
    assert model.pending == {}
    assert view.agents.item(1, 2).text() == "休止"
    assert view.agents.item(1, 4).text() == "研修"
    assert view.selected_agent().interface == "Local/1002@operators/n"  # kept across updates
    assert view.resume_button.isEnabled()
    assert not view.pause_button.isEnabled()
    view.resume_button.click()
    assert sent[-1] == protocol.PauseAgent("Local/1002@operators/n", False, "")


def test_refusals_are_shown_in_red(qtbot, qsettings, ami_fixtures):
    view, model, _ = make_view(qtbot, qsettings, burst_board(ami_fixtures))
    view.show()
    model.on_error("ami_unavailable", "the PBX is not connected")
    assert view.notice.isVisible()
    assert view.notice.text().startswith(
        "操作できませんでした: PBX（電話交換機）に接続されていない"
    )
    assert "#b00020" in view.notice.styleSheet()


def test_pause_without_a_connection_says_so(qtbot, qsettings, ami_fixtures, monkeypatch):
    model = BoardModel()
    view = BoardView(model, lambda _msg: False, qsettings)  # ServerLink.send when disconnected
    qtbot.addWidget(view)
    model.on_update(protocol.BoardUpdate(board=burst_board(ami_fixtures)))
    monkeypatch.setattr(board_view, "ask_pause_reason", lambda *a, **k: ("休憩", True))
    view.agents.selectRow(0)
    view.pause_button.click()
    assert model.error == "network"
    assert model.pending == {}
    assert "サーバーに接続できません" in view.notice.text()


def test_pause_dialog_buttons_speak_the_ui_language(qtbot, client):
    from desktop_client.views.pause_dialog import pause_reason_dialog

    def buttons():
        dialog = pause_reason_dialog(None, "t", "p", ["休憩"])
        qtbot.addWidget(dialog)
        box = dialog.findChild(QDialogButtonBox)
        ok = box.button(QDialogButtonBox.StandardButton.Ok).text()
        return ok, box.button(QDialogButtonBox.StandardButton.Cancel).text()

    assert buttons() == ("休止する", "キャンセル")
    client.set_language("en")
    try:
        assert buttons() == ("Pause", "Cancel")
    finally:
        client.set_language("ja")


def test_threshold_dialog_speaks_percent(qtbot, qsettings):
    dialog = ThresholdDialog(Thresholds(sl_warn=0.85))
    qtbot.addWidget(dialog)
    assert dialog.spins["sl_warn"].value() == 85
    dialog.spins["abandon_bad"].setValue(12.5)
    th = dialog.thresholds()
    assert (th.sl_warn, th.abandon_bad) == (0.85, 0.125)


def test_callers_waiting_are_listed_without_withheld_numbers(qtbot, qsettings, ami_fixtures):
    board = burst_board(ami_fixtures, upto=900)  # mid-burst: callers waiting
    view, _, _ = make_view(qtbot, qsettings, board)
    rows = [[view.callers.item(r, c).text() for c in range(3)]
            for r in range(view.callers.rowCount())]  # fmt: skip
    assert len(rows) == board.queues[0].waiting >= 3
    assert [r[0] for r in rows] == [str(i) for i in range(1, len(rows) + 1)]
    assert rows[0][1] == "0773-62-1234" or rows[0][1].startswith("0")
    raw = {c.caller_status for c in board.queues[0].callers}
    shown = {r[1] for r in rows}
    if "withheld" in raw:
        assert "非通知" in shown
    assert not any("anonymous" in r[1].lower() for r in rows)


def test_pause_by_keyboard(qtbot, qsettings, ami_fixtures, monkeypatch):
    board = burst_board(ami_fixtures)
    view, _, sent = make_view(qtbot, qsettings, board)
    view.show()  # shortcuts need an active window
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow, timeout=5000)
    view.threshold_button.setFocus()
    monkeypatch.setattr(board_view, "ask_pause_reason", lambda *a, **k: ("休憩", True))
    qtbot.keyClick(view.threshold_button, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert view.agents.hasFocus()  # nobody was selected: the list is focused, first row chosen
    qtbot.keyClick(view.agents, Qt.Key.Key_Down)
    qtbot.keyClick(view.agents, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert sent == [protocol.PauseAgent(board.agents[1].interface, True, "休憩")]


def test_render_offscreen(qtbot, qsettings, ami_fixtures, tmp_path):
    view, _, _ = make_view(qtbot, qsettings, burst_board(ami_fixtures, upto=1300))
    view.resize(1366, 700)
    view.show()
    qtbot.waitExposed(view)
    assert view.grab().save(str(tmp_path / "board.png"))


def big_board() -> protocol.Board:
    """The demo board with 3 queues, 24 agents, 12 callers waiting and 21 venue-days."""
    b = demo_board.board()
    q = b.queues[0]
    callers = tuple(dataclasses.replace(q.callers[i % 4], position=i + 1) for i in range(12))
    queues = tuple(dataclasses.replace(q, name=n, callers=callers) for n in ("a", "b", "c"))
    agents = tuple(
        dataclasses.replace(b.agents[i % 5], extension=str(2000 + i),
                            interface=f"Local/{2000 + i}@operators/n")
        for i in range(24)
    )  # fmt: skip
    fills = tuple(dataclasses.replace(b.bookings[0], venue=f"会場{i}") for i in range(21))
    tally = tuple(  # today's reception line: four venues with long names
        protocol.VenueCheckins(i, f"舞鶴市総合文化会館 第{i}会議室", b.at[:10], 160, 80, 70, 10)
        for i in range(4)
    )
    assert b.assignment is not None
    days = tuple(dataclasses.replace(b.assignment.days[0], venue=f"会場{i}") for i in range(60))
    assignment = dataclasses.replace(b.assignment, days=days)
    return dataclasses.replace(
        b, queues=queues, agents=agents, bookings=fills, assignment=assignment, checkins=tally
    )


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (1920, 1080)])
def test_the_supervisor_window_fits_the_screen(qtbot, client, width, height):
    """A window on a 1366x768 screen has about 700 px under its title bar and the taskbar;
    the queues go by the names configured for people."""
    client.link.feed_text(hello("supervisor", queue_names={"a": "ワクチン予約"}))
    client.board.model.on_update(protocol.BoardUpdate(board=big_board()))
    window = client.window
    window.show_board()
    window.resize(width, height - 68)
    window.show()
    qtbot.waitExposed(window)
    hint = window.minimumSizeHint()  # with every layout active (the reception line's too)
    assert hint.width() <= width
    assert hint.height() <= height - 68
    assert (window.width(), window.height()) == (width, height - 68)
    view = client.board.view
    assert view.checkins.isVisible()
    assert [view.queues.item(r, 0).text() for r in range(3)] == ["ワクチン予約", "b", "c"]
    assert view.today.item(0, 0).text() == "ワクチン予約"
    assert view.agents.height() >= view.agents.minimumHeight()  # scrolls, not clipped away
    assert view.callers.rowCount() == 36
    view.booking_tabs.setCurrentIndex(1)  # the designated appointments: 60 venue-days, scrolled
    assert window.minimumSizeHint().height() <= height - 68
    assert view.assigned.rowCount() == 60
    assert view.assigned.height() <= view.assigned.maximumHeight()


def test_the_operator_window_opens_within_the_screen(qtbot, client):
    """The window never opens larger than the screen's free area (the status bar, with the
    extension and state, must stay in sight), and the operator's layout fits 1366x768."""
    client.link.feed_text(hello("operator"))
    window = client.window
    free = window.screen().availableGeometry()
    assert window.width() <= free.width()
    assert window.height() <= free.height()
    hint = window.minimumSizeHint()
    assert hint.width() <= 1366
    assert hint.height() <= 768 - 68
    assert client.header is not None
    assert not client.header.bar.isHidden()  # an operator's calls show in the band


def test_an_account_without_an_extension_has_no_call_band(qtbot, client):
    """A supervisor at the board takes no calls: the band's height goes to the board."""
    client.link.feed_text(hello("supervisor"))
    assert client.header is not None
    assert client.header.bar.isHidden()
    client.link.feed_text(hello("operator"))  # the same window, logged in again at a phone
    assert not client.header.bar.isHidden()


def hello(role: str, queue_names: dict[str, str] | None = None) -> str:
    """An operator logs in at extension 1001; the others without one."""
    ext = "1001" if role == "operator" else None
    who = protocol.OperatorInfo(id=7, username="u", display_name="", role=role, extension=ext)
    return protocol.encode(
        protocol.Hello(protocol.PROTOCOL_VERSION, "t", who, "", queue_names=queue_names or {})
    )


def test_board_section_follows_the_role_and_the_language(qtbot, client):
    """Through app.build(): a supervisor Hello opens the board; English retranslates it."""
    client.link.feed_text(hello("supervisor"))
    window, view = client.window, client.board.view
    assert window.board is view
    assert not client.board.subscribed  # not connected: nothing could be sent
    client.board.model.on_update(protocol.BoardUpdate(board=demo_board.board()))
    assert view.queues.horizontalHeaderItem(1).text() == "待ち呼"
    client.set_language("en")
    assert window.sections.tabText(1) == "Supervisor board (F8)"
    assert view.queues.horizontalHeaderItem(1).text() == "Waiting"
    assert view.agents.item(2, 2).text() == "Paused"
    assert view.today.item(0, 5).toolTip().startswith("answered within 20 s")
    assert [view.booking_tabs.tabText(i) for i in range(2)] == ["Bookings", "Assigned"]
    assert view.assign_summary.text().startswith("To assign 214 · cannot assign 37 (last ")
    assert view.assign_summary.toolTip().startswith("residents whose latest intent wants")
    assert "no capacity left: 29" in view.assign_summary.toolTip()
    client.set_language("ja")
    assert view.today.item(0, 5).toolTip().startswith("20秒以内に応答")

    worker = protocol.OperatorInfo(id=8, username="op1", display_name="", role="operator")
    client.link.feed_text(
        protocol.encode(protocol.Hello(protocol.PROTOCOL_VERSION, "t", worker, ""))
    )
    assert window.board is None
    assert window.sections.count() == 2  # calls and the callback worklist


def test_the_reception_tally_is_one_line_under_the_bookings(qtbot, qsettings, ami_fixtures):
    import dataclasses

    board = burst_board(ami_fixtures)
    view, _, _ = make_view(qtbot, qsettings, board)
    assert view.checkins.isHidden()  # no venue day: no line
    tally = protocol.VenueCheckins(1, "中総合会館", "2026-11-27", booked=40, checked_in=31,
                                   not_yet=6, no_show=3)  # fmt: skip
    view.model.on_update(protocol.BoardUpdate(board=dataclasses.replace(board, checkins=(tally,))))
    assert not view.checkins.isHidden()
    assert view.checkins.text() == "会場受付（本日）: 中総合会館 受付済 31/40・来場なし 3"
    assert "枠が終了" in view.checkins.toolTip()


def test_the_designated_appointments_show_in_their_tab_with_definitions(
    qtbot, qsettings, ami_fixtures
):
    board = burst_board(ami_fixtures)
    view, _, _ = make_view(qtbot, qsettings, board)
    tabs = [view.booking_tabs.tabText(i) for i in range(view.booking_tabs.count())]
    assert tabs == ["予約状況", "指定予約"]
    assert view.assign_summary.text() == ""  # not read yet
    assert view.assigned.rowCount() == 0
    figures = protocol.AssignmentFigures(
        to_assign=214, cannot_assign=37, reasons={"no_capacity": 29, "no_transport_seats": 8},
        last_run_at="2026-11-25T00:20:00+00:00",
        days=(protocol.AssignedDayVenue(1, "中総合会館", "2026-11-27", 88, 97, 120),
              protocol.AssignedDayVenue(2, "西市民プラザ", "2026-11-28", 52, 60, 60)),
    )  # fmt: skip
    view.model.on_update(protocol.BoardUpdate(board=dataclasses.replace(board, assignment=figures)))
    view.booking_tabs.setCurrentIndex(1)
    assert view.booking_pages.currentWidget().isAncestorOf(view.assigned)
    assert view.assign_summary.text() == "未割当 214・割当不可 37（最終割当 11/25 09:20）"
    tip = view.assign_summary.toolTip()
    assert "1回目の有効な予約がない" in tip  # to assign
    assert "枠を決められなかった" in tip  # cannot assign
    assert "空きがない: 29" in tip
    assert "送迎の席がない: 8" in tip
    assert view.booking_tabs.tabToolTip(1) == tip
    rows = [[view.assigned.item(r, c).text() for c in range(4)] for r in range(2)]
    assert rows == [["11/27", "中総合会館", "88", "97 / 120"],
                    ["11/28", "西市民プラザ", "52", "60 / 60"]]  # fmt: skip
    assert view.assigned.item(0, 2).toolTip().startswith("指定予約：割当（指定）で作られた")
    assert view.assigned.item(1, 3).background().color().name() == "#f4a3a0"  # full
    # never run: said so
    never = dataclasses.replace(figures, cannot_assign=0, reasons={}, last_run_at=None, days=())
    view.model.on_update(protocol.BoardUpdate(board=dataclasses.replace(board, assignment=never)))
    assert view.assign_summary.text() == "未割当 214・割当不可 0（確定した割当なし）"
    assert view.assigned.rowCount() == 0
