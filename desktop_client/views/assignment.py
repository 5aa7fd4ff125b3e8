"""The 割り当て section (supervisors and admins): the rules of an assignment, a dry run (試算)
and its report (assigned per day and venue, not assigned and why, households split, the share at
their nearest venue, the latest date), and the commit (確定) after a confirmation. Keyboard:
Ctrl+R runs the dry run, Ctrl+Enter commits. The view never touches the network: it emits
signals and the controller answers through the model."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..i18n import QT_TRANSLATE_NOOP, translate
from ..models.assignment import AssignmentModel
from ..models.dates import parse_iso_date
from . import shortcuts as keys
from .labels import day_text, refusal_text
from .language import Retranslating

REASONS = {
    "no_capacity": QT_TRANSLATE_NOOP("assignment", "空きがない"),
    "no_transport_seats": QT_TRANSLATE_NOOP("assignment", "送迎の席がない"),
    "no_wheelchair_slot": QT_TRANSLATE_NOOP("assignment", "車いす対応の枠がない"),
    "no_second_dose_slot": QT_TRANSLATE_NOOP("assignment", "2回目の枠がない"),
    "unavailable_days": QT_TRANSLATE_NOOP("assignment", "来場できない日ばかり"),
}
PREFER = (
    ("nearest", QT_TRANSLATE_NOOP("assignment", "近い会場を優先")),
    ("earliest", QT_TRANSLATE_NOOP("assignment", "早い日を優先")),
)


def reason_text(code: str) -> str:
    return translate("assignment", REASONS[code]) if code in REASONS else code


class AssignmentView(Retranslating, QWidget):
    plan_requested = Signal()
    commit_requested = Signal()
    notices_requested = Signal(str)  # the file to save the notices PDF to

    def __init__(self, model: AssignmentModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.prefer = QComboBox(self)
        self.second = QSpinBox(self)
        self.second.setRange(0, 365)
        self.bands = QLineEdit(self)
        self.bands.setPlaceholderText("85-,75-84,65-74,0-64")
        self.move = QCheckBox(self)
        self.plan = QPushButton(self)
        self.commit = QPushButton(self)
        self.notices = QPushButton(self)
        self.notices_status = QLabel(self)
        self.notices_status.setWordWrap(True)
        self.notices_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(0, 3, self)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.labels = {k: QLabel(self) for k in ("prefer", "second", "bands")}
        self._layout()
        for signal in (self.prefer.activated, self.second.valueChanged):
            signal.connect(self._rules_changed)
        self.bands.textEdited.connect(self._rules_changed)
        self.move.toggled.connect(self._rules_changed)
        self.plan.clicked.connect(self.plan_requested.emit)
        self.commit.clicked.connect(self.confirm_commit)
        self.notices.clicked.connect(self.ask_where_to_save)
        ctx = Qt.ShortcutContext.WidgetWithChildrenShortcut
        QShortcut(QKeySequence(keys.RELOAD), self, self.plan_requested.emit, context=ctx)
        for key in (keys.SUBMIT, "Ctrl+Enter"):
            QShortcut(QKeySequence(key), self, self.confirm_commit, context=ctx)
        self.setFocusProxy(self.prefer)
        model.subscribe(self.refresh)
        self.retranslate()

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow(self.labels["prefer"], self.prefer)
        form.addRow(self.labels["second"], self.second)
        form.addRow(self.labels["bands"], self.bands)
        form.addRow("", self.move)
        buttons = QHBoxLayout()
        buttons.addWidget(self.plan)
        buttons.addWidget(self.commit)
        buttons.addStretch(1)
        side = QVBoxLayout()
        side.addLayout(form)
        side.addLayout(buttons)
        side.addWidget(self.summary)
        side.addWidget(self.status)
        notices = QHBoxLayout()
        notices.addWidget(self.notices)
        notices.addStretch(1)
        side.addLayout(notices)
        side.addWidget(self.notices_status)
        side.addStretch(1)
        row = QHBoxLayout(self)
        row.addLayout(side, 1)
        row.addWidget(self.table, 1)

    def retranslate(self) -> None:
        self.labels["prefer"].setText(self.tr("優先"))
        self.labels["second"].setText(self.tr("2回目（日後、0: なし）"))
        self.labels["bands"].setText(self.tr("年齢区分（優先順）"))
        self.move.setText(self.tr("割り当て済みの人も組み直す（始まっていない枠のみ）"))
        self.plan.setText(keys.with_key(self.tr("試算"), keys.RELOAD))
        self.commit.setText(keys.with_key(self.tr("確定して予約を作成"), keys.SUBMIT))
        self.notices.setText(self.tr("指定通知はがきのPDFを保存…"))
        self.notices.setToolTip(
            self.tr("割り当て済みの予約すべての指定通知（はがき）を1つのPDFにします。")
        )
        self.table.setHorizontalHeaderLabels([self.tr("日付"), self.tr("会場"), self.tr("人数")])
        self.prefer.blockSignals(True)
        self.prefer.clear()
        for value, label in PREFER:
            self.prefer.addItem(translate("assignment", label), value)
        self.prefer.blockSignals(False)
        self.refresh()

    def _rules_changed(self, *_: object) -> None:
        self.model.set_rules(
            prefer=str(self.prefer.currentData() or "nearest"),
            second_dose_days=self.second.value() or None,
            bands=self.bands.text(),
            move_assigned=self.move.isChecked(),
        )

    def confirm_commit(self) -> None:
        r = self.model.report
        if not self.model.can_commit() or r is None:
            return
        asked = QMessageBox.question(
            self,
            self.tr("割り当ての確定"),
            self.tr("{n} 人に接種日時と会場を割り当て、予約を作成します。よろしいですか？").format(
                n=r.assigned
            ),
        )
        if asked == QMessageBox.StandardButton.Yes:
            self.commit_requested.emit()

    def ask_where_to_save(self) -> None:
        if self.model.notices == "busy":
            return
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("指定通知の保存先"), "notices.pdf", self.tr("PDF (*.pdf)")
        )
        if path:
            self.notices_requested.emit(path if path.lower().endswith(".pdf") else path + ".pdf")

    def refresh(self) -> None:
        m = self.model
        self.notices.setEnabled(m.notices != "busy")
        self.notices_status.setText(self._notices_text())
        self.prefer.setCurrentIndex(max(0, self.prefer.findData(m.prefer)))
        busy = m.status == "busy"
        self.plan.setEnabled(not busy)
        self.commit.setEnabled(m.can_commit())
        r = m.report
        rows = list(r.per_day_venue) if r is not None else []
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            day = parse_iso_date(row.day)
            texts = (day_text(day) if day else row.day, row.venue_name, str(row.residents))
            for col, text in enumerate(texts):
                self.table.setItem(i, col, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.summary.setText(self._summary_text())
        self.status.setText(self._status_text())

    def _summary_text(self) -> str:
        r = self.model.report
        if r is None:
            return self.tr("試算すると、書き込む前に結果を確認できます。")
        lines = [
            self.tr("対象 {c} 人: 割り当て {a} 人、割り当てできない {n} 人").format(
                c=r.candidates, a=r.assigned, n=r.not_assigned
            )
        ]
        for code, count in r.reasons.items():
            lines.append(self.tr("　・{reason}: {n} 人").format(reason=reason_text(code), n=count))
        share = "—" if r.nearest_share is None else f"{100 * r.nearest_share:.1f} %"
        latest = parse_iso_date(r.latest_date) if r.latest_date else None
        lines += [
            self.tr("世帯（2人以上）{h}、別々の枠になった世帯 {s}").format(
                h=r.households, s=r.households_split
            ),
            self.tr("最寄りの会場: {share}　最も遅い日: {latest}").format(
                share=share, latest=day_text(latest) if latest else "—"
            ),
            self.tr("2回目 {d} 件、送迎あり {t} 人").format(d=r.second_doses, t=r.with_transport),
        ]
        if r.moved or r.unseated:
            lines.append(
                self.tr("別の枠へ移る {m} 人、枠がなくなる {u} 人").format(m=r.moved, u=r.unseated)
            )
        return "\n".join(lines)

    def _notices_text(self) -> str:
        m = self.model
        if m.notices == "busy":
            return self.tr("指定通知を作成中…")
        if m.notices == "saved":
            size = f"{max(1, m.notices_bytes // 1024):,} KB"
            return self.tr("保存しました: {path}（{size}）").format(path=m.notices_path, size=size)
        if m.notices == "failed":
            return self.tr("サーバーに接続できません。")
        if m.notices == "refused" and m.notices_error == "file":
            return self.tr("ファイルに書き込めません: {why}").format(why=m.notices_message)
        if m.notices == "refused":
            return refusal_text(m.notices_error, m.notices_message, {})
        return ""

    def _status_text(self) -> str:
        m = self.model
        if m.status == "busy":
            return self.tr("計算中…")
        if m.status == "failed":
            return self.tr("サーバーに接続できません。")
        if m.status == "refused" and m.details.get("plan_changed"):
            return self.tr("試算の後に台帳が変わりました。もう一度試算してください。")
        if m.status == "refused":
            return refusal_text(m.error, m.message, m.details)
        if m.status == "planned":
            return self.tr("試算です（まだ書き込んでいません）。")
        if m.status == "committed" and m.report is not None:
            return self.tr("{n} 件の予約を作成しました。").format(n=m.report.bookings_written)
        return ""
