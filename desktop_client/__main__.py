"""``cti-client``: the operator's desktop client."""

from __future__ import annotations

import argparse
import logging
import sys

from .app import run


def main() -> int:
    parser = argparse.ArgumentParser(prog="cti-client", description=__doc__)
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--server", help="server address to propose at log-in (e.g. the demo's)")
    args, qt_args = parser.parse_known_args()
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return run([sys.argv[0], *qt_args], server=args.server)


if __name__ == "__main__":
    sys.exit(main())
