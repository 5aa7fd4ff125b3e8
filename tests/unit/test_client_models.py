"""The client's Qt-free models: pop grouping and selection, search staleness, forms, outbox."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from typing import Any

import pytest

from cti_server import protocol
from cti_server.protocol import ResidentDetail, SlotInfo
from desktop_client import demo_data
from desktop_client.models.dates import age_on, format_wait, to_wareki
from desktop_client.models.forms import BookingFormModel, MobilityFormModel
from desktop_client.models.outbox import Outbox
from desktop_client.models.pop import PopModel
from desktop_client.models.resident import ResidentCard
from desktop_client.models.search import SearchModel, SearchQuery
from desktop_client.models.wrapup import WrapUpModel


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_models_never_import_qt() -> None:
    code = (
        "import sys, desktop_client.models.pop, desktop_client.models.forms, "
        "desktop_client.models.outbox, desktop_client.models.search, "
        "desktop_client.models.resident, desktop_client.models.board; "
        "assert 'PySide6' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_pop_groups_by_household_and_numbers_members() -> None:
    model = PopModel(clock=Clock())
    assert model.show(demo_data.pop()) is True  # a new ringing call comes forward
    heads = [r for r in model.rows if r.candidate is None]
    assert [h.household.household_no for h in heads] == ["0012345", "0012377"]
    assert [r.number for r in model.rows if r.candidate] == [1, 2, 3]
    assert model.current().resident_id == 1
    assert model.show(demo_data.pop(state="answered")) is False  # same call, updated


def test_pop_selection_moves_wraps_and_picks_by_number() -> None:
    model = PopModel(clock=Clock())
    model.show(demo_data.pop())
    model.move(-1)
    assert model.current().resident_id == 3
    model.move(1)
    assert model.current().resident_id == 1
    assert model.pick(2).resident_id == 2
    assert model.pick(9) is None
    model.show(demo_data.pop(state="answered"))  # same members: the choice stays
    assert model.current().resident_id == 2


def test_pop_wait_ticks_while_ringing_and_freezes_when_answered() -> None:
    clock = Clock()
    model = PopModel(clock=clock)
    entered = dt.datetime(2024, 5, 20, 1, 0, tzinfo=dt.UTC)
    pop = demo_data.pop()
    call = pop.call.__class__(**{**pop.call.__dict__, "entered_at": entered.isoformat()})
    model.show(
        pop.__class__(call=call, caller=pop.caller, households=pop.households),
        now=entered + dt.timedelta(seconds=20),
    )
    assert model.wait_seconds() == pytest.approx(20)
    clock.now += 15
    assert model.wait_seconds() == pytest.approx(35)
    answered = call.__class__(
        **{
            **call.__dict__,
            "state": "answered",
            "answered_at": (entered + dt.timedelta(seconds=40)).isoformat(),
        }
    )
    model.show(pop.__class__(call=answered, caller=pop.caller, households=pop.households))
    clock.now += 100
    assert model.wait_seconds() == pytest.approx(40)
    assert format_wait(40) == "0:40"
    assert format_wait(3725) == "1:02:05"


def test_wareki_and_age() -> None:
    assert to_wareki(dt.date(1942, 4, 1)).__dict__ == {
        "era": "showa",
        "year": 17,
        "month": 4,
        "day": 1,
    }
    assert to_wareki(dt.date(2019, 5, 1)).year == 1  # 令和元年
    assert to_wareki(dt.date(2019, 4, 30)).era == "heisei"
    assert to_wareki(dt.date(1989, 1, 7)).era == "showa"
    assert age_on(dt.date(1942, 4, 1), dt.date(2024, 3, 31)) == 81
    assert age_on(dt.date(1942, 4, 1), dt.date(2024, 4, 1)) == 82


def test_search_drops_answers_to_older_requests() -> None:
    model = SearchModel()
    model.set_field("name", "マイヅル")
    first = model.begin()
    model.set_field("name", "マイヅル ハナコ")
    second = model.begin()
    assert model.finish(first, [demo_data.households()[1].members[0]]) is False
    assert model.results == []
    assert model.finish(second, list(demo_data.households()[0].members)) is True
    assert [c.resident_id for c in model.results] == [1, 2]
    assert SearchQuery(name=" 舞鶴 ", birth="S17.4.1").params() == (
        "name=%E8%88%9E%E9%B6%B4&birth=S17.4.1&limit=20"
    )
    with pytest.raises(ValueError, match="unknown"):
        model.set_field("nickname", "x")


def test_search_keeps_how_many_were_tied_beyond_the_page_until_the_next_answer() -> None:
    model = SearchModel()
    model.set_field("name", "サトウ ヒロシ")
    members = list(demo_data.households()[0].members)
    assert model.finish(model.begin(), members, tied_beyond=12) is True
    assert model.tied_beyond == 12
    assert model.finish(model.begin(), None, "検索できません") is True  # an error: no count
    assert model.tied_beyond == 0
    assert model.results == members  # the last results stay shown
    model.finish(model.begin(), members, tied_beyond=3)
    model.clear()
    assert (model.tied_beyond, model.results) == (0, [])


def test_resident_card_reads_the_server_detail() -> None:
    slot = demo_data.slots(dt.date(2024, 5, 20))[1]
    detail = demo_data.resident_detail(1, bookings=(demo_data.booking(5, 1, slot),))
    card = ResidentCard.from_detail(protocol.from_dict(ResidentDetail, protocol.to_dict(detail)))
    assert card.resident_id == 1
    assert card.birth_date == dt.date(1942, 4, 1)
    assert (card.person_no, card.household_no, card.barcode) == (
        detail.person_no,
        "0012345",
        detail.barcode,
    )
    assert card.phones == ("0773-62-1234",)
    assert [m.resident_id for m in card.members] == [2]
    assert card.active_booking().booking_id == 5
    assert card.latest_intent().channel == "postcard_ocr"
    assert card.calls[0].notes == "会場までの送迎について質問"


def test_booking_form_requests_and_live_slots() -> None:
    form = BookingFormModel()
    card = ResidentCard.from_detail(demo_data.resident_detail(1))
    form.start(card, "L1")
    day = dt.date(2024, 5, 20)
    form.choose(1, day)
    form.set_slots(demo_data.slots(day))
    form.select_slot(1)
    call = form.request()
    assert (call.method, call.path, call.answer) == ("POST", "/api/bookings", protocol.Booking)
    assert call.body == {
        "resident_id": 1,
        "slot_id": 1,
        "channel": "phone",
        "dose": 1,
        "call": "L1",
    }
    s = form.slots[1]
    other = SlotInfo(99, 2, s.starts_at, s.ends_at, 5, 5)  # another venue: ignored
    assert form.apply_slots_changed((other, SlotInfo(1, 1, s.starts_at, s.ends_at, 10, 10)))
    assert form.slots[1].remaining == 0
    assert 99 not in form.slots
    booked = demo_data.booking(5, 1, s)
    form.start(ResidentCard.from_detail(demo_data.resident_detail(1, bookings=(booked,))), "L1")
    assert not form.can_submit()  # the slot already booked: nothing to change
    form.select_slot(2)
    change = form.request()
    assert (change.method, change.path, change.body) == (
        "PATCH",
        "/api/bookings/5",
        {"slot_id": 2, "call": "L1"},
    )
    cancel = form.cancel_request()
    assert (cancel.method, cancel.path, cancel.body) == ("DELETE", "/api/bookings/5?call=L1", None)


def test_mobility_prefills_the_ledger_address_and_wrapup_needs_a_disposition() -> None:
    form = MobilityFormModel()
    form.start(ResidentCard.from_detail(demo_data.resident_detail(1)), None)
    assert form.pickup_address == demo_data.ADDR_1
    form.update(pickup_address="  ", wheelchair=True)
    assert not form.can_submit()
    form.update(pickup_address="舞鶴市字浜 1 裏口")
    assert form.request().body["pickup_address"] == "舞鶴市字浜 1 裏口"
    with pytest.raises(ValueError, match="unknown"):
        form.update(colour="red")
    wrap = WrapUpModel()
    wrap.start("L9")
    assert not wrap.can_submit()
    wrap.toggle("inquiry", True)
    wrap.toggle("callback", True)
    call = wrap.request()
    assert (call.method, call.path, call.body) == (
        "PUT",
        "/api/calls/L9/disposition",
        {"codes": ["inquiry", "callback"], "notes": ""},
    )


def test_outbox_orders_dependents_and_fills_the_booking_id(tmp_path) -> None:
    box = Outbox(tmp_path / "outbox.json")
    booking = box.add("booking", "POST", "/api/bookings", {"slot_id": 1})
    mobility = box.add(
        "mobility",
        "POST",
        "/api/mobility",
        {"booking_id": None},
        after=booking.key,
        fill={"booking_id": "booking_id|id"},
    )
    assert [e.key for e in box.ready()] == [booking.key]
    box.mark_sending(booking.key)
    assert box.mark_retry(booking.key, "network")  # the drop: kept, same key
    assert box.ready()[0].key == booking.key
    box.mark_sending(booking.key)
    box.mark_done(booking.key, {"booking_id": 42})
    assert [e.key for e in box.ready()] == [mobility.key]
    assert box.entries[mobility.key].body == {"booking_id": 42}
    assert box.pending_count() == 1


def test_outbox_survives_a_restart_and_fails_dependents_of_a_refusal(tmp_path) -> None:
    path = tmp_path / "outbox.json"
    box = Outbox(path)
    booking = box.add("booking", "POST", "/api/bookings", {"slot_id": 1})
    mobility = box.add("mobility", "POST", "/api/mobility", {}, after=booking.key)
    box.mark_sending(booking.key)
    again = Outbox(path)  # crashed while sending: resent with the same key
    assert again.entries[booking.key].status == "pending"
    again.mark_failed(booking.key, "slot_full", "full")
    assert again.ready() == []
    assert again.entries[mobility.key].status == "failed"
    assert again.entries[mobility.key].error == "dependency_failed"


def test_outbox_gives_up_after_too_many_attempts() -> None:
    box = Outbox()
    entry = box.add("disposition", "PUT", "/api/calls/L/disposition", {})
    for _ in range(4):
        box.mark_sending(entry.key)
        assert box.mark_retry(entry.key, "http_500")
    box.mark_sending(entry.key)
    assert not box.mark_retry(entry.key, "http_500")
    assert box.failed()[0].key == entry.key


def test_pyside_calls_keep_the_references_of_none_and_true() -> None:
    """PySide6 6.12.0 on CPython 3.11 drops a reference to None on every call that returns
    nothing (and to True/False on calls returning bool): the client died in none_dealloc after
    a few dozen pops. pyproject pins a PySide6 without the defect; this catches a release that
    brings it back (in a child process: the defect aborts the interpreter)."""
    code = (
        "import os, sys; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from PySide6.QtWidgets import QApplication, QLabel\n"
        "app = QApplication([]); label = QLabel()\n"
        "none, true = sys.getrefcount(None), sys.getrefcount(True)\n"
        "for i in range(1000): label.setText('x'); label.isHidden()\n"
        "print(none - sys.getrefcount(None), true - sys.getrefcount(True))\n"
        "for i in range(50_000): label.setText('x'); label.isHidden()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-500:]
    lost_none, lost_true = map(int, done.stdout.split())
    assert max(abs(lost_none), abs(lost_true)) < 10  # not one per call


def _board(state: str = "available") -> Any:
    from cti_server import protocol as p

    agent = p.BoardAgent("Local/1001@operators/n", "Operator 1001", "1001", ("vaccine",), state,
                         None)  # fmt: skip
    return p.Board("2026-11-27T05:00:00+00:00", "2026-11-27", "Asia/Tokyo", True, None,
                   p.BoardSettings(20, 5, 15), {}, agents=(agent,))  # fmt: skip


def test_board_pause_is_pending_until_the_board_shows_it() -> None:
    from cti_server.protocol import BoardUpdate
    from desktop_client.models.board import BoardModel

    model = BoardModel()
    model.on_update(BoardUpdate(board=_board()))
    msg = model.pause_request(model.agents[0], True, "  休憩\n（昼）  ")
    assert (msg.paused, msg.reason) == (True, "休憩 （昼）")  # one line, as QueuePause wants
    assert model.pause_request(model.agents[0], False, "x").reason == ""
    model.sent(msg)
    assert model.pending == {"Local/1001@operators/n": True}
    model.on_update(BoardUpdate(board=_board("available")))  # not yet applied
    assert model.pending == {"Local/1001@operators/n": True}
    model.on_update(BoardUpdate(board=_board("paused")))
    assert model.pending == {}


def test_board_refusal_clears_pending_and_is_kept_until_the_next_action() -> None:
    from cti_server.protocol import BoardUpdate
    from desktop_client.models.board import BoardModel

    model = BoardModel()
    model.on_update(BoardUpdate(board=_board()))
    model.sent(model.pause_request(model.agents[0], True, "研修"))
    model.on_error("ami_unavailable", "the PBX is not connected")
    assert (model.error, model.pending) == ("ami_unavailable", {})
    model.on_update(BoardUpdate(board=_board()))
    assert model.error == "ami_unavailable"
    model.sent(model.pause_request(model.agents[0], True, "研修"))
    assert model.error == ""


def test_board_chart_labels_are_tokyo_time_of_the_utc_intervals() -> None:
    from dataclasses import replace

    from cti_server import protocol as p
    from desktop_client.models.board import BoardModel

    figures = p.BoardFigures(offered=2, answered=2, answered_within_sl=2)
    intervals = tuple(
        p.BoardInterval(start, 1, figures)
        for start in ("2026-11-26T15:00:00+00:00", "2026-11-27T00:15:00+00:00")
    )
    queue = p.BoardQueue("vaccine", 0, None, 0.0, 1, 1, 0, 0, 0, 0, 0, p.BoardFigures(),
                         intervals)  # fmt: skip
    model = BoardModel()
    model.on_update(p.BoardUpdate(board=replace(_board(), queues=(queue,))))
    labels = [label for label, _ in model.series(queue)["answered"]]
    assert labels == ["00:00", "09:15"]  # midnight and a quarter past nine in Tokyo


def test_the_forms_start_at_todays_date_in_tokyo_whatever_the_desktops_zone(monkeypatch):
    """At 21:00 UTC it is 06:00 the next morning in Tokyo: a desktop keeping UTC must not
    offer yesterday's slots (nor count ages as of yesterday)."""
    from desktop_client.models import dates

    at = dt.datetime(2026, 12, 6, 21, 0, tzinfo=dt.UTC)

    class Clock(dt.datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return at.astimezone(tz) if tz is not None else at.replace(tzinfo=None)

    monkeypatch.setattr(dates.dt, "datetime", Clock)
    assert dates.today_local() == dt.date(2026, 12, 7)
    assert BookingFormModel().day == dt.date(2026, 12, 7)
