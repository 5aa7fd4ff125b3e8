"""A minimal Qt-free change notification: views subscribe, models call ``changed()``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Observable:
    def __init__(self) -> None:
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, fn: Callable[[], None]) -> None:
        self._listeners.append(fn)

    def unsubscribe(self, fn: Callable[[], None]) -> None:
        if fn in self._listeners:
            self._listeners.remove(fn)

    def changed(self) -> None:
        for fn in list(self._listeners):
            fn()


class RequestStatus(Observable):
    """A model whose requests go one at a time: ``begin`` marks it busy, ``finish`` says how it
    ended (``done``; ``failed`` for the network, else ``refused`` with the server's error)."""

    status: str
    error: str
    message: str
    details: dict[str, Any]

    def begin(self) -> None:
        self.status, self.error, self.message = "busy", "", ""
        self.changed()

    def finish(
        self, ok: bool, error: str = "", message: str = "", details: dict[str, Any] | None = None
    ) -> None:
        self.details = dict(details or {})
        if ok:
            self.status, self.error, self.message = "done", "", ""
        else:
            self.status = "failed" if error == "network" else "refused"
            self.error, self.message = error, message
        self.changed()
