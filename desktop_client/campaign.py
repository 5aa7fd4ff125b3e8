"""Wires the キャンペーン設定 section (admins only) to the REST API and the main window.

The settings are loaded when the section appears (each ``Hello`` of an admin) and on 再読み込み;
a save sends the version that was loaded. When someone else saved first (409), what is stored now
is loaded again and the section says so; the admin's edits are then to be made again. Every client
is told of a save (``ConfigChanged``, see ``live_config``). The history of the key chosen is read
with the settings, after each save, and when another admin saves that key; only the answer to the
last request is shown, whatever order the answers come in.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject

from cti_server.protocol import (
    ConfigChanged,
    ConfigEntry,
    ConfigHistory,
    ConfigList,
    ConfigPutRequest,
    Hello,
)

from .api import Reply
from .link import ServerLink
from .models.campaign import CampaignConfigModel
from .views.campaign import CampaignConfigView
from .views.main_window import MainWindow

log = logging.getLogger(__name__)

CONFIG_ROLES = ("admin",)


class CampaignConfigController(QObject):
    def __init__(self, link: ServerLink, window: MainWindow) -> None:
        super().__init__(window)
        self.link, self.window, self.api = link, window, link.api
        self.model = CampaignConfigModel()
        self.view = CampaignConfigView(self.model)
        self.role = ""
        self.view.save_requested.connect(self.save)
        self.view.reload_requested.connect(self.load)
        self.view.history.history_requested.connect(self.load_history)
        link.message_received.connect(self.on_message)
        # the key whose history was asked for last, and how many were asked: only the answer to
        # the last request is shown (an earlier one, for the key shown before, may come after it)
        self._history_for = self.model.history_key
        self._history_asked = 0

    @property
    def allowed(self) -> bool:
        return self.role in CONFIG_ROLES

    def on_message(self, msg: object) -> None:
        if isinstance(msg, Hello):
            self.role = msg.operator.role
            self.window.set_config_view(self.view if self.allowed else None)
            if self.allowed:
                self.load()
        elif isinstance(msg, ConfigChanged) and self.allowed and msg.key == self._history_for:
            self.load_history(msg.key)

    def load(self, notice: str = "") -> None:
        def done(reply: Reply[ConfigList]) -> None:
            if reply.value is not None:
                self.model.finish(True)
                self.model.load(reply.value.entries, notice)
                self.load_history(self._history_for)
            else:
                self.model.finish(False, reply.error, reply.message, reply.details)

        self.api.campaign_config(done)

    def load_history(self, key: str) -> None:
        self._history_for = key
        self._history_asked += 1
        asked = self._history_asked

        def done(reply: Reply[ConfigHistory]) -> None:
            if asked != self._history_asked:
                return  # a later request's answer is the one to show
            if reply.value is not None:
                self.model.show_history(reply.value.key, reply.value.versions)
            else:
                log.warning("history of %s not read: %s", key, reply.error)

        self.api.campaign_config_history(key, done)

    def save(self, key: str) -> None:
        m = self.model
        body = ConfigPutRequest(version=m.versions.get(key, 0), value=m.value_of(key))
        m.notice = ""
        m.begin()

        def done(reply: Reply[ConfigEntry]) -> None:
            if reply.value is not None:
                m.saved(reply.value)
                self.load_history(self._history_for)
            elif reply.status == 409:
                m.finish(True)
                self.load(notice="stale")
            else:
                m.finish(False, reply.error, reply.message, reply.details)

        self.api.save_campaign_config(key, body, done)
