"""Settings: defaults < TOML file < CTI_* variables; bad values name the setting."""

from __future__ import annotations

import pytest

from cti_server.config import ConfigError, Settings, load_settings

KEY = {"CTI_SECRET_KEY": "k" * 32}


def test_file_then_environment_wins(tmp_path):
    cfg = tmp_path / "cti.toml"
    cfg.write_text(
        'database_url = "sqlite:///var/x.sqlite3"\nsecret_key = "from-the-file-0123456789"\n'
        '[ami]\nhost = "10.0.0.5"\nport = 5039\nuser = "cti"\n'
        "[http]\nport = 9000\n",
        encoding="utf-8",
    )
    s = load_settings(
        cfg, {"CTI_AMI_PORT": "6000", "CTI_REDIS_URL": "redis://127.0.0.1:6379/0", "OTHER": "x"}
    )
    assert (s.ami_host, s.ami_port, s.http_port) == ("10.0.0.5", 6000, 9000)
    assert s.database_url == "sqlite:///var/x.sqlite3"
    assert s.redis_url == "redis://127.0.0.1:6379/0"
    assert s.timezone == "Asia/Tokyo"
    assert s.server_id.startswith("cti-")


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"CTI_AMI_PORT": "fifty"}, "ami_port"),
        ({"CTI_AMI_PORT": "70000"}, "ami_port"),
        ({"CTI_TIMEZONE": "Mars/Olympus"}, "timezone"),
        ({"CTI_EXTENSION_PATTERN": "("}, "extension_pattern"),
        ({"CTI_EXTENSION_PATTERN": "PJSIP/1001"}, "extension_pattern"),
        ({"CTI_DATABASE_URL": "ledger.sqlite3"}, "database_url"),
        ({"CTI_AMI_ENABLED": "maybe"}, "ami_enabled"),
        ({"CTI_SECRET_KEY": "short"}, "secret_key"),
        ({"CTI_AFTER_CALL_SECONDS": "-1"}, "after_call_seconds"),
        ({"CTI_QUEUES": "vaccine"}, "queues"),
    ],
)
def test_bad_values_name_the_setting(env, named):
    with pytest.raises(ConfigError, match=named):
        load_settings(None, {**KEY, **env})


def test_after_call_and_queue_names_from_the_file_and_the_environment(tmp_path):
    cfg = tmp_path / "cti.toml"
    cfg.write_text(
        '[after_call]\nseconds = 0\nreason = "後処理"\n'
        '[queues]\nvaccine = "ワクチン予約"\ngeneral = "総合案内"\n',
        encoding="utf-8",
    )
    s = load_settings(cfg, KEY)
    assert (s.after_call_seconds, s.after_call_reason, s.after_call_enabled) == (0, "後処理", True)
    assert s.queue_name("vaccine") == "ワクチン予約"
    assert s.queue_name("other") == "other"
    env = {**KEY, "CTI_QUEUES": "vaccine=予約専用", "CTI_AFTER_CALL_SECONDS": "45"}
    s = load_settings(cfg, env)
    assert (s.queue_name("vaccine"), s.queue_name("general")) == ("予約専用", "general")
    assert s.after_call_seconds == 45


def test_queue_log_from_the_file_and_the_environment(tmp_path):
    """``[ami] queue_log``: where Asterisk's queue_log is read after a gap in the AMI link."""
    assert load_settings(None, KEY).ami_queue_log == ""
    cfg = tmp_path / "cti.toml"
    cfg.write_text('[ami]\nqueue_log = "/var/log/asterisk/queue_log"\n', encoding="utf-8")
    assert load_settings(cfg, KEY).ami_queue_log == "/var/log/asterisk/queue_log"
    env = {**KEY, "CTI_AMI_QUEUE_LOG": "/mnt/pbx/queue_log"}
    assert load_settings(cfg, env).ami_queue_log == "/mnt/pbx/queue_log"


def test_unknown_key_in_the_file_is_refused(tmp_path):
    cfg = tmp_path / "cti.toml"
    cfg.write_text("ami_prot = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="ami_prot"):
        load_settings(cfg, KEY)


@pytest.mark.parametrize(
    ("iface", "name", "ext"),
    [
        ("PJSIP/1001", "", "1001"),
        ("SIP/1002", "", "1002"),
        ("Local/1003@operators/n", "Operator 1003 (佐藤)", "1003"),
        ("Local/1004@from-queue/n", "", "1004"),
        ("", "Operator 1005 (高橋)", "1005"),
        ("", "1006", "1006"),
        ("Agent/x", "nobody", None),
    ],
)
def test_extension_of_member(iface, name, ext):
    assert Settings().extension_of(iface, name) == ext


def test_without_a_secret_key_one_is_generated_and_kept(tmp_path):
    from cti_server.config import with_secret_key

    s = load_settings(None, {"CTI_DATA_DIR": str(tmp_path / "data")})
    assert s.secret_key == ""
    first, generated = with_secret_key(s)
    assert generated
    assert len(first.secret_key) >= 32
    kept = tmp_path / "data" / "secret_key"
    assert kept.stat().st_mode & 0o777 == 0o600
    again, _ = with_secret_key(s)  # a restart reuses it: tokens survive
    assert again.secret_key == first.secret_key
    configured, generated = with_secret_key(load_settings(None, {**KEY}))
    assert (configured.secret_key, generated) == (KEY["CTI_SECRET_KEY"], False)


def test_key_lists_and_trusted_proxies(tmp_path):
    cfg = tmp_path / "cti.toml"
    cfg.write_text(
        'secret_key = "new-key-0123456789ab"\n'
        'old_secret_keys = ["old-key-0123456789ab", "older-key-0123456789"]\n'
        'trusted_proxies = ["127.0.0.1", "10.0.0.0/8"]\n',
        encoding="utf-8",
    )
    s = load_settings(cfg, {})
    assert s.secret_keys == ["new-key-0123456789ab", "old-key-0123456789ab", "older-key-0123456789"]
    assert s.trusted_proxy_list == ["127.0.0.1", "10.0.0.0/8"]
    env = {**KEY, "CTI_TRUSTED_PROXIES": "127.0.0.1, ::1"}
    assert load_settings(None, env).trusted_proxy_list == ["127.0.0.1", "::1"]
    with pytest.raises(ConfigError, match="trusted_proxies"):
        load_settings(None, {**KEY, "CTI_TRUSTED_PROXIES": "nginx.local"})
    with pytest.raises(ConfigError, match="secret_key"):
        load_settings(None, {**KEY, "CTI_OLD_SECRET_KEYS": "short"})


def test_server_starts_without_a_key_and_warns(tmp_path):
    """``cti-server --check`` without CTI_SECRET_KEY: accepted, the key file appears."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("CTI_")}
    env["CTI_DATA_DIR"] = str(tmp_path / "var")
    done = subprocess.run(
        [sys.executable, "-m", "cti_server", "--check"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "var" / "secret_key").exists()
    assert "several instances" in done.stderr
