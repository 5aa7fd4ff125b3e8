"""Wires the operator's own state (status bar widget) to the ServerLink.

``Hello`` tells the extension (the status bar always shows it), ``AgentStatus`` the state,
an ``ErrorMessage`` after a request the refusal; the widget's requests go out as
``SetAgentState`` (a link without a connection says so at once).
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from cti_server.protocol import AgentStatus, ErrorMessage, Hello, SetAgentState

from .link import ServerLink
from .models.agent import AgentStateModel
from .views.agent_state import AgentStateView
from .views.main_window import MainWindow


class AgentStateController(QObject):
    def __init__(self, link: ServerLink, window: MainWindow) -> None:
        super().__init__(window)
        self.link = link
        self.model = AgentStateModel()
        self.view = AgentStateView(self.model)
        window.statusBar().insertPermanentWidget(0, self.view)
        link.message_received.connect(self.on_message)
        link.logged_in.connect(lambda op: self.model.set_extension(op.extension))
        self.view.state_requested.connect(self.send)

    def on_message(self, msg: object) -> None:
        if isinstance(msg, Hello):
            self.model.set_extension(msg.operator.extension)
        elif isinstance(msg, AgentStatus):
            self.model.update(msg)
        elif isinstance(msg, ErrorMessage):
            self.model.refused(msg.error, msg.message)

    def send(self, msg: SetAgentState) -> None:
        if not self.link.send(msg):
            self.model.refused("network", "")
