"""Reading generated postcard scans: alignment, QR, marks and the answer rules, without a database.

The scans are made by the tests themselves: the printed PDF rendered with pypdfium2, marked and
degraded with opencv (``registry.paper.synth``), in every mark style and scanner fault.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest

from registry.normalize.barcode import make_barcode
from registry.paper import reader
from registry.paper.rules import check_barcode, decide_answers
from registry.paper.scans import decode_pages, digest_of
from tests.paper_corpus import base_cases, make_scans

DB_ONLY = {"unknown_resident", "contradicts_earlier"}  # reasons only the ledger can give


@pytest.fixture(scope="module")
def scans():
    cases = base_cases()
    return make_scans(cases, [(i, make_barcode(100 + i)) for i in range(len(cases))])


def _outcome(reading: reader.CardReading) -> tuple[dict, set[str]]:
    _, why = check_barcode(reading.barcode)
    answers, more = decide_answers({k: reading.states(k) for k in reading.boxes})
    reasons = {r.code for r in why + more}
    if reading.aligned and reading.note_ink >= reader.NOTE_INK:
        reasons.add("note_written")
    return answers, reasons


@pytest.mark.parametrize("index", range(len(base_cases())), ids=[c.name for c in base_cases()])
def test_each_case_reads_as_expected(scans, index):
    scan = scans[index]
    reading = reader.read_card(scan.image)
    assert reading.aligned
    answers, reasons = _outcome(reading)
    if scan.case.expect in ("applied", *DB_ONLY):
        assert reasons == set()
        assert reading.barcode == scan.barcode
        assert answers == dict(scan.case.filling.answers)
    else:
        assert scan.case.expect in reasons
        assert answers != dict(scan.case.filling.answers) or reasons  # never silently applied


def test_every_box_has_a_state_and_a_confidence(scans):
    reading = reader.read_card(scans[0].image)
    boxes = [b for bs in reading.boxes.values() for b in bs]
    assert len(boxes) == 9
    assert {b.state for b in boxes} == {"marked", "blank"}
    assert all(0.0 <= b.confidence <= 1.0 for b in boxes)
    marked = [b.value for b in boxes if b.state == "marked"]
    assert marked == ["yes", "none", "am"]


@pytest.mark.parametrize("turns", [1, 3])
def test_a_scan_turned_a_quarter_is_read_upright(scans, turns):
    scan = scans[0]
    reading = reader.read_card(np.ascontiguousarray(np.rot90(scan.image, turns)))
    assert reading.barcode == scan.barcode
    assert _outcome(reading)[0] == dict(scan.case.filling.answers)


def test_a_blank_page_is_not_aligned_and_has_no_barcode():
    reading = reader.read_card(np.full((1200, 850), 250, np.uint8))
    assert not reading.aligned
    assert reading.barcode is None
    assert reading.note_crop() is None


def test_the_note_crop_is_the_free_text_field(scans):
    note = next(s for s in scans if s.case.filling.note)
    crop = reader.read_card(note.image).note_crop()
    assert crop is not None
    assert crop.shape == (round(20 * reader.PX_PER_MM), round(84 * reader.PX_PER_MM))
    assert (crop < 100).mean() > 0.005  # the handwriting is in it


def test_multi_page_tiff_and_pdf_give_every_page_with_a_stable_digest(scans):
    images = [scans[0].image, scans[1].image]
    ok, tiff = cv2.imencodemulti(".tiff", images)
    assert ok
    pages = list(decode_pages(tiff.tobytes(), "two.tiff"))
    assert [p.shape for p in pages] == [i.shape for i in images]
    assert [digest_of(p) for p in pages] == [digest_of(i) for i in images]

    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(283, 420))
    for img in images:
        ok, png = cv2.imencode(".png", img)
        c.drawImage(ImageReader(io.BytesIO(png.tobytes())), 0, 0, 283, 420)
        c.showPage()
    c.save()
    pdf_pages = list(decode_pages(buf.getvalue(), "scan.pdf", dpi=200))
    assert len(pdf_pages) == 2
    assert reader.read_card(pdf_pages[1]).barcode == scans[1].barcode


def test_the_mask_covers_everything_printed_where_ink_is_measured():
    """The mask is drawn from the layout and font metrics: it covers the labels as printed."""
    from registry.paper import layout as L
    from registry.paper.printing import Postcard, pdf_bytes

    dpi = round(reader.PX_PER_MM * 25.4)
    page = list(decode_pages(pdf_bytes([Postcard(make_barcode(1), "x", "y")]), "p.pdf", dpi=dpi))
    card = cv2.resize(page[1], (round(L.CARD_W * reader.PX_PER_MM), round(L.CARD_H * 6.0)))
    free = ~reader.template_mask()
    zones = [reader._px_rect(o.cell) for q in L.QUESTIONS for o in q.options]
    zones.append(reader._px_rect(L.NOTE_BOX, inset=1.0))
    for zone in zones:
        assert not ((card[zone] < 200) & free[zone]).any()
    assert reader.measure(card)[1] == 0.0
    assert {b.state for bs in reader.measure(card)[0].values() for b in bs} == {"blank"}


def test_without_a_qr_the_card_is_still_read_the_right_way_up():
    """A reviewer is shown the marks as made even when the QR is torn and the scan upside down."""
    from registry.paper.synth import Filling, Scanning
    from tests.paper_corpus import YES_PICKUP, Case

    cases = [Case("torn QR, upside down", Filling(YES_PICKUP),
                  Scanning(damaged_qr=True, upside_down=True, angle=-3))]  # fmt: skip
    [scan] = make_scans(cases, [(1, make_barcode(7))])
    reading = reader.read_card(scan.image)
    assert reading.barcode is None
    marked = {k: [b.value for b in bs if b.state == "marked"] for k, bs in reading.boxes.items()}
    assert marked == {"wants_vaccination": ["yes"], "mobility": ["pickup"], "time_of_day": ["pm"]}
