"""Puts the caller header band (``views.call_header``) at the top of the main window, above
every section, and feeds it (and the pop) the queues' display names from each ``Hello``. An
account logged in without an extension (a supervisor at the board, an admin) takes no calls:
the band is hidden for it, and its height goes to the sections."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt

from cti_server.protocol import Hello

from .link import ServerLink
from .models.options import CampaignOptions
from .models.pop import PopModel
from .models.resident import ResidentModel
from .views.call_header import CallHeaderView
from .views.main_window import MainWindow


class CallHeaderController(QObject):
    def __init__(
        self,
        link: ServerLink,
        window: MainWindow,
        pop: PopModel,
        resident: ResidentModel,
        options: CampaignOptions | None = None,
    ) -> None:
        super().__init__(window)
        self.pop = pop
        self.view = CallHeaderView(pop, resident, lambda: pop.queue_names, options=options)
        bar = window.addToolBar("callHeader")
        bar.setObjectName("callHeaderBar")
        bar.setMovable(False)
        bar.setFloatable(False)
        bar.toggleViewAction().setVisible(False)  # it cannot be hidden by mistake
        bar.setAllowedAreas(Qt.ToolBarArea.TopToolBarArea)
        bar.addWidget(self.view)
        self.bar = bar
        link.message_received.connect(self.on_message)

    def on_message(self, msg: object) -> None:
        if isinstance(msg, Hello):
            self.pop.set_queue_names(msg.queue_names)
            self.bar.setVisible(bool(msg.operator.extension))
