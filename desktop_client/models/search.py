"""Search as you type: the query fields, the latest results, and stale-answer protection."""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from cti_server.protocol import Candidate

from .observable import Observable

FIELDS = ("name", "birth", "phone", "address")


@dataclass(frozen=True)
class SearchQuery:
    name: str = ""
    birth: str = ""
    phone: str = ""
    address: str = ""

    def is_empty(self) -> bool:
        return not any(getattr(self, f).strip() for f in FIELDS)

    def params(self, limit: int = 20) -> str:
        """The query string of GET /api/residents/search (empty fields left out)."""
        items = [(f, getattr(self, f).strip()) for f in FIELDS if getattr(self, f).strip()]
        items.append(("limit", str(limit)))
        return urlencode(items)


class SearchModel(Observable):
    """Only the answer to the latest request is shown; older answers arriving late are dropped."""

    def __init__(self) -> None:
        super().__init__()
        self.query = SearchQuery()
        self.results: list[Candidate] = []
        self.busy = False
        self.error = ""
        self._seq = 0

    def set_field(self, name: str, value: str) -> None:
        if name not in FIELDS:
            raise ValueError(f"unknown search field {name!r}")
        self.query = replace(self.query, **{name: value})

    def begin(self) -> int:
        """A request is about to go out: returns its sequence number."""
        self._seq += 1
        self.busy = True
        self.error = ""
        self.changed()
        return self._seq

    def finish(self, seq: int, results: list[Candidate] | None, error: str = "") -> bool:
        """An answer came; False (and ignored) if a newer request was sent since."""
        if seq != self._seq:
            return False
        self.busy = False
        self.error = error
        if results is not None:
            self.results = results
        self.changed()
        return True

    def clear(self) -> None:
        self._seq += 1
        self.query = SearchQuery()
        self.results = []
        self.busy = False
        self.error = ""
        self.changed()
