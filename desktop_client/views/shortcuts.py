"""Every keyboard shortcut in one table: used to bind keys, label buttons and show the help."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QHeaderView, QTableWidget, QTableWidgetItem, QVBoxLayout

from ..i18n import QT_TRANSLATE_NOOP, translate

CONFIRM = "F2"
SEARCH = "F3"
CARD = "F4"
BOOKING = "F5"
MOBILITY = "F6"
WRAPUP = "F7"
BOARD = "F8"  # supervisors and admins only
VENUES = "F9"  # 会場・枠, supervisors and admins only
REVIEW = "F10"  # はがき確認, supervisors and admins only
ASSIGN = "Ctrl+F10"  # 割り当て, supervisors and admins only
WORKLIST = "Ctrl+K"  # 折り返し, the callback worklist
PAUSE_AGENT = "Ctrl+P"  # board: pause the selected operator
RESUME_AGENT = "Ctrl+Shift+P"  # board: resume the selected operator
BARCODE = "Ctrl+B"  # はがき番号 field of the search
INTENT = "Ctrl+I"  # 意向確認 form of the resident card
VENUE_ADD = "Ctrl+N"
VENUE_SAVE = "Ctrl+S"
VENUE_TOGGLE = "Ctrl+D"
CAPACITY = "Ctrl+E"
SLOT_DELETE = "Delete"
RELOAD = "Ctrl+R"
UPLOAD_SCANS = "Ctrl+O"  # はがき確認: upload returned postcards' scans
HELP = "F1"
SUBMIT = "Ctrl+Return"
CANCEL_BOOKING = "Ctrl+Shift+Delete"
CANNOT_COME = "Ctrl+Shift+U"  # booking: the resident cannot come that day
PAUSE = "F11"  # 休止 with a reason
READY = "F12"  # 受付可 / 後処理を完了

# (keys, description) -- descriptions are translation sources
TABLE: tuple[tuple[str, str], ...] = (
    ("Enter / F2", QT_TRANSLATE_NOOP("shortcuts", "先頭（選択中）の候補を確定")),
    ("↑ / ↓", QT_TRANSLATE_NOOP("shortcuts", "候補を選ぶ")),
    ("1–9", QT_TRANSLATE_NOOP("shortcuts", "番号の候補を確定")),
    ("F3", QT_TRANSLATE_NOOP("shortcuts", "検索（氏名・生年月日・電話・住所）")),
    ("F4", QT_TRANSLATE_NOOP("shortcuts", "住民カード")),
    ("F5", QT_TRANSLATE_NOOP("shortcuts", "予約")),
    ("F6", QT_TRANSLATE_NOOP("shortcuts", "移動支援")),
    ("F7", QT_TRANSLATE_NOOP("shortcuts", "通話メモ（後処理）")),
    ("F8", QT_TRANSLATE_NOOP("shortcuts", "監視ボード（スーパーバイザー）")),
    ("F9", QT_TRANSLATE_NOOP("shortcuts", "会場・枠の管理（スーパーバイザー・管理者）")),
    ("F10", QT_TRANSLATE_NOOP("shortcuts", "はがき確認（スーパーバイザー・管理者）")),
    ("Ctrl+F10", QT_TRANSLATE_NOOP("shortcuts", "割り当て（スーパーバイザー・管理者）")),
    (
        "Ctrl+Enter / Ctrl+R",
        QT_TRANSLATE_NOOP("shortcuts", "はがき確認: 修正を反映して確定 / 却下"),
    ),
    ("Ctrl+O", QT_TRANSLATE_NOOP("shortcuts", "はがき確認: 返送はがきのスキャンを取り込む")),
    (
        "Ctrl+P / Ctrl+Shift+P",
        QT_TRANSLATE_NOOP("shortcuts", "監視ボード: 選択中のオペレーターを休止 / 再開"),
    ),
    ("Ctrl+B", QT_TRANSLATE_NOOP("shortcuts", "はがき番号（バーコード）で探す")),
    ("Ctrl+I", QT_TRANSLATE_NOOP("shortcuts", "意向確認を記録する（住民カード）")),
    (
        "Ctrl+N / Ctrl+S / Ctrl+D",
        QT_TRANSLATE_NOOP("shortcuts", "会場: 追加 / 保存 / 無効・有効（会場・枠）"),
    ),
    ("Ctrl+E / Delete", QT_TRANSLATE_NOOP("shortcuts", "枠: 定員を変更 / 削除（会場・枠）")),
    ("Ctrl+R", QT_TRANSLATE_NOOP("shortcuts", "再読み込み（会場・枠）")),
    ("Ctrl+Enter", QT_TRANSLATE_NOOP("shortcuts", "表示中の用紙を送信")),
    ("Ctrl+Shift+Delete", QT_TRANSLATE_NOOP("shortcuts", "予約を取り消す")),
    (
        "Ctrl+Shift+U",
        QT_TRANSLATE_NOOP("shortcuts", "予約: この日は来られない（取消して候補を表示）"),
    ),
    ("Esc", QT_TRANSLATE_NOOP("shortcuts", "検索を閉じて候補に戻る")),
    ("Ctrl+K", QT_TRANSLATE_NOOP("shortcuts", "折り返しリスト")),
    (
        "Ctrl+N / Ctrl+D",
        QT_TRANSLATE_NOOP("shortcuts", "折り返し: 次を取る / 番号に発信"),
    ),
    ("F11", QT_TRANSLATE_NOOP("shortcuts", "休止する（理由を選ぶ）")),
    ("F12", QT_TRANSLATE_NOOP("shortcuts", "受付可にする / 後処理を完了")),
    ("F1", QT_TRANSLATE_NOOP("shortcuts", "ショートカット一覧")),
)


def with_key(label: str, key: str) -> str:
    """A button label showing its shortcut: ``予約する (Ctrl+Enter)``."""
    return f"{label}  ({key.replace('Return', 'Enter')})"


class ShortcutsDialog(QDialog):
    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self.setWindowTitle(self.tr("ショートカット一覧"))
        table = QTableWidget(len(TABLE), 2, self)
        table.setHorizontalHeaderLabels([self.tr("キー"), self.tr("操作")])
        for row, (keys, what) in enumerate(TABLE):
            table.setItem(row, 0, QTableWidgetItem(keys))
            table.setItem(row, 1, QTableWidgetItem(translate("shortcuts", what)))
        table.verticalHeader().hide()
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        self.resize(560, 460)
