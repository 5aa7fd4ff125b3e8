"""``cti-demo``: the whole product on one machine (what ``./deploy/run.sh`` runs).

First run: an embedded SQLite ledger in ``var/demo/`` is created and seeded (synthetic residents,
venues and slots) and demo accounts are made. Every run: the PBX simulator (``cti-sim``) starts
with caller numbers drawn from the ledger plus withheld, empty and unknown ones, then the server
(``cti-server``) against it, then the desktop client (``cti-client``) when a display exists.
On the first run it also prints, fills in and reads back a few dozen returned postcards in the
background (``--postcards N``; ``cti_server.demo_postcards``).
Ctrl-C stops everything. Idempotent: a second run reuses the ledger and the accounts.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import func, select

from cti_server import demo_postcards
from registry.db import create_engine, migrate, session_factory
from registry.models import Operator, Phone, Resident

ACCOUNTS = (  # username, password, role, extension
    ("operator1", "operator1-pass", "operator", "1001"),
    ("operator2", "operator2-pass", "operator", "1002"),
    ("operator3", "operator3-pass", "operator", "1003"),
    ("supervisor", "supervisor-pass", "supervisor", None),
    ("admin", "admin-pass-0", "admin", None),
)
KIOSK = "wallboard"  # the TV's account: no password anyone types, a long-lived URL token
EXTRA_NUMBERS = ("anonymous", "", "<unknown>", "P", "C", "0120444444", "09099990000")


DEFAULT_HTTP_PORT = 8080


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_free(port: int) -> bool:
    """Nothing listens on 127.0.0.1:``port`` (bound as the server binds: address reuse on)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def http_port(environ: Mapping[str, str]) -> int:
    """The server's port: ``CTI_HTTP_PORT`` if set (it must be free), else ``DEFAULT_HTTP_PORT``
    if free, else any free port (said on stderr). Never a port another server holds: the demo
    would wait on that server's health, print its address and send it the demo's postcards."""
    wanted = environ.get("CTI_HTTP_PORT", "").strip()
    if wanted:
        if not wanted.isdigit() or not 0 < int(wanted) < 65536:
            raise SystemExit(f"cti-demo: CTI_HTTP_PORT={wanted!r} is not a port number")
        if not _port_free(int(wanted)):
            raise SystemExit(f"cti-demo: port {wanted} (CTI_HTTP_PORT) is in use; choose another")
        return int(wanted)
    if _port_free(DEFAULT_HTTP_PORT):
        return DEFAULT_HTTP_PORT
    port = _free_port()
    print(f"cti-demo: port {DEFAULT_HTTP_PORT} is in use (another server?); using {port}",
          file=sys.stderr)  # fmt: skip
    return port


def _secret(folder: Path) -> str:
    path = folder / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32), encoding="ascii")
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip()


async def prepare(db_url: str, folder: Path, residents: int) -> None:
    """Migrate, seed once, create the demo accounts, write the simulator's numbers."""
    from registry.operators import create_operator
    from registry.seed.load import seed_database

    engine = create_engine(db_url)
    try:
        await migrate(engine)
        sessions = session_factory(engine)
        async with sessions() as s:
            have = await s.scalar(select(func.count()).select_from(Resident)) or 0
        if have == 0:
            print(f"seeding the demo ledger with {residents} residents (first run only) ...")
            print(f"  {await seed_database(engine, residents, seed=1)}")
        async with sessions() as s:
            known = set((await s.scalars(select(Operator.username))).all())
            for username, password, role, ext in ACCOUNTS:
                if username not in known:
                    await create_operator(
                        s, username, password, role=role, extension=ext, display_name=username
                    )
            if KIOSK not in known:
                await create_operator(
                    s, KIOSK, secrets.token_urlsafe(24), role="kiosk", display_name="待合せ表示"
                )
            await s.commit()
            stored = await s.scalars(select(Phone.e164).where(Phone.e164.is_not(None)).limit(2000))
            numbers = [n for n in stored.all() if n is not None]
    finally:
        await engine.dispose()
    rng = random.Random(7)
    picked = [
        f"0{n[3:]}" if n.startswith("+81") else n
        for n in rng.sample(numbers, k=min(300, len(numbers)))
    ]
    lines = picked + list(EXTRA_NUMBERS) * max(1, len(picked) // 30)
    (folder / "numbers.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _wallboard_url(env: dict[str, str]) -> str:
    """The kiosk account's wallboard address (valid until its tokens are revoked)."""
    from cti_server.config import load_settings
    from cti_server.web.tokens import wallboard_url

    return asyncio.run(wallboard_url(load_settings(None, env), KIOSK))


async def _resident_example(db_url: str) -> str:
    """A (synthetic) resident's postcard number and birth date, to try the residents' page."""
    from registry.normalize.wareki import to_wareki

    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as s:
            row = (
                await s.execute(
                    select(Resident.barcode, Resident.birth_date)
                    .where(Resident.status == "active", Resident.birth_date.is_not(None))
                    .order_by(Resident.id)
                    .limit(1)
                )
            ).first()
    finally:
        await engine.dispose()
    if row is None or row.birth_date is None:
        return ""
    return f"postcard number {row.barcode}, born {to_wareki(row.birth_date)}"


def _has_display() -> bool:
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    # The server never imports Qt: only ask whether the client's toolkit is installed.
    return importlib.util.find_spec("PySide6") is not None


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], limit: float = 60.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                return bool(resp.status == 200)
        except OSError as err:
            if getattr(err, "code", None) == 503:
                return True  # up, PBX link still coming
        time.sleep(0.5)
    return False


def _stop(procs: list[tuple[str, subprocess.Popen[bytes]]]) -> None:
    for _name, p in reversed(procs):
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
    for name, p in reversed(procs):
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            print(f"{name} did not stop; killing it")
            p.kill()
            p.wait()


def _terminate(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="cti-demo", description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="var/demo", help="folder of the demo ledger")
    ap.add_argument("--residents", type=int, default=20_000)
    ap.add_argument("--rate", type=float, default=0.1, help="simulated calls per second")
    ap.add_argument(
        "--callback-share",
        type=float,
        default=0.1,
        help="share of simulated callers who press 1 for a callback while waiting",
    )
    ap.add_argument("--no-client", action="store_true")
    ap.add_argument(
        "--postcards",
        type=int,
        default=36,
        metavar="N",
        help="first run: print, fill in and read back N returned postcards (0: none)",
    )
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)  # `kill` or a service manager stops it like Ctrl-C
    folder = Path(args.data).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{folder / 'ledger.sqlite3'}"
    asyncio.run(prepare(db_url, folder, args.residents))
    port = http_port(os.environ)
    ami_port, ami_secret = _free_port(), secrets.token_hex(8)
    env = {
        **os.environ,
        "CTI_DATABASE_URL": db_url,
        "CTI_SECRET_KEY": _secret(folder),
        "CTI_AMI_HOST": "127.0.0.1",
        "CTI_AMI_PORT": str(ami_port),
        "CTI_AMI_USER": "cti",
        "CTI_AMI_SECRET": ami_secret,
        "CTI_HTTP_HOST": "127.0.0.1",
        "CTI_HTTP_PORT": str(port),
        "CTI_SERVER_ID": "demo",
        "CTI_QUEUES": os.environ.get("CTI_QUEUES", "vaccine=ワクチン予約"),
    }
    py = sys.executable
    procs: list[tuple[str, subprocess.Popen[bytes]]] = []
    try:
        procs.append(
            (
                "cti-sim",
                subprocess.Popen(
                    [
                        py,
                        "-m",
                        "cti_server.sim",
                        "--port",
                        str(ami_port),
                        "--secret",
                        ami_secret,
                        "--agents",
                        "3",
                        "--rate",
                        str(args.rate),
                        "--numbers",
                        str(folder / "numbers.txt"),
                        "--callback-share",
                        str(args.callback_share),
                    ],
                    env=env,
                ),
            )
        )
        server = subprocess.Popen([py, "-m", "cti_server"], env=env)
        procs.append(("cti-server", server))
        if not _wait_healthy(f"http://127.0.0.1:{port}/healthz", server):
            print("cti-server did not come up; see its log above", file=sys.stderr)
            return 1
        print("\n=== cti-assistant demo ===")
        print(f"server:   http://127.0.0.1:{port}  (health: /healthz, API: /api/openapi.json)")
        print(f"PBX:      simulator on 127.0.0.1:{ami_port}, queue 'vaccine', agents 1001-1003")
        print("accounts (username / password / role / extension):")
        for username, password, role, ext in ACCOUNTS:
            print(f"  {username:<11} {password:<16} {role:<10} {ext or '-'}")
        print(f"wallboard (TV, account {KIOSK!r}): {_wallboard_url(env)}")
        supervisor = next((u, p) for u, p, role, _ in ACCOUNTS if role == "supervisor")
        demo_postcards.start(db_url, folder / "postcards", f"http://127.0.0.1:{port}",
                             supervisor, args.postcards)  # fmt: skip
        example = asyncio.run(_resident_example(db_url))
        print(f"residents' page: http://127.0.0.1:{port}/r/  (try {example or 'a resident'})")
        if not args.no_client and _has_display():
            client = [py, "-m", "desktop_client", "--server", f"http://127.0.0.1:{port}"]
            procs.append(("cti-client", subprocess.Popen(client, env=env)))
            print(f"client:   started; log in with operator1 (server http://127.0.0.1:{port})")
        else:
            print(
                f"client:   no display; run `cti-client` where one exists and log in to "
                f"http://127.0.0.1:{port}"
            )
        print("Ctrl-C stops everything.\n", flush=True)
        while all(p.poll() is None for name, p in procs if name != "cti-client"):
            time.sleep(0.5)
        print("a process ended; stopping the demo", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping ...")
        return 0
    finally:
        _stop(procs)


if __name__ == "__main__":
    sys.exit(main())
