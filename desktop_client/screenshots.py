"""Render each main screen offscreen to PNG (for the README and for a look before release).

``python -m desktop_client.screenshots OUT_DIR [--scale 1.25] [--lang ja|en] [--size 1366x768]``.
Uses invented demo data and no server; a QT_SCALE_FACTOR of 1.25 checks readability at 125 %
scaling; the main window is shot at ``--size`` (default 1366x768, the smallest screen supported).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktop_client.models.dates import today_local


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="desktop_client.screenshots")
    parser.add_argument("out", type=Path)
    parser.add_argument("--scale", default="1")
    parser.add_argument("--lang", default="ja", choices=("ja", "en"))
    parser.add_argument("--size", default="1366x768", help="main window WIDTHxHEIGHT")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["QT_SCALE_FACTOR"] = args.scale
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from cti_server.protocol import AgentStatus

    from . import demo_data
    from .app import build, login_form, use_japanese_font
    from .models.forms import Venue
    from .models.resident import ResidentCard
    from .newcall import call_ref_of
    from .views.login import LoginDialog

    app = QApplication([sys.argv[0]])
    use_japanese_font(app)
    ini = Path(tempfile.mkdtemp()) / "shots.ini"
    settings = QSettings(str(ini), QSettings.Format.IniFormat)
    settings.setValue("ui/language", args.lang)
    client = build(settings)
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.scale == "1" else f"@{args.scale}x"
    suffix += "" if args.lang == "ja" else f"-{args.lang}"

    def shot(widget: object, name: str) -> None:
        app.processEvents()
        path = args.out / f"{name}{suffix}.png"
        widget.grab().save(str(path))  # type: ignore[attr-defined]
        sys.stdout.write(f"{path}\n")

    settings.setValue("login/username", "operator1")
    settings.setValue("login/extension", "201")
    login = LoginDialog(login_form(settings))
    login.show()
    shot(login, "login")

    window = client.window
    window.set_connection("connected", "")
    width, height = (int(n) for n in args.size.lower().split("x"))
    window.resize(width, height)
    window.show()
    pop = demo_data.pop()
    call = call_ref_of(pop)
    if client.agent is not None:  # the status bar as an operator on 1001 sees it
        client.agent.model.set_extension("1001")
        since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=12)
        client.agent.model.update(AgentStatus("1001", "ringing", since=since.isoformat()))
    client.pop.show(pop)
    window.pop.focus_candidates()
    client.window.show_tab(0)
    shot(window, "pop")

    today = today_local()
    earlier = demo_data.booking(812, 1, demo_data.slots(today)[1], status="cancelled")
    card = ResidentCard.from_detail(demo_data.resident_detail(1, bookings=(earlier,)))
    client.resident.set_card(card)
    client.booking.now = lambda: dt.datetime.combine(today, dt.time(8), demo_data.JST)
    client.booking.start(card, call)
    client.mobility.start(card, call)
    client.intent.start(card, call)
    client.booking.set_venues([Venue(v.id, v.name, v.address) for v in demo_data.VENUES])
    client.booking.set_slots(demo_data.slots(today))
    client.booking.select_slot(4)
    shot(window, "card")

    window.show_tab(1)
    shot(window, "booking")
    client.booking.set_status("refused", "slot_full", "the slot is full")
    shot(window, "booking-full")
    client.booking.set_status("")

    window.show_tab(2)
    client.mobility.offered.apply(demo_data.config_history()[:1])  # the options configured
    client.mobility.update(options=("wheelchair", "stretcher"),
                           notes="玄関に段差あり。娘さんが付き添い。")  # fmt: skip
    client.mobility.tie_to(booking_id=813)
    client.mobility.changed()
    window.set_connection("reconnecting", "2.0")
    client.mobility.set_status("queued")
    shot(window, "mobility")
    window.set_connection("connected", "")

    window.show_tab(3)
    client.wrapup.open(call)
    client.wrapup.toggle("booked", True)
    client.wrapup.toggle("mobility", True)
    client.wrapup.set_notes("5/20 10:00 に予約。送迎あり。")
    shot(window, "wrapup")
    intent_and_barcode_shots(client, shot)
    board_shot(client, shot)
    venues_shot(client, shot)
    review_shot(client, shot)
    assignment_shot(client, shot)
    worklist_shot(client, shot)
    config_shot(client, shot)
    return 0


def config_shot(client: Any, shot: Callable[[object, str], None]) -> None:
    """キャンペーン設定 as an admin sees it: the mobility options and their history."""
    from . import demo_data

    config = client.config
    client.window.set_config_view(config.view)
    history = demo_data.config_history()
    config.model.load(history[:1])
    config.model.choose_list("mobility_options")
    config.model.show_history("mobility_options", history)
    client.window.show_config()
    config.view.history.table.selectRow(2)
    shot(client.window, "config-history")
    config.model.load_version(1)
    shot(client.window, "config-history-loaded")


def worklist_shot(client: Any, shot: Callable[[object, str], None]) -> None:
    """折り返し as an operator sees it after taking a no-show (an invented worklist)."""
    from cti_server.protocol import WorkAttempt, WorkItem, WorklistSummary

    ctl = client.worklist
    if ctl is None:
        return
    ctl.role = "operator"
    client.window.set_worklist_view(ctl.view)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def ago(minutes: int) -> str:
        return (now - dt.timedelta(minutes=minutes)).isoformat()

    tried = WorkAttempt(ago(40), 2, "no_answer", None, "call-1", "留守電なし")
    items = [
        WorkItem(31, "slot_changed", 1, "舞鶴 花子", "+81773621234",
                 {"booking_id": 812, "venue": "中総合会館", "starts_at": ago(-1440),
                  "conflict": "slot_closed"}, 77, 90,
                 1, None, "claimed", "no_answer", 1, None, ago(95), (tried,)),
        WorkItem(32, "no_show", 2, "田辺 一郎", "+819012345678",
                 {"booking_id": 905, "venue": "西駅交流センター", "starts_at": ago(120)}, None,
                 70, 0, None, "open", "", None, None, ago(60)),
        WorkItem(33, "web_request", 3, "佐藤 三郎", "+81773628888",
                 {"kind": "reschedule", "note": "平日の午後に変えたい", "booking_id": 877}, None,
                 60, 0, None, "open", "", None, None, ago(25)),
        WorkItem(34, "abandoned", None, "", "+81773625678", {"call": "1733.44"}, None, 50, 0,
                 None, "open", "", None, None, ago(4)),
    ]  # fmt: skip
    ctl.model.set_page(items, WorklistSummary(4, 3, 1, ago(95)))
    ctl.model.take(items[0])
    ctl.model.dialling("1733.51", "0773621234")
    client.window.show_worklist()
    shot(client.window, "worklist")


def intent_and_barcode_shots(client: Any, shot: Callable[[object, str], None]) -> None:
    """The card's intent form being filled in, and a misheard postcard number."""
    window = client.window
    client.intent.start(client.resident.card, client.booking.call)
    window.show_intent()
    client.intent.update(wants_vaccination=True, needs_mobility=False, notes="娘さんと相談済み")
    window.card.ensureWidgetVisible(window.card.intent_form)
    shot(window, "intent")
    client.intent.set_status("done")
    client.intent.update()
    window.pop.barcode.setText("0000004217 3")
    seq = client.search.begin()
    client.search.finish_barcode(seq, [], "check_digit", 12)
    window.pop.focus_barcode()
    shot(window, "barcode-misheard")
    client.search.clear()
    window.pop.barcode.clear()


def venues_shot(client: Any, shot: Callable[[object, str], None]) -> None:
    """会場・枠 as a supervisor sees it: venues, the day's slots, a refused capacity change."""

    from . import demo_data
    from .models.venues import VenueRow

    model, view = client.venues.model, client.venues.view
    client.venues.role = "supervisor"
    client.window.set_venues_view(view)
    rows = [VenueRow.from_venue(v) for v in demo_data.VENUES]
    rows.append(VenueRow(9, "旧 西公民館", "京都府舞鶴市字西 20", False))
    model.set_venues(rows)
    model.choose(rows[0].venue_id, today_local())
    model.set_slots(demo_data.slots(today_local()))
    model.select_slot(2)
    client.window.show_venues()
    shot(client.window, "venues")
    view.capacity.setValue(6)
    model.begin("capacity")
    model.finish(
        False,
        "invalid_input",
        "capacity 6 is below the 10 seats already booked",
        {"field": "capacity", "booked": 10},
    )
    shot(client.window, "venues-refused")
    model.begin("slots_add")
    model.finish(True, result={"created": [{}] * 6, "skipped": [{}] * 2})
    shot(client.window, "venues-added")


def review_shot(client: Any, shot: Callable[[object, str], None]) -> None:
    """はがき確認 as a supervisor sees it: two invented items, the second with no QR code read."""
    from cti_server.protocol import ReviewItem, ReviewReason, ScanPage, ScansRead

    def item(review_id: int, code: str, barcode: str | None, answers: dict[str, Any]) -> Any:
        return ReviewItem(review_id, review_id, "open", (ReviewReason(code, "", "", ""),),
                          "scan", "scan.png", 1, barcode, None, answers, {}, False, False,
                          f"2026-05-1{review_id}T01:00:00+00:00", None, None, {})  # fmt: skip

    ctl = client.review
    ctl.role = "supervisor"
    client.window.set_review_view(ctl.view)
    yes = {"wants_vaccination": "yes", "mobility": "pickup", "time_of_day": "am"}
    ctl.model.set_items([item(1, "note_written", "000000042173", yes),
                         item(2, "no_barcode", None, yes)])  # fmt: skip
    ctl.model.move(1)
    ctl.uploads.begin(24)  # the summary of an upload that sent these two to review
    pages = [ScanPage(f"scan-{i:05d}.png", 1, i, "applied", (), True) for i in range(22)]
    pages += [ScanPage("scan-00023.png", 1, 23, "review", ("note_written",), True),
              ScanPage("scan-00024.png", 1, 24, "review", ("no_barcode",), True)]  # fmt: skip
    ctl.uploads.finish(ScansRead(24, {"applied": 22, "review": 2}, tuple(pages)))
    scan = Path(__file__).resolve().parents[1] / "docs" / "screens" / "postcard-scan.png"
    if scan.is_file():  # in a checkout: a generated scan stands in for the fetched crop
        ctl.view.set_image("card", scan.read_bytes())
    client.window.show_review()
    shot(client.window, "review")


def assignment_shot(client: Any, shot: Callable[[object, str], None]) -> None:
    """割り当て as a supervisor sees it after a dry run (an invented report)."""
    from cti_server.protocol import AssignmentDayVenue, AssignmentReport

    ctl = client.assignment
    ctl.role = "supervisor"
    client.window.set_assignment_view(ctl.view)
    day = today_local() + dt.timedelta(days=1)
    rows = tuple(
        AssignmentDayVenue((day + dt.timedelta(days=d)).isoformat(), v, name, n)
        for d in range(3)
        for v, (name, n) in enumerate((("舞鶴市総合文化会館", 148), ("中総合会館", 160),
                                       ("西駅交流センター", 131)), start=1)
    )  # fmt: skip
    report = AssignmentReport(
        candidates=1391, assigned=sum(r.residents for r in rows), not_assigned=74,
        reasons={"no_capacity": 61, "no_transport_seats": 13}, per_day_venue=rows,
        households=402, households_split=9, nearest_share=0.912,
        latest_date=(day + dt.timedelta(days=23)).isoformat(), second_doses=1317,
        with_transport=118, no_district=3, open_slots=1344, free_seats=13440,
        digest="3f9a6c0d1b2e4a57", moved=0, unseated=0, committed=False, bookings_written=0,
        bookings_cancelled=0,
    )  # fmt: skip
    ctl.model.set_rules(prefer="nearest", second_dose_days=21, bands="")
    ctl.view.second.setValue(21)
    ctl.model.finish(report)
    client.window.show_assignment()
    shot(client.window, "assignment")


def board_shot(client: Any, shot: Callable[[object, str], None]) -> None:
    """The supervisor board as a supervisor sees it after logging in (an invented board)."""
    from cti_server.protocol import PROTOCOL_VERSION, BoardUpdate, Hello, OperatorInfo

    from . import demo_board
    from .views.board_thresholds import ThresholdDialog

    supervisor = OperatorInfo(id=7, username="sv1", display_name="", role="supervisor")
    client.board.on_hello(Hello(PROTOCOL_VERSION, "demo", supervisor, ""))
    client.board.model.on_update(BoardUpdate(board=demo_board.board()))
    client.window.show_board()
    view = client.board.view
    view.agents.selectRow(2)
    shot(client.window, "board")
    view.booking_tabs.setCurrentIndex(1)  # 指定予約: designated appointments
    shot(client.window, "board-assignment")
    view.booking_tabs.setCurrentIndex(0)
    client.board.model.on_error("ami_unavailable", "the PBX is not connected")
    shot(client.window, "board-refused")
    client.board.model.clear_error()
    dialog = ThresholdDialog(client.board.model.thresholds, view)
    dialog.show()
    shot(dialog, "board-thresholds")
    dialog.close()


if __name__ == "__main__":
    raise SystemExit(main())
