"""The supervisor view's tables: columns (each with the key of the server's definition shown on
hover), state and section names, colours, and the helpers that build and size the tables.

The constant tables are translation sources: QT_TRANSLATE_NOOP("board_tables", ...)."""

from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget

from ..i18n import QT_TRANSLATE_NOOP

COLOURS = {"warn": QColor("#f5d37a"), "bad": QColor("#f4a3a0"), "ok": QColor("#c9ecd0")}
STATES = {
    "available": QT_TRANSLATE_NOOP("board_tables", "受付可"),
    "ringing": QT_TRANSLATE_NOOP("board_tables", "呼出中"),
    "in_call": QT_TRANSLATE_NOOP("board_tables", "通話中"),
    "busy": QT_TRANSLATE_NOOP("board_tables", "使用中"),
    "paused": QT_TRANSLATE_NOOP("board_tables", "休止"),
    "unavailable": QT_TRANSLATE_NOOP("board_tables", "不在"),
    "logged_out": QT_TRANSLATE_NOOP("board_tables", "ログアウト"),
}
REASONS = [
    QT_TRANSLATE_NOOP("board_tables", "休憩"),
    QT_TRANSLATE_NOOP("board_tables", "研修"),
    QT_TRANSLATE_NOOP("board_tables", "事務作業"),
    QT_TRANSLATE_NOOP("board_tables", "打合せ"),
]
SECTIONS = {
    "queues": QT_TRANSLATE_NOOP("board_tables", "キュー（現在）"),
    "today": QT_TRANSLATE_NOOP("board_tables", "本日"),
    "agents": QT_TRANSLATE_NOOP("board_tables", "オペレーター"),
    "bookings": QT_TRANSLATE_NOOP("board_tables", "予約状況"),
    "intervals": QT_TRANSLATE_NOOP("board_tables", "15分ごと"),
    "callers": QT_TRANSLATE_NOOP("board_tables", "待っている呼"),
    "assignment": QT_TRANSLATE_NOOP("board_tables", "指定予約"),
}
# sections shown as the tabs of one area (the bookings and the designated appointments)
TABBED = ("bookings", "assignment")
# (header, definition key) per table
QUEUE_COLS = [
    (QT_TRANSLATE_NOOP("board_tables", "キュー"), ""),
    (QT_TRANSLATE_NOOP("board_tables", "待ち呼"), "waiting"),
    (QT_TRANSLATE_NOOP("board_tables", "最長待ち"), "longest_wait"),
    (QT_TRANSLATE_NOOP("board_tables", "受付可"), "available"),
    (QT_TRANSLATE_NOOP("board_tables", "呼出中"), "ringing"),
    (QT_TRANSLATE_NOOP("board_tables", "通話中"), "in_call"),
    (QT_TRANSLATE_NOOP("board_tables", "休止"), "paused"),
    (QT_TRANSLATE_NOOP("board_tables", "不在"), "unavailable"),
]
TODAY_COLS = [
    (QT_TRANSLATE_NOOP("board_tables", "キュー"), "day"),
    (QT_TRANSLATE_NOOP("board_tables", "着信"), "offered"),
    (QT_TRANSLATE_NOOP("board_tables", "応答"), "answered"),
    (QT_TRANSLATE_NOOP("board_tables", "放棄"), "abandoned"),
    (QT_TRANSLATE_NOOP("board_tables", "短時間放棄"), "short_abandoned"),
    ("SL", "service_level"),
    (QT_TRANSLATE_NOOP("board_tables", "平均待ち"), "avg_wait"),
    (QT_TRANSLATE_NOOP("board_tables", "90%待ち"), "p90_wait"),
    (QT_TRANSLATE_NOOP("board_tables", "平均通話"), "avg_talk"),
]
AGENT_COLS = [
    (QT_TRANSLATE_NOOP("board_tables", "内線"), ""),
    (QT_TRANSLATE_NOOP("board_tables", "名前"), "operator"),
    (QT_TRANSLATE_NOOP("board_tables", "状態"), ""),
    (QT_TRANSLATE_NOOP("board_tables", "経過"), ""),
    (QT_TRANSLATE_NOOP("board_tables", "理由"), "paused"),
    (QT_TRANSLATE_NOOP("board_tables", "本日応答"), "answered_today"),
    (QT_TRANSLATE_NOOP("board_tables", "平均通話"), "avg_talk"),
]
INTERVAL_COLS = [
    (QT_TRANSLATE_NOOP("board_tables", "時刻"), "day"),
    (QT_TRANSLATE_NOOP("board_tables", "最大待ち"), "peak_waiting"),
    (QT_TRANSLATE_NOOP("board_tables", "着信"), "offered"),
    (QT_TRANSLATE_NOOP("board_tables", "応答"), "answered"),
    (QT_TRANSLATE_NOOP("board_tables", "放棄"), "abandoned"),
    (QT_TRANSLATE_NOOP("board_tables", "短時間"), "short_abandoned"),
    ("SL", "service_level"),
]
BOOKING_COLS = [
    (QT_TRANSLATE_NOOP("board_tables", "日付"), ""),
    (QT_TRANSLATE_NOOP("board_tables", "会場"), ""),
    (QT_TRANSLATE_NOOP("board_tables", "予約 / 定員"), "bookings"),
]
ASSIGNED_COLS = [
    (QT_TRANSLATE_NOOP("board_tables", "日付"), ""),
    (QT_TRANSLATE_NOOP("board_tables", "会場"), ""),
    (QT_TRANSLATE_NOOP("board_tables", "指定"), "assigned"),
    (QT_TRANSLATE_NOOP("board_tables", "予約 / 定員"), "bookings"),
]
CALLER_COLS = [
    (QT_TRANSLATE_NOOP("board_tables", "順番"), "callers"),
    (QT_TRANSLATE_NOOP("board_tables", "番号"), "callers"),
    (QT_TRANSLATE_NOOP("board_tables", "待ち時間"), "callers"),
]
# columns whose cells are centred (figures); tables not named here centre every column but the first
CENTRED = {"agents": (0, 3, 5, 6), "bookings": (0, 2), "intervals": range(7), "callers": (0, 2),
           "assigned": (0, 2, 3)}  # fmt: skip
Cells = list[tuple[str, str]]  # (text, level) per cell


def make_table(cols: list[tuple[str, str]], flex: int | None = None) -> QTableWidget:
    """A read-only table with compact rows. ``flex``: the one column that takes the spare width
    (the others fit their contents); None: every column shares the width."""
    table = QTableWidget(0, len(cols))
    table.verticalHeader().setVisible(False)
    rows = table.verticalHeader()
    rows.setMinimumSectionSize(table.fontMetrics().height() + 4)
    rows.setDefaultSectionSize(table.fontMetrics().height() + 8)
    table.setWordWrap(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    head = table.horizontalHeader()
    if flex is None:
        head.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    else:
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(flex, QHeaderView.ResizeMode.Stretch)
    return table


def fit_height(table: QTableWidget, min_rows: int = 1, max_rows: int | None = None) -> None:
    """A table as tall as its rows (no empty well under a one-queue table). With ``max_rows``
    it may shrink to ``min_rows`` and scroll when the window is short, and grows to show at
    most ``max_rows`` rows: its rows never force the window taller than the screen."""
    row_h = table.verticalHeader().defaultSectionSize()
    n = table.rowCount()
    head = table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth() + 2
    if max_rows is None:
        body = sum(table.rowHeight(r) for r in range(n)) + max(0, min_rows - n) * row_h
        table.setFixedHeight(head + body)
        return
    table.setMinimumHeight(head + min_rows * row_h)
    table.setMaximumHeight(head + max(min_rows, min(n, max_rows)) * row_h)
