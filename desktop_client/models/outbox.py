"""Submissions waiting for the server, each with its own Idempotency-Key.

Every form submission goes through the outbox: it is sent at once when connected, kept when the
connection is down, and re-sent with the same key when it comes back, so the server creates
nothing twice. An entry may wait for another (a mobility request for a booking not yet made)
and take a field of its body from that entry's result (``fill``). Optionally kept in a JSON file
so a crash loses nothing either.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .observable import Observable

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@dataclass
class Entry:
    key: str
    kind: str  # booking / booking_change / booking_cancel / mobility / disposition
    method: str
    path: str
    body: dict[str, Any] | None
    status: str = "pending"  # pending / sending / done / failed
    attempts: int = 0
    error: str = ""
    message: str = ""
    after: str | None = None  # key of an entry that must be done first
    fill: dict[str, str] = field(default_factory=dict)  # body field <- result field of `after`
    result: dict[str, Any] | None = None


class Outbox(Observable):
    def __init__(self, path: Path | None = None) -> None:
        super().__init__()
        self.path = path
        self.entries: dict[str, Entry] = {}
        if path is not None and path.exists():
            self._load(path)

    # ------------------------------------------------------------------ adding
    def add(
        self,
        kind: str,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        *,
        after: str | None = None,
        fill: dict[str, str] | None = None,
    ) -> Entry:
        entry = Entry(uuid.uuid4().hex, kind, method, path, body, after=after, fill=fill or {})
        self.entries[entry.key] = entry
        self._saved()
        return entry

    # ------------------------------------------------------------------ sending
    def ready(self) -> list[Entry]:
        """Entries to send now, in order; fails those whose prerequisite failed."""
        out = []
        for e in list(self.entries.values()):
            if e.status != "pending":
                continue
            dep = self.entries.get(e.after) if e.after else None
            if e.after and dep is None:
                self.mark_failed(e.key, "dependency_lost", "")
                continue
            if dep is not None and dep.status == "failed":
                self.mark_failed(e.key, "dependency_failed", dep.error)
                continue
            if dep is not None and dep.status != "done":
                continue
            if dep is not None and e.body is not None:
                for body_field, spec in e.fill.items():
                    e.body[body_field] = _result_field(dep.result or {}, spec)
            out.append(e)
        return out

    def mark_sending(self, key: str) -> None:
        e = self.entries[key]
        e.status = "sending"
        e.attempts += 1
        self._saved()

    def mark_done(self, key: str, result: dict[str, Any] | None) -> None:
        e = self.entries[key]
        e.status, e.result, e.error, e.message = "done", result or {}, "", ""
        self._saved()

    def mark_retry(self, key: str, error: str, message: str = "") -> bool:
        """Keep for the next connection; False (and failed) after too many attempts."""
        e = self.entries[key]
        if e.attempts >= MAX_ATTEMPTS:
            self.mark_failed(key, error or "too_many_attempts", message)
            return False
        e.status, e.error, e.message = "pending", error, message
        self._saved()
        return True

    def mark_waiting(self, key: str, error: str, message: str = "") -> None:
        """Keep for later without counting the attempt: the server is up but cannot store it
        yet (its database is away); sent again when the server says the ledger is back."""
        e = self.entries[key]
        e.status, e.error, e.message = "pending", error, message
        e.attempts = max(0, e.attempts - 1)
        self._saved()

    def mark_failed(self, key: str, error: str, message: str) -> None:
        e = self.entries[key]
        e.status, e.error, e.message = "failed", error, message
        self._saved()

    def retry(self, key: str) -> None:
        """Send a failed entry again (the operator asked), with its attempts counted anew and
        its Idempotency-Key kept: what the server did store is not stored twice. An entry that
        waited for a failed one goes on its own (its body as it was)."""
        e = self.entries.get(key)
        if e is None or e.status != "failed":
            return
        e.status, e.attempts, e.error, e.message = "pending", 0, "", ""
        dep = self.entries.get(e.after) if e.after is not None else None
        if dep is not None and dep.status == "failed":
            e.after, e.fill = None, {}
        self._saved()

    def discard(self, key: str) -> None:
        """Drop a failed entry (the operator gave it up, its text noted elsewhere)."""
        e = self.entries.get(key)
        if e is not None and e.status == "failed":
            del self.entries[key]
            self._saved()

    def pending_count(self) -> int:
        return sum(1 for e in self.entries.values() if e.status in ("pending", "sending"))

    def failed(self) -> list[Entry]:
        return [e for e in self.entries.values() if e.status == "failed"]

    def forget_finished(self) -> None:
        for key in [k for k, e in self.entries.items() if e.status == "done"]:
            if not any(o.after == key and o.status == "pending" for o in self.entries.values()):
                del self.entries[key]
        self._saved()

    # ------------------------------------------------------------------ persistence
    def _saved(self) -> None:
        if self.path is not None:
            tmp = self.path.with_suffix(".tmp")
            data = [asdict(e) for e in self.entries.values()]
            tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            tmp.replace(self.path)
        self.changed()

    def _load(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.exception("outbox file unreadable; starting empty")
            return
        for item in data:
            e = Entry(**item)
            if e.status == "sending":  # the answer never came: send again with the same key
                e.status = "pending"
            self.entries[e.key] = e


def _result_field(result: dict[str, Any], spec: str) -> Any:
    """``"booking_id|id"``: the first of these fields present in the result."""
    for name in spec.split("|"):
        if result.get(name) is not None:
            return result[name]
    return None
