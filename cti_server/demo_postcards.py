"""The demo's returned postcards: on the first run, ``cti-demo`` prints intent postcards for a
few dozen residents aged 75 and over, fills them in as people do (ticks, circles, a note, a
crossed-out answer, faint pencil; scanned at 150-300 dpi, rotated, noisy), and uploads the
scans to the running server as the ``supervisor`` account, so the はがき確認 queue has real
items and residents' cards show postcard answers.

It runs in a background thread after the server is up (the demo starts as fast as before) and
once per demo ledger (a marker file). Without the ``paper`` extra it says so and does nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
import json
import threading
from pathlib import Path

PAPER_MODULES = ("reportlab", "segno", "cv2", "zxingcpp", "pypdfium2", "numpy")
DONE = "read.done"


def missing_paper() -> list[str]:
    """The paper extra's libraries that are not installed."""
    return [m for m in PAPER_MODULES if importlib.util.find_spec(m) is None]


def _skipped() -> bool:
    missing = missing_paper()
    if missing:
        print(f"postcards: skipped, the 'paper' extra is not installed (missing: "
              f"{', '.join(missing)}; pip install '.[paper]')", flush=True)  # fmt: skip
    return bool(missing)


def make_scans(db_url: str, folder: Path, count: int) -> list[Path]:
    """Print ``count`` postcards (residents aged 75+, ledger order) to ``folder/printed.pdf``
    and fill and scan their answer sides into ``folder/scans``; the scan files."""
    from registry.db import create_engine
    from registry.paper.printing import Postcard, pdf_bytes
    from registry.paper.select import selection
    from registry.paper.synth import write_filled_scans

    async def selected() -> list[Postcard]:
        engine = create_engine(db_url)
        try:
            async with engine.connect() as conn:
                stmt = selection("age:75-", as_of=dt.date.today()).limit(count)
                rows = (await conn.execute(stmt)).all()
        finally:
            await engine.dispose()
        return [Postcard(r.barcode, r.name, r.address or r.household_address or "") for r in rows]

    cards = asyncio.run(selected())
    folder.mkdir(parents=True, exist_ok=True)
    pdf = folder / "printed.pdf"
    pdf.write_bytes(pdf_bytes(cards))
    scans = folder / "scans"
    write_filled_scans(pdf, scans, count=len(cards), seed=11)
    return sorted(p for p in scans.iterdir() if p.suffix in (".png", ".jpg"))


async def upload(
    base_url: str, username: str, password: str, files: list[Path]
) -> dict[str, object]:
    """POST the scans to ``/api/postcards/scans`` as ``username``: the server's answer."""
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(base_url, timeout=timeout) as http:
        login = {"username": username, "password": password}
        async with http.post("/api/login", json=login) as resp:
            resp.raise_for_status()
            token = (await resp.json())["token"]
        form = aiohttp.FormData()
        for path in files:
            kind = "image/png" if path.suffix == ".png" else "image/jpeg"
            form.add_field("file", path.read_bytes(), filename=path.name, content_type=kind)
        headers = {"Authorization": f"Bearer {token}"}
        async with http.post("/api/postcards/scans", data=form, headers=headers) as resp:
            body = await resp.json()
            if resp.status != 200:
                raise RuntimeError(f"upload refused: {json.dumps(body, ensure_ascii=False)}")
            return dict(body)


def summary(answer: dict[str, object]) -> str:
    outcomes = answer.get("outcomes") or {}
    reasons: dict[str, int] = {}
    for page in answer.get("results") or []:  # type: ignore[attr-defined]
        if page.get("new") and page.get("status") == "review":
            for code in page.get("reasons", ()):
                reasons[code] = reasons.get(code, 0) + 1
    parts = ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items()))  # type: ignore[attr-defined]
    why = ", ".join(f"{k} {n}" for k, n in sorted(reasons.items(), key=lambda kv: -kv[1]))
    return f"{answer.get('pages')} pages: {parts}" + (f" (review: {why})" if why else "")


def run(db_url: str, folder: Path, base_url: str, account: tuple[str, str], count: int) -> None:
    """Print, fill, scan and upload once (``folder/read.done`` marks it done); report by print."""
    marker = folder / DONE
    if count <= 0 or marker.exists() or _skipped():
        return
    try:
        files = make_scans(db_url, folder, count)
        answer = asyncio.run(upload(base_url, *account, files))
    except Exception as err:  # the demo goes on without its postcards
        print(f"postcards: could not make the demo's returned postcards: {err!r}", flush=True)
        return
    marker.write_text(json.dumps(answer.get("outcomes"), ensure_ascii=False), encoding="utf-8")
    print(
        f"postcards: {len(files)} filled-in scans read ({summary(answer)}); printed PDF "
        f"and scans in {folder}; review as 'supervisor' in はがき確認 (F10)",
        flush=True,
    )


def start(db_url: str, folder: Path, base_url: str, account: tuple[str, str], count: int) -> None:
    """``run`` in a daemon thread (the demo does not wait for it)."""
    if count <= 0 or (folder / DONE).exists() or _skipped():
        return
    print(f"postcards: printing, filling in and reading {count} returned postcards in the "
          "background (first run only) ...", flush=True)  # fmt: skip
    threading.Thread(
        target=run, args=(db_url, folder, base_url, account, count), name="demo-postcards",
        daemon=True,
    ).start()  # fmt: skip
