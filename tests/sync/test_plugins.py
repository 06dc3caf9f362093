"""Third-party plugins arrive through the ``rostersync`` entry-point group."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sync.contract import PluginOptions, SourceType
from sync.hookspecs import hookimpl
from sync.plugins import DEFAULT_PLUGINS, load_plugins
from tests.conftest import ROOT
from tests.fakes.entry_points import install_entry_point, rostersync_env, run_rostersync

EXAMPLE_PLUGIN = ROOT / "examples" / "plugin-example" / "src"


@pytest.fixture
def plugin_env(tmp_path: Path) -> dict[str, str]:
    site = install_entry_point(
        tmp_path / "site", "rostersync-json-source", "json_source", "rostersync_json_source"
    )
    return rostersync_env(site, EXAMPLE_PLUGIN)


def test_builtins_are_registered_like_any_plugin() -> None:
    system = load_plugins(entry_points=False)
    assert {"impero_csv"} <= set(system.sources) and {"directory"} <= set(system.targets)
    names = {system.manager.get_name(p) for p in system.manager.get_plugins()}
    assert set(DEFAULT_PLUGINS) <= names
    assert system.origins["source:impero_csv"] == "built-in"


def test_an_installed_plugin_is_listed_with_its_origin(plugin_env: dict[str, str]) -> None:
    result = run_rostersync("plugins", "--json", env=plugin_env)
    assert result.returncode == 0, result.stderr
    rows = {(r["kind"], r["name"]): r for r in json.loads(result.stdout)}
    assert rows[("source", "json_file")]["origin"] == ("json_source (rostersync-json-source 1.0.0)")
    assert rows[("source", "impero_csv")]["origin"] == "built-in"


def test_a_sync_through_a_third_party_source(workdir: Path, plugin_env: dict[str, str]) -> None:
    (workdir / "extra.json").write_text(
        json.dumps({"classes": {"Herbology": {"members": ["Neville"], "teachers": ["Sprout"]}}})
    )
    config = workdir / "config.toml"
    text = config.read_text().replace('sources = ["school"]', 'sources = ["school", "extra"]')
    config.write_text(text + '\n[sources.extra]\nplugin = "json_file"\npath = "extra.json"\n')
    result = run_rostersync("--config", str(config), "sync", env=plugin_env)
    assert result.returncode == 0, result.stdout + result.stderr
    shown = run_rostersync("--config", str(config), "show", "--json", env=plugin_env)
    groups = {g["name"]: g for g in json.loads(shown.stdout)["groups"]}
    assert groups["Herbology"]["members"] == ["Neville"]
    assert groups["Herbology"]["access"] == ["Sprout"]
    assert groups["Potions"]["members"] == ["Harry_Potter", "Ron_Weasley"]


def test_two_plugins_may_not_claim_one_name() -> None:
    class Clash:
        @hookimpl
        def register_sources(self, register: Any) -> None:
            register(SourceType(name="impero_csv", options=PluginOptions, factory=lambda o, c: 0))
            register(SourceType(name="clash_own", options=PluginOptions, factory=lambda o, c: 0))

    system = load_plugins(entry_points=False, extra=[Clash()])
    assert [str(f) for f in system.failures] == [
        "Clash (built-in): register_sources: two plugins register the source 'impero_csv': "
        "plugins.hooks.impero_csv (built-in) and Clash (built-in); the second is refused"
    ]
    assert system.sources["impero_csv"].description  # the first one stays
    assert "clash_own" in system.sources  # and the plugin's other kinds still count
