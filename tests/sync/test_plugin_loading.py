"""One broken third-party package cannot break the others: each entry point is loaded
and each hook called on its own, failures are listed, and names that clash are refused."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from sync.contract import PluginOptions, SourceType, TargetType
from sync.hookspecs import hookimpl
from sync.plugins import load_plugins
from tests.conftest import ROOT
from tests.fakes.entry_points import install_entry_point, rostersync_env, run_rostersync

EXAMPLE_PLUGIN = ROOT / "examples" / "plugin-example" / "src"

MODULES = {
    "broken_import": "raise RuntimeError('the vendor SDK is missing')\n",
    "broken_register": """
        from sync.api import hookimpl

        @hookimpl
        def register_sources(register):
            raise KeyError("no such option")
    """,
    "hello_a": """
        import click
        from sync.api import hookimpl

        @hookimpl
        def register_commands(cli):
            @cli.command("hello")
            def hello():
                click.echo("hello from a")

            @cli.command("sync")
            def sync():
                click.echo("a sync that is not rostersync's")
    """,
    "hello_b": """
        import click
        from sync.api import hookimpl

        @hookimpl
        def register_commands(cli):
            @cli.command("hello")
            def hello():
                click.echo("hello from b")

            @cli.command("access")
            def access():
                click.echo("not the directory's access command")
    """,
}


@pytest.fixture
def crowded_env(tmp_path: Path) -> dict[str, str]:
    """An environment where a good plugin is installed beside broken and clashing ones."""
    site = tmp_path / "site"
    site.mkdir()
    for module, text in MODULES.items():
        (site / f"{module}.py").write_text(textwrap.dedent(text))
        install_entry_point(site, f"rostersync-{module.replace('_', '-')}", module, module)
    install_entry_point(site, "rostersync-json-source", "json_source", "rostersync_json_source")
    return rostersync_env(site, EXAMPLE_PLUGIN)


def test_broken_and_clashing_packages_are_listed_and_the_others_work(
    crowded_env: dict[str, str], workdir: Path
) -> None:
    result = run_rostersync("plugins", "--json", env=crowded_env)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    kinds = {(r["kind"], r["name"]) for r in rows if r["kind"] != "failed"}
    assert {("source", "json_file"), ("source", "impero_csv"), ("target", "directory")} <= kinds
    failed = sorted(
        (r["name"], r["origin"], r["stage"], r["error"]) for r in rows if r["kind"] == "failed"
    )
    assert failed == [
        (
            "broken_import",
            "rostersync-broken-import 1.0.0",
            "import",
            "RuntimeError: the vendor SDK is missing",
        ),
        (
            "broken_register",
            "rostersync-broken-register 1.0.0",
            "register_sources",
            "KeyError: 'no such option'",
        ),
        (
            "hello_a",
            "rostersync-hello-a 1.0.0",
            "register_commands",
            "two plugins add the command 'sync': rostersync and "
            "hello_a (rostersync-hello-a 1.0.0); the second is refused",
        ),
        (
            "hello_b",
            "rostersync-hello-b 1.0.0",
            "register_commands",
            "two plugins add the command 'access': plugins.hooks.directory (built-in) and "
            "hello_b (rostersync-hello-b 1.0.0); the second is refused",
        ),
        (
            "hello_b",
            "rostersync-hello-b 1.0.0",
            "register_commands",
            "two plugins add the command 'hello': hello_a (rostersync-hello-a 1.0.0) and "
            "hello_b (rostersync-hello-b 1.0.0); the second is refused",
        ),
    ]
    text = run_rostersync("plugins", env=crowded_env).stdout
    assert "failed  broken_import (rostersync-broken-import 1.0.0): import: RuntimeError" in text

    assert run_rostersync("hello", env=crowded_env).stdout == "hello from a\n"
    config = str(workdir / "config.toml")
    synced = run_rostersync("--config", config, "sync", "--json", env=crowded_env)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert json.loads(synced.stdout)["status"] == "ok"
    access = run_rostersync("--config", config, "access", "show", "Severus_Snape", env=crowded_env)
    assert "sees group 'Potions'" in access.stdout


def test_a_hook_that_raises_is_reported_and_the_other_plugins_register() -> None:
    class Broken:
        @hookimpl
        def register_targets(self, register: Any) -> None:
            raise RuntimeError("boom")

    class Good:
        @hookimpl
        def register_targets(self, register: Any) -> None:
            register(TargetType(name="memory", options=PluginOptions, factory=lambda o, c: 0))

    system = load_plugins(entry_points=False, extra=[Good(), Broken()])
    assert {"memory", "directory", "scim"} <= set(system.targets)
    assert [str(f) for f in system.failures] == [
        "Broken (built-in): register_targets: RuntimeError: boom"
    ]


def test_a_plugin_that_cannot_be_told_apart_is_refused_and_the_others_load() -> None:
    def register_sources(register: Any) -> None:
        register(SourceType(name="odd", options=PluginOptions, factory=lambda o, c: 0))

    unhashable = SimpleNamespace(register_sources=hookimpl(register_sources))
    system = load_plugins(entry_points=False, extra=[unhashable])
    assert "odd" not in system.sources and "impero_csv" in system.sources
    assert [f.stage for f in system.failures] == ["register"]
