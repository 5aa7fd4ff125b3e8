"""How long the residents' page takes to answer "unknown postcard number" and "wrong birth
date": the two must not be told apart by their timing. Also a correct identification.

Runs the real server in-process (SQLite in a temp dir, or ``--db postgresql://...``), posts
the identification form over real HTTP from a new (forwarded) address each time so that no
limit or lock gets in the way, alternating the kinds, and prints p50 / p90 of each and the
difference of the medians. Prints figures; not a test.

    .venv/bin/python bench/bench_resident_identify.py [--tries 200] [--db URL]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

from cti_server.web.app import create_app
from registry.db import create_engine, migrate
from tests.integration.resident_helpers import csrf_of, seed
from tests.integration.web_helpers import make_settings


async def post(session: aiohttp.ClientSession, url: str, form: dict[str, str], ip: str) -> float:
    start = time.perf_counter()
    async with session.post(url, data=form, headers={"X-Forwarded-For": ip},
                            allow_redirects=False) as resp:  # fmt: skip
        await resp.read()
        assert resp.status in (303, 422), resp.status
    return time.perf_counter() - start


async def main(tries: int, db: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = db or f"sqlite:///{Path(tmp) / 'ledger.sqlite3'}"
        engine = create_engine(url)
        await migrate(engine)
        ledger = await seed(engine)
        settings = make_settings(url, trusted_proxies="127.0.0.1/32", resident_posts_per_ip=10**6)
        server = TestServer(create_app(settings, engine=engine, load_name_index=False))
        await server.start_server()
        times: dict[str, list[float]] = {"unknown": [], "wrong_birth": [], "correct": []}
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as session:
            base = str(server.make_url("/r/"))
            async with session.get(base) as resp:
                csrf = csrf_of(await resp.text())
            forms = {
                "unknown": (ledger.unknown_barcode, "1943-05-11"),
                "wrong_birth": (ledger.barcode, "1943-05-11"),
                "correct": (ledger.barcode, "1943-05-10"),
            }
            for i in range(tries):
                for kind, (barcode, birth) in forms.items():
                    if kind == "correct" and i % 4:
                        continue
                    ip = f"10.{i // 250}.{i % 250}.{list(forms).index(kind) + 1}"
                    form = {"csrf": csrf, "barcode": barcode, "birth": birth}
                    times[kind].append(await post(session, base, form, ip))
                    if kind == "correct":  # back to an anonymous session and its token
                        jar.clear()
                        async with session.get(base) as resp:
                            csrf = csrf_of(await resp.text())
        await server.close()
        await engine.dispose()
    print(f"{'answer':<12} {'n':>5} {'p50 ms':>8} {'p90 ms':>8}")
    for kind, values in times.items():
        q = statistics.quantiles(values, n=10)
        print(f"{kind:<12} {len(values):>5} {statistics.median(values) * 1e3:>8.2f} "
              f"{q[8] * 1e3:>8.2f}")  # fmt: skip
    diff = statistics.median(times["unknown"]) - statistics.median(times["wrong_birth"])
    print(f"median(unknown) - median(wrong_birth) = {diff * 1e3:+.2f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tries", type=int, default=200)
    parser.add_argument("--db", default=None, help="database URL (default: SQLite in a temp dir)")
    args = parser.parse_args()
    asyncio.run(main(args.tries, args.db))
