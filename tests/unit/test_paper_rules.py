"""The answer rules shared by scans and AI-OCR rows: nothing guessed, every doubt a reason."""

from __future__ import annotations

import pytest

from registry.normalize.barcode import make_barcode
from registry.paper.rules import (
    check_answers,
    check_barcode,
    contradiction,
    decide_answers,
    decide_question,
    intent_values,
)


def _codes(reasons):
    return [r.code for r in reasons]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (None, "no_barcode"),
        ("  ", "no_barcode"),
        ("12345", "unreadable_barcode"),
        ("https://example.com", "unreadable_barcode"),
        ("１２３４５６７８９０１２", "unreadable_barcode"),  # full width: not what we print
        ("123456789010", "bad_check_digit"),
    ],
)
def test_barcodes_that_cannot_be_used(text, code):
    value, reasons = check_barcode(text)
    assert value is None
    assert _codes(reasons) == [code]


def test_a_good_barcode_passes():
    assert check_barcode(f" {make_barcode(42)} ") == (make_barcode(42), [])


@pytest.mark.parametrize(
    ("states", "required", "value", "codes"),
    [
        ({"yes": "marked", "no": "blank"}, True, "yes", []),
        ({"yes": "marked", "no": "marked"}, True, None, ["several_marked"]),
        ({"yes": "blank", "no": "blank"}, True, None, ["none_marked"]),
        ({"yes": "blank", "no": "blank"}, False, None, []),
        ({"yes": "marked", "no": "faint"}, True, None, ["faint_mark"]),
        ({"yes": "faint", "no": "blank"}, True, None, ["faint_mark"]),
        ({"yes": "faint", "no": "marked"}, False, None, ["faint_mark"]),
    ],
)
def test_one_question(states, required, value, codes):
    got, reasons = decide_question("wants_vaccination", states, required=required)
    assert (got, _codes(reasons)) == (value, codes)


def _states(wants, mobility, time):
    return {
        "wants_vaccination": {v: "marked" if v == wants else "blank" for v in ("yes", "no")},
        "mobility": {
            v: "marked" if v == mobility else "blank"
            for v in ("none", "pickup", "wheelchair", "companion")
        },
        "time_of_day": {v: "marked" if v == time else "blank" for v in ("am", "pm", "any")},
    }


def test_follow_ups_are_required_only_after_yes():
    answers, reasons = decide_answers(_states("no", None, None))
    assert answers == {"wants_vaccination": "no", "mobility": None, "time_of_day": None}
    assert reasons == []
    _, reasons = decide_answers(_states("yes", None, "am"))
    assert _codes(reasons) == ["none_marked"]
    assert reasons[0].question == "mobility"


def test_intent_values_and_notes():
    wants, needs, notes = intent_values(
        {"wants_vaccination": "yes", "mobility": "companion", "time_of_day": "any"}
    )
    assert (wants, needs) == (True, True)
    assert notes == "移動支援: 付き添い / 希望時間帯: どちらでも"
    assert intent_values({"wants_vaccination": "no", "mobility": None}) == (False, None, "")
    assert intent_values({"wants_vaccination": "yes", "mobility": "none"})[1] is False


def test_contradiction_only_between_known_answers():
    assert contradiction(None, (True, True)) is None
    assert contradiction((None, None), (True, True)) is None
    assert contradiction((True, False), (True, False)) is None
    assert contradiction((False, None), (True, None)).question == "wants_vaccination"
    assert contradiction((True, False), (True, True)).question == "mobility"


def test_reviewer_answers_are_checked():
    assert check_answers({"wants_vaccination": "yes"})["mobility"] is None
    with pytest.raises(ValueError, match="mobility"):
        check_answers({"mobility": "taxi"})
    with pytest.raises(ValueError, match="unknown question"):
        check_answers({"colour": "blue"})


def test_the_review_queue_and_ocr_import_need_no_paper_libraries():
    """Without the ``paper`` extra the queue, the AI-OCR import and the command line still load."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "for m in ('cv2', 'numpy', 'reportlab', 'segno', 'pypdfium2', 'zxingcpp'):\n"
        "    sys.modules[m] = None\n"
        "import registry.paper.review, registry.paper.ocr_import, registry.paper.store\n"
        "from registry.cli import build_parser\n"
        "build_parser().parse_args(['read-postcards', 'x'])\n"
        "try:\n"
        "    import registry.paper.reader\n"
        "except ImportError:\n"
        "    print('reader needs the extra')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "reader needs the extra"
