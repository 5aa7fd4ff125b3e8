"""The screen-pop panel: caller, queue, wait (ticking), candidates by household, and search."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..models.dates import format_wait
from ..models.pop import PopModel
from ..models.search import BARCODE_LENGTH, FIELDS, SearchModel, barcode_digits
from . import shortcuts as keys
from .candidates import CandidateTree
from .labels import barcode_text, call_state_text, caller_text
from .language import Retranslating

DEBOUNCE_MS = 250


class PopView(Retranslating, QWidget):
    confirmed = Signal(int)  # resident_id chosen by the operator
    search_requested = Signal()  # the search fields settled (debounced)
    barcode_entered = Signal(str)  # a postcard number: 12 digits typed, or Enter (a scanner)

    def __init__(self, model: PopModel, search: SearchModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model, self.search = model, search
        self.caller = QLabel(objectName="caller")
        big = QFont(self.font())
        big.setPointSizeF(big.pointSizeF() * 1.8)
        big.setBold(True)
        self.caller.setFont(big)
        self.caller.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta = QLabel(objectName="meta")
        self.ledger_banner = QLabel(objectName="ledgerBanner", wordWrap=True)
        self.ledger_banner.setStyleSheet(
            "background: #b00020; color: white; font-weight: bold; padding: 6px;"
        )
        self.ledger_banner.hide()
        self.flags = QLabel(objectName="popFlags")  # a repeat caller; a call we lost sight of
        self.flags.setStyleSheet("color: #8a4b00; font-weight: bold;")
        self.flags.setVisible(False)
        self.lookup_error = QLabel(objectName="lookupError")
        self.lookup_error.setStyleSheet("color: #b00020;")
        self.tree = CandidateTree(self)
        self.confirm_button = QPushButton(self)
        self.search_box = QGroupBox(self)
        self.fields: dict[str, QLineEdit] = {f: QLineEdit(self) for f in FIELDS}
        self.results = CandidateTree(self)
        self.search_state = QLabel(self)
        self._field_labels: dict[str, QLabel] = {f: QLabel(self) for f in FIELDS}
        self.barcode = QLineEdit(self, objectName="barcode", maxLength=40)
        self._barcode_label = QLabel(self)
        self.barcode_state = QLabel(self, wordWrap=True, objectName="barcodeState")
        self.barcode_state.setStyleSheet("color: #b00020; font-weight: bold;")
        self._barcode_sent = ""
        self._layout()
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self.search_requested.emit)
        self._tick = QTimer(self, interval=1000)
        self._tick.timeout.connect(self._update_wait)
        self._tick.start()
        self._wire()
        model.subscribe(self.refresh)
        search.subscribe(self.refresh_search)
        self.retranslate()

    def _layout(self) -> None:
        top = QVBoxLayout()
        top.addWidget(self.ledger_banner)
        top.addWidget(self.caller)
        top.addWidget(self.meta)
        top.addWidget(self.flags)
        top.addWidget(self.lookup_error)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.confirm_button)
        grid = QGridLayout(self.search_box)
        for i, f in enumerate(FIELDS):
            grid.addWidget(self._field_labels[f], i // 2, (i % 2) * 2)
            grid.addWidget(self.fields[f], i // 2, (i % 2) * 2 + 1)
        grid.addWidget(self._barcode_label, 2, 0)
        grid.addWidget(self.barcode, 2, 1)
        grid.addWidget(self.barcode_state, 3, 0, 1, 4)
        grid.addWidget(self.results, 4, 0, 1, 4)
        grid.addWidget(self.search_state, 5, 0, 1, 4)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tree, 3)
        layout.addLayout(buttons)
        layout.addWidget(self.search_box, 2)

    def _wire(self) -> None:
        self.tree.confirmed.connect(self.confirmed.emit)
        self.tree.picked.connect(self._pick)
        self.tree.moved.connect(self.model.move)
        self.tree.currentItemChanged.connect(self._tree_current_changed)
        self.results.confirmed.connect(self.confirmed.emit)
        self.results.moved.connect(self._move_result)
        self.confirm_button.clicked.connect(self.confirm_current)
        QShortcut(
            QKeySequence(keys.CONFIRM),
            self,
            self.confirm_current,
            context=Qt.ShortcutContext.WindowShortcut,
        )
        QShortcut(
            QKeySequence(keys.SEARCH),
            self,
            self.focus_search,
            context=Qt.ShortcutContext.WindowShortcut,
        )
        QShortcut(
            QKeySequence("Esc"),
            self.search_box,
            self.focus_candidates,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        QShortcut(
            QKeySequence(keys.BARCODE),
            self,
            self.focus_barcode,
            context=Qt.ShortcutContext.WindowShortcut,
        )
        self.barcode.textEdited.connect(self._barcode_edited)
        self.barcode.returnPressed.connect(self._barcode_return)
        for name, edit in self.fields.items():
            edit.textEdited.connect(lambda text, n=name: self._field_edited(n, text))
            edit.returnPressed.connect(self._results_focus)

    def retranslate(self) -> None:
        self.confirm_button.setText(keys.with_key(self.tr("この方で確定"), "Enter / F2"))
        self.confirm_button.setToolTip(self.tr("先頭（選択中）の候補を確定"))
        self.search_box.setTitle(keys.with_key(self.tr("検索"), keys.SEARCH))
        placeholders = {
            "name": self.tr("氏名（漢字・カナ）"),
            "birth": self.tr("例: S17.4.1 / 昭和17年 / 1942"),
            "phone": self.tr("例: 0773-62-1234"),
            "address": self.tr("例: 字浜 123"),
        }
        names = {
            "name": self.tr("氏名"),
            "birth": self.tr("生年月日"),
            "phone": self.tr("電話"),
            "address": self.tr("住所"),
        }
        for f in FIELDS:
            self.fields[f].setPlaceholderText(placeholders[f])
            self._field_labels[f].setText(names[f])
        self._barcode_label.setText(keys.with_key(self.tr("はがき番号"), keys.BARCODE))
        self.barcode.setPlaceholderText(self.tr("12桁（読み上げ・スキャナー）"))
        self.tree.retranslate()
        self.results.retranslate()
        self.refresh()
        self.refresh_search()

    # ------------------------------------------------------------------ rendering
    def refresh(self) -> None:
        self.ledger_banner.setText(
            self.tr("台帳に接続できません。")
            + " "
            + self.tr(
                "着信の電話番号は表示されます。入力した内容はこの端末に保存され、復旧後に送信されます。"
            )
        )
        self.ledger_banner.setVisible(not self.model.ledger_ok)
        pop = self.model.pop
        if pop is None:
            self.caller.setText(self.tr("着信待ち"))
            self.meta.setText("")
            self.flags.hide()
            self.lookup_error.hide()
            self.tree.clear()
            return
        self.caller.setText(caller_text(pop.caller))
        flags = []
        if pop.repeat_calls:
            flags.append(self.tr("本日 {n} 回目の着信").format(n=pop.repeat_calls + 1))
        if pop.uncertain:
            flags.append(self.tr("PBX 切断中: この着信は終わっている可能性があります"))
        self.flags.setText("　".join(flags))
        self.flags.setVisible(bool(flags))
        self._update_wait()
        if pop.lookup_error == "pending":  # the server sends the full pop when its lookup ends
            self.lookup_error.setText(self.tr("台帳を照会中…"))
        elif pop.lookup_error == "unavailable" and not self.model.ledger_ok:
            self.lookup_error.setText(self.tr("台帳に接続できません。"))
        elif pop.lookup_error:
            self.lookup_error.setText(self.tr("台帳を照会できませんでした。検索してください。"))
        elif not pop.households:
            self.lookup_error.setText(self.tr("該当する住民がいません。検索してください。"))
        self.lookup_error.setVisible(bool(pop.lookup_error) or not pop.households)
        self.tree.show_households(pop.households)
        self.tree.select_index(self.model.selected)

    def _update_wait(self) -> None:
        pop = self.model.pop
        if pop is None:
            return
        self.meta.setText(
            self.tr("キュー: {queue}　待ち時間: {wait}　{state}").format(
                queue=self.model.queue_label() or "—",
                wait=format_wait(self.model.wait_seconds()),
                state=call_state_text(pop.call.state),
            )
        )

    def refresh_search(self) -> None:
        s = self.search
        if s.busy:
            self.search_state.setText(self.tr("検索中…"))
        elif s.error:
            self.search_state.setText(s.error)
        elif s.query.is_empty():
            self.search_state.setText(self.tr("入力すると候補が表示されます"))
        elif s.tied_beyond:
            self.search_state.setText(
                self.tr(
                    "{n}件（同じ一致度の方がほかに{m}人以上: 生年月日か番地で絞り込み）"
                ).format(n=len(s.results), m=s.tied_beyond)
            )
        else:
            self.search_state.setText(self.tr("{n}件").format(n=len(s.results)))
        if not s.busy:
            self.results.show_flat(s.results)
        self.barcode_state.setText(barcode_text(s.barcode_error, s.barcode_length))
        self.barcode_state.setVisible(bool(s.barcode_error))

    # ------------------------------------------------------------------ actions
    def confirm_current(self) -> None:
        if self.results.hasFocus() and self.results.current_resident() is not None:
            self.confirmed.emit(self.results.current_resident())  # type: ignore[arg-type]
            return
        current = self.model.current()
        if current is not None:
            self.confirmed.emit(current.resident_id)

    def _pick(self, number: int) -> None:
        chosen = self.model.pick(number)
        if chosen is not None:
            self.confirmed.emit(chosen.resident_id)

    def _tree_current_changed(self, *_args: object) -> None:
        rid = self.tree.current_resident()
        if rid is not None and (cur := self.model.current()) and cur.resident_id != rid:
            self.model.select_resident(rid)

    def _move_result(self, step: int) -> None:
        items = self.results.member_items()
        if not items:
            return
        current = self.results.currentItem()
        index = items.index(current) if current in items else -1
        self.results.select_index(max(0, min(len(items) - 1, index + step)))

    def _field_edited(self, name: str, text: str) -> None:
        self.search.set_field(name, text)
        self._debounce.start()

    def _results_focus(self) -> None:
        self.results.setFocus()
        self.results.select_index(0)

    def clear_search_fields(self) -> None:
        """A new call: the previous caller's search goes."""
        for edit in (*self.fields.values(), self.barcode):
            edit.clear()
        self._barcode_sent = ""

    def focus_search(self) -> None:
        self.fields["name"].setFocus()
        self.fields["name"].selectAll()

    def _barcode_edited(self, text: str) -> None:
        code = barcode_digits(text)
        if len(code) != BARCODE_LENGTH:
            self._barcode_sent = ""
        elif code != self._barcode_sent:  # the 12th digit: look it up without waiting for Enter
            self._barcode_sent = code
            self.barcode_entered.emit(code)

    def _barcode_return(self) -> None:
        code = barcode_digits(self.barcode.text())
        if code and code != self._barcode_sent:  # not already looked up at the 12th digit
            self._barcode_sent = code
            self.barcode_entered.emit(code)
        self.barcode.selectAll()  # the next scan replaces it

    def focus_barcode(self) -> None:
        self.barcode.setFocus()
        self.barcode.selectAll()

    def focus_candidates(self) -> None:
        self.tree.setFocus()
        self.tree.select_index(self.model.selected)
