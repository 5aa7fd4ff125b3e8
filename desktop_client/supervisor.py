"""Wires the supervisor board to the ServerLink and the main window.

The role comes from each ``Hello`` (one per WebSocket, so once per (re)connect). For
``supervisor`` and ``admin`` the board opens as a section of the main window and
``SubscribeBoard`` is sent on every new socket (the server forgets subscriptions with the socket);
closing the tab sends ``UnsubscribeBoard``, F8 opens it again. An ``operator`` never gets the tab,
never subscribes, and F8 does nothing. ``BoardUpdate`` goes to ``BoardModel.on_update``;
``ErrorMessage`` (a refused subscription or pause) to ``BoardModel.on_error``.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QSettings

from cti_server.protocol import BoardUpdate, ErrorMessage, Hello, SubscribeBoard, UnsubscribeBoard

from .link import ServerLink
from .models.board import BoardModel
from .views.board_view import BoardView
from .views.main_window import MainWindow

log = logging.getLogger(__name__)

BOARD_ROLES = ("supervisor", "admin")


class BoardController(QObject):
    def __init__(self, link: ServerLink, window: MainWindow, settings: QSettings) -> None:
        super().__init__(window)
        self.link, self.window, self.settings = link, window, settings
        self.model: BoardModel | None = None
        self.view: BoardView | None = None
        self.role = ""
        self.queue_names: dict[str, str] = {}  # from the server's Hello
        self.subscribed = False
        self.closed_by_user = False
        self._greeted = False
        link.message_received.connect(self.on_message)
        link.state_changed.connect(self.on_state)
        window.board_requested.connect(self.open)
        window.board_closed.connect(self.on_closed)

    @property
    def allowed(self) -> bool:
        return self.role in BOARD_ROLES

    # ---- from the server ------------------------------------------------------------------
    def on_message(self, msg: object) -> None:
        if isinstance(msg, Hello):
            self.on_hello(msg)
        elif isinstance(msg, BoardUpdate):
            if self.model is not None and self.subscribed:
                self.model.on_update(msg)
        elif isinstance(msg, ErrorMessage):
            log.warning("the server refused a request: %s (%s)", msg.error, msg.message)
            if self.model is not None:
                self.model.on_error(msg.error, msg.message)

    def on_hello(self, hello: Hello) -> None:
        self.role = hello.operator.role
        self.queue_names = dict(hello.queue_names)
        if self.model is not None:
            self.model.queue_names = self.queue_names
        self.subscribed = False  # a new socket has no subscription yet
        self.window.allow_board(self.allowed)
        if self.allowed and not self.closed_by_user:
            self.open()
            if not self._greeted:  # the first log-in of a supervisor lands on the board
                self.window.show_board()
        self._greeted = True

    def on_state(self, state: str, _detail: str) -> None:
        if state != "connected":
            self.subscribed = False

    # ---- from the window ------------------------------------------------------------------
    def open(self) -> None:
        """Show the board section and subscribe (only for the roles that may)."""
        if not self.allowed:
            return
        self.closed_by_user = False
        if self.view is None:
            self.model = BoardModel()
            self.model.queue_names = self.queue_names
            self.view = BoardView(self.model, self.link.send, self.settings)
        if self.window.board is None:
            self.window.set_board(self.view)
            self.view.retranslate()
        if not self.subscribed and self.link.send(SubscribeBoard()):
            self.subscribed = True
            log.info("subscribed to the supervisor board")

    def on_closed(self) -> None:
        self.closed_by_user = True
        if self.subscribed:
            self.link.send(UnsubscribeBoard())
            self.subscribed = False
            log.info("unsubscribed from the supervisor board")
