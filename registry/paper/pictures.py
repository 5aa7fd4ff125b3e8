"""Pictures of a printed postcard for the documentation: ``python -m registry.paper.pictures DIR``
writes postcard-address.png, postcard-answer.png (150 dpi), postcard-a4-sheet.png,
postcard-scan.png (a filled-in answer side as a scanner sees it, with a folded corner) and
notice.png (the back of an appointment notice with a second dose and a pickup, 150 dpi)."""

from __future__ import annotations

import datetime as dt
import random
import sys
from collections.abc import Sequence
from pathlib import Path

import cv2

from registry.normalize.barcode import make_barcode
from registry.paper import synth
from registry.paper.notices import LOCAL_TZ, Notice, NoticeSettings, notice_kind
from registry.paper.printing import Postcard, pdf_bytes

SAMPLE = Postcard(make_barcode(12345), "舞鶴 花子", "京都府舞鶴市字北吸1044番地の3")
_AT = dt.datetime(2026, 12, 7, 10, 0, tzinfo=LOCAL_TZ)
NOTICE = Notice(
    SAMPLE.barcode, SAMPLE.name, SAMPLE.address, "舞鶴市総合文化会館", "京都府舞鶴市字浜2021",
    _AT, _AT + dt.timedelta(minutes=30), _AT + dt.timedelta(days=21),
    _AT - dt.timedelta(minutes=45), SAMPLE.address,
)  # fmt: skip
ANSWERS = {"wants_vaccination": "yes", "mobility": "pickup", "time_of_day": "am"}


def write_pictures(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    pdf = pdf_bytes([SAMPLE])
    address, answer = synth.render_pages(pdf, 150)
    rng = random.Random(4)
    page = list(synth.render_pages(pdf, 200))[1]
    filled = synth.fill_in(page, 200, synth.Filling(ANSWERS), rng)
    how = synth.Scanning(angle=-3.5, noise=6, jpeg_quality=70, fold="bl")
    scan = synth.scan(filled, 200, how, rng)
    sheet = next(synth.render_pages(pdf_bytes([SAMPLE] * 4, layout="a4x4"), 60))
    notice = list(synth.render_pages(pdf_bytes([NOTICE], kind=notice_kind(NoticeSettings())), 150))
    out = {
        "notice.png": notice[1],
        "postcard-address.png": address,
        "postcard-answer.png": answer,
        "postcard-a4-sheet.png": sheet,
        "postcard-scan.png": cv2.resize(scan, None, fx=0.75, fy=0.75, interpolation=cv2.INTER_AREA),
    }
    for name, img in out.items():
        cv2.imwrite(str(folder / name), img)
    return [folder / n for n in out]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    write_pictures(Path(args[0] if args else "docs/screens"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
