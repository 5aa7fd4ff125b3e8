"""Wires the 折り返し section (the callback worklist) to the REST API and the main window.

For operators, supervisors and admins (the role of each ``Hello``): a top-level tab (F11).
The list is loaded when the section appears and after every step; taking, dialling and
recording go straight to the REST API (not the outbox): a claim is only worth having now, and a
refusal (someone else took it) is shown at once. Supervisors and admins may reprioritise.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject

from cti_server.protocol import DialStarted, Hello, WorkClaimed, WorkItem, WorklistPage

from .api import Reply
from .link import ServerLink
from .models.worklist import WorklistModel
from .views.main_window import MainWindow
from .views.worklist import WorklistView

log = logging.getLogger(__name__)

WORKLIST_ROLES = ("operator", "supervisor", "admin")
PRIORITY_ROLES = ("supervisor", "admin")


class WorklistController(QObject):
    def __init__(self, link: ServerLink, window: MainWindow) -> None:
        super().__init__(window)
        self.link, self.window, self.api = link, window, link.api
        self.model = WorklistModel()
        self.view = WorklistView(self.model)
        self.role = ""
        self.view.take_next_requested.connect(self.take_next)
        self.view.take_requested.connect(self.take)
        self.view.dial_requested.connect(self.dial)
        self.view.outcome_requested.connect(self.record)
        self.view.release_requested.connect(self.release)
        self.view.priority_requested.connect(self.reprioritise)
        self.view.reload_requested.connect(self.load)
        link.message_received.connect(self.on_message)

    def on_message(self, msg: object) -> None:
        if isinstance(msg, Hello):
            self.role = msg.operator.role
            allowed = self.role in WORKLIST_ROLES
            self.view.can_reprioritise = self.role in PRIORITY_ROLES
            self.window.set_worklist_view(self.view if allowed else None)
            if allowed:
                self.load()

    def load(self) -> None:
        def done(reply: Reply[WorklistPage]) -> None:
            if reply.value is not None:
                self.model.set_page(list(reply.value.items), reply.value.summary)
            else:
                self.model.finish(False, reply.error, reply.message, reply.details)

        self.api.worklist(done)

    def _then_load(self, on_ok: Callable[[Any], None]) -> Callable[[Reply[Any]], None]:
        self.model.begin()

        def done(reply: Reply[Any]) -> None:
            if reply.ok:
                on_ok(reply.value)
            else:
                self.model.finish(False, reply.error, reply.message, reply.details)
            self.load()

        return done

    def take_next(self) -> None:
        if self.model.held is None:
            self.api.claim_next(self._then_load(lambda v: self._took(v)))

    def _took(self, claimed: WorkClaimed) -> None:
        self.model.take(claimed.item)

    def take(self, item_id: int) -> None:
        if self.model.held is None:
            self.api.claim_item(item_id, self._then_load(self.model.take))

    def dial(self) -> None:
        held = self.model.held
        if held is None or self.model.linkedid:
            return

        def dialled(started: DialStarted) -> None:
            log.info("dialling worklist item %s (call %s)", held.item_id, started.linkedid)
            self.model.dialling(started.linkedid, started.number)

        self.api.dial(held.item_id, self._then_load(dialled))

    def record(self, outcome: str, later: dt.datetime | None, note: str) -> None:
        held = self.model.held
        if held is None:
            return
        try:
            body = self.model.outcome_request(outcome, later=later, note=note)
        except ValueError:
            return
        self.api.record_outcome(held.item_id, body, self._then_load(self._closed))

    def _closed(self, item: WorkItem) -> None:
        self.model.closed(item)

    def release(self) -> None:
        held = self.model.held
        if held is not None:
            self.api.release_item(held.item_id, self._then_load(self._closed))

    def reprioritise(self, item_id: int, priority: int) -> None:
        if self.role in PRIORITY_ROLES:
            self.api.reprioritise(item_id, priority, self._then_load(lambda _v: None))
