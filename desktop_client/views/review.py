"""The はがき確認 section (supervisors and admins): the open review items of returned postcards,
the selected item's scan crops beside its editable answers. Keyboard first: Up/Down moves,
Ctrl+Enter accepts with the corrections, Ctrl+R rejects. The view never touches the network:
it emits signals and the controller answers through the model.

スキャン取込 (Ctrl+O) picks scan files (PNG, JPEG, TIFF, PDF) and hands them to the controller,
which uploads them; the summary of the read (applied, sent to review and why, read before)
stays above the list."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QPixmap, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..i18n import QT_TRANSLATE_NOOP, current_language, translate
from ..models.review import ReviewQueueModel, ScanUploadModel, UploadSummary
from . import shortcuts as keys
from .labels import english_detail, joined, refusal_text, when_text
from .language import Retranslating

REASONS = {
    "unreadable_file": QT_TRANSLATE_NOOP("review", "読めないファイル"),
    "no_barcode": QT_TRANSLATE_NOOP("review", "QRコードが読めない"),
    "unreadable_barcode": QT_TRANSLATE_NOOP("review", "QRコードの内容が不正"),
    "bad_check_digit": QT_TRANSLATE_NOOP("review", "はがき番号のチェックディジット不一致"),
    "unknown_resident": QT_TRANSLATE_NOOP("review", "該当する住民がいない"),
    "not_aligned": QT_TRANSLATE_NOOP("review", "位置合わせできない"),
    "none_marked": QT_TRANSLATE_NOOP("review", "無記入の設問"),
    "several_marked": QT_TRANSLATE_NOOP("review", "複数に印"),
    "faint_mark": QT_TRANSLATE_NOOP("review", "薄い印・消し跡"),
    "low_confidence": QT_TRANSLATE_NOOP("review", "OCRの確信度が低い"),
    "unknown_value": QT_TRANSLATE_NOOP("review", "OCRの値が選択肢にない"),
    "note_written": QT_TRANSLATE_NOOP("review", "自由記入欄に記入あり"),
    "contradicts_earlier": QT_TRANSLATE_NOOP("review", "以前の回答と食い違い"),
}
CHOICES = {
    "wants_vaccination": (
        ("yes", QT_TRANSLATE_NOOP("review", "はい")),
        ("no", QT_TRANSLATE_NOOP("review", "いいえ")),
    ),
    "mobility": (
        ("none", QT_TRANSLATE_NOOP("review", "不要")),
        ("pickup", QT_TRANSLATE_NOOP("review", "送迎")),
        ("wheelchair", QT_TRANSLATE_NOOP("review", "車いす")),
        ("companion", QT_TRANSLATE_NOOP("review", "付き添い")),
    ),
    "time_of_day": (
        ("am", QT_TRANSLATE_NOOP("review", "午前")),
        ("pm", QT_TRANSLATE_NOOP("review", "午後")),
        ("any", QT_TRANSLATE_NOOP("review", "どちらでも")),
    ),
}
QUESTION_LABELS = {
    "wants_vaccination": QT_TRANSLATE_NOOP("review", "接種希望"),
    "mobility": QT_TRANSLATE_NOOP("review", "移動支援"),
    "time_of_day": QT_TRANSLATE_NOOP("review", "希望時間帯"),
}


def reason_text(code: str) -> str:
    return translate("review", REASONS[code]) if code in REASONS else code


def summary_text(s: UploadSummary) -> str:
    """E.g. ``12 枚を読み取り: 反映 9 ／ 確認へ 2（複数に印 2） ／ 読込済み 1``."""
    parts = [
        translate("review", "反映 {n}").format(n=s.applied),
        translate("review", "確認へ {n}").format(n=s.review),
    ]
    if s.reasons:
        comma = ", " if current_language() == "en" else "、"
        why = comma.join(f"{reason_text(code)} {n}" for code, n in s.reasons)
        parts[-1] += translate("review", "（{why}）").format(why=why)
    if s.duplicates:
        parts.append(translate("review", "読込済み {n}（変更なし）").format(n=s.duplicates))
    if s.rejected:
        parts.append(translate("review", "却下済み {n}").format(n=s.rejected))
    head = translate("review", "{pages} 枚を読み取り").format(pages=s.pages)
    sep = " / " if current_language() == "en" else " ／ "
    return f"{head}: {sep.join(parts)}"


def upload_refusal_text(error: str, message: str, details: dict[str, Any]) -> str:
    """Why an upload was refused: a file the client could not open, one the server does not
    take, or a server without the postcard reader."""
    if error == "file":
        return translate("review", "ファイルを開けません: {name}").format(name=details.get("file"))
    if error == "paper_unavailable":
        return translate("review", "このサーバーにははがき読み取り機能（paper）がありません。")
    if error == "invalid_input" and details.get("field") == "file":
        text = translate("review", "PNG・JPEG・TIFF・PDF のスキャンだけを取り込めます。")
        return text + english_detail(message)
    return refusal_text(error, message, details)


class ReviewView(Retranslating, QWidget):
    accept_requested = Signal()
    reject_requested = Signal()
    reload_requested = Signal()
    upload_requested = Signal(list)  # the chosen scan files' paths

    def __init__(
        self,
        model: ReviewQueueModel,
        upload: ScanUploadModel | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.upload = upload if upload is not None else ScanUploadModel()
        self.upload_button = QPushButton(self)
        self.upload_button.clicked.connect(self.choose_scans)
        self.upload_status = QLabel(self)
        self.upload_status.setWordWrap(True)
        self.upload_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(0, 3, self)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(False)
        self.table.currentCellChanged.connect(lambda row, *_: self.model.select(row))
        self.card = QLabel(self)
        self.note = QLabel(self)
        for image in (self.card, self.note):
            image.setAlignment(Qt.AlignmentFlag.AlignCenter)
            image.setMinimumSize(240, 120)
        self.combos: dict[str, QComboBox] = {}
        self.form = QFormLayout()
        self.form_labels: dict[str, QLabel] = {}
        for key in CHOICES:
            combo = QComboBox(self)
            combo.activated.connect(lambda _i, k=key: self._chosen(k))
            self.combos[key] = combo
            self.form_labels[key] = QLabel(self)
            self.form.addRow(self.form_labels[key], combo)
        self.barcode = QLineEdit(self)
        self.barcode.textEdited.connect(self.model.set_barcode)
        self.barcode_label = QLabel(self)
        self.form.addRow(self.barcode_label, self.barcode)
        self.hint = QLabel(self)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self._layout()
        self.setFocusProxy(self.table)
        ctx = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for key in (keys.SUBMIT, "Ctrl+Enter"):
            QShortcut(QKeySequence(key), self, self.accept_requested.emit, context=ctx)
        QShortcut(QKeySequence(keys.RELOAD), self, self.reject_requested.emit, context=ctx)
        QShortcut(QKeySequence("F5"), self, self.reload_requested.emit, context=ctx)
        QShortcut(QKeySequence(keys.UPLOAD_SCANS), self, self.choose_scans, context=ctx)
        self.images: dict[str, QPixmap | None] = {"card": None, "note": None}
        model.subscribe(self.refresh)
        self.upload.subscribe(self.refresh_upload)
        self.retranslate()

    def _layout(self) -> None:
        side = QVBoxLayout()
        side.addWidget(self.card, 2)
        side.addWidget(self.note, 1)
        side.addLayout(self.form)
        side.addWidget(self.hint)
        side.addWidget(self.status)
        top = QHBoxLayout()
        top.addWidget(self.upload_button)
        top.addWidget(self.upload_status, 1)
        main = QVBoxLayout()
        main.addLayout(top)
        main.addWidget(self.table, 1)
        row = QHBoxLayout(self)
        row.addLayout(main, 1)
        row.addLayout(side, 1)

    def choose_scans(self) -> None:
        """Pick scan files and ask for their upload (nothing while one is under way)."""
        if self.upload.status == "busy":
            return
        files, _ = QFileDialog.getOpenFileNames(
            self,
            self.tr("返送はがきのスキャンを選ぶ"),
            "",
            self.tr("スキャン (*.png *.jpg *.jpeg *.tif *.tiff *.pdf)"),
        )
        if files:
            self.upload_requested.emit(files)

    def retranslate(self) -> None:
        self.table.setHorizontalHeaderLabels(
            [self.tr("理由"), self.tr("はがき番号"), self.tr("受付日時")]
        )
        for key, label in self.form_labels.items():
            label.setText(translate("review", QUESTION_LABELS[key]))
        self.barcode_label.setText(self.tr("はがき番号"))
        self.hint.setText(self.tr("↑↓: 移動 ／ Ctrl+Enter: 確定（修正を反映） ／ Ctrl+R: 却下"))
        self.upload_button.setText(keys.with_key(self.tr("スキャン取込…"), keys.UPLOAD_SCANS))
        self.refresh()
        self.refresh_upload()

    def refresh_upload(self) -> None:
        u = self.upload
        self.upload_button.setEnabled(u.status != "busy")
        if u.status == "busy":
            text = self.tr("{n} ファイルを送信して読み取り中…").format(n=u.files)
        elif u.status == "failed":
            text = self.tr("サーバーに接続できません。")
        elif u.status == "refused":
            text = upload_refusal_text(u.error, u.message, u.details)
        elif u.summary is not None:
            text = summary_text(u.summary)
        else:
            text = ""
        self.upload_status.setText(text)

    def _chosen(self, key: str) -> None:
        self.model.set_answer(key, self.combos[key].currentData())

    def set_image(self, which: str, data: bytes | None) -> None:
        """The controller hands the fetched scan crop (None: no image)."""
        pix = QPixmap()
        if data is None or not pix.loadFromData(data):
            self.images[which] = None
        else:
            self.images[which] = pix
        self._fit_images()

    def _fit_images(self) -> None:
        """Each crop as large as its place allows (again after every resize)."""
        for which, label in (("card", self.card), ("note", self.note)):
            pix = self.images[which]
            if pix is None:
                label.clear()
            else:
                label.setPixmap(
                    pix.scaled(
                        label.size(),
                        Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation,
                    )
                )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_images()

    def refresh(self) -> None:
        m = self.model
        self.table.blockSignals(True)
        self.table.setRowCount(len(m.items))
        for row, item in enumerate(m.items):
            reasons = joined(reason_text(r.code) for r in item.reasons)
            for col, text in enumerate((reasons, item.barcode or "—", when_text(item.created_at))):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        if m.current >= 0:
            self.table.setCurrentCell(m.current, 0)
        self.table.blockSignals(False)
        for key, combo in self.combos.items():
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(self.tr("（未回答）"), None)
            for value, label in CHOICES[key]:
                combo.addItem(translate("review", label), value)
            combo.setCurrentIndex(max(0, combo.findData(m.answers.get(key))))
            combo.setEnabled(m.item is not None)
            combo.blockSignals(False)
        if self.barcode.text() != m.barcode:
            self.barcode.setText(m.barcode)
        self.barcode.setEnabled(m.needs_barcode)
        self.status.setText(self._status_text())

    def _status_text(self) -> str:
        m = self.model
        if m.status == "busy":
            return self.tr("送信中…")
        if m.status == "failed":
            return self.tr("サーバーに接続できません。")
        if m.status == "refused":
            return refusal_text(m.error, m.message, m.details)
        if not m.items:
            return self.tr("確認待ちのはがきはありません。")
        return ""
