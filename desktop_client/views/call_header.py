"""The caller header band, always in view at the top of the window during a call.

First line: the caller's number (or 非通知), the queue by its display name, the call's state,
the wait and the talk time (ticking). Second line, once the operator confirmed the resident in
this call: name with furigana, age and wareki birth date, household, current booking and venue,
mobility needs, and the last call's notes. A card confirmed during another call is never shown
next to this caller.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ..i18n import translate
from ..models.dates import format_wait, parse_iso_datetime
from ..models.options import CampaignOptions
from ..models.pop import PopModel
from ..models.resident import ResidentCard, ResidentModel
from .form_labels import option_text
from .labels import (
    age_text,
    call_state_text,
    caller_text,
    day_text,
    disposition_text,
    joined,
    wareki_text,
)
from .language import Retranslating

TOKYO = ZoneInfo("Asia/Tokyo")
NOTES_SHOWN = 40  # characters of the last call's notes in the band (all of them on hover)
ACTIVE_MOBILITY = ("open", "arranged")


def talk_seconds(pop: PopModel, now: dt.datetime) -> float | None:
    """Talk time so far (frozen at the end); None before the answer."""
    call = pop.pop.call if pop.pop is not None else None
    start = parse_iso_datetime(call.answered_at) if call else None
    if call is None or start is None:
        return None
    stop = parse_iso_datetime(call.ended_at) or now
    return max(0.0, (stop - start).total_seconds())


def booking_text(card: ResidentCard) -> str:
    b = card.active_booking()
    if b is None:
        return translate("call_header", "予約なし")
    start = parse_iso_datetime(b.starts_at)
    local = start.astimezone(TOKYO) if start else None
    when = f"{day_text(local.date())} {local:%H:%M}" if local else ""
    return (
        translate("call_header", "予約: {venue} {when}")
        .format(venue=b.venue_name, when=when)
        .strip()
    )


def mobility_text(card: ResidentCard, options: CampaignOptions | None = None) -> str:
    """What the resident's open requests ask for, with the options' configured labels."""
    active = [m for m in card.mobility if m.status in ACTIVE_MOBILITY]
    if active:
        offered = options if options is not None else CampaignOptions()
        codes = [c.code for c in offered.mobility]
        chosen = {o for m in active for o in m.options}
        ordered = [c for c in codes if c in chosen] + sorted(chosen - set(codes))
        needs = [option_text(offered.choice(c)) for c in ordered]
        return translate("call_header", "移動支援: {needs}").format(
            needs=joined(needs) or translate("call_header", "あり")
        )
    intent = card.latest_intent()
    if intent is not None and intent.needs_mobility:
        return translate("call_header", "移動支援: 希望あり（意向）")
    return ""


def last_call_text(card: ResidentCard, current: str | None) -> tuple[str, str]:
    """(short text, full notes) of the latest earlier call with a result or notes."""
    earlier = [c for c in card.calls if c.linkedid != current and (c.notes or c.disposition)]
    if not earlier:
        return "", ""
    last = max(earlier, key=lambda c: c.at)
    at = parse_iso_datetime(last.at)
    day = f"{at.astimezone(TOKYO):%m/%d}" if at else ""
    notes = last.notes if len(last.notes) <= NOTES_SHOWN else last.notes[:NOTES_SHOWN] + "…"
    result = disposition_text(last.disposition) if last.disposition else ""
    parts = [p for p in (result, notes) if p]
    return translate("call_header", "前回 {day}: {what}").format(
        day=day, what="　".join(parts)
    ), last.notes


class CallHeaderView(Retranslating, QFrame):
    def __init__(
        self,
        pop: PopModel,
        resident: ResidentModel,
        queue_names: Callable[[], dict[str, str]] = dict,
        parent: QWidget | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        options: CampaignOptions | None = None,
    ) -> None:
        super().__init__(parent)
        self.options = options if options is not None else CampaignOptions()
        self.setObjectName("callHeader")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.pop, self.resident, self._queue_names = pop, resident, queue_names
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._card_call: str | None = None  # the call during which the card was confirmed
        self._card_id: int | None = None
        self.number, self.queue, self.state = QLabel(self), QLabel(self), QLabel(self)
        self.wait, self.talk = QLabel(self), QLabel(self)
        self.person, self.household, self.booking = QLabel(self), QLabel(self), QLabel(self)
        self.mobility, self.last_call = QLabel(self), QLabel(self)
        big = QFont(self.font())
        big.setPointSizeF(big.pointSizeF() * 1.5)
        big.setBold(True)
        for label in (self.number, self.person):
            label.setFont(big)
        for label in (self.queue, self.state, self.wait, self.talk, self.household, self.booking,
                      self.mobility, self.last_call):  # fmt: skip
            label.setStyleSheet("padding: 0 8px; border-left: 1px solid #bbbbbb;")
        for label in (self.booking, self.mobility, self.last_call):
            # clipped rather than widening the window past a 1366 px screen; all on hover
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._layout()
        self._tick = QTimer(self, interval=1000)
        self._tick.timeout.connect(self._update_times)
        self._tick.start()
        pop.subscribe(self.refresh)
        resident.subscribe(self._card_changed)
        self.retranslate()

    def _layout(self) -> None:
        rows = QVBoxLayout(self)
        rows.setContentsMargins(8, 4, 8, 4)
        first = QHBoxLayout()
        for label in (self.number, self.queue, self.state, self.wait, self.talk):
            first.addWidget(label)
        first.addStretch(1)
        second = QHBoxLayout()
        for label, stretch in ((self.person, 0), (self.household, 0), (self.booking, 2),
                               (self.mobility, 2), (self.last_call, 3)):  # fmt: skip
            second.addWidget(label, stretch)
        rows.addLayout(first)
        rows.addLayout(second)

    def retranslate(self) -> None:
        self.refresh()

    def linkedid(self) -> str | None:
        return self.pop.pop.call.linkedid if self.pop.pop is not None else None

    def _card_changed(self) -> None:
        card = self.resident.card
        rid = card.resident_id if card is not None else None
        if rid != self._card_id:  # a resident confirmed now belongs to the call of now
            self._card_id, self._card_call = rid, self.linkedid()
        self.refresh()

    def card(self) -> ResidentCard | None:
        """The confirmed resident, if confirmed during the call on screen."""
        card = self.resident.card
        return card if card is not None and self._card_call == self.linkedid() else None

    # ------------------------------------------------------------------ rendering
    def refresh(self) -> None:
        pop = self.pop.pop
        if pop is None:
            self.number.setText(self.tr("着信待ち"))
            for label in (self.queue, self.state, self.wait, self.talk):
                label.setText("")
        else:
            self.number.setText(caller_text(pop.caller))
            names = self._queue_names() or {}
            queue = names.get(pop.call.queue, pop.call.queue)
            self.queue.setText(self.tr("キュー: {queue}").format(queue=queue or "—"))
            self.state.setText(call_state_text(pop.call.state))
            self._update_times()
        self._show_card(self.card())

    def _show_card(self, card: ResidentCard | None) -> None:
        if card is None:
            self.person.setText(self.tr("住民未確認") if self.pop.pop is not None else "")
            for label in (self.household, self.booking, self.mobility, self.last_call):
                label.setText("")
                label.setToolTip("")
                label.setVisible(label is self.household)
            return
        kana = f"（{card.name_kana}）" if card.name_kana else ""
        born = (
            self.tr("{date}生").format(date=wareki_text(card.birth_date)) if card.birth_date else ""
        )
        self.person.setText(f"{card.name}{kana}　{age_text(card.age())}　{born}".strip())
        self.household.setText(
            self.tr("世帯 {no}（{n}人）").format(
                no=card.household_no or "—", n=len(card.members) + 1
            )
        )
        short, full = last_call_text(card, self.linkedid())
        for label, text, tip in ((self.booking, booking_text(card), None),
                                 (self.mobility, mobility_text(card, self.options), None),
                                 (self.last_call, short, full)):  # fmt: skip
            label.setText(text)
            label.setToolTip(text if tip is None else tip)
            # an empty one takes no room: what is said gets the band's width, not a share
            label.setVisible(bool(text))

    def _update_times(self) -> None:
        if self.pop.pop is None:
            return
        self.wait.setText(self.tr("待ち {time}").format(time=format_wait(self.pop.wait_seconds())))
        talk = talk_seconds(self.pop, self._clock())
        shown = self.tr("通話 {time}").format(time=format_wait(talk)) if talk is not None else ""
        self.talk.setText(shown)
