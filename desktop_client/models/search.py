"""Search as you type: the query fields, the latest results, and stale-answer protection."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from cti_server.protocol import Candidate

from .observable import Observable

FIELDS = ("name", "birth", "phone", "address")
BARCODE_LENGTH = 12  # はがき番号: 11 digits and a Damm check digit (the server checks it)
# spaces, dashes and the long-vowel mark a person may type between digit groups
_SEPARATORS = str.maketrans("", "", " -\u2010\u2011\u2012\u2013\u2014\u2212" + chr(0x30FC))


def barcode_digits(text: str) -> str:
    """What a postcard number field holds, as the server reads it: full-width digits made
    ASCII, spaces and dashes left out (a USB scanner types ASCII digits and Enter)."""
    return unicodedata.normalize("NFKC", text).translate(_SEPARATORS)


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
        self.tied_beyond = 0  # residents scored as the last result and not listed
        self.barcode_error = ""  # "", "check_digit", "length", "digits", "not_found"
        self.barcode_length = 0
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
        self.barcode_error = ""
        self.changed()
        return self._seq

    def finish(
        self, seq: int, results: list[Candidate] | None, error: str = "", tied_beyond: int = 0
    ) -> bool:
        """An answer came; False (and ignored) if a newer request was sent since.
        ``tied_beyond``: residents as good a match as the last result, not listed."""
        if seq != self._seq:
            return False
        self.busy = False
        self.error = error
        self.tied_beyond = tied_beyond if results is not None else 0
        if results is not None:
            self.results = results
        self.changed()
        return True

    def finish_barcode(
        self, seq: int, results: list[Candidate], problem: str = "", length: int = 0
    ) -> bool:
        """The answer to a postcard-number lookup (``problem`` says what was wrong)."""
        if seq != self._seq:
            return False
        self.barcode_error, self.barcode_length = problem, length
        return self.finish(seq, results)

    def clear(self) -> None:
        self._seq += 1
        self.query = SearchQuery()
        self.results = []
        self.busy = False
        self.error = ""
        self.tied_beyond = 0
        self.changed()
