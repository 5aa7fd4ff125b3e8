"""Keeps the forms on the campaign settings the server holds now, without a new log-in.

At each connection the settings are read (GET /api/config) into ``CampaignOptions`` (mobility
options, the intent's questions) and the wrap-up codes (GET /api/dispositions, through
``reload_dispositions``). When an admin saves a version the server tells every client
(``ConfigChanged``) and only that key is read again. The models keep what the operator has typed:
the forms rebuild their choices around it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject

from cti_server.protocol import ConfigChanged, ConfigList

from .api import Reply
from .link import ServerLink
from .models.options import INTENT_QUESTIONS, MOBILITY_OPTIONS, CampaignOptions

log = logging.getLogger(__name__)

DISPOSITIONS = "dispositions"


class LiveConfigController(QObject):
    def __init__(
        self,
        link: ServerLink,
        options: CampaignOptions,
        reload_dispositions: Callable[[], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.api, self.options = link.api, options
        self.reload_dispositions = reload_dispositions
        link.message_received.connect(self.on_message)
        link.state_changed.connect(self.on_state)

    def on_state(self, state: str, detail: str) -> None:
        if state == "connected":
            self.load()

    def on_message(self, msg: object) -> None:
        if not isinstance(msg, ConfigChanged):
            return
        log.info("campaign setting %s is now version %s", msg.key, msg.version)
        if msg.key == DISPOSITIONS:
            self.reload_dispositions()
        elif msg.key in (MOBILITY_OPTIONS, INTENT_QUESTIONS):
            self.load(msg.key)

    def load(self, key: str | None = None) -> None:
        """Read the settings (``key``'s alone when given) into the options."""

        def done(reply: Reply[ConfigList]) -> None:
            if reply.value is not None:
                self.options.apply(reply.value.entries, key)
            else:
                log.warning("campaign settings not read: %s", reply.error)

        self.api.campaign_config(done)
