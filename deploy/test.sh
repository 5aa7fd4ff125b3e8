#!/usr/bin/env bash
# Run every test: unit, integration (real TCP, SQLite and PostgreSQL), GUI (Qt offscreen).
# Starts PostgreSQL and Redis on this machine if they are not running.
source "$(dirname "$0")/_env.sh"

if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
if command -v redis-cli >/dev/null && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi

# headless Chromium for tests/integration/test_wallboard_chromium.py (the supervisor wallboard),
# and its WebDriver (Selenium) for the residents' page and the reception page tests
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  apt-get update -qq && apt-get install -y -qq chromium chromium-driver
fi

export QT_QPA_PLATFORM=offscreen
lint-imports                                           # the package boundaries of DESIGN.md
ruff check .
mypy registry cti_server desktop_client/api.py desktop_client/models  # strict (pyproject.toml)
exec python -m pytest "$@"
