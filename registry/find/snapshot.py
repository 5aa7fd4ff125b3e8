"""Snapshots of the in-memory indexes (name index, phone index), so that a restart takes seconds.

A snapshot is one file: a small header (format, kind, the ledger stamp it was built at), then the
index pickled. ``load`` reads the header first and returns None, without reading the rest, when
the stamp is not the database's stamp now (``ledger_stamp``): a stale snapshot is never used;
the caller builds from the database and saves a new one. Files are written beside and renamed
into place (never half written). They live in the server's data directory (``CTI_DATA_DIR``),
which only the server writes (like its secret key): a snapshot is trusted as its own output.

The stamp: the residents' count and highest ``updated_at``, the phones' count and highest id,
the households' count and highest id. Every write of the importer moves one of them (an update
bumps ``updated_at``; a replaced phone is a new id; a deletion lowers a count).
"""

from __future__ import annotations

import logging
import os
import pickle
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.models import Household, Phone, Resident

log = logging.getLogger(__name__)

FORMAT = 2  # 2: address keys of registry.normalize.address
T = TypeVar("T")


async def ledger_stamp(session: AsyncSession) -> str:
    """The ledger's version as text (see the module docstring)."""
    r, p, h = Resident, Phone, Household
    row = (
        await session.execute(
            select(
                select(func.count()).select_from(r).scalar_subquery(),
                select(func.max(r.updated_at)).scalar_subquery(),
                select(func.count()).select_from(p).scalar_subquery(),
                select(func.max(p.id)).scalar_subquery(),
                select(func.count()).select_from(h).scalar_subquery(),
                select(func.max(h.id)).scalar_subquery(),
            )
        )
    ).one()
    return "|".join("" if v is None else str(v) for v in row)


def save(path: Path, kind: str, stamp: str, index: Any) -> None:
    """Write ``index`` with its stamp to ``path`` (atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        pickle.dump((FORMAT, kind, stamp), fh, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(index, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


def load(path: Path, kind: str, stamp: str, cls: type[T]) -> T | None:
    """The index saved at ``path`` if it was built at ``stamp``; None when there is none, it
    is stale, of another format, or unreadable (then it is said in the log)."""
    try:
        with open(path, "rb") as fh:
            header = pickle.load(fh)
            if header != (FORMAT, kind, stamp):
                log.info("%s snapshot %s is stale: rebuilding from the database", kind, path)
                return None
            index = pickle.load(fh)
    except FileNotFoundError:
        return None
    except Exception as err:
        log.warning("%s snapshot %s unreadable (%r): rebuilding from the database", kind, path, err)
        return None
    if not isinstance(index, cls):
        log.warning("%s snapshot %s holds a %s", kind, path, type(index).__name__)
        return None
    return index
