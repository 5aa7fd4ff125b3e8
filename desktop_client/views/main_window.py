"""The operator's one window: pop and search on the left, card and forms in tabs on the right.

For supervisors and admins a second section, the supervisor board, sits beside the calls in a
top-level tab (closable; F8 or View > board opens it again), and the 会場・枠 section (venues and
slots, F9; not closable) and the はがき確認 section (the postcard review queue, F10; not
closable). The 折り返し section (the callback worklist, Ctrl+K; not closable) is there for
operators too, so they see the tab bar.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPlainTextEdit,
    QSplitter,
    QTabBar,
    QTabWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from ..models.dates import local_time
from ..models.outbox import Outbox
from . import shortcuts as keys
from .booking import BookingView
from .failed_sends import FailedSendsDialog
from .language import Retranslating
from .mobility import MobilityView
from .pop import PopView
from .resident import ResidentCardView
from .shortcuts import ShortcutsDialog
from .wrapup import WrapUpView

TABS = ("card", "booking", "mobility", "wrapup")


class MainWindow(Retranslating, QMainWindow):
    language_chosen = Signal(str)  # "ja" / "en"
    board_requested = Signal()  # F8 / View > board while the board tab is closed
    board_closed = Signal()  # the supervisor closed the board tab
    resend_requested = Signal(str)  # a failed send's outbox key: send it again
    discard_requested = Signal(str)  # ... give it up

    def __init__(
        self,
        pop: PopView,
        card: ResidentCardView,
        booking: BookingView,
        mobility: MobilityView,
        wrapup: WrapUpView,
        outbox: Outbox,
        language: str = "ja",
    ) -> None:
        super().__init__()
        self.pop, self.card, self.booking, self.mobility, self.wrapup = (
            pop,
            card,
            booking,
            mobility,
            wrapup,
        )
        self.outbox = outbox
        self.failed_dialog: FailedSendsDialog | None = None  # the list of failed sends, open
        self.tabs = QTabWidget(self)
        for view in (card, booking, mobility, wrapup):
            self.tabs.addTab(view, "")
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(pop)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setSizes([700, 580])
        self.sections = QTabWidget(self)  # calls | supervisor board
        self.sections.setDocumentMode(True)
        self.sections.addTab(split, "")
        self.sections.setTabsClosable(True)
        for side in (QTabBar.ButtonPosition.LeftSide, QTabBar.ButtonPosition.RightSide):
            self.sections.tabBar().setTabButton(0, side, None)  # the calls never close
        self.sections.tabBar().setVisible(False)
        self.sections.tabCloseRequested.connect(self._section_close_requested)
        self.board: QWidget | None = None
        self.venues: QWidget | None = None
        self.review: QWidget | None = None
        self.assignment: QWidget | None = None
        self.worklist: QWidget | None = None
        self.config: QWidget | None = None  # キャンペーン設定 (admins)
        self.pbx_banner = QLabel(self)  # the server's PBX link is down (every client says so)
        self.pbx_banner.setWordWrap(True)
        self.pbx_banner.setStyleSheet(
            "background: #b00020; color: white; font-weight: bold; padding: 6px 10px;"
        )
        self.pbx_banner.setVisible(False)
        self._pbx: tuple[str, str | None] = ("up", None)
        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.pbx_banner)
        column.addWidget(self.sections, 1)
        self.setCentralWidget(central)
        self.connection = QLabel(self)
        self.pending = QLabel(self)
        self.pending.setTextFormat(Qt.TextFormat.RichText)  # the failed count is a link
        self.pending.linkActivated.connect(lambda _link: self.show_failed_sends())
        self.statusBar().addPermanentWidget(self.pending)
        self.statusBar().addPermanentWidget(self.connection)
        self._state = ("disconnected", "")
        for key, index in ((keys.CARD, 0), (keys.BOOKING, 1), (keys.MOBILITY, 2), (keys.WRAPUP, 3)):
            QShortcut(QKeySequence(key), self, lambda i=index: self.show_tab(i))
        QShortcut(QKeySequence(keys.INTENT), self, self.show_intent)
        self._menus(language)
        outbox.subscribe(self._update_pending)
        self.fit_screen()
        self.retranslate()

    def fit_screen(self, width: int = 1280, height: int = 800) -> None:
        """Open at ``width`` x ``height``, but never larger than the screen's free area."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is not None:
            free = screen.availableGeometry()
            width, height = min(width, free.width()), min(height, free.height())
        self.resize(width, height)

    def _menus(self, language: str) -> None:
        bar = self.menuBar()
        self.view_menu = bar.addMenu("")
        self.lang_menu = self.view_menu.addMenu("")
        group = QActionGroup(self)
        self.lang_actions: dict[str, QAction] = {}
        for code, label in (("ja", "日本語"), ("en", "English")):
            action = QAction(label, self, checkable=True, checked=code == language)
            action.triggered.connect(lambda _c=False, c=code: self.language_chosen.emit(c))
            group.addAction(action)
            self.lang_menu.addAction(action)
            self.lang_actions[code] = action
        self.view_menu.addSeparator()
        self.board_action = QAction(self, shortcut=QKeySequence(keys.BOARD), visible=False)
        self.board_action.triggered.connect(self.show_board)
        self.view_menu.addAction(self.board_action)
        self.venues_action = QAction(self, shortcut=QKeySequence(keys.VENUES), visible=False)
        self.venues_action.triggered.connect(self.show_venues)
        self.view_menu.addAction(self.venues_action)
        self.review_action = QAction(self, shortcut=QKeySequence(keys.REVIEW), visible=False)
        self.review_action.triggered.connect(self.show_review)
        self.view_menu.addAction(self.review_action)
        self.assignment_action = QAction(self, shortcut=QKeySequence(keys.ASSIGN), visible=False)
        self.assignment_action.triggered.connect(self.show_assignment)
        self.view_menu.addAction(self.assignment_action)
        self.worklist_action = QAction(self, shortcut=QKeySequence(keys.WORKLIST), visible=False)
        self.worklist_action.triggered.connect(self.show_worklist)
        self.view_menu.addAction(self.worklist_action)
        self.config_action = QAction(self, visible=False)
        self.config_action.triggered.connect(self.show_config)
        self.view_menu.addAction(self.config_action)
        self.view_menu.addSeparator()
        self.failed_action = QAction(self)
        self.failed_action.triggered.connect(self.show_failed_sends)
        self.view_menu.addAction(self.failed_action)
        self.help_menu = bar.addMenu("")
        self.help_action = QAction(self, shortcut=QKeySequence(keys.HELP))
        self.help_action.triggered.connect(self.show_shortcuts)
        self.help_menu.addAction(self.help_action)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("CTI アシスタント"))
        if hasattr(self, "pbx_banner"):
            self._show_pbx()
        titles = (self.tr("住民カード"), self.tr("予約"), self.tr("移動支援"), self.tr("通話メモ"))
        for i, (title, key) in enumerate(
            zip(titles, (keys.CARD, keys.BOOKING, keys.MOBILITY, keys.WRAPUP), strict=True)
        ):
            self.tabs.setTabText(i, f"{title} ({key})")
        self.sections.setTabText(0, self.tr("通話対応") + f" ({keys.CARD})")
        if self.board is not None:
            self.sections.setTabText(
                self.sections.indexOf(self.board), self.tr("監視ボード") + f" ({keys.BOARD})"
            )
        if self.venues is not None:
            self.sections.setTabText(
                self.sections.indexOf(self.venues), self.tr("会場・枠") + f" ({keys.VENUES})"
            )
        if self.review is not None:
            self.sections.setTabText(
                self.sections.indexOf(self.review), self.tr("はがき確認") + f" ({keys.REVIEW})"
            )
        self.review_action.setText(self.tr("はがき確認"))
        if self.assignment is not None:
            self.sections.setTabText(
                self.sections.indexOf(self.assignment), self.tr("割り当て") + f" ({keys.ASSIGN})"
            )
        self.assignment_action.setText(self.tr("割り当て"))
        if self.worklist is not None:
            self.sections.setTabText(
                self.sections.indexOf(self.worklist), self.tr("折り返し") + f" ({keys.WORKLIST})"
            )
        self.worklist_action.setText(self.tr("折り返し"))
        if self.config is not None:
            self.sections.setTabText(
                self.sections.indexOf(self.config), self.tr("キャンペーン設定")
            )
        self.config_action.setText(self.tr("キャンペーン設定"))
        self.board_action.setText(self.tr("監視ボード"))
        self.venues_action.setText(self.tr("会場・枠"))
        self.view_menu.setTitle(self.tr("表示(&V)"))
        self.lang_menu.setTitle(self.tr("言語 / Language"))
        self.help_menu.setTitle(self.tr("ヘルプ(&H)"))
        self.help_action.setText(self.tr("ショートカット一覧"))
        self.failed_action.setText(self.tr("送信できなかった入力…"))
        self.set_connection(*self._state)
        self._update_pending()

    # ---- supervisor board -------------------------------------------------------------------
    def set_board(self, view: QWidget | None) -> None:
        """Show the board as the second section (None removes it: an operator logged in)."""
        if self.board is not None:
            self.sections.removeTab(self.sections.indexOf(self.board))
        self.board = view
        if view is not None:
            self.sections.insertTab(1, view, "")
        self.sections.tabBar().setVisible(self.sections.count() > 1)
        self.retranslate()

    def allow_board(self, allowed: bool) -> None:
        """F8 / View > board only for the roles that may see it."""
        self.board_action.setVisible(allowed)
        if not allowed:
            self.set_board(None)

    def set_venues_view(self, view: QWidget | None) -> None:
        """The 会場・枠 section for supervisors and admins (None removes it); never closable."""
        old, self.venues = self.venues, view
        if view is not old:
            self._swap_fixed_section(old, view, self.venues_action)

    def set_review_view(self, view: QWidget | None) -> None:
        """The はがき確認 section for supervisors and admins (None removes it); never closable."""
        old, self.review = self.review, view
        if view is not old:
            self._swap_fixed_section(old, view, self.review_action)

    def set_assignment_view(self, view: QWidget | None) -> None:
        """The 割り当て section for supervisors and admins (None removes it); never closable."""
        old, self.assignment = self.assignment, view
        if view is not old:
            self._swap_fixed_section(old, view, self.assignment_action)

    def show_assignment(self) -> None:
        if self.assignment is not None:
            self.sections.setCurrentWidget(self.assignment)
            self.assignment.setFocus()

    def set_worklist_view(self, view: QWidget | None) -> None:
        """The 折り返し section (the callback worklist; None removes it); never closable."""
        old, self.worklist = self.worklist, view
        if view is not old:
            self._swap_fixed_section(old, view, self.worklist_action)

    def show_worklist(self) -> None:
        if self.worklist is not None:
            self.sections.setCurrentWidget(self.worklist)
            self.worklist.setFocus()

    def set_config_view(self, view: QWidget | None) -> None:
        """The キャンペーン設定 section for admins (None removes it); never closable."""
        old, self.config = self.config, view
        if view is not old:
            self._swap_fixed_section(old, view, self.config_action)

    def show_config(self) -> None:
        if self.config is not None:
            self.sections.setCurrentWidget(self.config)
            self.config.setFocus()

    def _swap_fixed_section(
        self, old: QWidget | None, new: QWidget | None, action: QAction
    ) -> None:
        """Replace a section that has no close button (and its View menu entry)."""
        if old is not None:
            self.sections.removeTab(self.sections.indexOf(old))
        action.setVisible(new is not None)
        if new is not None:
            index = self.sections.addTab(new, "")
            for side in (QTabBar.ButtonPosition.LeftSide, QTabBar.ButtonPosition.RightSide):
                self.sections.tabBar().setTabButton(index, side, None)
        self.sections.tabBar().setVisible(self.sections.count() > 1)
        self.retranslate()

    def show_review(self) -> None:
        if self.review is not None:
            self.sections.setCurrentWidget(self.review)
            self.review.setFocus()

    def show_venues(self) -> None:
        if self.venues is not None:
            self.sections.setCurrentWidget(self.venues)
            self.venues.setFocus()

    def show_board(self) -> None:
        if self.board is None:
            self.board_requested.emit()
        if self.board is not None:
            self.sections.setCurrentWidget(self.board)

    def _section_close_requested(self, index: int) -> None:
        if self.board is not None and self.sections.widget(index) is self.board:
            self.set_board(None)
            self.board_closed.emit()

    def show_tab(self, index: int) -> None:
        self.sections.setCurrentIndex(0)
        self.tabs.setCurrentIndex(index)
        self.tabs.currentWidget().setFocus()

    def show_intent(self) -> None:
        """Ctrl+I: the resident card with the focus on its 意向確認 form."""
        self.show_tab(0)
        self.card.focus_intent()

    def bring_forward(self, focus: str = "candidates") -> None:
        """A call is ringing: show the window on top, focused on the candidates (or the name
        search, ``focus="search"``); never while the operator is typing (``typing()``): the
        focus and the section on screen then stay where they are."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        if self.typing():
            return
        self.activateWindow()
        self.sections.setCurrentIndex(0)
        if focus == "search":
            self.pop.focus_search()
        else:
            self.pop.focus_candidates()

    def focus_widget(self) -> QWidget | None:
        widget = QApplication.focusWidget()
        return widget if widget is not None and self.isAncestorOf(widget) else None

    def holds_focus(self, view: QWidget) -> bool:
        widget = self.focus_widget()
        return widget is not None and (widget is view or view.isAncestorOf(widget))

    def typing(self) -> bool:
        """True when the focus is in a field the operator types in (text, number, editable list)."""
        widget = self.focus_widget()
        if isinstance(widget, QLineEdit | QPlainTextEdit | QTextEdit | QAbstractSpinBox):
            return not getattr(widget, "isReadOnly", lambda: False)()
        return isinstance(widget, QComboBox) and widget.isEditable()

    def set_connection(self, state: str, detail: str) -> None:
        self._state = (state, detail)
        texts = {
            "connected": self.tr("● 接続中"),
            "connecting": self.tr("… 接続しています"),
            "reconnecting": self.tr("⚠ 切断 — 再接続しています（{s} 秒後に再試行）").format(
                s=detail
            )
            if detail and "." in detail
            else self.tr("⚠ 切断 — 再接続しています"),
            "disconnected": self.tr("○ 未接続"),
            "incompatible": self.tr("✖ サーバーの版が合いません"),
            "signed_out": self.tr("✖ ログアウトされました — ログインし直してください"),
        }
        self.connection.setText(texts.get(state, state))
        color = {"connected": "#1b5e20", "reconnecting": "#b00020"}.get(state, "#555555")
        self.connection.setStyleSheet(f"color: {color}; font-weight: bold; padding: 0 8px;")

    def set_pbx_link(self, state: str, since: str | None = None) -> None:
        """The server's PBX link: ``down`` shows the banner (new calls do not pop, the pop shown
        may be out of date); ``up`` or ``off`` (no PBX configured) hides it."""
        self._pbx = (state, since)
        self._show_pbx()

    def _show_pbx(self) -> None:
        state, since = self._pbx
        if state != "down":
            self.pbx_banner.setVisible(False)
            return
        local = local_time(since)
        text = self.tr(
            "⚠ PBX との接続が切れています — 新しい着信は表示されません。"
            "表示中の着信は終わっている可能性があります。"
        )
        if local is not None:
            text += self.tr("（{t} から）").format(t=f"{local:%H:%M}")
        self.pbx_banner.setText(text)
        self.pbx_banner.setVisible(True)

    def _update_pending(self) -> None:
        n = self.outbox.pending_count()
        failed = len(self.outbox.failed())
        parts = []
        if n:
            parts.append(self.tr("送信待ち {n}件").format(n=n))
        if failed:  # a link: the list of them, to send again or give up
            link = self.tr("送信失敗 {n}件").format(n=failed)
            parts.append(f'<a href="failed">{html.escape(link)}</a>')
        self.pending.setText("　".join(parts))
        self.failed_action.setEnabled(bool(failed))

    def show_failed_sends(self) -> None:
        """The sends that failed: what was typed, why, send again or give up."""
        dialog = FailedSendsDialog(self.outbox, self)
        dialog.resend_requested.connect(self.resend_requested)
        dialog.discard_requested.connect(self.discard_requested)
        if self.failed_dialog is not None:
            self.failed_dialog.close()  # one list at a time
        self.failed_dialog = dialog
        dialog.open()

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self).exec()
