"""The client's translations: cti_en.ts is what lupdate reads from the code, every message has
English, the .qm is the .ts compiled, and a context lets the same Japanese read differently."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

from desktop_client.i18n import Translations, translate
from desktop_client.i18n.build import TS, check, scan, translation_problems

SAMPLE = '''
from ..i18n import QT_TRANSLATE_NOOP, translate
DAYS = (QT_TRANSLATE_NOOP("labels", "日"), "月")
class View(QWidget):
    """文書は訳さない"""
    def retranslate(self):
        self.title.setText(self.tr("日付"))
        self.note.setText(f"{self.tr('予約')} (F5)")
def day(i):
    return translate("labels", DAYS[i]) + translate("labels", "曜日") + "未翻訳"
'''


def test_translations_are_complete_current_and_compiled() -> None:
    assert check() == []


def test_scan_reads_contexts_and_finds_japanese_that_escapes_translation() -> None:
    marked, stray = scan(ast.parse(SAMPLE))
    assert marked == [("labels", "日"), ("View", "日付"), ("View", "予約"), ("labels", "曜日")]
    assert stray == [(3, "月"), (10, "未翻訳")]


def test_missing_english_and_changed_placeholders_are_reported(tmp_path: Path) -> None:
    ts = tmp_path / TS.name
    shutil.copy(TS, ts)
    text = ts.read_text(encoding="utf-8")
    unfinished = '<translation type="unfinished"></translation>'
    text = text.replace("<translation>Sending…</translation>", unfinished, 1)
    text = text.replace("{n} waiting to send", "{count} waiting to send", 1)
    ts.write_text(text, encoding="utf-8")
    problems = translation_problems(ts)
    assert any("no English" in p and "送信中…" in p for p in problems)
    assert any("other placeholders" in p and "{count}" in p for p in problems)


def test_the_same_japanese_reads_by_its_context(qapp) -> None:
    translations = Translations(qapp)
    assert translations.use("en")
    try:
        assert translate("labels", "日") == "Sun"  # a weekday
        assert translate("board_tables", "日付") == "Date"  # a column of dates
        assert translate("BookingView", "日付") == "Day"  # the day picker of a booking
        assert translate("shortcuts", "住民カード") == "Resident card"
        assert translate("MainWindow", "住民カード") == "Resident"  # a tab: short
    finally:
        translations.use("ja")
    assert translate("board_tables", "日付") == "日付"


def test_the_marks_import_without_qt() -> None:
    """Qt-free models mark their tables with ``desktop_client.i18n.QT_TRANSLATE_NOOP``."""
    code = "import sys, desktop_client.i18n; assert 'PySide6' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_lists_in_running_text_use_the_languages_separator(qapp) -> None:
    from desktop_client.views.candidates import flags_text

    translations = Translations(qapp)
    assert translations.use("en")
    try:
        assert flags_text(("booked", "mobility")) == "Booked, Mobility"
    finally:
        translations.use("ja")
    assert "、" in flags_text(("booked", "mobility"))
