"""An AI-OCR service's CSV export: same rules, same review queue, idempotent, columns mappable."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from registry.errors import LedgerFileError
from registry.models import Intent, PostcardScan
from registry.normalize.barcode import make_barcode
from registry.paper.ocr_import import OcrMapping, load_ocr_mapping, ocr_rows
from registry.paper.store import record_scan
from tests.paper_corpus import add_residents

HEADER = (
    "バーコード,接種希望,接種希望_信頼度,移動支援,移動支援_信頼度,希望時間帯,希望時間帯_信頼度,"
    "連絡事項"
)


async def _import(sessions, path, mapping=None):
    out = []
    for scan in ocr_rows(path, mapping):
        async with sessions() as s:
            out.append(await record_scan(s, scan))
            await s.commit()
    return out


def _rows(*lines: str) -> str:
    return "\r\n".join([HEADER, *lines]) + "\r\n"


async def test_each_row_applied_or_in_review(engine, sessions, tmp_path):
    residents = await add_residents(engine, 8)
    b = [code for _, code in residents]
    path = tmp_path / "ocr.csv"
    path.write_bytes(
        _rows(
            f"{b[0]},はい,0.99,不要,0.98,午前,0.97,",
            f"{b[1]},2,99,,,,,",  # いいえ by number, confidence in percent, follow-ups blank
            f"{b[2]},yes,0.99,送迎,0.6,午後,0.99,",  # low confidence
            f"{b[3]},はい、いいえ,0.95,不要,0.95,午前,0.95,",  # two marks
            f"{b[4]},はい,0.99,タクシー,0.99,午前,0.99,",  # not an answer
            f"{b[5]},はい,0.99,車いす,0.99,どちらでも,0.99,電話番号が変わりました",  # a note
            f"{b[6][:-1]}{(int(b[6][-1]) + 1) % 10},はい,0.99,不要,0.99,午前,0.99,",  # check digit
            f"{make_barcode(777)},はい,0.99,不要,0.99,午前,0.99,",  # nobody's
            f"{b[7]},,0.99,,,,,",  # nothing marked
        ).encode("cp932")
    )
    outcomes = await _import(sessions, path)
    got = [(o.status, o.reasons) for o in outcomes]
    assert got == [
        ("applied", ()),
        ("applied", ()),
        ("review", ("low_confidence",)),
        ("review", ("several_marked",)),
        ("review", ("unknown_value",)),
        ("review", ("note_written",)),
        ("review", ("bad_check_digit",)),
        ("review", ("unknown_resident",)),
        ("review", ("none_marked",)),
    ]
    async with sessions() as s:
        scans = (await s.scalars(select(PostcardScan).order_by(PostcardScan.id))).all()
    assert [x.page for x in scans] == list(range(2, 11))  # the CSV's line numbers
    assert scans[5].readings["note"]["text"] == "電話番号が変わりました"

    again = await _import(sessions, path)
    assert [o.new for o in again] == [False] * 9
    assert [o.scan_id for o in again] == [o.scan_id for o in outcomes]
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Intent)) == 2


async def test_columns_mapped_by_a_toml_file(engine, sessions, tmp_path):
    [(rid, code)] = await add_residents(engine, 1)
    path = tmp_path / "vendor.csv"
    path.write_text(
        f"ID,Q1,Q1 conf,Q2,Q2 conf,Q3,Q3 conf\n{code},1,0.8,3,0.8,2,0.8\n", encoding="utf-8-sig"
    )
    mapping = tmp_path / "map.toml"
    mapping.write_text(
        '[columns]\nbarcode = "ID"\nwants_vaccination = "Q1"\nmobility = "Q2"\n'
        'time_of_day = "Q3"\n[import]\nmin_confidence = 0.75\n',
        encoding="utf-8",
    )
    [outcome] = await _import(sessions, path, load_ocr_mapping(mapping))
    assert (outcome.status, outcome.resident_id) == ("applied", rid)
    async with sessions() as s:
        intent = await s.scalar(select(Intent).where(Intent.id == outcome.intent_id))
    assert (intent.wants_vaccination, intent.needs_mobility, intent.channel) == (
        True,
        True,
        "postcard_ocr",
    )
    assert intent.notes == "移動支援: 車いす / 希望時間帯: 午後"


def test_a_missing_column_is_named(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("バーコード,接種希望\n1,はい\n", encoding="utf-8")
    with pytest.raises(LedgerFileError, match="mobility"):
        list(ocr_rows(path, OcrMapping()))
