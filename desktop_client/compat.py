"""Work-arounds for defects of the Qt binding, each with the reason it exists.

PySide6 6.12.0 on CPython 3.11 releases one reference to ``None`` on every call of a method that
returns nothing (``QLabel.setText``, ``QTreeWidgetItem.setText`` ...), and ``data()`` returning
None does the same: measured here, 100 calls of ``QLabel.setText`` lower
``sys.getrefcount(None)`` by 100. ``None`` starts with a few thousand references, so the client
died with "Fatal Python error: none_dealloc" after a few dozen screen-pops. CPython 3.12 made
``None`` immortal, which hides the defect there; ``immortalize_none`` gives 3.11 the same. The
same happens to ``True`` and ``False`` (methods returning bool), so they get it too.
"""

from __future__ import annotations

import ctypes
import sys

_HEADROOM = 1 << 60


def immortalize_none() -> None:
    """Put the counts of None, True and False out of reach (CPython < 3.12; idempotent)."""
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return
    for obj in (None, True, False):
        refcnt = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is PyObject's first field
        if refcnt.value < _HEADROOM // 2:
            refcnt.value += _HEADROOM
