"""The supervisor view: live queues and agents, today's figures, intervals, bookings, charts.

Takes a ``BoardModel`` and a ``send`` callable (``PauseAgent`` messages go through it to the
ServerLink); never talks to the network itself. Thresholds live in QSettings under
``board/thresholds/*``; every figure's definition (from the server) is its tooltip.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..models.board import BoardModel, Thresholds, fmt_ratio, fmt_seconds
from .board_charts import BoardCharts
from .labels import t

COLOURS = {"warn": QColor("#f5d37a"), "bad": QColor("#f4a3a0"), "ok": QColor("#c9ecd0")}
STATES = {"available": "受付可", "ringing": "呼出中", "in_call": "通話中", "busy": "使用中",
          "paused": "休止", "unavailable": "不在", "logged_out": "ログアウト"}  # fmt: skip
REASONS = ["休憩", "研修", "事務作業", "打合せ"]
# (header, definition key) per table
QUEUE_COLS = [("キュー", ""), ("待ち呼", "waiting"), ("最長待ち", "longest_wait"),
              ("受付可", "available"), ("呼出中", "ringing"), ("通話中", "in_call"),
              ("休止", "paused"), ("不在", "unavailable")]  # fmt: skip
TODAY_COLS = [("キュー", "day"), ("着信", "offered"), ("応答", "answered"), ("放棄", "abandoned"),
              ("短時間放棄", "short_abandoned"), ("SL", "service_level"), ("平均待ち", "avg_wait"),
              ("90%待ち", "p90_wait"), ("平均通話", "avg_talk")]  # fmt: skip
AGENT_COLS = [("内線", ""), ("名前", ""), ("状態", ""), ("経過", ""), ("理由", "paused"),
              ("本日応答", "answered_today"), ("平均通話", "avg_talk")]  # fmt: skip
INTERVAL_COLS = [("時刻", "day"), ("最大待ち", "peak_waiting"), ("着信", "offered"),
                 ("応答", "answered"), ("放棄", "abandoned"), ("短時間", "short_abandoned"),
                 ("SL", "service_level")]  # fmt: skip
BOOKING_COLS = [("日付", ""), ("会場", ""), ("予約 / 定員", "bookings")]


def load_thresholds(settings: QSettings) -> Thresholds:
    data = {k: settings.value(f"board/thresholds/{k}") for k in Thresholds().as_dict()}
    return Thresholds.from_dict({k: v for k, v in data.items() if v is not None})


def save_thresholds(settings: QSettings, th: Thresholds) -> None:
    for k, v in th.as_dict().items():
        settings.setValue(f"board/thresholds/{k}", v)


def _table(cols: list[tuple[str, str]]) -> QTableWidget:
    table = QTableWidget(0, len(cols))
    table.setHorizontalHeaderLabels([t(c[0]) for c in cols])
    table.verticalHeader().setVisible(False)
    table.setWordWrap(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    return table


def _fit_height(table: QTableWidget, min_rows: int = 1) -> None:
    """A table as tall as its rows (no empty well under a one-queue table)."""
    row_h = table.verticalHeader().defaultSectionSize()
    body = sum(table.rowHeight(r) for r in range(table.rowCount()))
    body += max(0, min_rows - table.rowCount()) * row_h
    head = table.horizontalHeader().sizeHint().height()
    table.setFixedHeight(head + body + 2 * table.frameWidth() + 2)


class BoardView(QWidget):
    def __init__(
        self,
        model: BoardModel,
        send: Callable[[Any], object],
        settings: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model, self.send, self.settings = model, send, settings
        if settings is not None:
            model.thresholds = load_thresholds(settings)
        self.status = QLabel()
        self.queues, self.today = _table(QUEUE_COLS), _table(TODAY_COLS)
        self.agents, self.intervals = _table(AGENT_COLS), _table(INTERVAL_COLS)
        self.bookings = _table(BOOKING_COLS)
        self.mobility = QLabel()
        self.charts = BoardCharts(model)
        self.pause_button, self.resume_button = QPushButton(t("休止…")), QPushButton(t("再開"))
        self.threshold_button = QPushButton(t("しきい値…"))
        self.pause_button.clicked.connect(self._pause)
        self.resume_button.clicked.connect(self._resume)
        self.threshold_button.clicked.connect(self.edit_thresholds)
        self._layout()
        model.subscribe(self.refresh)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        self.timer.start(1000)
        self.refresh()

    def _layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addWidget(self.threshold_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.pause_button)
        buttons.addWidget(self.resume_button)
        buttons.addStretch(1)
        grid = QGridLayout()
        left = QVBoxLayout()
        for title, widget in ((t("キュー（現在）"), self.queues), (t("本日"), self.today),
                              (t("オペレーター"), self.agents)):  # fmt: skip
            left.addWidget(QLabel(f"<b>{title}</b>"))
            left.addWidget(widget)
        left.addLayout(buttons)
        left.addWidget(QLabel(f"<b>{t('予約状況')}</b>"))
        left.addWidget(self.mobility)
        left.addWidget(self.bookings, 1)
        self.bookings.setMaximumHeight(220)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self.charts.waiting)
        right.addWidget(self.charts.volume)
        right.addWidget(self.charts.service)
        right.addWidget(QLabel(f"<b>{t('15分ごと')}</b>"))
        right.addWidget(self.intervals)
        grid.addLayout(left, 0, 0)
        grid.addLayout(right, 0, 1)
        grid.setColumnStretch(0, 5)
        grid.setColumnStretch(1, 4)
        outer = QVBoxLayout(self)
        outer.addLayout(top)
        outer.addLayout(grid)

    # ---- filling --------------------------------------------------------------------------
    def _fill(self, table: QTableWidget, cols: list[tuple[str, str]],
              rows: list[list[tuple[str, str]]]) -> None:  # fmt: skip
        """rows of (text, level) cells; headers and cells carry the figure's definition."""
        table.setRowCount(len(rows))
        for c, (_, key) in enumerate(cols):
            head = table.horizontalHeaderItem(c)
            if head is not None and key:
                head.setToolTip(self.model.definition(key))
        for r, row in enumerate(rows):
            for c, (text, level) in enumerate(row):
                item = QTableWidgetItem(text)
                if cols[c][1]:
                    item.setToolTip(self.model.definition(cols[c][1]))
                if level in COLOURS:
                    item.setBackground(QBrush(COLOURS[level]))
                table.setItem(r, c, item)
        if table in (self.queues, self.today, self.agents):
            _fit_height(table, 1 if table is not self.agents else 3)

    def refresh(self) -> None:
        m = self.model
        b = m.board
        if not b:
            self.status.setText(t("ボードのデータを待っています"))
            return
        live = (
            t("PBX接続中") if b.get("pbx_connected") else t("PBX未接続：表示が古い可能性があります")
        )
        self.status.setText(f"{b.get('day', '')}  {live}  {m.last_error}")
        self._fill(self.queues, QUEUE_COLS, [[
            (q["name"], ""), (str(q["waiting"]), m.level("waiting", q["waiting"])),
            (fmt_seconds(m.longest_wait(q)), m.level("longest_wait", m.longest_wait(q))),
            (str(q["available"]), ""), (str(q["ringing"]), ""), (str(q["in_call"]), ""),
            (str(q["paused"]), ""), (str(q["unavailable"]), ""),
        ] for q in m.queues])  # fmt: skip
        self._fill(self.today, TODAY_COLS, [self._today_row(q) for q in m.queues])
        self._fill(self.agents, AGENT_COLS, [[
            (a["extension"], ""), (a["name"], ""), (t(STATES.get(a["state"], a["state"])),
             "bad" if a["state"] == "paused" else ""),
            (fmt_seconds(m.in_state(a)) if a.get("since") else "", ""), (a["paused_reason"], ""),
            (str(a["answered_today"]), ""), (fmt_seconds(a["avg_talk_today"]), ""),
        ] for a in m.agents])  # fmt: skip
        ivs = [
            iv for q in m.queues[:1] for iv in q["intervals"] if iv["offered"] or iv["peak_waiting"]
        ]
        self._fill(self.intervals, INTERVAL_COLS, [[
            (iv["start"][11:16], ""), (str(iv["peak_waiting"]), ""), (str(iv["offered"]), ""),
            (str(iv["answered"]), ""), (str(iv["abandoned"]), ""),
            (str(iv["short_abandoned"]), ""),
            (fmt_ratio(iv["service_level"]), m.level("service_level", iv["service_level"])),
        ] for iv in reversed(ivs)])  # fmt: skip
        self._fill(self.bookings, BOOKING_COLS, [[
            (bk["day"][5:].replace("-", "/"), ""), (bk["venue"], ""),
            (f"{bk['booked']} / {bk['capacity']}",
             "bad" if bk["capacity"] and bk["booked"] >= bk["capacity"] else ""),
        ] for bk in m.bookings])  # fmt: skip
        self.mobility.setText(
            t("移動支援 未手配: %n 件").replace("%n", str(b.get("mobility_open", 0)))
        )
        self.mobility.setToolTip(m.definition("mobility_open"))
        self.charts.update()

    def _today_row(self, q: dict[str, Any]) -> list[tuple[str, str]]:
        m, d = self.model, q["today"]
        return [
            (q["name"], ""), (str(d["offered"]), ""), (str(d["answered"]), ""),
            (str(d["abandoned"]), m.level("abandon_rate", m.abandon_rate(d))),
            (str(d["short_abandoned"]), ""),
            (fmt_ratio(d["service_level"]), m.level("service_level", d["service_level"])),
            (fmt_seconds(d["avg_wait"]), ""), (fmt_seconds(d["p90_wait"]), ""),
            (fmt_seconds(d["avg_talk"]), ""),
        ]  # fmt: skip

    def _tick(self) -> None:
        """Only the times move between updates."""
        for r, q in enumerate(self.model.queues):
            item = self.queues.item(r, 2)
            if item is not None:
                item.setText(fmt_seconds(self.model.longest_wait(q)))
        for r, a in enumerate(self.model.agents):
            item = self.agents.item(r, 3)
            if item is not None and a.get("since"):
                item.setText(fmt_seconds(self.model.in_state(a)))

    # ---- actions --------------------------------------------------------------------------
    def selected_agent(self) -> dict[str, Any] | None:
        row = self.agents.currentRow()
        agents = self.model.agents
        return agents[row] if 0 <= row < len(agents) and agents[row]["interface"] else None

    def _pause(self) -> None:
        agent = self.selected_agent()
        if agent is None:
            return
        reason, ok = QInputDialog.getItem(self, t("休止"), t("理由"), REASONS, 0, True)
        if ok:
            self.send(self.model.pause_request(agent, True, reason))

    def _resume(self) -> None:
        agent = self.selected_agent()
        if agent is not None:
            self.send(self.model.pause_request(agent, False))

    def edit_thresholds(self) -> None:
        dialog = QDialog(self)
        dialog.setWindowTitle(t("しきい値"))
        form = QFormLayout(dialog)
        th = self.model.thresholds.as_dict()
        spins = {}
        for key, value in th.items():
            spin = QDoubleSpinBox()
            spin.setRange(0, 3600)
            spin.setDecimals(2)
            spin.setValue(value)
            form.addRow(key, spin)
            spins[key] = spin
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)  # fmt: skip
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        form.addRow(buttons)
        if dialog.exec():
            self.apply_thresholds(Thresholds.from_dict({k: s.value() for k, s in spins.items()}))

    def apply_thresholds(self, th: Thresholds) -> None:
        if self.settings is not None:
            save_thresholds(self.settings, th)
        self.model.set_thresholds(th)
