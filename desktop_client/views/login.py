"""Log-in dialog: server address, user, password, extension (all but the password remembered)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from .language import Retranslating


@dataclass
class LoginForm:
    server: str = "http://127.0.0.1:8080"
    username: str = ""
    extension: str = ""


class LoginDialog(Retranslating, QDialog):
    login_requested = Signal(str, str, str, str)  # server, username, password, extension

    def __init__(self, form: LoginForm, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = form
        self.server = QLineEdit(form.server, self)
        self.username = QLineEdit(form.username, self)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.extension = QLineEdit(form.extension, self)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020;")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self._labels = [QLabel(self) for _ in range(4)]
        layout = QFormLayout()
        for label, edit in zip(
            self._labels, (self.server, self.username, self.password, self.extension), strict=True
        ):
            layout.addRow(label, edit)
        outer = QVBoxLayout(self)
        outer.addLayout(layout)
        outer.addWidget(self.message)
        outer.addWidget(self.buttons)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        self.setMinimumWidth(440)
        self.retranslate()
        (self.password if form.username else self.username).setFocus()

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("ログイン — CTI アシスタント"))
        for label, text in zip(
            self._labels,
            (
                self.tr("サーバー"),
                self.tr("ユーザー名"),
                self.tr("パスワード"),
                self.tr("内線番号"),
            ),
            strict=True,
        ):
            label.setText(text)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("ログイン"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("キャンセル"))

    def _submit(self) -> None:
        if not (self.server.text().strip() and self.username.text().strip()):
            self.show_error(self.tr("サーバーとユーザー名を入れてください。"))
            return
        self.form = LoginForm(
            self.server.text().strip(), self.username.text().strip(), self.extension.text().strip()
        )
        self.message.setText(self.tr("ログインしています…"))
        self.buttons.setEnabled(False)
        self.login_requested.emit(
            self.form.server, self.form.username, self.password.text(), self.form.extension
        )

    def show_error(self, text: str) -> None:
        self.message.setText(text)
        self.buttons.setEnabled(True)
        self.password.selectAll()
        self.password.setFocus()
