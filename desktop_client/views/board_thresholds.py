"""The supervisor's colour thresholds: kept in QSettings (``board/thresholds/*``), edited in a
small dialog. Ratios (service level, abandon rate) are shown and typed as percentages."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QWidget,
)

from ..i18n import QT_TRANSLATE_NOOP, translate
from ..models.board import Thresholds

# key -> label (QT_TRANSLATE_NOOP: lupdate reads them)
THRESHOLD_LABELS = {
    "waiting_warn": QT_TRANSLATE_NOOP("board_thresholds", "待ち呼：注意（件以上）"),
    "waiting_bad": QT_TRANSLATE_NOOP("board_thresholds", "待ち呼：警告（件以上）"),
    "wait_warn": QT_TRANSLATE_NOOP("board_thresholds", "最長待ち：注意（秒以上）"),
    "wait_bad": QT_TRANSLATE_NOOP("board_thresholds", "最長待ち：警告（秒以上）"),
    "sl_warn": QT_TRANSLATE_NOOP("board_thresholds", "サービスレベル：注意（%未満）"),
    "sl_bad": QT_TRANSLATE_NOOP("board_thresholds", "サービスレベル：警告（%未満）"),
    "abandon_warn": QT_TRANSLATE_NOOP("board_thresholds", "放棄率：注意（%以上）"),
    "abandon_bad": QT_TRANSLATE_NOOP("board_thresholds", "放棄率：警告（%以上）"),
}
PERCENT = ("sl_warn", "sl_bad", "abandon_warn", "abandon_bad")


def load_thresholds(settings: QSettings) -> Thresholds:
    data = {k: settings.value(f"board/thresholds/{k}") for k in Thresholds().as_dict()}
    return Thresholds.from_dict({k: v for k, v in data.items() if v is not None})


def save_thresholds(settings: QSettings, th: Thresholds) -> None:
    for k, v in th.as_dict().items():
        settings.setValue(f"board/thresholds/{k}", v)


class ThresholdDialog(QDialog):
    def __init__(self, current: Thresholds, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("しきい値"))
        form = QFormLayout(self)
        form.addRow(QLabel(self.tr("表の色が変わる値です。")))
        self.spins: dict[str, QDoubleSpinBox] = {}
        for key, value in current.as_dict().items():
            spin = QDoubleSpinBox(self)
            spin.setMinimumWidth(spin.fontMetrics().horizontalAdvance("0000.0") * 2)
            percent = key in PERCENT
            spin.setRange(0, 100 if percent else 3600)
            spin.setDecimals(0 if key.startswith(("waiting", "wait")) else 1)
            spin.setValue(value * 100 if percent else value)
            form.addRow(translate("board_thresholds", THRESHOLD_LABELS.get(key, key)), spin)
            self.spins[key] = spin
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("キャンセル"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def thresholds(self) -> Thresholds:
        return Thresholds.from_dict(
            {k: s.value() / 100 if k in PERCENT else s.value() for k, s in self.spins.items()}
        )
