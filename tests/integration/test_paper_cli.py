"""``cti-registry postcards | read-postcards | import-ocr``: the print run, returned scans read
from a folder and a multi-page PDF, an AI-OCR export, each twice (the second changes nothing)."""

from __future__ import annotations

import io
import random
from pathlib import Path

import cv2
import pytest

from registry.cli import main
from registry.paper import synth
from registry.paper.synth import Filling, Scanning
from tests.paper_corpus import NO, YES_AM, YES_PICKUP


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, _ = capsys.readouterr()
    return code, out


def _scans_pdf(images: list) -> bytes:
    """A scanner's multi-page PDF of the images (each at 200 dpi)."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    c = Canvas(buf)
    for img in images:
        w, h = img.shape[1] * 72 / 200, img.shape[0] * 72 / 200
        c.setPageSize((w, h))
        ok, png = cv2.imencode(".png", img)
        assert ok
        c.drawImage(ImageReader(io.BytesIO(png.tobytes())), 0, 0, w, h)
        c.showPage()
    c.save()
    return buf.getvalue()


def test_print_fill_scan_read_and_import(capsys, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    assert run(capsys, "--db", db, "seed", "--residents", "40", "--no-venues")[0] == 0
    out_pdf = tmp_path / "print" / "cards.pdf"
    out_pdf.parent.mkdir()
    code, out = run(capsys, "--db", db, "postcards", str(out_pdf), "--select", "unanswered")
    assert code == 0
    assert "postcards: " in out
    assert "cards.csv" in out
    rows = out_pdf.with_suffix(".csv").read_text("cp932").splitlines()[1:]
    barcodes = [r.split(",")[0] for r in rows]

    rng = random.Random(5)
    answers = [YES_AM, NO, YES_PICKUP, {**YES_AM, "mobility": None}]
    pages = list(synth.render_pages(out_pdf.read_bytes(), 200))[1:8:2]  # four answer sides
    images = [
        synth.scan(synth.fill_in(p, 200, Filling(a), rng), 200, Scanning(angle=1.5), rng)
        for p, a in zip(pages, answers, strict=True)
    ]
    scans = tmp_path / "returned"
    scans.mkdir()
    (scans / "batch.pdf").write_bytes(_scans_pdf(images[:3]))
    cv2.imwrite(str(scans / "single.png"), images[3])

    store = tmp_path / "store"
    args = ("--db", db, "read-postcards", str(scans), "--scan-dir", str(store))
    code, out = run(capsys, *args)
    assert code == 0
    assert out.splitlines()[-1] == "4 pages: 3 applied, 1 review (review: none_marked 1)"
    assert "single.png p.1: review: none_marked" in out
    assert list(store.rglob("*-note.png"))
    code, out = run(capsys, *args)
    assert out.splitlines()[-1] == "4 pages: 4 already read"

    ocr = tmp_path / "ocr.csv"
    ocr.write_text(
        "バーコード,接種希望,移動支援,希望時間帯\n"
        f"{barcodes[5]},はい,付き添い,午前\n{barcodes[6]},はい,,午後\n",
        encoding="utf-8-sig",
    )
    code, out = run(capsys, "--db", db, "import-ocr", str(ocr))
    assert code == 0
    assert "line 3: review: none_marked" in out
    assert out.splitlines()[-1] == "2 rows: 1 applied, 1 review (review: none_marked 1)"
    code, out = run(capsys, "--db", db, "import-ocr", str(ocr))
    assert out.splitlines()[-1] == "2 rows: 2 already read"


def test_a_bad_selection_is_a_clear_error(capsys, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    code = main(["--db", db, "postcards", str(tmp_path / "x.pdf"), "--select", "ward:1"])
    assert code == 1
    assert "unknown selection" in capsys.readouterr().err


def test_demo_scans_from_a_print_run_are_read(capsys, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    assert run(capsys, "--db", db, "seed", "--residents", "30", "--no-venues")[0] == 0
    pdf = tmp_path / "cards.pdf"
    assert run(capsys, "--db", db, "postcards", str(pdf), "--select", "unanswered")[0] == 0
    code, out = run(capsys, "fill-postcards", str(pdf), str(tmp_path / "demo"), "--count", "12")
    assert code == 0
    assert out.startswith("12 filled scans in ")
    code, out = run(capsys, "--db", db, "read-postcards", str(tmp_path / "demo"),
                    "--scan-dir", str(tmp_path / "store"))  # fmt: skip
    assert code == 0
    assert out.splitlines()[-1].startswith("12 pages: ")
