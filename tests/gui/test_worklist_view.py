"""The 折り返し list as the operator reads it before calling: numbers written as the call header
writes them, and each item's appointment, conflict, request and last try in words."""

from __future__ import annotations

import datetime as dt

import pytest

from cti_server.protocol import WorkAttempt, WorkItem, WorklistSummary
from desktop_client.models.dates import TOKYO
from desktop_client.models.worklist import WorklistModel
from desktop_client.views.worklist import WorklistView, detail_lines, phone_text

pytestmark = pytest.mark.gui


def item(item_id: int, reason: str, detail: dict, *, phone: str | None = "+81773621234",
         history: tuple = ()) -> WorkItem:  # fmt: skip
    return WorkItem(item_id, reason, item_id, f"住民 {item_id}", phone, detail, None, 50,
                    len(history), None, "open", "", None, None, "2026-12-05T06:00:00+00:00",
                    history)  # fmt: skip


def test_numbers_are_written_as_people_read_them():
    assert phone_text("+81773621234") == "0773-62-1234"
    assert phone_text("+819012345678") == "090-1234-5678"
    assert phone_text("+14155550100") == "+1 415-555-0100"  # a foreign number stays international
    assert phone_text(None) == "—"
    assert phone_text("not a number") == "not a number"


def test_each_reason_says_what_the_call_is_about():
    moved = item(1, "slot_changed", {"venue": "中総合会館", "conflict": "slot_closed",
                                     "starts_at": "2026-12-06T00:30:00+00:00"})  # fmt: skip
    assert detail_lines(moved) == ["中総合会館 2026-12-06 09:30: 枠を中止した"]
    gone = item(2, "no_show", {"venue": "西駅交流センター", "starts_at": "2026-12-05T01:00:00Z"})
    assert detail_lines(gone) == ["予約: 西駅交流センター 2026-12-05 10:00"]
    asked = item(3, "web_request", {"kind": "reschedule", "note": " 平日の午後に "})
    assert detail_lines(asked) == ["日時の変更を希望「平日の午後に」"]
    hung_up = item(4, "abandoned", {"linkedid": "1733.4", "queue": "vaccine"}, phone=None)
    assert detail_lines(hung_up) == ["着信 2026-12-05 15:00"]
    tried = WorkAttempt("2026-12-05T07:10:00+00:00", 2, "no_answer", None, None, "留守電なし")
    again = item(5, "callback_requested", {}, history=(tried,))
    assert detail_lines(again) == ["前回 2026-12-05 16:10: 不在「留守電なし」"]


def test_the_list_and_the_held_item_show_them(qtbot):
    model = WorklistModel()
    view = WorklistView(model)
    qtbot.addWidget(view)
    asked = item(7, "web_request", {"kind": "cancel", "note": ""}, phone="+819012345678")
    model.set_page([asked], WorklistSummary(1, 1, 0, asked.created_at))
    model.take(asked)
    assert view.table.item(0, 2).text() == "090-1234-5678"
    assert view.table.item(0, 6).text() == "取消を希望"
    assert view.who.text().splitlines() == ["住民 7 — Web回答で連絡希望", "取消を希望"]
    assert "090-1234-5678" in view.dial.text()


def test_the_call_later_time_is_in_an_hour_even_before_an_item_is_held(qtbot):
    view = WorklistView(WorklistModel())
    qtbot.addWidget(view)
    shown = view.later.dateTime().toPython()
    soon = dt.datetime.now(TOKYO).replace(tzinfo=None) + dt.timedelta(hours=1)
    assert abs((shown - soon).total_seconds()) < 120  # not 2000-01-01
