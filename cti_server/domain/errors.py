"""Errors of the pure domain (``cti_server.domain``).

Hierarchy::

    DomainError        base; the tracker itself never raises on odd or out-of-order events
    └── FiguresError   figures asked for with impossible settings (e.g. an interval length
                       that does not divide a day, an unknown time zone)

Each error has ``.error_id`` (a stable string) and ``.message``.
"""

from __future__ import annotations


class DomainError(Exception):
    error_id = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FiguresError(DomainError):
    error_id = "figures_invalid"
