"""Wires the はがき確認 section (the postcard review queue) to the REST API and the main window.

Only for ``supervisor`` and ``admin`` (the role of each ``Hello``): a top-level tab (F10). The
list is loaded when the section appears and after every decision; each selection fetches the
item's scan crops. Scans picked in the section are uploaded as one multipart request (the
server reads them before it answers) and the list is reloaded. Decisions go straight to the
REST API (not the outbox): the reviewer wants the answer now, and a refusal is shown in the
section.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject

from cti_server.protocol import Hello, ReviewItem, ReviewList, ReviewRejection, ScansRead

from .api import Reply
from .link import ServerLink
from .models.review import ReviewQueueModel, ScanUploadModel
from .views.main_window import MainWindow
from .views.review import ReviewView

log = logging.getLogger(__name__)

REVIEW_ROLES = ("supervisor", "admin")


class ReviewController(QObject):
    def __init__(self, link: ServerLink, window: MainWindow) -> None:
        super().__init__(window)
        self.link, self.window, self.api = link, window, link.api
        self.model = ReviewQueueModel()
        self.uploads = ScanUploadModel()
        self.view = ReviewView(self.model, self.uploads)
        self.role = ""
        self._shown: int | None = None  # the review id whose images are on screen
        self.view.accept_requested.connect(self.accept)
        self.view.reject_requested.connect(self.reject)
        self.view.reload_requested.connect(self.load)
        self.view.upload_requested.connect(self.upload)
        self.model.subscribe(self._selection)
        link.message_received.connect(self.on_message)

    @property
    def allowed(self) -> bool:
        return self.role in REVIEW_ROLES

    def on_message(self, msg: object) -> None:
        if isinstance(msg, Hello):
            self.role = msg.operator.role
            self.window.set_review_view(self.view if self.allowed else None)
            if self.allowed:
                self.load()

    def load(self) -> None:
        def done(reply: Reply[ReviewList]) -> None:
            if reply.value is not None:
                self.model.set_items(list(reply.value.reviews))
            else:
                self.model.finish(False, reply.error, reply.message, reply.details)

        self.api.reviews(done)

    def _selection(self) -> None:
        item = self.model.item
        review_id = item.review_id if item is not None else None
        if review_id == self._shown:
            return
        self._shown = review_id
        for which in ("card", "note"):
            if item is None or not (item.card_image if which == "card" else item.note_image):
                self.view.set_image(which, None)
                continue

            def shown(data: bytes | None, w: str = which, rid: int = item.review_id) -> None:
                if self._shown == rid:
                    self.view.set_image(w, data)

            self.api.review_image(item.review_id, which, shown)

    def _decided(self, action: str) -> Callable[[Reply[ReviewItem]], None]:
        self.model.begin()

        def done(reply: Reply[ReviewItem]) -> None:
            self.model.finish(reply.ok, reply.error, reply.message, reply.details)
            if reply.ok:
                log.info("review %s", action)
                self.load()

        return done

    def accept(self) -> None:
        item = self.model.item
        if item is None or self.model.status == "busy":
            return
        self.api.accept_review(item.review_id, self.model.acceptance(), self._decided("accepted"))

    def reject(self) -> None:
        item = self.model.item
        if item is None or self.model.status == "busy":
            return
        self.api.reject_review(item.review_id, ReviewRejection(), self._decided("rejected"))

    def upload(self, files: list[str]) -> None:
        """Upload scan files; the model gets the read's summary, the list is reloaded."""
        if not files or self.uploads.status == "busy":
            return
        self.uploads.begin(len(files))

        def done(reply: Reply[ScansRead]) -> None:
            if reply.value is not None:
                log.info("scans uploaded: %s pages", reply.value.pages)
                self.uploads.finish(reply.value)
                self.load()
            else:
                self.uploads.finish(None, reply.error, reply.message, reply.details)

        self.api.upload_scans(files, done)
