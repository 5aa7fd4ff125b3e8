"""キャンペーン設定 (admins): the wrap-up codes and the mobility-support options (code, Japanese
and English label; rows added, removed, renamed; one table, the list chosen above it), the
callback worklist's retry policy (attempts, interval, calling hours), whether the intent asks
about mobility support, and the history of each setting (``ConfigHistoryBox``).

The view only emits what the admin asked for; ``campaign.CampaignConfigController`` talks to the
server. Each part is saved on its own, with the version it was loaded at.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from ..models.campaign import CODED, INTENT_QUESTIONS, RETRY_POLICY, CampaignConfigModel
from .config_history import ConfigHistoryBox, key_text
from .labels import error_text
from .language import Retranslating

RETRY_NUMBERS = (("max_attempts", 1, 20), ("interval_minutes", 1, 7 * 24 * 60),
                 ("claim_minutes", 1, 24 * 60))  # fmt: skip


RETRY_ORDER = ("max_attempts", "interval_minutes", "earliest", "latest", "claim_minutes")


class CampaignConfigView(Retranslating, QWidget):
    save_requested = Signal(str)  # the key saved
    reload_requested = Signal()

    def __init__(self, model: CampaignConfigModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self._filling = False
        self.codes_box = QGroupBox()
        self.list_choice = QComboBox()
        self.list_choice.activated.connect(lambda i: self.model.choose_list(CODED[i]))
        self.codes = QTableWidget(0, 3)
        self.codes.horizontalHeader().setStretchLastSection(True)
        self.codes.itemChanged.connect(self._cell_changed)
        self.add_button = QPushButton()
        self.remove_button = QPushButton()
        self.save_codes_button = QPushButton()
        self.add_button.clicked.connect(self._add_row)
        self.remove_button.clicked.connect(self._remove_row)
        self.save_codes_button.clicked.connect(
            lambda: self.save_requested.emit(self.model.list_key)
        )
        buttons = QHBoxLayout()
        for b in (self.add_button, self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.save_codes_button)
        box = QVBoxLayout(self.codes_box)
        box.addWidget(self.list_choice)
        box.addWidget(self.codes)
        box.addLayout(buttons)

        self.retry_box = QGroupBox()
        self.attempts, self.interval, self.claim = QSpinBox(), QSpinBox(), QSpinBox()
        for spin, (name, low, high) in zip(
            (self.attempts, self.interval, self.claim), RETRY_NUMBERS, strict=True
        ):
            spin.setRange(low, high)
            spin.valueChanged.connect(lambda v, n=name: self._retry_changed(n, v))
        self.earliest, self.latest = QTimeEdit(), QTimeEdit()
        for edit, name in ((self.earliest, "earliest"), (self.latest, "latest")):
            edit.setDisplayFormat("HH:mm")
            edit.timeChanged.connect(lambda t, n=name: self._retry_changed(n, t.toString("HH:mm")))
        self.save_retry_button = QPushButton()
        self.save_retry_button.clicked.connect(lambda: self.save_requested.emit(RETRY_POLICY))
        self.retry_form = QFormLayout(self.retry_box)
        self.labels = [QLabel() for _ in range(5)]
        for label, field in zip(
            self.labels,
            (self.attempts, self.interval, self.earliest, self.latest, self.claim),
            strict=True,
        ):
            self.retry_form.addRow(label, field)
        self.retry_form.addRow(self.save_retry_button)

        self.intent_box = QGroupBox()
        self.asks_mobility = QCheckBox()
        self.asks_mobility.toggled.connect(self._asks_toggled)
        self.save_intent_button = QPushButton()
        self.save_intent_button.clicked.connect(lambda: self.save_requested.emit(INTENT_QUESTIONS))
        intent = QHBoxLayout(self.intent_box)
        intent.addWidget(self.asks_mobility, 1)
        intent.addWidget(self.save_intent_button)
        self.history = ConfigHistoryBox(model)

        self.reload_button = QPushButton()
        self.reload_button.clicked.connect(self.reload_requested.emit)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        columns = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(self.codes_box, 2)
        left.addWidget(self.retry_box)
        left.addWidget(self.intent_box)
        columns.addLayout(left, 3)
        columns.addWidget(self.history, 2)
        layout.addLayout(columns)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.reload_button)
        layout.addLayout(bottom)
        model.subscribe(self.refresh)
        self.retranslate()
        self.refresh()

    def retranslate(self) -> None:
        self.codes_box.setTitle(self.tr("選択肢の一覧"))
        self.list_choice.clear()
        self.list_choice.addItems([key_text(k) for k in CODED])
        self.intent_box.setTitle(self.tr("意向確認の質問"))
        self.asks_mobility.setText(self.tr("移動支援が必要かを尋ねる"))
        self.save_intent_button.setText(self.tr("質問の設定を保存"))
        self.history.retranslate()
        self.codes.setHorizontalHeaderLabels(
            [self.tr("コード"), self.tr("日本語"), self.tr("英語")]
        )
        self.add_button.setText(self.tr("行を追加"))
        self.remove_button.setText(self.tr("選択行を削除"))
        self._save_codes_text()
        self.retry_box.setTitle(self.tr("折り返しの再試行"))
        texts = (self.tr("試行回数"), self.tr("間隔（分）"), self.tr("架電開始"),
                 self.tr("架電終了"), self.tr("担当の保持（分）"))  # fmt: skip
        for label, text in zip(self.labels, texts, strict=True):
            label.setText(text)
        self.save_retry_button.setText(self.tr("再試行の設定を保存"))
        self.reload_button.setText(self.tr("再読み込み"))
        self._show_status()

    def _save_codes_text(self) -> None:
        if self.model.list_key == CODED[0]:
            self.save_codes_button.setText(self.tr("通話結果コードを保存"))
        else:
            self.save_codes_button.setText(self.tr("移動支援の選択肢を保存"))

    # ---- from the model
    def refresh(self) -> None:
        m = self.model
        self._filling = True
        try:
            if self.list_choice.count() == len(CODED):
                self.list_choice.setCurrentIndex(CODED.index(m.list_key))
            self._save_codes_text()
            self.asks_mobility.setChecked(m.asks_mobility)
            if self.codes.rowCount() != len(m.codes) or self._table() != m.codes:
                self.codes.setRowCount(len(m.codes))
                for r, row in enumerate(m.codes):
                    for c, text in enumerate(row):
                        self.codes.setItem(r, c, QTableWidgetItem(text))
            retry = m.retry
            for spin, (name, _, _) in zip(
                (self.attempts, self.interval, self.claim), RETRY_NUMBERS, strict=True
            ):
                if isinstance(retry.get(name), int):
                    spin.setValue(retry[name])
            for edit, name in ((self.earliest, "earliest"), (self.latest, "latest")):
                if isinstance(retry.get(name), str):
                    edit.setTime(QTime.fromString(retry[name], "HH:mm"))
        finally:
            self._filling = False
        busy = m.status == "busy" or not m.loaded
        for b in (self.save_codes_button, self.save_retry_button, self.add_button,
                  self.remove_button, self.save_intent_button):  # fmt: skip
            b.setEnabled(not busy)
        self._show_status()

    def _table(self) -> list[list[str]]:
        out = []
        for r in range(self.codes.rowCount()):
            items = [self.codes.item(r, c) for c in range(3)]
            out.append([i.text().strip() if i is not None else "" for i in items])
        return out

    def _show_status(self) -> None:
        m = self.model
        if m.status == "busy":
            text = self.tr("送信中…")
        elif m.notice == "stale":
            text = self.tr("他の人が先に変更しました。保存されている内容を読み込み直しました。")
        elif m.status == "refused":
            text = error_text(m.error, m.message) + self._field_text(
                str(m.details.get("field", ""))
            )
        elif m.status == "failed":
            text = self.tr("送信できませんでした: ") + error_text(m.error, m.message)
        elif m.notice == "saved":
            text = self.tr("保存しました。")
        elif m.notice == "loaded":
            text = self.tr(
                "{key} の版 {version} を読み込みました。保存すると新しい版になります。"
            ).format(key=key_text(m.history_key), version=m.loaded_version)
        else:
            text = ""
        self.status.setText(text)

    def _field_text(self, field: str) -> str:
        """Where the refused input is: a row and column of the codes, or a retry field."""
        found = re.fullmatch(r"value\[(\d+)\]\.?(code|ja|en)?", field)
        if found:
            column = {"code": self.tr("コード"), "ja": self.tr("日本語"), "en": self.tr("英語")}
            where = self.tr("{row} 行目").format(row=int(found[1]) + 1)
            return f" ({where} {column.get(found[2] or '', '')})".replace(" )", ")")
        names = dict(zip(RETRY_ORDER, (lab.text() for lab in self.labels), strict=True))
        return f" ({names[field]})" if field in names else ""

    # ---- edits
    def _cell_changed(self, item: QTableWidgetItem) -> None:
        if not self._filling:
            self.model.set_cell(item.row(), item.column(), item.text())

    def _asks_toggled(self, on: bool) -> None:
        if not self._filling:
            self.model.set_asks_mobility(on)

    def _retry_changed(self, name: str, value: object) -> None:
        if not self._filling:
            self.model.set_retry(name, value)

    def _add_row(self) -> None:
        row = self.model.add_code()
        self.codes.setCurrentCell(row, 0)
        self.codes.editItem(self.codes.item(row, 0))

    def _remove_row(self) -> None:
        row = self.codes.currentRow()
        if row >= 0:
            self.model.remove_code(row)
