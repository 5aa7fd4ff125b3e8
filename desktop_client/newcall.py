"""What a new call does to the screen: nothing typed is lost, no form is left armed for the
previous caller, and the keyboard focus is never taken from a field the operator is typing in.

On a new call (another Linkedid):

- the previous call's wrap-up stays attached to it (``WrapUpModel.open`` keeps it; it is shown
  beside the new call until saved); the wrap-up form follows the new call unless the operator
  is typing in it;
- the resident card, the booking, mobility and intent forms are disarmed (nobody to submit for
  until a resident is confirmed). What was typed (or the slot chosen) in a form and never sent
  is kept as a line of its own call's wrap-up notes. A form the operator is typing in right now
  is disarmed when the focus leaves it (until then it shows whom and which call it is for); so
  is a form whose submission is on its way (sending, or queued while offline), but not before
  its answer is shown on it: a refused one is then kept in the notes like any unsent input.
  Confirming a resident for the new call disarms the kept forms at once (``settle``);
- the search is cleared, unless the operator is typing in it.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QWidget

from cti_server.protocol import ScreenPop

from .models.forms import BookingFormModel, CallRef, FormState, MobilityFormModel
from .models.intent import IntentFormModel
from .models.resident import ResidentModel
from .models.search import SearchModel
from .models.wrapup import WrapUpModel
from .views.form_labels import unsent_text
from .views.main_window import MainWindow


def on_its_way(form: FormState) -> bool:
    """A submission of this form is being sent or waits for the connection."""
    return form.status in ("sending", "queued")


def call_ref_of(pop: ScreenPop) -> CallRef:
    call = pop.call
    return CallRef(call.linkedid, call.entered_at or call.answered_at or "", pop.caller)


class NewCall(QObject):
    def __init__(
        self,
        window: MainWindow,
        *,
        resident: ResidentModel,
        search: SearchModel,
        booking: BookingFormModel,
        mobility: MobilityFormModel,
        intent: IntentFormModel,
        wrapup: WrapUpModel,
    ) -> None:
        super().__init__(window)
        self.window, self.resident, self.search, self.wrapup = window, resident, search, wrapup
        self._card: QWidget = window.card.intent_form or window.card
        self.forms: list[tuple[FormState, QWidget]] = [
            (booking, window.booking),
            (mobility, window.mobility),
            (intent, self._card),
        ]
        self._deferred: list[tuple[FormState, QWidget]] = []
        self._stale_card = False  # the card stays while its intent form is typed in
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_moved)

    def begin(self, pop: ScreenPop) -> None:
        """A call with a new Linkedid appeared."""
        w = self.window
        self.wrapup.open(call_ref_of(pop), follow=not w.holds_focus(w.wrapup))
        self._deferred = []
        for form, view in self.forms:
            if (w.holds_focus(view) and w.typing()) or on_its_way(form):
                self._deferred.append((form, view))
            else:
                self.disarm(form)
        self._stale_card = any(v is self._card for _, v in self._deferred)
        if not self._stale_card:
            self.resident.set_card(None)
        if not w.holds_focus(w.pop.search_box):
            self.search.clear()
            w.pop.clear_search_fields()

    def settle(self) -> None:
        """A resident is being confirmed for the current call: the forms kept for the previous
        one are disarmed now (what was typed in them goes to their call's notes)."""
        for form, _view in self._deferred:
            self.disarm(form)
        self._deferred, self._stale_card = [], False

    def disarm(self, form: FormState) -> None:
        if getattr(form, "unsent", lambda: False)():
            self.wrapup.add_note(form.call, unsent_text(form))
        form.disarm()  # type: ignore[attr-defined]

    def kept_card_call(self) -> str | None:
        """The call a card kept on screen is for (its intent form is still typed in), if any."""
        if not self._stale_card:
            return None
        return next((f.linkedid for f, v in self._deferred if v is self._card), None)

    def _focus_moved(self, _old: QWidget | None, new: QWidget | None) -> None:
        if not self._deferred:
            return
        still = []
        for form, view in self._deferred:
            inside = new is not None and (new is view or view.isAncestorOf(new))
            if inside or on_its_way(form):  # left while sending: kept until its answer shows
                still.append((form, view))
            else:
                self.disarm(form)
        self._deferred = still
        if self._stale_card and not any(v is self._card for _, v in still):
            self._stale_card = False
            self.resident.set_card(None)
