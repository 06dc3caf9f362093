"""The docs keep up with the code: every configuration key and every command is documented.

docs/configuration.md must name every field of the engine's config models in that table's
section, and every field of each built-in plugin's options in that plugin's section; the
README or a page under docs/ must name every command of the command line, plugin commands
included.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from pydantic import BaseModel

from sync import config as config_module
from sync.cli import make_cli
from sync.config import (
    GuardsConfig,
    HttpConfig,
    NotifyConfig,
    ScheduleConfig,
    StateConfig,
    SyncConfig,
    Thresholds,
    WebConfig,
    parse_config,
)
from sync.plugins import load_plugins
from tests.conftest import ROOT

DOCS = ROOT / "docs"
REFERENCE = (DOCS / "configuration.md").read_text(encoding="utf-8")
PLUGINS = load_plugins(entry_points=False)


def section(heading: str, text: str = REFERENCE) -> str:
    """The text under the heading line that starts with ``heading``, up to the next heading
    of the same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    lines = text.splitlines()
    starts = [index for index, line in enumerate(lines) if line.startswith(heading)]
    assert starts, f"docs/configuration.md has no heading {heading!r}"
    start = starts[0]
    end = len(lines)
    for index in range(start + 1, len(lines)):
        match = re.match(r"^(#+) ", lines[index])
        if match and len(match.group(1)) <= level:
            end = index
            break
    return "\n".join(lines[start:end])


def keys_in(text: str) -> set[str]:
    """Keys named in the first column of the section's tables: ``| `key` | ...``."""
    return set(re.findall(r"^\| `([a-z0-9_]+)` \|", text, re.MULTILINE))


ENGINE_MODELS: list[tuple[type[BaseModel], str]] = [
    (StateConfig, "## `[state]`"),
    (SyncConfig, "## `[sync]`"),
    (GuardsConfig, "### `[sync.guards]`"),
    (Thresholds, "### `[sync.guards]`"),
    (ScheduleConfig, "### `[sync.schedule]`"),
    (NotifyConfig, "## `[notify]`"),
    (HttpConfig, "## `[http]`"),
    (WebConfig, "## `[web]`"),
]


@pytest.mark.parametrize(
    ("model", "heading"), ENGINE_MODELS, ids=[m.__name__ for m, _ in ENGINE_MODELS]
)
def test_every_engine_config_key_is_documented_in_its_section(
    model: type[BaseModel], heading: str
) -> None:
    documented = keys_in(section(heading))
    missing = sorted(set(model.model_fields) - documented)
    assert not missing, f"{model.__name__}: not in the {heading!r} section: {missing}"


def test_every_top_level_key_is_documented() -> None:
    top = set(config_module._Root.model_fields)
    assert top == {
        "state",
        "sync",
        "syncs",
        "sources",
        "targets",
        "notify",
        "http",
        "web",
        "log_level",
    }
    for key in (
        "state",
        "sync",
        "syncs.NAME",
        "sources.NAME",
        "targets.NAME",
        "notify",
        "http",
        "web",
    ):
        assert f"`[{key}]`" in REFERENCE, key
    assert "`log_level`" in section("## `log_level`")


def test_the_guard_defaults_in_the_reference_are_the_code_defaults() -> None:
    guards = section("### `[sync.guards]`")
    for kind in ("groups", "memberships", "grants", "blocks"):
        limits: Thresholds = getattr(GuardsConfig(), kind)
        parts = [
            f"{name} = {value:g}" if isinstance(value, float) else f"{name} = {value}"
            for name, value in (
                ("count", limits.count),
                ("percent", limits.percent),
                ("minimum", limits.minimum),
            )
            if value is not None and not (name == "minimum" and limits.percent is None)
        ]
        row = next(line for line in guards.splitlines() if line.startswith(f"| `{kind}` |"))
        assert "{ " + ", ".join(parts) + " }" in row, (kind, row)


PLUGIN_TYPES = sorted(
    [("source", s.name, s.options) for s in PLUGINS.sources.values()]
    + [("target", t.name, t.options) for t in PLUGINS.targets.values()]
)


def test_the_built_in_plugins_are_all_here() -> None:
    names = {name for _, name, _ in PLUGIN_TYPES}
    assert names >= {"impero_csv", "roster_csv", "manual", "clever", "directory", "scim"}


@pytest.mark.parametrize(
    ("kind", "name", "options"), PLUGIN_TYPES, ids=[n for _, n, _ in PLUGIN_TYPES]
)
def test_every_plugin_option_is_documented_in_its_section(
    kind: str, name: str, options: type[BaseModel]
) -> None:
    text = section(f"### `{name}` {kind}")
    missing = sorted(set(options.model_fields) - keys_in(text))
    assert not missing, f"{name}: options not in its section of docs/configuration.md: {missing}"


@pytest.mark.parametrize(
    ("kind", "name", "options"), PLUGIN_TYPES, ids=[n for _, n, _ in PLUGIN_TYPES]
)
def test_every_plugin_section_links_to_an_existing_page(
    kind: str, name: str, options: type[BaseModel]
) -> None:
    text = section(f"### `{name}` {kind}")
    links = re.findall(rf"\]\(({kind}s/[a-z-]+\.md)\)", text)
    assert links, f"the {name} section links to no page under docs/{kind}s/"
    for link in links:
        assert (DOCS / link).is_file(), link


def test_the_example_configuration_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    example = section("## A complete example")
    toml = example[example.index("```toml") + len("```toml") : example.rindex("```")]
    monkeypatch.setenv("ROSTERSYNC_WEBHOOK", "https://chat.example/hooks/abc")
    monkeypatch.setenv("ROSTERSYNC_WEB_KEY", "a-long-random-session-key")
    monkeypatch.delenv("ROSTERSYNC_STATE_URL", raising=False)
    config = parse_config(toml, Path("/etc/rostersync/config.toml"))
    for table in [*config.sources.values(), *config.targets.values()]:
        registered = (PLUGINS.sources if table.section == "sources" else PLUGINS.targets)[
            table.plugin
        ]
        registered.options.model_validate(dict(table.options))
    assert config.notify.webhook_url == os.environ["ROSTERSYNC_WEBHOOK"]
    assert config.web.enabled and config.web.secret_key == "a-long-random-session-key"


def _commands(command: click.Command, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    if path:
        yield path
    if isinstance(command, click.Group):  # list_commands: the lazy built-ins too
        context = click.Context(command)
        for name in sorted(command.list_commands(context)):
            sub = command.get_command(context, name)
            assert sub is not None
            yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(make_cli(PLUGINS), ()))
USER_DOCS = "\n".join(
    path.read_text(encoding="utf-8")
    for path in [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
    if path.name != "performance.md"
)


def test_the_command_line_has_the_commands_we_expect() -> None:
    top = {path[0] for path in COMMANDS}
    assert top >= {"sync", "plan", "status", "show", "runs", "approve", "reject", "plugins"}
    assert top >= {"daemon", "pause", "resume", "reload", "manual", "access", "directory"}
    assert top >= {"template", "columns"}


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) for p in COMMANDS])
def test_every_command_is_documented(path: tuple[str, ...]) -> None:
    assert f"rostersync {' '.join(path)}" in USER_DOCS, (
        f"'rostersync {' '.join(path)}' is in neither README.md nor docs/"
    )
