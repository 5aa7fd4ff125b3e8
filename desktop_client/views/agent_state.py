"""The operator's own state in the status bar: extension, state and time in it (what is left
of a timed 後処理), the buttons 受付可 / 後処理を完了 (F12) and 休止… (F11), and a notice when
a supervisor (or the PBX) paused or unpaused them. Never takes the focus."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from ..i18n import QT_TRANSLATE_NOOP, translate
from ..models.agent import AgentStateModel
from ..models.dates import format_wait
from . import shortcuts as keys
from .labels import error_text
from .language import Retranslating
from .pause_dialog import ask_pause_reason

PAUSE_REASONS = [
    QT_TRANSLATE_NOOP("agent_state", "休憩"),
    QT_TRANSLATE_NOOP("agent_state", "研修"),
    QT_TRANSLATE_NOOP("agent_state", "事務作業"),
    QT_TRANSLATE_NOOP("agent_state", "打合せ"),
]
COLOURS = {"available": "#1b5e20", "paused": "#b00020", "after_call": "#0d47a1",
           "in_call": "#333333", "ringing": "#8a5a00"}  # fmt: skip


def state_text(state: str) -> str:
    return {
        "available": translate("agent_state", "受付可"),
        "paused": translate("agent_state", "休止中"),
        "after_call": translate("agent_state", "後処理"),
        "ringing": translate("agent_state", "着信中"),
        "in_call": translate("agent_state", "通話中"),
        "unavailable": translate("agent_state", "電話機が未接続"),
        "logged_out": translate("agent_state", "キュー未参加"),
    }.get(state, translate("agent_state", "状態不明"))


def notice_text(by: str, name: str, paused: bool, reason: str) -> str:
    if by == "supervisor":
        who = name or translate("agent_state", "スーパーバイザー")
        if paused:
            return translate("agent_state", "{who} さんが休止にしました（{reason}）").format(
                who=who, reason=reason
            )
        return translate("agent_state", "{who} さんが休止を解除しました").format(who=who)
    if paused:
        return translate("agent_state", "PBX で休止になりました（{reason}）").format(reason=reason)
    return translate("agent_state", "PBX で休止が解除されました")


class AgentStateView(Retranslating, QWidget):
    state_requested = Signal(object)  # protocol.SetAgentState

    def __init__(self, model: AgentStateModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.extension = QLabel(self, objectName="agentExtension")
        self.state = QLabel(self, objectName="agentState")
        self.timer = QLabel(self, objectName="agentTimer")
        self.notice = QLabel(self, objectName="agentNotice")
        self.notice.setStyleSheet("background: #fff3cd; color: #b00020; font-weight: bold;")
        self.ready_button, self.pause_button = QPushButton(self), QPushButton(self)
        for b in (self.ready_button, self.pause_button):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a click never takes the typing away
        self.ready_button.clicked.connect(self.ready)
        self.pause_button.clicked.connect(self.pause)
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 0, 4, 0)
        for w in (self.extension, self.state, self.timer, self.notice):
            row.addWidget(w)
        row.addWidget(self.ready_button)
        row.addWidget(self.pause_button)
        ctx = Qt.ShortcutContext.WindowShortcut
        QShortcut(QKeySequence(keys.READY), self, self.ready, context=ctx)
        QShortcut(QKeySequence(keys.PAUSE), self, self.pause, context=ctx)
        self._tick = QTimer(self, interval=1000)
        self._tick.timeout.connect(self._update_timer)
        self._tick.start()
        model.subscribe(self.refresh)
        self.retranslate()

    def retranslate(self) -> None:
        self.pause_button.setText(keys.with_key(self.tr("休止…"), keys.PAUSE))
        self.refresh()

    def refresh(self) -> None:
        m = self.model
        self.extension.setText(self.tr("内線 {ext}").format(ext=m.extension or "—"))
        state = m.state
        text = state_text(state) if state else self.tr("状態不明")
        if state == "paused" and m.status is not None and m.status.reason:
            text = f"{text}（{m.status.reason}）"
        self.state.setText(text)
        colour = COLOURS.get(state, "#555555")
        self.state.setStyleSheet(f"color: {colour}; font-weight: bold; padding: 0 4px;")
        title = self.tr("後処理を完了") if state == "after_call" else self.tr("受付可にする")
        self.ready_button.setText(keys.with_key(title, keys.READY))
        self.ready_button.setEnabled(state in ("paused", "after_call") and not m.pending)
        self.pause_button.setEnabled(
            state in ("available", "after_call", "in_call", "ringing") and not m.pending
        )
        self._update_notice()
        self._update_timer()

    def _update_notice(self) -> None:
        m, n = self.model, self.model.notice
        if m.error:
            text = (
                self.tr("この内線はどのキューにも入っていません。")
                if m.error == "not_in_queue"
                else error_text(m.error, m.message)
            )
        elif n is not None:
            text = notice_text(n.by, n.by_name, n.state == "paused", n.reason)
        else:
            text = ""
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def _update_timer(self) -> None:
        m = self.model
        if not m.state:
            self.timer.setText("")
            return
        left = m.remaining() if m.state == "after_call" else None
        if left is not None:
            self.timer.setText(self.tr("残り {time}").format(time=format_wait(left)))
        else:
            self.timer.setText(format_wait(m.elapsed()))

    # ------------------------------------------------------------------ actions
    def ready(self) -> None:
        if self.ready_button.isEnabled():
            self.state_requested.emit(self.model.request("available"))

    def pause(self) -> None:
        if not self.pause_button.isEnabled():
            return
        reasons = [translate("agent_state", r) for r in PAUSE_REASONS]
        reason, ok = ask_pause_reason(
            self.window(), self.tr("休止する"), self.tr("休止の理由:"), reasons
        )
        if ok and reason:
            self.state_requested.emit(self.model.request("paused", reason))
