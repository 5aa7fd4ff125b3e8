"""Wires the 割り当て section (designated appointments) to the REST API and the main window.

Only for ``supervisor`` and ``admin`` (the role of each ``Hello``): a top-level tab
(Ctrl+F10). A dry run and a commit go straight to the REST API (not the outbox): the supervisor
waits for the answer, and a commit carries the digest of the dry run on screen.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject

from cti_server.protocol import AssignmentReport, Hello, NoticePrintRequest

from .api import Reply
from .link import ServerLink
from .models.assignment import AssignmentModel
from .views.assignment import AssignmentView
from .views.main_window import MainWindow

log = logging.getLogger(__name__)

ASSIGN_ROLES = ("supervisor", "admin")


class AssignmentController(QObject):
    def __init__(self, link: ServerLink, window: MainWindow) -> None:
        super().__init__(window)
        self.link, self.window, self.api = link, window, link.api
        self.model = AssignmentModel()
        self.view = AssignmentView(self.model)
        self.role = ""
        self.view.plan_requested.connect(self.plan)
        self.view.commit_requested.connect(self.commit)
        self.view.notices_requested.connect(self.save_notices)
        link.message_received.connect(self.on_message)

    @property
    def allowed(self) -> bool:
        return self.role in ASSIGN_ROLES

    def on_message(self, msg: object) -> None:
        if isinstance(msg, Hello):
            self.role = msg.operator.role
            self.window.set_assignment_view(self.view if self.allowed else None)

    def _done(self, reply: Reply[AssignmentReport]) -> None:
        if reply.value is not None:
            log.info("assignment %s", "committed" if reply.value.committed else "planned")
        self.model.finish(reply.value, reply.error, reply.message, reply.details,
                          network=reply.network)  # fmt: skip

    def plan(self) -> None:
        if self.model.status == "busy":
            return
        self.model.begin()
        self.api.plan_assignment(self.model.request(commit=False), self._done)

    def commit(self) -> None:
        if not self.model.can_commit():
            return
        body = self.model.request(commit=True)
        self.model.begin()
        self.api.commit_assignment(body, self._done)

    def save_notices(self, path: str) -> None:
        """Download the notices of every assigned booking and write them to ``path``."""
        if self.model.notices == "busy":
            return
        self.model.notices_begin()

        def got(reply: Reply[bytes]) -> None:
            if reply.value is None:
                self.model.notices_failed(reply.error, reply.message, network=reply.network)
                return
            try:
                Path(path).write_bytes(reply.value)
            except OSError as err:
                self.model.notices_failed("file", f"{path}: {err.strerror or err}")
                return
            log.info("notices saved (%d bytes)", len(reply.value))
            self.model.notices_saved(path, len(reply.value))

        self.api.notices_pdf(NoticePrintRequest(), got)
