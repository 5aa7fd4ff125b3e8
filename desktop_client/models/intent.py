"""The intent (意向確認) answered on the phone: wants vaccination? needs mobility support?

Each answer is ``True``, ``False`` or ``None`` (not answered). The mobility question is asked
only while the campaign setting ``intent_questions.needs_mobility`` is true (``CampaignOptions``);
while it is not, the answer is not sent (one typed before the setting changed is kept, unsent).
Sent through the outbox like the other forms (POST /api/residents/{id}/intents); the server
records channel, operator and call.
"""

from __future__ import annotations

from typing import Any

from cti_server.protocol import Intent, IntentRequest

from .. import api
from ..api import ApiCall
from .forms import CallRef, FormState
from .options import CampaignOptions
from .resident import ResidentCard


class IntentFormModel(FormState):
    def __init__(self, offered: CampaignOptions | None = None) -> None:
        super().__init__()
        self.offered = offered if offered is not None else CampaignOptions()
        self.resident_id: int | None = None
        self.wants_vaccination: bool | None = None
        self.needs_mobility: bool | None = None
        self.notes = ""

    def start(self, card: ResidentCard, linkedid: CallRef | str | None) -> None:
        """A new card: a blank form (the card shows the answers already on record)."""
        self.resident_id = card.resident_id
        self.bind(card, linkedid)
        self.wants_vaccination = self.needs_mobility = None
        self.notes = ""
        self.set_status("")

    def disarm(self) -> None:
        self.resident_id = None
        self.wants_vaccination = self.needs_mobility = None
        self.notes = ""
        self.bind(None, None)
        self.set_status("")

    def unsent(self) -> bool:
        answered = self.wants_vaccination is not None or self.needs_mobility is not None
        typed = answered or bool(self.notes.strip())
        return self.resident_id is not None and typed and self.status in ("", "refused", "failed")

    def update(self, **fields: Any) -> None:
        for k in fields:
            if k not in ("wants_vaccination", "needs_mobility", "notes"):
                raise ValueError(f"unknown intent field {k!r}")
        if self.locked():
            self.changed()  # the view shows the values sent again
            return
        for k, v in fields.items():
            setattr(self, k, v)
        if self.status in ("done", "refused", "failed"):
            self.status = ""  # a new answer after the last one went
        self.changed()

    def asks_mobility(self) -> bool:
        return self.offered.needs_mobility

    def can_submit(self) -> bool:
        mobility = self.needs_mobility if self.asks_mobility() else None
        answered = self.wants_vaccination is not None or mobility is not None
        return (
            self.resident_id is not None
            and (answered or bool(self.notes.strip()))
            and not self.locked()
        )

    def request(self) -> ApiCall[Intent]:
        if self.resident_id is None:
            raise ValueError("no resident on the card")
        body = IntentRequest(
            wants_vaccination=self.wants_vaccination,
            needs_mobility=self.needs_mobility if self.asks_mobility() else None,
            notes=self.notes.strip(),
            call=self.linkedid or None,
        )
        return api.record_intent(self.resident_id, body)
