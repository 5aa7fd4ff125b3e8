"""The residents' page forms read and checked: pure functions from the posted fields to values,
or to errors (field -> text key of ``resident_text``). No I/O.

The answer form asks what the postcard asks (``registry.paper.layout.QUESTIONS``) plus a
preferred venue and a free note; the intent is stored as the postcard's is
(``registry.paper.rules.intent_values``), the venue and note appended to its notes.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from registry.contact_requests import KINDS, MAX_NOTE
from registry.normalize.barcode import SERIAL_DIGITS, is_valid_barcode
from registry.normalize.wareki import parse_date
from registry.paper.layout import LABELS
from registry.paper.rules import intent_values

Errors = dict[str, str]
_SEPARATORS = str.maketrans("", "", " -\u2010\u2011\u2012\u2013\u2014\u2212\u30fc\u3000")


def _field(form: Mapping[str, object], name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def read_barcode(raw: str) -> tuple[str | None, str | None]:
    """(the 12 digits, None) or (None, the error's text key)."""
    text = unicodedata.normalize("NFKC", raw).translate(_SEPARATORS)
    if not text:
        return None, "err_barcode_empty"
    if not (text.isascii() and text.isdigit()) or len(text) != SERIAL_DIGITS + 1:
        return None, "err_barcode_digits"
    if not is_valid_barcode(text):
        return None, "err_barcode_check"
    return text, None


def read_birth(raw: str, today: dt.date) -> tuple[dt.date | None, str | None]:
    if not raw.strip():
        return None, "err_birth_empty"
    try:
        born = parse_date(raw)
    except ValueError:
        return None, "err_birth_format"
    if not dt.date(1868, 1, 1) <= born <= today:
        return None, "err_birth_format"
    return born, None


@dataclass(frozen=True)
class IdentifyForm:
    barcode: str
    birth: dt.date


def read_identify(form: Mapping[str, object], today: dt.date) -> tuple[IdentifyForm | None, Errors]:
    barcode, b_err = read_barcode(_field(form, "barcode"))
    birth, d_err = read_birth(_field(form, "birth"), today)
    errors = {k: v for k, v in (("barcode", b_err), ("birth", d_err)) if v}
    if barcode is None or birth is None:
        return None, errors
    return IdentifyForm(barcode, birth), errors


@dataclass(frozen=True)
class AnswerForm:
    wants_vaccination: bool | None
    needs_mobility: bool | None
    notes: str


def read_answer(
    form: Mapping[str, object], venues: Sequence[tuple[int, str]], *, asks_mobility: bool = True
) -> tuple[AnswerForm | None, Errors]:
    """The intent of an answer form, or errors. ``venues``: (id, name) that may be chosen;
    ``asks_mobility`` false (setting ``intent_questions``): the mobility question is not on the
    form, and an answer to it sent anyway is ignored."""
    answers: dict[str, str | None] = {}
    errors: Errors = {}
    for key, err in (("wants_vaccination", "err_wants"), ("mobility", "err_mobility"),
                     ("time_of_day", "err_time")):  # fmt: skip
        value = _field(form, key) or None
        if key == "mobility" and not asks_mobility:
            answers[key] = None
            continue
        if value is not None and value not in LABELS[key]:
            errors[key] = err
        answers[key] = value
    if answers["wants_vaccination"] is None:
        errors["wants_vaccination"] = "err_wants"
    elif answers["wants_vaccination"] == "yes":
        for key, err in (("mobility", "err_mobility"), ("time_of_day", "err_time")):
            if answers[key] is None and (key != "mobility" or asks_mobility):
                errors[key] = err
    venue_name = ""
    chosen = _field(form, "venue")
    if chosen:
        names = {str(i): n for i, n in venues}
        if chosen not in names:
            errors["venue"] = "err_venue"
        venue_name = names.get(chosen, "")
    note = _field(form, "note")
    if len(note) > MAX_NOTE:
        errors["note"] = "err_note_long"
    if errors:
        return None, errors
    wants, needs, notes = intent_values(answers)
    parts = [p for p in (notes, venue_name and f"希望会場: {venue_name}", note and f"要望: {note}")]
    return AnswerForm(wants, needs, " / ".join(p for p in parts if p)), {}


@dataclass(frozen=True)
class ChangeForm:
    kind: str
    note: str
    booking_id: int | None


def read_change(form: Mapping[str, object]) -> tuple[ChangeForm | None, Errors]:
    errors: Errors = {}
    kind = _field(form, "kind")
    if kind not in KINDS:
        errors["kind"] = "err_kind"
    note = _field(form, "note")
    if len(note) > MAX_NOTE:
        errors["note"] = "err_note_long"
    booking = _field(form, "booking_id")
    booking_id = int(booking) if booking.isascii() and booking.isdigit() else None
    if errors:
        return None, errors
    return ChangeForm(kind, note, booking_id), {}
