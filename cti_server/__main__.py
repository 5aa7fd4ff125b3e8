"""``cti-server [--config FILE]``: the CTI server (REST + WebSocket + AMI bridge).

Settings: defaults < the TOML file < ``CTI_*`` environment variables (see cti_server.config).
Wiring only: logging is configured here, everything else is built by ``bootstrap`` and run by
the app around it (``cti_server.web.app.app_of``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import time

from aiohttp import web

from cti_server.bootstrap import bootstrap
from cti_server.config import ConfigError, Settings, load_settings, with_secret_key
from cti_server.web.app import app_of
from registry.errors import RegistryError

log = logging.getLogger("cti_server")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cti-server", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="TOML settings file (CTI_* variables win over it)")
    parser.add_argument("--check", action="store_true", help="check the settings and exit")
    parser.add_argument(
        "--kiosk-token",
        metavar="USERNAME",
        help="print a wallboard URL with a long-lived token of this kiosk account, and exit",
    )
    args = parser.parse_args(argv)
    try:
        settings, generated = with_secret_key(load_settings(args.config, os.environ))
    except ConfigError as err:
        print(f"cti-server: bad setting: {err}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one "schema at head" line is enough
    if args.kiosk_token:
        return _print_kiosk_url(settings, args.kiosk_token)
    if generated:
        log.warning(
            "no secret_key configured: using the key kept in %s/secret_key; several instances "
            "behind one proxy need one shared key (CTI_SECRET_KEY)",
            settings.data_dir,
        )
    if args.check:
        print(f"settings OK (server {settings.server_id})")
        return 0
    log.info(
        "cti-server %s: http://%s:%d, AMI %s:%d (%s), database %s, bus %s",
        settings.server_id,
        settings.http_host,
        settings.http_port,
        settings.ami_host,
        settings.ami_port,
        "on" if settings.ami_enabled else "off",
        settings.database_url.split("@")[-1],
        "redis" if settings.redis_url else "none",
    )
    asyncio.run(serve(app_of(bootstrap(settings)), settings.http_host, settings.http_port))
    return 0


SHUTDOWN_TIMEOUT = 0.5  # seconds open requests get at shutdown (the sockets are closed first)


async def serve(app: web.Application, host: str, port: int) -> None:
    """Serve until SIGTERM or SIGINT, then shut down cleanly: stop accepting, close the PBX link
    and every client socket (1001 and a reason, see ``web.app``), give open requests
    ``SHUTDOWN_TIMEOUT``, flush the call records, close the database; log each step."""
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        for addr in runner.addresses:
            log.info("listening on http://%s:%s", addr[0], addr[1])
        stop = asyncio.Event()
        got: list[str] = []
        loop = asyncio.get_running_loop()

        def on_signal(sig: signal.Signals) -> None:
            got.append(sig.name)
            stop.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, on_signal, sig)
        await stop.wait()
        log.info("%s: shutting down (no new connections)", got[0] if got else "stop")
    finally:
        started = time.monotonic()
        await runner.cleanup()
        log.info("shut down in %.2f s", time.monotonic() - started)


def _print_kiosk_url(settings: Settings, username: str) -> int:
    from cti_server.web.tokens import wallboard_url

    try:
        print(asyncio.run(wallboard_url(settings, username)))
    except (RegistryError, ValueError) as err:
        print(f"cti-server: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
