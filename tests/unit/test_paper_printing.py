"""The printed PDF: はがき pages in pairs, A4 sheets of four, files split for large runs, the
barcode digits for reading over the phone, nothing else of the ledger."""

from __future__ import annotations

import pypdfium2
import pytest

from registry.normalize.barcode import make_barcode
from registry.paper.layout import format_digits
from registry.paper.printing import Postcard, PostcardWriter, pdf_bytes

CARDS = [Postcard(make_barcode(i), f"舞鶴 花子{i}", f"京都府舞鶴市浜{i}番地") for i in range(1, 6)]


def _texts(pdf: pypdfium2.PdfDocument) -> list[str]:
    return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]


def test_hagaki_pages_address_then_answer():
    pdf = pypdfium2.PdfDocument(pdf_bytes(CARDS[:2]))
    assert len(pdf) == 4
    w, h = pdf[0].get_size()
    assert (round(w / 72 * 25.4), round(h / 72 * 25.4)) == (100, 148)
    texts = _texts(pdf)
    assert "舞鶴 花子1" in texts[0]
    assert format_digits(CARDS[0].barcode) in texts[1]
    assert "舞鶴 花子1" not in texts[1]  # the answer side names no one
    assert "はい" in texts[1]


def test_a4_sheets_back_their_fronts():
    pdf = pypdfium2.PdfDocument(pdf_bytes(CARDS, layout="a4x4"))
    assert len(pdf) == 4  # two sheets, each front and back
    w, h = pdf[0].get_size()
    assert (round(w / 72 * 25.4), round(h / 72 * 25.4)) == (210, 297)
    texts = _texts(pdf)
    assert all(f"花子{i}" in texts[0] for i in range(1, 5))
    assert "花子5" in texts[2]
    assert all(format_digits(c.barcode) in texts[1] for c in CARDS[:4])


def test_a_large_run_is_split_into_files(tmp_path):
    with PostcardWriter(tmp_path / "run.pdf", per_file=2) as w:
        for card in CARDS:
            w.add(card)
    assert [f.name for f in w.files] == ["run.pdf", "run-002.pdf", "run-003.pdf"]
    assert [len(pypdfium2.PdfDocument(f)) for f in w.files] == [4, 4, 2]
    assert (w.file_of(4).name, w.page_of(4)) == ("run-003.pdf", 1)
    assert w.page_of(1) == 3


def test_an_unknown_layout_is_refused(tmp_path):
    with pytest.raises(ValueError, match="layout"):
        PostcardWriter(tmp_path / "x.pdf", layout="b5")  # type: ignore[arg-type]
