"""〓 (geta, U+3013) in a ledger file: the mark of a character the file could not carry (the
export writes one for each character CP932 cannot hold; city systems do the same for their 外字).

Pure: the writer (``registry.ledger.bulk``) gives the text fields of a stored resident as the
file has them and as they are stored. A stored value is never replaced by one holding 〓:

- where the file's value is the stored one with some characters written as 〓 (a CP932 export
  of the ledger imported again), the stored value is kept and nothing is said: the file agrees
  with the ledger as far as it can;
- where it says something else, the stored value is kept too, and the row gets a note: the
  file may hold a change that someone has to make by hand.

A field stored empty takes the file's value, 〓 or not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

GETA = "〓"
TEXT_LABELS = ("氏名", "氏名カナ", "住所")  # the text fields, in the order they are given
GAIJI = re.compile("[\ue000-\uf8ff〓]")  # private use (a vendor's 外字) or 〓


def carries(stored: str, written: str) -> bool:
    """Whether ``written`` is ``stored`` with some of its characters written as 〓."""
    if len(stored) != len(written):
        return False
    return all(w in (s, GETA) for s, w in zip(stored, written, strict=True))


def keep_stored(
    written: Sequence[str], stored: Sequence[str], notes: list[str]
) -> tuple[list[str], bool]:
    """The values to store for the ``TEXT_LABELS`` fields, and whether a note was added.
    ``notes`` (the row's review notes, made from the file's values) are brought in line with
    the values kept, and get a note where the file says something else with a 〓."""
    values = list(written)
    added = False
    for k, label in enumerate(TEXT_LABELS):
        new, old = written[k], stored[k]
        if GETA not in new or not old or new == old:
            continue
        values[k] = old
        gaiji = f"外字 in {label}"
        notes[:] = [n for n in notes if n != gaiji]
        if GAIJI.search(old):
            notes.append(gaiji)
        if not carries(old, new):
            notes.append(f"{label} not updated: the file has 〓 (a character it could not carry)")
            added = True
    return values, added
