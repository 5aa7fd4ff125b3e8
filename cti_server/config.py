"""Server settings: defaults < TOML file (``--config``) < ``CTI_*`` environment variables.

Parsed once into the frozen ``Settings`` and passed down; nothing reads the environment elsewhere.
A bad value raises ``ConfigError`` naming the setting (and where it came from).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import os
import re
import secrets
import tomllib
import uuid
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cti_server.dispositions import parse_dispositions
from cti_server.domain.figures import SL_FORMULAS
from registry.worklist_policy import RetryPolicy

# Member Interface or MemberName -> extension: PJSIP/1001, SIP/1001, Local/1001@ctx/n, IAX2/1001,
# "1001", "Operator 1001 (鈴木)". The first group is the extension.
DEFAULT_EXTENSION_PATTERN = r"^(?:[A-Za-z0-9]+/)?(?:Operator\s+)?(\d{2,8})(?:[@\-;/\s(].*)?$"


class ConfigError(ValueError):
    """A setting is missing or invalid; the message names it."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///var/ledger.sqlite3"
    ami_host: str = "127.0.0.1"
    ami_port: int = 5038
    ami_user: str = "cti"
    ami_secret: str = ""
    ami_enabled: bool = True
    ami_reconnect_max_seconds: float = 3.0  # reconnect backoff cap once the PBX is gone
    ami_auth_retry_seconds: float = 30.0  # retry a refused AMI login this often; 0: never
    # Asterisk's queue_log (readable here): calls wholly inside a gap in the AMI link are
    # rebuilt from it after the resync; "": not read
    ami_queue_log: str = ""
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    secret_key: str = ""  # signs tokens; empty: generated once and kept in data_dir
    old_secret_keys: str = ""  # still accepted after a rotation (comma-separated or a TOML list)
    data_dir: str = "var"  # where a generated secret key is kept (secret_key, mode 0600)
    token_ttl_seconds: int = 12 * 3600
    kiosk_token_ttl_seconds: int = 0  # wallboard (kiosk) tokens; 0: no expiry, revocable only
    revocation_cache_seconds: float = 5.0  # how long a token's account state is trusted
    revocation_check_seconds: float = 5.0  # how often open sockets are checked for revocation
    trusted_proxies: str = ""  # addresses/networks whose X-Forwarded-For is believed
    public_url: str = ""  # the address users reach (behind the proxy), for printed URLs
    redis_url: str = ""
    bus_channel: str = "cti:events"  # the Redis pub/sub channel; one per deployment sharing a Redis
    timezone: str = "Asia/Tokyo"
    service_level_seconds: int = 20
    short_abandon_seconds: int = 5
    # with_abandons (answered in time / answered + abandoned), answered_only, abandons_met
    service_level_formula: str = "with_abandons"
    extension_pattern: str = DEFAULT_EXTENSION_PATTERN
    server_id: str = ""
    default_area_code: str = "0773"
    ws_queue_size: int = 256
    ws_queue_bytes: int = 1 << 20  # what one client may have waiting; more drops the client
    ws_max_message_bytes: int = 4096  # a client's message (a ping nonce, a state) is small
    ws_sockets_per_account: int = 8  # a new socket beyond this closes the account's oldest
    ws_heartbeat_seconds: float = 20.0
    login_delay_seconds: float = 0.5  # per-IP delay after each failed login, doubling, capped
    login_delay_max_seconds: float = 8.0
    login_failure_decay_seconds: float = 60.0  # an address's failure count drops by one this often
    resident_posts_per_ip: int = 30  # the residents' page (/r/): form posts per address per window
    resident_window_seconds: float = 600.0
    lookup_timeout_seconds: float = 2.0
    ledger_check_seconds: float = 2.0  # how often the database is asked whether it answers
    index_refresh_seconds: float = 60.0  # the name index picks up ledger imports this often
    index_snapshots: bool = True  # keep the indexes' snapshots in data_dir (quick restarts)
    log_level: str = "INFO"
    # wrap-up codes "code=日本語/English,..."; "" = the default list. Only until an admin saves
    # a list in the client (campaign setting ``dispositions``, GET/PUT /api/config)
    dispositions: str = ""
    scan_dir: str = "var/scans"  # returned postcards: uploaded scans and their crops
    call_center_number: str = "0773-66-1000"  # printed on the appointment notices
    call_center_hours: str = "平日 9:00〜17:00"
    after_call_seconds: int = 30  # after-call work (後処理) after each answered call; 0: until 完了
    after_call_enabled: bool = True  # pause the operator in the queue during after-call work
    after_call_reason: str = "後処理"  # the QueuePause reason that marks after-call work
    # queue -> the name people read (TOML table [queues]: vaccine = "ワクチン予約";
    # CTI_QUEUES="vaccine=ワクチン予約,general=総合案内")
    queues: tuple[tuple[str, str], ...] = ()
    # venue reception: a resident is let in from this long before their slot to this long
    # after its end; a resident without a booking may be booked into a slot with room
    reception_early_minutes: int = 60
    reception_late_minutes: int = 30
    reception_walk_ins: bool = True
    # click-to-dial: the operator's phone ({extension}), the outbound route, the caller ID shown
    # to residents (e.g. '"舞鶴市" <0773620000>'), digits before the national number, ring time
    dial_channel: str = "Local/{extension}@operators"
    dial_context: str = "outbound"
    dial_caller_id: str = ""
    dial_prefix: str = ""
    dial_ring_seconds: int = 30
    # the callback worklist: unanswered calls before giving up, the time between them, the
    # calling hours (local, HH:MM-HH:MM) and how long an operator's claim holds; only until an
    # admin saves a policy in the client (campaign setting ``retry_policy``)
    worklist_max_attempts: int = 3
    worklist_retry_minutes: int = 120
    worklist_hours: str = "09:00-19:00"
    worklist_claim_minutes: int = 15
    worklist_sweep_seconds: float = 60.0  # no-shows and web requests onto the worklist; 0: never

    @property
    def retry_policy(self) -> RetryPolicy:
        """The worklist's retry policy (checked by ``load``)."""
        start, _, end = self.worklist_hours.partition("-")
        return RetryPolicy(
            max_attempts=self.worklist_max_attempts,
            interval=dt.timedelta(minutes=self.worklist_retry_minutes),
            earliest=dt.time.fromisoformat(start.strip()),
            latest=dt.time.fromisoformat(end.strip()),
            tz=self.timezone,
            claim_ttl=dt.timedelta(minutes=self.worklist_claim_minutes),
        )

    @property
    def secret_keys(self) -> list[str]:
        """Every accepted signing key, the one that signs first."""
        return [self.secret_key, *_split_list(self.old_secret_keys)]

    @property
    def trusted_proxy_list(self) -> list[str]:
        return _split_list(self.trusted_proxies)

    def queue_name(self, queue: str) -> str:
        """The display name of ``queue`` (the queue's own name when none is configured)."""
        return dict(self.queues).get(queue, queue)

    def extension_of(self, *names: str) -> str | None:
        """The operator extension named by a member Interface or MemberName (first that matches).

        Memoized: it is asked for every queue member on every call event (a few hundred
        distinct interfaces, a regular expression each)."""
        key = (self.extension_pattern, names)
        try:
            return _EXT_CACHE[key]
        except KeyError:
            pass
        rx = _compiled(self.extension_pattern)
        found = None
        for name in names:
            m = rx.match(name.strip()) if name else None
            if m:
                found = m.group(1)
                break
        if len(_EXT_CACHE) >= _EXT_CACHE_SIZE:
            _EXT_CACHE.clear()
        _EXT_CACHE[key] = found
        return found


_RX_CACHE: dict[str, re.Pattern[str]] = {}
_EXT_CACHE: dict[tuple[str, tuple[str, ...]], str | None] = {}
_EXT_CACHE_SIZE = 20_000
_LIST_SETTINGS = ("old_secret_keys", "trusted_proxies")


def _split_list(text: str) -> list[str]:
    return [p for p in re.split(r"[,\s]+", text) if p]


def _compiled(pattern: str) -> re.Pattern[str]:
    rx = _RX_CACHE.get(pattern)
    if rx is None:
        rx = _RX_CACHE[pattern] = re.compile(pattern)
    return rx


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
_TYPES = {"str": str, "int": int, "float": float, "bool": bool}


def _coerce(name: str, value: Any, source: str) -> Any:
    where = f"{name} (from {source})"
    if name == "queues":
        return _queue_names(value, where)
    tp = _TYPES[str(_FIELDS[name].type)]
    if tp is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{where}: expected true/false, got {value!r}")
    if tp is int:
        if isinstance(value, bool):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        try:
            return int(str(value).strip())
        except ValueError as err:
            raise ConfigError(f"{where}: expected an integer, got {value!r}") from err
    if tp is float:
        try:
            return float(str(value).strip())
        except ValueError as err:
            raise ConfigError(f"{where}: expected a number, got {value!r}") from err
    if name in _LIST_SETTINGS and isinstance(value, list):
        return ",".join(str(v) for v in value)
    if not isinstance(value, str | int | float):
        raise ConfigError(f"{where}: expected text, got {value!r}")
    return str(value)


def _queue_names(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    """A ``[queues]`` table, or ``name=display,name=display`` text (environment)."""
    if isinstance(value, tuple):
        pairs = list(value)
    elif isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, str):
        pairs = [tuple(p.split("=", 1)) for p in value.split(",") if p.strip()]
    else:
        raise ConfigError(f"{where}: expected a table of queue = display name")
    out = []
    for pair in pairs:
        if len(pair) != 2 or not all(isinstance(x, str) and x.strip() for x in pair):
            raise ConfigError(f"{where}: expected queue = display name, got {pair!r}")
        out.append((pair[0].strip(), pair[1].strip()))
    return tuple(out)


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``[ami] host = ..`` -> ``ami_host``; top-level keys stay as they are (the ``[queues]``
    table too: it maps names)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}".replace("-", "_")
        if name == "queues":
            out[name] = value
        elif isinstance(value, Mapping):
            out.update(_flatten(value, f"{name}_"))
        else:
            out[name] = value
    return out


def _validate(s: Settings) -> None:
    if not 0 < s.ami_port < 65536:
        raise ConfigError(f"ami_port: {s.ami_port} is not a TCP port")
    if not 0 <= s.http_port < 65536:
        raise ConfigError(f"http_port: {s.http_port} is not a TCP port")
    if s.resident_posts_per_ip < 1 or s.resident_window_seconds <= 0:
        raise ConfigError("resident_posts_per_ip and resident_window_seconds must be positive")
    try:
        zoneinfo.ZoneInfo(s.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as err:
        raise ConfigError(f"timezone: unknown time zone {s.timezone!r}") from err
    try:
        rx = re.compile(s.extension_pattern)
    except re.error as err:
        raise ConfigError(f"extension_pattern: not a regular expression: {err}") from err
    if rx.groups < 1:
        raise ConfigError("extension_pattern: needs one group capturing the extension")
    if "://" not in s.database_url:
        raise ConfigError(f"database_url: not a URL: {s.database_url!r}")
    if s.redis_url and not s.redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"redis_url: not a redis:// URL: {s.redis_url!r}")
    for name in ("service_level_seconds", "short_abandon_seconds", "token_ttl_seconds"):
        if getattr(s, name) <= 0:
            raise ConfigError(f"{name}: must be positive")
    if s.service_level_formula not in SL_FORMULAS:
        raise ConfigError(f"service_level_formula: one of {', '.join(SL_FORMULAS)}")
    for name in ("reception_early_minutes", "reception_late_minutes"):
        if not 0 <= getattr(s, name) <= 24 * 60:
            raise ConfigError(f"{name}: 0 to 1440 minutes")
    if s.index_refresh_seconds <= 0:
        raise ConfigError("index_refresh_seconds: must be positive")
    if s.kiosk_token_ttl_seconds < 0:
        raise ConfigError("kiosk_token_ttl_seconds: 0 (no expiry) or positive")
    for name in ("revocation_cache_seconds", "revocation_check_seconds", "ledger_check_seconds"):
        if not getattr(s, name) > 0:
            raise ConfigError(f"{name}: must be positive")
    if not s.ami_reconnect_max_seconds > 0:
        raise ConfigError("ami_reconnect_max_seconds: must be positive")
    if any(c in s.ami_queue_log for c in "\r\n\0"):
        raise ConfigError("ami_queue_log: a file path")
    if s.ami_auth_retry_seconds < 0:
        raise ConfigError("ami_auth_retry_seconds: 0 (never) or positive")
    if not s.login_failure_decay_seconds > 0:
        raise ConfigError("login_failure_decay_seconds: must be positive")
    for proxy in s.trusted_proxy_list:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError as err:
            raise ConfigError(f"trusted_proxies: not an address or network: {proxy!r}") from err
    if s.after_call_seconds < 0:
        raise ConfigError("after_call_seconds: must be 0 (until 完了) or more")
    if not s.after_call_reason.strip() or any(c in s.after_call_reason for c in "\r\n"):
        raise ConfigError("after_call_reason: one line of text required")
    for name in ("ws_queue_size", "ws_sockets_per_account"):
        if getattr(s, name) < 1:
            raise ConfigError(f"{name}: must be at least 1")
    for name in ("ws_queue_bytes", "ws_max_message_bytes"):
        if getattr(s, name) < 1024:
            raise ConfigError(f"{name}: must be at least 1024")
    try:
        parse_dispositions(s.dispositions)
    except ValueError as err:
        raise ConfigError(str(err)) from err
    _validate_dialling(s)


def _validate_dialling(s: Settings) -> None:
    if "{extension}" not in s.dial_channel or any(c in s.dial_channel for c in "\r\n"):
        raise ConfigError("dial_channel: one line naming {extension}, e.g. PJSIP/{extension}")
    for name in ("dial_context", "dial_caller_id", "dial_prefix"):
        if any(c in getattr(s, name) for c in "\r\n"):
            raise ConfigError(f"{name}: one line of text")
    if not s.dial_context.strip():
        raise ConfigError("dial_context: the outbound context is required")
    if s.dial_ring_seconds <= 0:
        raise ConfigError("dial_ring_seconds: must be positive")
    try:
        s.retry_policy  # noqa: B018
    except ValueError as err:
        raise ConfigError(f"worklist_*: {err} (worklist_hours is HH:MM-HH:MM)") from err


def load_settings(
    path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Settings from defaults, then the TOML file, then ``CTI_*`` variables, then overrides."""
    values: dict[str, Any] = {}
    if path is not None:
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except OSError as err:
            raise ConfigError(f"config file {path}: {err.strerror}") from err
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"config file {path}: {err}") from err
        for name, value in _flatten(data).items():
            if name not in _FIELDS:
                raise ConfigError(f"{name} (from {path}): unknown setting")
            values[name] = _coerce(name, value, str(path))
    for key, value in (env or {}).items():
        if not key.startswith("CTI_"):
            continue
        name = key[4:].lower()
        if name in _FIELDS:
            values[name] = _coerce(name, value, key)
    for name, value in overrides.items():
        if name not in _FIELDS:
            raise ConfigError(f"{name}: unknown setting")
        values[name] = _coerce(name, value, "arguments")
    settings = Settings(**values)
    if not settings.server_id:
        settings = dataclasses.replace(settings, server_id=f"cti-{uuid.uuid4().hex[:8]}")
    keys = _split_list(settings.old_secret_keys)
    for key in [settings.secret_key, *keys] if settings.secret_key else keys:
        if len(key) < 16:
            raise ConfigError("secret_key: every key must be at least 16 characters")
    _validate(settings)
    return settings


def with_secret_key(settings: Settings) -> tuple[Settings, bool]:
    """``settings`` with a secret key: the configured one, or one generated once and kept in
    ``data_dir/secret_key`` (mode 0600). True when the key came from that file."""
    if settings.secret_key:
        return settings, False
    path = Path(settings.data_dir) / "secret_key"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_urlsafe(48))
        path.chmod(0o600)
        key = path.read_text(encoding="ascii").strip()
    except OSError as err:
        raise ConfigError(f"secret_key: cannot keep a generated key in {path}: {err}") from err
    if len(key) < 16:
        raise ConfigError(f"secret_key: the key in {path} is too short")
    return dataclasses.replace(settings, secret_key=key), True
