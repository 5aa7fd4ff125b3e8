"""What a returned postcard says, or why a person must look at it: the rules shared by scans and
AI-OCR imports. Pure functions, no I/O.

A question is answered when exactly one of its options is marked and none is faint. The first
question (wants vaccination) must be answered; the others must be when the answer is yes, and may
be left blank when it is no. Nothing is guessed: any doubt is a ``Reason`` and the postcard goes
to review.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from registry.normalize.barcode import SERIAL_DIGITS, is_valid_barcode
from registry.paper.layout import LABELS, QUESTION_KEYS, QUESTIONS

REASONS = {
    "unreadable_file": "the file is not an image or PDF that can be read",
    "no_barcode": "no QR code could be read (the printed digits are never read by machine)",
    "unreadable_barcode": "the QR code holds something other than a 12-digit postcard number",
    "bad_check_digit": "the postcard number's check digit does not match",
    "unknown_resident": "no resident in the ledger has this postcard number",
    "not_aligned": "the corner marks were not found, so the boxes could not be read",
    "none_marked": "no box of this question is marked",
    "several_marked": "more than one box of this question is marked (a corrected answer?)",
    "faint_mark": "a faint or erased mark",
    "low_confidence": "the OCR service is not sure of this field",
    "unknown_value": "the OCR value is none of the question's answers",
    "note_written": "something is written in the free-text field",
    "contradicts_earlier": "the answer differs from the resident's earlier answer",
}
MOBILITY_NEEDED = {"none": False, "pickup": True, "wheelchair": True, "companion": True}
Answers = dict[str, str | None]


@dataclass(frozen=True)
class Reason:
    code: str
    question: str = ""
    detail: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "question": self.question,
            "detail": self.detail,
            "message": REASONS[self.code],
        }


def check_barcode(text: str | None) -> tuple[str | None, list[Reason]]:
    """The postcard number read from a QR code or an OCR field, or why it cannot be used."""
    if text is None or not text.strip():
        return None, [Reason("no_barcode")]
    code = text.strip()
    if len(code) != SERIAL_DIGITS + 1 or not (code.isascii() and code.isdigit()):
        return None, [Reason("unreadable_barcode", detail=code[:32])]
    if not is_valid_barcode(code):
        return None, [Reason("bad_check_digit", detail=code)]
    return code, []


def decide_question(
    key: str, states: Mapping[str, str], *, required: bool
) -> tuple[str | None, list[Reason]]:
    """One question's answer from its options' states (marked/faint/blank), or reasons."""
    marked = [v for v, s in states.items() if s == "marked"]
    faint = [v for v, s in states.items() if s == "faint"]
    reasons: list[Reason] = []
    if faint:
        reasons.append(Reason("faint_mark", key, ",".join(faint)))
    if len(marked) > 1:
        reasons.append(Reason("several_marked", key, ",".join(marked)))
    elif not marked and not faint and required:
        reasons.append(Reason("none_marked", key))
    value = marked[0] if len(marked) == 1 and not reasons else None
    return value, reasons


def decide_answers(states: Mapping[str, Mapping[str, str]]) -> tuple[Answers, list[Reason]]:
    """Every question's answer (None: blank or in doubt) and the reasons for doubt."""
    answers: Answers = {}
    wants, reasons = decide_question(
        "wants_vaccination", states.get("wants_vaccination", {}), required=True
    )
    answers["wants_vaccination"] = wants
    for q in QUESTIONS[1:]:
        value, why = decide_question(q.key, states.get(q.key, {}), required=wants == "yes")
        answers[q.key] = value
        reasons += why
    return answers, reasons


def check_answers(answers: Mapping[str, Any]) -> Answers:
    """A reviewer's answers: known questions, known values or None (ValueError otherwise)."""
    out: Answers = {}
    for key in QUESTION_KEYS:
        value = answers.get(key)
        if value is not None and value not in LABELS[key]:
            raise ValueError(f"{key} must be one of {', '.join(LABELS[key])} or null")
        out[key] = value
    unknown = set(answers) - set(QUESTION_KEYS)
    if unknown:
        raise ValueError(f"unknown question {sorted(unknown)[0]!r}")
    return out


def intent_values(answers: Mapping[str, str | None]) -> tuple[bool | None, bool | None, str]:
    """(wants_vaccination, needs_mobility, notes) of an intent recording these answers."""
    wants = {"yes": True, "no": False}.get(answers.get("wants_vaccination") or "")
    mobility = answers.get("mobility")
    needs = MOBILITY_NEEDED.get(mobility) if mobility else None
    parts = []
    if mobility:
        parts.append(f"移動支援: {LABELS['mobility'][mobility]}")
    time = answers.get("time_of_day")
    if time:
        parts.append(f"希望時間帯: {LABELS['time_of_day'][time]}")
    return wants, needs, " / ".join(parts)


def contradiction(
    earlier: tuple[bool | None, bool | None] | None, now: tuple[bool | None, bool | None]
) -> Reason | None:
    """A reason if an earlier answer (wants, needs mobility) differs from this one."""
    if earlier is None:
        return None
    for name, before, after in zip(("wants_vaccination", "mobility"), earlier, now, strict=True):
        if before is not None and after is not None and before != after:
            return Reason("contradicts_earlier", name, f"{before} -> {after}")
    return None
