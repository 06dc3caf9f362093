"""Configuration errors name the file and the key; secrets never show."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.config import load_config, parse_config
from sync.errors import ConfigError
from tests.conftest import CliRun

BASE = """
[sync]
sources = ["school"]
target = "console"
[sources.school]
plugin = "impero_csv"
path = "impero"
[targets.console]
plugin = "directory"
"""


def test_the_example_config_loads() -> None:
    config = load_config(Path(__file__).parents[2] / "config.toml")
    name, sync = config.sync()
    assert name == "default" and sync.sources == ["school"]
    assert config.state_url.startswith("sqlite:////")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BASE.replace("target =", "targett ="), "[sync] targett: unknown key"),
        (BASE.replace('sources = ["school"]', 'sources = ["nope"]'), "no [sources.nope] table"),
        (BASE.replace('plugin = "impero_csv"', ""), "[sources.school] plugin: required key"),
        ("[sync\n", "not valid TOML"),
        ("", "[sync]: required table is missing"),
    ],
)
def test_errors_name_the_file_and_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(text, Path("/etc/rostersync/config.toml"))
    assert str(error.value).startswith("/etc/rostersync/config.toml: ")
    assert message in str(error.value)


def test_plugin_option_errors_name_the_table_and_key(rostersync: CliRun, workdir: Path) -> None:
    config = workdir / "config.toml"
    config.write_text(config.read_text().replace('path = "impero"', 'path = "impero"\npth = 1'))
    result = rostersync("sync")
    assert result.exit_code == 2
    assert "[sources.school] pth: unknown key" in result.output
    assert str(config) in result.output


def test_an_unknown_plugin_lists_the_available_ones(rostersync: CliRun, workdir: Path) -> None:
    config = workdir / "config.toml"
    config.write_text(config.read_text().replace('"impero_csv"', '"imperocsv"'))
    result = rostersync("sync")
    assert result.exit_code == 2
    assert "unknown source plugin 'imperocsv'; did you mean 'impero_csv'?" in result.output
    assert "available: clever, impero_csv" in result.output


def test_a_missing_config_file_says_how_to_point_at_one(rostersync: CliRun, tmp_path: Path) -> None:
    result = rostersync("status", config=tmp_path / "nope.toml")
    assert result.exit_code == 2
    assert "nope.toml: configuration file not found" in result.output


def test_env_secrets_are_resolved_and_never_printed(
    rostersync: CliRun, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMPERO_PATH_SECRET", "s3cr3t-canary-value")
    config = workdir / "config.toml"
    config.write_text(
        config.read_text().replace('path = "impero"', 'path = { env = "IMPERO_PATH_SECRET" }')
    )
    result = rostersync("sync")
    assert result.exit_code == 1
    assert "s3cr3t-canary-value" not in result.output
    assert "***" in result.output
    shown = rostersync("runs", "show", "1")
    assert "s3cr3t-canary-value" not in shown.output


def test_a_missing_env_secret_names_the_key_and_variable(rostersync: CliRun, workdir: Path) -> None:
    config = workdir / "config.toml"
    config.write_text(config.read_text().replace('path = "impero"', 'path = { env = "NOPE_X" }'))
    result = rostersync("sync")
    assert result.exit_code == 2
    assert "[sources.school] path: environment variable NOPE_X is not set" in result.output


def test_the_webhook_url_may_be_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_URL", "https://hooks.example/T0KEN-canary")
    config = parse_config(BASE + '[notify]\nwebhook_url = { env = "HOOK_URL" }\n', Path("c.toml"))
    assert config.notify.webhook_url == "https://hooks.example/T0KEN-canary"
    from sync.redact import redact

    assert "T0KEN-canary" not in redact("posting to https://hooks.example/T0KEN-canary")
