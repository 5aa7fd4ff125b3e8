"""The wrap-up (後処理) of each call: result codes and notes, kept per call until saved.

A new call never wipes the wrap-up of the one before: each call (keyed by Linkedid) has its own
``CallWrapUp``; the form shows one of them (``current``) and lists the others still unsaved, so
the operator finishes them before or beside the new call. Unsaved wrap-ups are kept in a JSON
file (``DraftStore``) and come back after a restart.

What the screen says was saved is what the server holds: a wrap-up edited after it was sent (or
while it waits in the outbox) shows as unsaved until it is sent again. The codes come from the
server's list (``GET /api/dispositions``); several may be chosen.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cti_server.protocol import CallerInfo, Disposition, DispositionRequest

from .. import api
from ..api import ApiCall
from .forms import CallRef, Subject
from .observable import Observable
from .options import Choice

log = logging.getLogger(__name__)

DEFAULT_CODES = (
    "booked",
    "changed",
    "cancelled",
    "mobility",
    "intent",
    "inquiry",
    "callback",
    "wrong_number",
    "other",
)
SETTLED = ("sending", "queued", "done")


@dataclass
class CallWrapUp:
    linkedid: str
    at: str = ""  # ISO time the call came in
    caller_status: str = ""  # CallerInfo.status
    caller_display: str = ""  # CallerInfo.display (national number)
    codes: list[str] = field(default_factory=list)
    notes: str = ""
    status: str = ""
    error: str = ""
    message: str = ""
    sent: list[Any] | None = None  # [codes, notes] of the last submission
    saved: list[Any] | None = None  # [codes, notes] the server confirmed
    key: str = ""  # outbox key of the last submission
    subject: dict[str, Any] | None = None  # the resident confirmed in the call (Subject fields)

    def content(self) -> list[Any]:
        return [list(self.codes), self.notes]

    def unsaved(self) -> bool:
        if self.saved is None:
            return bool(self.codes or self.notes.strip())
        return self.content() != self.saved

    def edited_since_sent(self) -> bool:
        return self.status in SETTLED and self.content() != self.sent

    def caller(self) -> CallerInfo:
        return CallerInfo(self.caller_status or "unknown", display=self.caller_display)

    def person(self) -> Subject | None:
        return Subject(**self.subject) if self.subject else None


class DraftStore:
    """Unsaved wrap-ups in a JSON file (written atomically), or nowhere (``path=None``)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path

    def load(self) -> list[CallWrapUp]:
        if self.path is None or not self.path.exists():
            return []
        try:
            items = json.loads(self.path.read_text(encoding="utf-8"))
            return [CallWrapUp(**item) for item in items]
        except (OSError, ValueError, TypeError):
            log.exception("wrap-up drafts unreadable; starting without them")
            return []

    def save(self, items: list[CallWrapUp]) -> None:
        if self.path is None:
            return
        tmp = self.path.with_suffix(".tmp")
        data = [asdict(w) for w in items]
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self.path)


class WrapUpModel(Observable):
    def __init__(self, store: DraftStore | None = None) -> None:
        super().__init__()
        self.store = store or DraftStore()
        self.choices = [Choice(c) for c in DEFAULT_CODES]
        self.calls: dict[str, CallWrapUp] = {}
        self.current: str | None = None
        self.live: str | None = None  # the newest call: its wrap-up is never pruned
        for w in self.store.load():
            if w.status in ("sending", "queued"):
                w.status = ""  # the outbox resends it; the form says unsaved until it is done
            self.calls[w.linkedid] = w
        self.current = next(iter(self.calls), None)

    # ------------------------------------------------------------------ which call
    def open(self, call: CallRef, *, follow: bool = True) -> None:
        """A call (new or known): its wrap-up exists from now on; ``follow`` shows it."""
        w = self.calls.get(call.linkedid)
        if w is None:
            caller = call.caller or CallerInfo("unknown")
            w = CallWrapUp(call.linkedid, call.at, caller.status, caller.display)
            self.calls[call.linkedid] = w
        elif call.at or call.caller:
            w.at = call.at or w.at
            if call.caller is not None:
                w.caller_status, w.caller_display = call.caller.status, call.caller.display
        if follow or self.current is None:
            self.current = call.linkedid
        self.live = call.linkedid
        self._prune()
        self._changed()

    def start(self, linkedid: str | None) -> None:
        if linkedid:
            self.open(CallRef(linkedid))

    def show(self, linkedid: str) -> None:
        if linkedid in self.calls:
            self.current = linkedid
            self._prune()
            self._changed()

    def entry(self) -> CallWrapUp | None:
        return self.calls.get(self.current) if self.current else None

    def others_unsaved(self) -> list[CallWrapUp]:
        return [w for w in self.calls.values() if w.linkedid != self.current and w.unsaved()]

    def _prune(self) -> None:
        """Forget saved wrap-ups of calls no longer on screen."""
        kept = (self.current, self.live)
        for key in [k for k, w in self.calls.items() if k not in kept and not w.unsaved()]:
            if self.calls[key].status not in ("sending", "queued"):
                del self.calls[key]

    # ------------------------------------------------------------------ the form's state
    @property
    def linkedid(self) -> str | None:
        return self.current

    @property
    def codes(self) -> list[str]:
        w = self.entry()
        return list(w.codes) if w else []

    @property
    def notes(self) -> str:
        w = self.entry()
        return w.notes if w else ""

    @property
    def status(self) -> str:
        w = self.entry()
        if w is None or w.edited_since_sent():
            return ""
        return w.status

    @property
    def error(self) -> str:
        w = self.entry()
        return w.error if w else ""

    @property
    def message(self) -> str:
        w = self.entry()
        return w.message if w else ""

    def dirty(self) -> bool:
        """Edited after it was sent or saved: the screen must not say 保存しました."""
        w = self.entry()
        return w is not None and w.saved is not None and w.unsaved() and self.status == ""

    def set_choices(self, choices: list[Choice]) -> None:
        if choices:
            self.choices = choices
            self._changed()

    # ------------------------------------------------------------------ editing
    def toggle(self, code: str, on: bool) -> None:
        w = self.entry()
        if w is None or (code in w.codes) == on:
            return
        w.codes = [*w.codes, code] if on else [c for c in w.codes if c != code]
        self._changed()

    def set_notes(self, text: str) -> None:
        w = self.entry()
        if w is not None and w.notes != text:
            w.notes = text
            self._changed()

    def set_subject(self, call: CallRef | None, subject: Subject) -> None:
        """The resident confirmed in ``call``: the wrap-up says whom the call was about."""
        w = self._of(call)
        if w is not None:
            w.subject = asdict(subject)
            self._changed()

    def _of(self, call: CallRef | None) -> CallWrapUp | None:
        if call is None:
            return None
        if call.linkedid not in self.calls:
            caller = call.caller or CallerInfo("unknown")
            self.calls[call.linkedid] = CallWrapUp(
                call.linkedid, call.at, caller.status, caller.display
            )
        return self.calls[call.linkedid]

    def add_code(self, call: CallRef | None, code: str) -> None:
        """What happened in the call (a booking made, a mobility request): prefill its code."""
        w = self._of(call)
        if w is not None and code not in w.codes:
            w.codes.append(code)
            self._changed()

    def add_note(self, call: CallRef | None, line: str) -> None:
        """Keep a line in the call's notes (what was typed in a form that was never sent)."""
        w = self._of(call)
        if w is not None and line not in w.notes:
            w.notes = f"{w.notes.rstrip()}\n{line}".strip()
            self._changed()

    # ------------------------------------------------------------------ sending
    def can_submit(self) -> bool:
        w = self.entry()
        if w is None or not w.codes:
            return False
        return not (w.status in SETTLED and w.content() == w.sent)

    def request(self) -> ApiCall[Disposition]:
        w = self.entry()
        if w is None:
            raise ValueError("no call to wrap up")
        body = DispositionRequest(codes=tuple(w.codes), notes=w.notes)
        return api.set_disposition(w.linkedid, body)

    def submitted(self, key: str) -> Submission:
        """The current wrap-up went into the outbox as ``key``: its answer comes back here."""
        w = self.entry()
        assert w is not None
        w.sent, w.key = w.content(), key
        return Submission(self, w.linkedid, w.content())

    def reattach(self, key: str, linkedid: str, body: dict[str, Any]) -> Submission | None:
        """After a restart: a wrap-up still waiting in the outbox (``key``) is queued again, and
        its answer comes back here."""
        w = self.calls.get(linkedid)
        if w is None:
            return None
        sent = [list(body.get("codes") or []), str(body.get("notes", ""))]
        w.sent, w.key, w.status = sent, key, "queued"
        self._changed()
        return Submission(self, linkedid, sent)

    def settle(
        self, linkedid: str, sent: list[Any], status: str, error: str = "", message: str = ""
    ) -> None:
        w = self.calls.get(linkedid)
        if w is None or (sent != w.sent and status != "done"):
            return  # an older submission; a newer one decides what the form says
        if status == "done":
            w.saved = sent
            if sent != w.sent:
                return
        w.status, w.error, w.message = status, error, message
        self._changed()

    def _changed(self) -> None:
        keep = [w for w in self.calls.values() if w.unsaved() or w.status in ("sending", "queued")]
        self.store.save(keep)
        self.changed()


class Submission:
    """One wrap-up sent: the outbox's answer goes to its own call, whatever is on screen."""

    def __init__(self, model: WrapUpModel, linkedid: str, sent: list[Any]) -> None:
        self.model, self.linkedid, self.sent = model, linkedid, sent

    @property
    def status(self) -> str:
        w = self.model.calls.get(self.linkedid)
        return w.status if w is not None and w.sent == self.sent else ""

    def set_status(
        self,
        status: str,
        error: str = "",
        message: str = "",
        details: dict[str, Any] | None = None,  # the wrap-up words the error id only
    ) -> None:
        self.model.settle(self.linkedid, self.sent, status, error, message)
