"""Import of a commercial AI-OCR service's CSV export: the same rules and review queue as scans.

One row per postcard: the barcode, one column per question, a confidence per field, and the
free-text field's text. Columns are found by the usual names (``ALIASES``) or mapped in a TOML
file like the ledger import's::

    [columns]
    barcode = "バーコード"
    wants_vaccination = "設問1"
    mobility = "設問2"
    time_of_day = "設問3"
    note = "自由記述"
    [import]
    encoding = "cp932"
    min_confidence = 0.9

A confidence column is the field's header followed by ``_信頼度``, ``_confidence`` or ``_conf``
(0..1 or 0..100). A value is an option's value (``yes``), its printed label (``はい``) or its
number (``1``); several values (``1,2``) are several marks. A row is keyed by its content, so
importing the same export again changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import tomllib
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from registry.errors import LedgerFileError
from registry.ledger.mapping import decode_ledger, header_key
from registry.paper.layout import QUESTIONS
from registry.paper.rules import Reason
from registry.paper.store import ScanInput

FIELDS = ("barcode", "wants_vaccination", "mobility", "time_of_day", "note")
ALIASES: dict[str, tuple[str, ...]] = {
    "barcode": ("バーコード", "はがき番号", "barcode", "id", "qr"),
    "wants_vaccination": ("接種希望", "wants_vaccination", "設問1", "q1"),
    "mobility": ("移動支援", "mobility", "設問2", "q2"),
    "time_of_day": ("希望時間帯", "time_of_day", "設問3", "q3"),
    "note": ("連絡事項", "自由記述", "note", "設問4", "q4"),
}
CONFIDENCE_SUFFIXES = ("信頼度", "confidence", "conf")
_SPLIT = str.maketrans({c: "," for c in "、;；/／|"})


@dataclass(frozen=True)
class OcrMapping:
    columns: Mapping[str, str] = field(default_factory=dict)
    encoding: str | None = None
    min_confidence: float = 0.9


def load_ocr_mapping(path: str | Path) -> OcrMapping:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise LedgerFileError(f"cannot read mapping file {path}: {err}") from err
    columns, options = data.get("columns", {}), data.get("import", {})
    if not isinstance(columns, dict) or not isinstance(options, dict):
        raise LedgerFileError(f"{path}: [columns] and [import] must be tables")
    for key, value in columns.items():
        if key not in FIELDS or not isinstance(value, str):
            raise LedgerFileError(f"{path}: [columns] {key} must be one of {', '.join(FIELDS)}")
    conf = options.get("min_confidence", 0.9)
    if not isinstance(conf, int | float) or not 0 <= conf <= 1:
        raise LedgerFileError(f"{path}: import.min_confidence must be a number from 0 to 1")
    encoding = options.get("encoding")
    return OcrMapping(dict(columns), encoding if isinstance(encoding, str) else None, float(conf))


def _columns(header: Sequence[str], mapping: OcrMapping) -> dict[str, tuple[int, int | None]]:
    """Field -> (value column, confidence column or None)."""
    keys = [header_key(h) for h in header]
    found: dict[str, tuple[int, int | None]] = {}
    for name in FIELDS:
        names = (mapping.columns[name],) if name in mapping.columns else ALIASES[name]
        hit = next((keys.index(header_key(n)) for n in names if header_key(n) in keys), None)
        if hit is None:
            if name in mapping.columns or name != "note":
                raise LedgerFileError(
                    f"column for {name} not found in the OCR file's header (map it in [columns])",
                    details={"field": name},
                )
            continue
        conf = next(
            (keys.index(keys[hit] + s) for s in CONFIDENCE_SUFFIXES if keys[hit] + s in keys), None
        )
        found[name] = (hit, conf)
    return found


def _confidence(text: str) -> float | None:
    try:
        value = float(text.strip().rstrip("%"))
    except ValueError:
        return None
    return value / 100 if value > 1 else value


def _states(key: str, text: str) -> tuple[dict[str, str], list[Reason]]:
    q = next(q for q in QUESTIONS if q.key == key)
    states = {o.value: "blank" for o in q.options}
    reasons: list[Reason] = []
    norm = unicodedata.normalize("NFKC", text).translate(_SPLIT)
    for token in (t.strip() for t in norm.split(",")):
        if not token:
            continue
        match = [
            o.value
            for i, o in enumerate(q.options, start=1)
            if token.lower() in (o.value, unicodedata.normalize("NFKC", o.label), str(i))
        ]
        if match:
            states[match[0]] = "marked"
        else:
            reasons.append(Reason("unknown_value", key, token[:40]))
    return states, reasons


def _row_input(
    row: Sequence[str], cols: Mapping[str, tuple[int, int | None]], line: int, source: str,
    mapping: OcrMapping,
) -> ScanInput:  # fmt: skip
    def cell(i: int | None) -> str:
        return row[i].strip() if i is not None and i < len(row) else ""

    reasons: list[Reason] = []
    readings: dict[str, object] = {}
    for name, (vi, ci) in cols.items():
        conf = _confidence(cell(ci)) if ci is not None else None
        readings[name] = {"text": cell(vi)[:200], "confidence": conf}
        if conf is not None and conf < mapping.min_confidence:
            reasons.append(Reason("low_confidence", name, f"{conf:.2f}"))
    states = {}
    for q in QUESTIONS:
        states[q.key], why = _states(q.key, cell(cols[q.key][0]))
        reasons += why
    note = cell(cols["note"][0]) if "note" in cols else ""
    content = "\x1f".join(cell(i) for i in range(len(row)))
    return ScanInput(
        image_hash="ocr:" + hashlib.sha256(content.encode()).hexdigest(),
        kind="ocr",
        source=source,
        page=line,
        barcode_text=unicodedata.normalize("NFKC", cell(cols["barcode"][0])).replace(" ", ""),
        states=states,
        readings=readings,
        note_written=bool(note),
        reasons=tuple(reasons),
    )


def ocr_rows(path: str | Path, mapping: OcrMapping | None = None) -> Iterator[ScanInput]:
    """Every data row of an AI-OCR export as a postcard read (line numbers from 2)."""
    mapping = mapping or OcrMapping()
    text, _ = decode_ledger(Path(path).read_bytes(), mapping.encoding)
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise LedgerFileError(f"{path}: the OCR file is empty")
    cols = _columns(header, mapping)
    for line, row in enumerate(reader, start=2):
        if any(c.strip() for c in row):
            yield _row_input(row, cols, line, str(path), mapping)
