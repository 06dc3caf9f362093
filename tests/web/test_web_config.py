"""``[web]``, and the deprecated ``[http]`` read as ``[web]``."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.config import parse_config
from sync.errors import ConfigError
from sync.redact import redact

BASE = """\
[sync]
sources = ["school"]
target = "console"

[sources.school]
plugin = "impero_csv"
path = "impero"

[targets.console]
plugin = "directory"
"""
WHERE = Path("/etc/rostersync/config.toml")


def test_the_console_is_off_and_local_by_default() -> None:
    web = parse_config(BASE, WHERE).web
    assert (web.enabled, web.host, web.port, web.secret_key) == (False, "127.0.0.1", 8787, None)


def test_http_alone_is_read_as_web() -> None:
    text = BASE + '\n[http]\nenabled = true\nhost = "0.0.0.0"\nport = 9100\n'
    web = parse_config(text, WHERE).web
    assert (web.enabled, web.host, web.port) == (True, "0.0.0.0", 9100)


def test_web_wins_over_http() -> None:
    text = BASE + "\n[http]\nenabled = true\nport = 9100\n\n[web]\nport = 8800\n"
    web = parse_config(text, WHERE).web
    assert (web.enabled, web.port) == (False, 8800)


def test_the_session_key_is_a_secret_indirection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_KEY", "sk-CANARY-0a9f3e61")
    text = BASE + '\n[web]\nsecret_key = { env = "WEB_KEY" }\ntrusted_proxies = ["10.0.0.0/8"]\n'
    web = parse_config(text, WHERE).web
    assert web.secret_key == "sk-CANARY-0a9f3e61"
    assert "sk-CANARY" not in redact("the key is sk-CANARY-0a9f3e61")
    assert web.trusted_proxies == ["10.0.0.0/8"]


def test_an_unknown_web_key_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"web\.prot: unknown key"):
        parse_config(BASE + "\n[web]\nprot = 1\n", WHERE)


def test_a_trusted_proxy_must_be_an_address_or_a_network() -> None:
    with pytest.raises(ConfigError, match="trusted_proxies"):
        parse_config(BASE + '\n[web]\ntrusted_proxies = ["proxy.example"]\n', WHERE)
