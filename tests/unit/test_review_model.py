"""The はがき確認 model: selection across refreshes, corrections, the accept body."""

from __future__ import annotations

import pytest

from cti_server.protocol import ReviewItem, ReviewReason, ScanPage, ScansRead
from desktop_client.models.review import ReviewQueueModel, ScanUploadModel, UploadSummary


def item(review_id: int, barcode: str | None = "123456789012", **answers) -> ReviewItem:
    return ReviewItem(
        review_id=review_id,
        scan_id=review_id,
        status="open",
        reasons=(ReviewReason("note_written", "", "", ""),),
        kind="scan",
        source="scan.png",
        page=1,
        barcode=barcode,
        resident_id=1 if barcode else None,
        answers=answers,
        readings={},
        note_image=False,
        card_image=True,
        created_at="2026-12-04T01:00:00+00:00",
        resolved_by=None,
        resolved_at=None,
        resolution={},
    )


def test_selection_moves_and_survives_a_refresh():
    m = ReviewQueueModel()
    seen = []
    m.subscribe(lambda: seen.append(m.current))
    m.set_items([item(1), item(2), item(3)])
    assert m.item.review_id == 1
    m.move(1)
    m.move(5)
    assert m.item.review_id == 3
    m.move(-1)
    assert m.item.review_id == 2
    m.set_items([item(1), item(2)])  # still open: still selected
    assert m.item.review_id == 2
    m.set_items([item(1), item(3)])  # decided: the same row
    assert m.item.review_id == 3
    m.set_items([])
    assert m.item is None
    assert m.current == -1
    assert seen


def test_corrections_make_the_accept_body():
    m = ReviewQueueModel()
    m.set_items([item(7, wants_vaccination="yes", mobility="bogus", time_of_day="am")])
    assert m.answers == {"wants_vaccination": "yes", "mobility": None, "time_of_day": "am"}
    m.set_answer("mobility", "wheelchair")
    m.set_barcode(" 999 ")  # a barcode was read: not sent
    body = m.acceptance()
    assert body.answers == {
        "wants_vaccination": "yes",
        "mobility": "wheelchair",
        "time_of_day": "am",
    }
    assert body.barcode is None
    with pytest.raises(ValueError, match="taxi"):
        m.set_answer("mobility", "taxi")
    with pytest.raises(ValueError, match="colour"):
        m.set_answer("colour", None)


def test_no_barcode_read_the_typed_one_is_sent():
    m = ReviewQueueModel()
    m.set_items([item(3, barcode=None)])
    assert m.needs_barcode
    assert m.acceptance().barcode is None
    m.set_barcode("000000000017")
    assert m.acceptance().barcode == "000000000017"


def test_refusals_and_network_failures():
    m = ReviewQueueModel()
    m.begin()
    assert m.status == "busy"
    m.finish(False, "invalid_input", "barcode required", {"field": "barcode"})
    assert (m.status, m.details) == ("refused", {"field": "barcode"})
    m.finish(False, "network", "")
    assert m.status == "failed"
    m.finish(True)
    assert (m.status, m.error) == ("done", "")


def test_an_upload_summary_counts_each_page_once_by_what_became_of_it():
    pages = (
        ScanPage("a.png", 1, 1, "applied", (), True),
        ScanPage("b.pdf", 1, 2, "review", ("several_marked", "note_written"), True),
        ScanPage("b.pdf", 2, 3, "review", ("several_marked",), True),
        ScanPage("c.png", 1, 4, "review", ("no_barcode",), False),  # read before
        ScanPage("d.png", 1, 5, "applied", (), False),
    )
    m = ScanUploadModel()
    seen = []
    m.subscribe(lambda: seen.append(m.status))
    m.begin(4)
    m.finish(ScansRead(5, {"applied": 1, "review": 2, "already read": 2}, pages))
    assert seen == ["busy", "done"]
    assert m.summary == UploadSummary(
        files=4, pages=5, applied=1, review=2, duplicates=2, rejected=0,
        reasons=(("several_marked", 2), ("note_written", 1)),
    )  # fmt: skip


def test_a_refused_upload_keeps_the_error_and_a_lost_server_is_a_failure():
    m = ScanUploadModel()
    m.begin(1)
    m.finish(None, "invalid_input", "x.txt: not a scan", {"field": "file"})
    assert (m.status, m.error, m.details, m.summary) == (
        "refused",
        "invalid_input",
        {"field": "file"},
        None,
    )
    m.begin(1)
    m.finish(None, "network", "connection refused")
    assert m.status == "failed"
