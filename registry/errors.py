"""Errors raised by the registry.

Every error carries a stable ``error_id`` (for the wire and for tests), a human-readable
``message`` and a ``details`` dict (JSON-serializable). The registry knows nothing of HTTP: the web
layer maps these to a status code and ``{"error": error_id, "message": ..., "details": ...}``.

Hierarchy::

    RegistryError                 "registry_error"   base of everything below
    ├── NotFound                  "not_found"        a referenced row does not exist
    ├── InvalidInput              "invalid_input"    a value is not acceptable; ``.field`` names it
    ├── Conflict                  "conflict"         the request clashes with the stored state
    │   ├── SlotFull              "slot_full"        no seat left in the slot (DB-enforced)
    │   ├── SlotStarted           "slot_started"     the slot has already started (or is past)
    │   ├── NoTransportSeat       "no_transport_seat" no transport seat left (DB-enforced)
    │   └── AlreadyBooked         "already_booked"   one active booking per resident and dose
    ├── AuthFailed                "auth_failed"      unknown user or wrong password (same message)
    │   └── AccountLocked         "account_locked"   too many failures; ``.until`` (UTC)
    └── LedgerFileError           "ledger_file"      a ledger file cannot be read at all

After a ``Conflict`` raised from a database constraint (``AlreadyBooked`` in a race, for example)
the session's transaction is no longer usable: the caller rolls it back. ``SlotFull``,
``NotFound`` and ``InvalidInput`` are raised before anything is written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar


class RegistryError(Exception):
    """Base of every registry error."""

    error_id: ClassVar[str] = "registry_error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})


class NotFound(RegistryError):
    error_id: ClassVar[str] = "not_found"


class InvalidInput(RegistryError):
    """A value is not acceptable; ``field`` names it (also in ``details["field"]``)."""

    error_id: ClassVar[str] = "invalid_input"

    def __init__(self, field: str, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details={"field": field, **(details or {})})
        self.field = field


class Conflict(RegistryError):
    error_id: ClassVar[str] = "conflict"


class SlotFull(Conflict):
    error_id: ClassVar[str] = "slot_full"


class SlotStarted(Conflict):
    error_id: ClassVar[str] = "slot_started"


class NoTransportSeat(Conflict):
    error_id: ClassVar[str] = "no_transport_seat"


class AlreadyBooked(Conflict):
    error_id: ClassVar[str] = "already_booked"


class AuthFailed(RegistryError):
    error_id: ClassVar[str] = "auth_failed"


class AccountLocked(AuthFailed):
    """Too many consecutive failures; no attempt is checked before ``until`` (UTC)."""

    error_id: ClassVar[str] = "account_locked"

    def __init__(self, until: dt.datetime) -> None:
        super().__init__(
            "account locked after repeated failures; try again later",
            details={"until": until.isoformat()},
        )
        self.until = until


class LedgerFileError(RegistryError):
    error_id: ClassVar[str] = "ledger_file"
