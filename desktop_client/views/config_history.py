"""The history of one campaign setting (キャンペーン設定 → 変更履歴): its saved versions with who
saved them and when; the one selected is loaded into the editor, to be saved as a new version."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..i18n import translate
from ..models.campaign import (
    DISPOSITIONS,
    INTENT_QUESTIONS,
    KEYS,
    MOBILITY_OPTIONS,
    RETRY_POLICY,
    CampaignConfigModel,
)
from .labels import when_text


def key_text(key: str) -> str:
    return {
        DISPOSITIONS: translate("config_history", "通話結果コード"),
        MOBILITY_OPTIONS: translate("config_history", "移動支援の選択肢"),
        RETRY_POLICY: translate("config_history", "折り返しの再試行"),
        INTENT_QUESTIONS: translate("config_history", "意向確認の質問"),
    }.get(key, key)


class ConfigHistoryBox(QGroupBox):
    history_requested = Signal(str)  # the key whose versions to list

    def __init__(self, model: CampaignConfigModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.key_choice = QComboBox(self)
        self.key_choice.activated.connect(
            lambda i: self.history_requested.emit(KEYS[i]) if 0 <= i < len(KEYS) else None
        )
        self.table = QTableWidget(0, 3, self)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._enable)
        self.load_button = QPushButton(self)
        self.load_button.clicked.connect(self._load)
        top = QHBoxLayout()
        top.addWidget(self.key_choice, 1)
        top.addWidget(self.load_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table)
        model.subscribe(self.refresh)

    def retranslate(self) -> None:
        self.setTitle(translate("config_history", "変更履歴"))
        self.key_choice.clear()
        self.key_choice.addItems([key_text(k) for k in KEYS])
        self.table.setHorizontalHeaderLabels(
            [translate("config_history", "版"), translate("config_history", "保存した人"),
             translate("config_history", "日時")]
        )  # fmt: skip
        self.load_button.setText(translate("config_history", "この版を編集欄に読み込む"))
        self.refresh()

    def refresh(self) -> None:
        m = self.model
        if self.key_choice.count() == len(KEYS):
            self.key_choice.setCurrentIndex(KEYS.index(m.history_key))
        shown = [self._row_texts(e.version, e.created_by_name, e.created_by, e.created_at)
                 for e in m.history]  # fmt: skip
        if shown != self._table():
            self.table.setRowCount(len(shown))
            for r, texts in enumerate(shown):
                for c, text in enumerate(texts):
                    self.table.setItem(r, c, QTableWidgetItem(text))
        self._enable()

    @staticmethod
    def _row_texts(version: int, name: str, by: int | None, at: str | None) -> list[str]:
        who = name or (f"#{by}" if by is not None else "—")
        return [str(version), who, when_text(at) if at else ""]

    def _table(self) -> list[list[str]]:
        return [
            [(self.table.item(r, c).text() if self.table.item(r, c) else "") for c in range(3)]
            for r in range(self.table.rowCount())
        ]

    def selected_version(self) -> int | None:
        row = self.table.currentRow()
        if 0 <= row < len(self.model.history) and self.table.selectionModel().hasSelection():
            return self.model.history[row].version
        return None

    def _enable(self) -> None:
        self.load_button.setEnabled(
            self.selected_version() is not None and self.model.status != "busy"
        )

    def _load(self) -> None:
        version = self.selected_version()
        if version is not None:
            self.model.load_version(version)
