"""The supervisor view: live queues, callers waiting and agents, today's figures, intervals,
bookings, charts.

Takes a ``BoardModel`` and a ``send`` callable (``PauseAgent`` messages go through it to the
ServerLink; it returns False when there is no connection); never talks to the network itself.
Thresholds live in QSettings (board_thresholds.py); every figure's definition (from the server,
in the UI language) is its tooltip, and the service level's formula is written beside it.
Every text goes through ``tr()`` and is rebuilt on a LanguageChange, like the rest of the client.

Sized for a 1366x768 screen: tables whose rows grow (agents, callers, bookings) scroll instead
of making the window taller. The bookings and the designated appointments (指定予約: to assign,
cannot assign, assigned per venue and day) share one area as two tabs, with the worklist,
mobility and intents figures in the row of their tabs. Keyboard: Ctrl+P pauses the selected
operator (the first one when none is selected), Ctrl+Shift+P resumes; Tab reaches the tables and
the buttons.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QBrush, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTabBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cti_server.protocol import (
    AssignmentFigures,
    BoardAgent,
    BoardFigures,
    BoardInterval,
    BoardQueue,
    IntentsByChannel,
    WorklistSummary,
)

from ..i18n import current_language, translate
from ..models.board import (
    BoardModel,
    Thresholds,
    caller_text,
    fmt_ratio,
    fmt_seconds,
    interval_label,
)
from ..models.dates import local_time, parse_iso_datetime
from . import shortcuts as keys
from .assignment import REASONS as UNPLACED
from .board_charts import BoardCharts
from .board_tables import (
    AGENT_COLS,
    ASSIGNED_COLS,
    BOOKING_COLS,
    CALLER_COLS,
    CENTRED,
    COLOURS,
    INTERVAL_COLS,
    QUEUE_COLS,
    REASONS,
    SECTIONS,
    STATES,
    TABBED,
    TODAY_COLS,
    Cells,
    fit_height,
    make_table,
)
from .board_thresholds import ThresholdDialog, load_thresholds, save_thresholds
from .labels import error_text
from .language import Retranslating
from .pause_dialog import ask_pause_reason

# (min rows, max rows) of the tables that scroll rather than grow the window
BOUNDED = {"agents": (3, 12), "callers": (2, 6), "bookings": (2, 6), "assigned": (1, 4)}
TAB_STYLE = (  # tabs no taller than the labels beside them; the shown one stands out
    "QTabBar::tab { padding: 1px 10px; margin-right: 2px; border: 1px solid #b9b9b9;"
    " border-bottom: none; border-top-left-radius: 3px; border-top-right-radius: 3px;"
    " background: #e6e6e6; color: #444; }"
    " QTabBar::tab:selected { background: #ffffff; color: #000; font-weight: bold; }"
)


def intents_text(i: IntentsByChannel | None) -> str:
    """Residents by the channel of their latest intent answer (empty before the first read)."""
    if i is None:
        return ""
    return translate(
        "board", "意向: はがき {postcard}・ウェブ {web}・電話 {phone}・未回答 {none}"
    ).format(postcard=i.postcard, web=i.web, phone=i.phone, none=i.none_yet)


def assignment_text(a: AssignmentFigures | None) -> str:
    """To assign and cannot assign, with the day and time of the last committed run."""
    if a is None:
        return ""
    text = translate("board", "未割当 {to_assign}・割当不可 {cannot}").format(
        to_assign=a.to_assign, cannot=a.cannot_assign
    )
    at = local_time(a.last_run_at) if a.last_run_at else None
    if at is None:
        return text + translate("board", "（確定した割当なし）")
    return text + translate("board", "（最終割当 {at}）").format(at=f"{at:%m/%d %H:%M}")


def reasons_text(a: AssignmentFigures) -> str:
    """The last run's unplaced residents by reason, one per line."""
    return "\n".join(
        f"{translate('assignment', UNPLACED.get(k, k))}: {n}" for k, n in sorted(a.reasons.items())
    )


class BoardView(Retranslating, QWidget):
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
        self.status, self.notice, self.sl_formula = QLabel(), QLabel(), QLabel()
        self.notice.setWordWrap(True)
        self.queues, self.today = make_table(QUEUE_COLS), make_table(TODAY_COLS)
        self.agents, self.intervals = make_table(AGENT_COLS, flex=1), make_table(INTERVAL_COLS)
        self.bookings = make_table(BOOKING_COLS, flex=1)
        self.assigned = make_table(ASSIGNED_COLS, flex=1)
        self.callers = make_table(CALLER_COLS, flex=1)
        for name in ("queues", "today", "agents", "intervals", "bookings", "assigned", "callers"):
            getattr(self, name).setObjectName(name)
        self.mobility = QLabel()
        self.intents = QLabel()
        self.intents.setObjectName("intents")
        # clipped rather than widening the board's right column (the whole text on hover)
        self.intents.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.checkins = QLabel()  # today's reception tally per venue
        self.checkins.setObjectName("checkins")
        # clipped at the column's width, the whole line on hover: four venues as one line
        # widened the board past a 1366 px screen
        self.checkins.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.worklist = QLabel()
        self.worklist.setObjectName("worklist")
        self.assign_summary = QLabel()  # to assign, cannot assign, the last run
        self.assign_summary.setObjectName("assign_summary")
        self.assign_summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        # 予約状況 | 指定予約: a tab bar in the row of the worklist, mobility and intents figures,
        # over the two pages (no row of its own)
        self.booking_tabs = QTabBar()
        self.booking_tabs.setObjectName("booking_tabs")
        self.booking_tabs.setDrawBase(False)
        self.booking_tabs.setExpanding(False)
        self.booking_pages = QStackedWidget()
        self.booking_tabs.currentChanged.connect(self._show_page)
        self.booking_tabs.setStyleSheet(TAB_STYLE)
        # its minimum height now: a hidden page's layout is not redone when a table refits
        fit_height(self.assigned, *BOUNDED["assigned"])
        self.titles = {key: QLabel() for key in SECTIONS if key not in TABBED}
        self.charts = BoardCharts(model)
        self.pause_button, self.resume_button = QPushButton(), QPushButton()
        self.threshold_button = QPushButton()
        self.pause_button.clicked.connect(self._pause)
        self.resume_button.clicked.connect(self._resume)
        self.threshold_button.clicked.connect(self.edit_thresholds)
        self.agents.itemSelectionChanged.connect(self._update_buttons)
        self._shortcuts()
        self._layout()
        model.subscribe(self.refresh)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        self.timer.start(1000)
        self.retranslate()

    def _shortcuts(self) -> None:
        """Pause / resume from the keyboard, only while the board is the shown section."""
        for key, slot in ((keys.PAUSE_AGENT, self.pause_selected),
                          (keys.RESUME_AGENT, self._resume)):  # fmt: skip
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    def _layout(self) -> None:
        """Left: now (queues, agents), today and its intervals; right: who waits, charts,
        bookings."""
        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addWidget(self.threshold_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.pause_button)
        buttons.addWidget(self.resume_button)
        buttons.addStretch(1)
        today_head = QHBoxLayout()
        today_head.addWidget(self.titles["today"])
        today_head.addWidget(self.sl_formula, 1)
        left = QVBoxLayout()
        left.addWidget(self.titles["queues"])
        left.addWidget(self.queues)
        left.addLayout(today_head)
        left.addWidget(self.today)
        left.addWidget(self.titles["agents"])
        left.addWidget(self.agents, 2)
        left.addLayout(buttons)
        left.addWidget(self.titles["intervals"])
        left.addWidget(self.intervals, 1)
        right = QVBoxLayout()
        right.addWidget(self.titles["callers"])
        right.addWidget(self.callers)
        for chart in (self.charts.waiting, self.charts.volume, self.charts.service):
            right.addWidget(chart, 1)
        assignment = QWidget()
        page = QVBoxLayout(assignment)
        page.setContentsMargins(0, 2, 0, 0)
        page.setSpacing(2)
        page.addWidget(self.assign_summary)
        page.addWidget(self.assigned)
        self.booking_pages.addWidget(self.bookings)
        self.booking_pages.addWidget(assignment)
        for _ in TABBED:
            self.booking_tabs.addTab("")
        head = QHBoxLayout()
        head.addWidget(self.booking_tabs)
        head.addWidget(self.worklist)
        head.addWidget(self.mobility)
        head.addWidget(self.intents, 1)  # takes what is left (clipped, whole on hover)
        right.addLayout(head)
        right.addWidget(self.booking_pages)
        self._show_page(0)
        right.addWidget(self.checkins)
        grid = QGridLayout()
        grid.addLayout(left, 0, 0)
        grid.addLayout(right, 0, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 4, 6, 4)
        outer.addLayout(top)
        outer.addWidget(self.notice)
        outer.addLayout(grid, 1)

    def _show_page(self, index: int) -> None:
        """Only the shown page sizes the area (the bookings tab as tall as the bookings table
        was alone, the charts keep their height)."""
        for i in range(self.booking_pages.count()):
            page = self.booking_pages.widget(i)
            policy = QSizePolicy.Policy.Preferred if i == index else QSizePolicy.Policy.Ignored
            page.setSizePolicy(policy, policy)
            page.updateGeometry()
        self.booking_pages.setCurrentIndex(index)

    def retranslate(self) -> None:
        tables = ((self.queues, QUEUE_COLS), (self.today, TODAY_COLS), (self.agents, AGENT_COLS),
                  (self.intervals, INTERVAL_COLS), (self.bookings, BOOKING_COLS),
                  (self.assigned, ASSIGNED_COLS), (self.callers, CALLER_COLS))  # fmt: skip
        for table, cols in tables:
            table.setHorizontalHeaderLabels([translate("board_tables", c[0]) for c in cols])
        for key, label in self.titles.items():
            label.setText("<b>" + translate("board_tables", SECTIONS[key]) + "</b>")
        for i, key in enumerate(TABBED):
            self.booking_tabs.setTabText(i, translate("board_tables", SECTIONS[key]))
        self.pause_button.setText(keys.with_key(self.tr("休止…"), keys.PAUSE_AGENT))
        self.resume_button.setText(keys.with_key(self.tr("再開"), keys.RESUME_AGENT))
        self.threshold_button.setText(self.tr("しきい値…"))
        self.refresh()

    # ---- filling --------------------------------------------------------------------------
    def _fill(self, table: QTableWidget, cols: list[tuple[str, str]], rows: list[Cells]) -> None:
        """rows of (text, level) cells; headers and cells carry the figure's definition."""
        lang = current_language()
        tips = [self.model.definition(key, lang) if key else "" for _, key in cols]
        centred = CENTRED.get(table.objectName(), range(1, len(cols)))
        table.setRowCount(len(rows))
        for c, tip in enumerate(tips):
            head = table.horizontalHeaderItem(c)
            if head is not None and tip:
                head.setToolTip(tip)
        for r, row in enumerate(rows):
            for c, (text, level) in enumerate(row):
                item = QTableWidgetItem(text)
                if tips[c]:
                    item.setToolTip(tips[c])
                if c in centred:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if level in COLOURS:
                    item.setBackground(QBrush(COLOURS[level]))
                table.setItem(r, c, item)
        if table is not self.intervals:  # the intervals take what is left, and scroll
            fit_height(table, *BOUNDED.get(table.objectName(), (1, None)))

    def refresh(self) -> None:
        m = self.model
        b = m.board
        self._show_notice()
        if b is None:
            self.status.setText(self.tr("ボードのデータを待っています"))
            self._update_buttons()
            return
        live = (
            self.tr("PBX接続中")
            if b.pbx_connected
            else self.tr("PBX未接続：表示が古い可能性があります")
        )
        self.status.setText(f"{b.day}  {live}")
        self.status.setStyleSheet("" if b.pbx_connected else "color: #b00020;")
        lang = current_language()
        self.sl_formula.setText(f"SL = {m.definition('service_level_short', lang)}")
        self.sl_formula.setToolTip(m.definition("service_level", lang))
        self._fill(self.queues, QUEUE_COLS, [self._queue_row(q) for q in m.queues])
        self._fill(
            self.today,
            TODAY_COLS,
            [self._today_row(m.queue_label(q.name), q.today) for q in m.queues],
        )
        self._fill_agents()
        self._fill(
            self.callers,
            CALLER_COLS,
            [
                [
                    (str(c.position), ""),
                    (translate("board", caller_text(c)), ""),
                    (fmt_seconds(m.waited(c)), ""),
                ]
                for _, c in m.callers
            ],
        )
        ivs = [iv for q in m.queues[:1] for iv in q.intervals
               if iv.figures.offered or iv.peak_waiting]  # fmt: skip
        self._fill(self.intervals, INTERVAL_COLS, [self._interval_row(iv) for iv in reversed(ivs)])
        self._fill(self.bookings, BOOKING_COLS, [[
            (bk.day[5:].replace("-", "/"), ""), (bk.venue, ""),
            (f"{bk.booked} / {bk.capacity}",
             "bad" if bk.capacity and bk.booked >= bk.capacity else ""),
        ] for bk in m.bookings])  # fmt: skip
        self.mobility.setText(self.tr("移動支援 未手配: {n} 件").format(n=b.mobility_open))
        self.mobility.setToolTip(m.definition("mobility_open", lang))
        self.intents.setText(intents_text(b.intents))
        self.intents.setToolTip(m.definition("intents", lang))
        self._show_assignment(b.assignment, lang)
        self._show_checkins(lang)
        self.worklist.setText(self._worklist_text(b.worklist, b.at))
        self.worklist.setToolTip(m.definition("worklist", lang))
        self.charts.update()

    def _show_assignment(self, a: AssignmentFigures | None, lang: str) -> None:
        """指定予約: to assign / cannot assign (the last run's reasons on hover), and the
        assigned per venue and day beside all bookings / capacity."""
        m = self.model
        self.assign_summary.setText(assignment_text(a))
        tips = [m.definition("to_assign", lang), m.definition("cannot_assign", lang)]
        if a is not None and a.reasons:
            tips.append(reasons_text(a))
        self.assign_summary.setToolTip("\n".join(t for t in tips if t))
        days = a.days if a is not None else ()
        self._fill(self.assigned, ASSIGNED_COLS, [[
            (d.day[5:].replace("-", "/"), ""), (d.venue, ""), (str(d.assigned), ""),
            (f"{d.booked} / {d.capacity}",
             "bad" if d.capacity and d.booked >= d.capacity else ""),
        ] for d in days])  # fmt: skip
        tab = TABBED.index("assignment")
        self.booking_tabs.setTabToolTip(tab, self.assign_summary.toolTip())

    def _show_checkins(self, lang: str) -> None:
        m = self.model
        parts = [
            self.tr("{venue} 受付済 {came}/{booked}・来場なし {gone}").format(
                venue=v.venue, came=v.checked_in, booked=v.booked, gone=v.no_show
            )
            for v in m.checkins
        ]
        self.checkins.setVisible(bool(parts))
        self.checkins.setText(self.tr("会場受付（本日）: ") + "  ".join(parts))
        defined = (m.definition(k, lang) for k in ("checked_in", "not_yet", "no_show"))
        self.checkins.setToolTip("\n".join((*parts, "", *defined)))

    def _worklist_text(self, w: WorklistSummary | None, at: str) -> str:
        """折り返し待ち: waiting (due) and the oldest's age at the board's time."""
        if w is None:
            return ""
        text = self.tr("折り返し待ち: {n} 件（発信可 {due} 件）").format(n=w.open, due=w.due)
        oldest, now = parse_iso_datetime(w.oldest_created_at), parse_iso_datetime(at)
        if oldest is not None and now is not None:
            minutes = max(0, int((now - oldest).total_seconds() // 60))
            text += " " + self.tr("最古 {m} 分").format(m=minutes)
        return text

    def _queue_row(self, q: BoardQueue) -> Cells:
        m = self.model
        wait = m.longest_wait(q)
        return [
            (m.queue_label(q.name), ""), (str(q.waiting), m.level("waiting", q.waiting)),
            (fmt_seconds(wait), m.level("longest_wait", wait)), (str(q.available), ""),
            (str(q.ringing), ""), (str(q.in_call), ""), (str(q.paused), ""),
            (str(q.unavailable), ""),
        ]  # fmt: skip

    def _interval_row(self, iv: BoardInterval) -> Cells:
        f, m = iv.figures, self.model
        return [
            (interval_label(iv), ""), (str(iv.peak_waiting), ""), (str(f.offered), ""),
            (str(f.answered), ""), (str(f.abandoned), ""), (str(f.short_abandoned), ""),
            (fmt_ratio(f.service_level), m.level("service_level", f.service_level)),
        ]  # fmt: skip

    def _fill_agents(self) -> None:
        """The agents table; the selected agent stays selected across updates."""
        m = self.model
        chosen = self.selected_agent()
        self._fill(self.agents, AGENT_COLS, [[
            (a.extension, ""), (a.name, ""), (self._state_text(a),
             "bad" if a.state == "paused" else "warn" if a.interface in m.pending else ""),
            (fmt_seconds(m.in_state(a)) if a.since else "", ""), (a.paused_reason, ""),
            (str(a.answered_today), ""), (fmt_seconds(a.avg_talk_today), ""),
        ] for a in m.agents])  # fmt: skip
        if chosen is not None:
            rows = [r for r, a in enumerate(m.agents) if a.interface == chosen.interface]
            if rows:
                self.agents.selectRow(rows[0])
        self._update_buttons()

    def _state_text(self, agent: BoardAgent) -> str:
        wanted = self.model.pending.get(agent.interface)
        if wanted is not None:
            return self.tr("休止を依頼中…") if wanted else self.tr("再開を依頼中…")
        return translate("board_tables", STATES.get(agent.state, agent.state))

    def _today_row(self, name: str, d: BoardFigures) -> Cells:
        m = self.model
        return [
            (name, ""), (str(d.offered), ""), (str(d.answered), ""),
            (str(d.abandoned), m.level("abandon_rate", m.abandon_rate(d))),
            (str(d.short_abandoned), ""),
            (fmt_ratio(d.service_level), m.level("service_level", d.service_level)),
            (fmt_seconds(d.avg_wait), ""), (fmt_seconds(d.p90_wait), ""),
            (fmt_seconds(d.avg_talk), ""),
        ]  # fmt: skip

    def _show_notice(self) -> None:
        """A refusal in red (until the next action); a pause on its way in amber."""
        m = self.model
        if m.error:
            self.notice.setText(
                self.tr("操作できませんでした: ") + error_text(m.error, m.error_message)
            )
            self.notice.setStyleSheet("color: #b00020; font-weight: bold;")
        elif m.pending:
            self.notice.setText(self.tr("PBX に送りました。ボードに反映されるのを待っています…"))
            self.notice.setStyleSheet("color: #8a5a00;")
        else:
            self.notice.setText("")
        self.notice.setVisible(bool(self.notice.text()))

    def _tick(self) -> None:
        """Only the times move between updates."""
        for r, q in enumerate(self.model.queues):
            item = self.queues.item(r, 2)
            if item is not None:
                item.setText(fmt_seconds(self.model.longest_wait(q)))
        for r, a in enumerate(self.model.agents):
            item = self.agents.item(r, 3)
            if item is not None and a.since:
                item.setText(fmt_seconds(self.model.in_state(a)))
        for r, (_, c) in enumerate(self.model.callers):
            item = self.callers.item(r, 2)
            if item is not None:
                item.setText(fmt_seconds(self.model.waited(c)))

    # ---- actions --------------------------------------------------------------------------
    def selected_agent(self) -> BoardAgent | None:
        rows = self.agents.selectionModel().selectedRows()
        row = rows[0].row() if rows else -1
        agents = self.model.agents
        return agents[row] if 0 <= row < len(agents) and agents[row].interface else None

    def _update_buttons(self) -> None:
        agent = self.selected_agent()
        paused = agent is not None and agent.state == "paused"
        self.pause_button.setEnabled(agent is not None and not paused)
        self.resume_button.setEnabled(paused)

    def pause_selected(self) -> None:
        """Ctrl+P: pause the selected operator; with none selected, select the first one and
        put the focus on the list (arrows choose, Ctrl+P again pauses)."""
        if self.selected_agent() is None:
            if self.agents.rowCount():
                self.agents.selectRow(0)
            self.agents.setFocus()
            return
        self._pause()

    def _pause(self) -> None:
        agent = self.selected_agent()
        if agent is None or agent.state == "paused":
            return
        prompt = self.tr("{name}（{ext}）を休止します。理由:").format(
            name=agent.name, ext=agent.extension
        )
        reasons = [translate("board_tables", r) for r in REASONS]
        reason, ok = ask_pause_reason(self, self.tr("オペレーターを休止"), prompt, reasons)
        if ok:
            self._send(self.model.pause_request(agent, True, reason))
        self.agents.setFocus()

    def _resume(self) -> None:
        agent = self.selected_agent()
        if agent is not None and agent.state == "paused":
            self._send(self.model.pause_request(agent, False))

    def _send(self, msg: Any) -> None:
        if self.send(msg) is False:  # the link says there is no connection
            self.model.on_error("network", "")
        else:
            self.model.sent(msg)

    def edit_thresholds(self) -> None:
        dialog = ThresholdDialog(self.model.thresholds, self)
        if dialog.exec():
            self.apply_thresholds(dialog.thresholds())

    def apply_thresholds(self, th: Thresholds) -> None:
        if self.settings is not None:
            save_thresholds(self.settings, th)
        self.model.set_thresholds(th)
