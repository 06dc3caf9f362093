"""The engine keeps its side of the plugin contract: each plugin built once per run and
closed whatever happens, options checked before the lock, a target's state saved like a
source's, hooks called through pluggy, one by one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sync.config import load_config
from sync.contract import PluginContext, PluginOptions, SourceRead, SourceType, TargetType
from sync.errors import ConfigError, SkippableError, SourceError, TargetError
from sync.hookspecs import hookimpl
from sync.model import RunStatus, RunSummary
from sync.plugins import load_plugins
from sync.run import Engine, RunRequest
from sync.testing import MemoryTarget, sample_roster

CONFIG = """\
[state]
url = "sqlite:///{folder}/state.db"

[sync]
sources = ["first", "second"]
target = "console"
retry_wait_seconds = 0
apply_attempts = 2

[sources.first]
plugin = "counted"
{first}
[sources.second]
plugin = "counted"

[targets.console]
plugin = "counted_target"
"""


class CountedOptions(PluginOptions):
    fail: str = ""


class CountedSource:
    def __init__(self, plugin: Counting, name: str, options: CountedOptions) -> None:
        self.plugin, self.name, self.options = plugin, name, options

    def read(self) -> SourceRead:
        if self.options.fail == "read":
            raise SourceError(f"{self.name}: file not found")
        if self.options.fail == "skip":
            raise SkippableError("a record outside SkippedRecords")
        return SourceRead(roster=sample_roster())

    def close(self) -> None:
        self.plugin.closed[self.name] += 1


class CountedTarget(MemoryTarget):
    plugin: Counting | None = None

    def close(self) -> None:
        assert self.plugin is not None
        self.plugin.closed["console"] += 1


class Counting:
    """A source kind and a target kind that count how often they are built and closed;
    the target moves a cursor in its state each time it is built."""

    def __init__(self) -> None:
        self.built: Counter[str] = Counter()
        self.closed: Counter[str] = Counter()
        self.target_fails: Exception | None = None
        self.finished: list[RunSummary] = []

    @hookimpl
    def register_sources(self, register: Callable[[SourceType[Any]], None]) -> None:
        register(SourceType(name="counted", options=CountedOptions, factory=self._source))

    @hookimpl
    def register_targets(self, register: Callable[[TargetType[Any]], None]) -> None:
        register(TargetType(name="counted_target", options=PluginOptions, factory=self._target))

    def _source(self, options: CountedOptions, context: PluginContext) -> CountedSource:
        self.built[context.name] += 1
        if options.fail == "build":
            raise SourceError(f"{context.name}: cannot open")
        return CountedSource(self, context.name, options)

    def _target(self, options: PluginOptions, context: PluginContext) -> CountedTarget:
        self.built[context.name] += 1
        context.state.put("cursor", (context.state.get("cursor") or 0) + 1)
        target = CountedTarget(fail_read=self.target_fails)
        target.plugin = self
        return target


def engine(folder: Path, plugin: Counting, first: str = "", extra: object = None) -> Engine:
    (folder / "config.toml").write_text(CONFIG.format(folder=folder, first=first))
    plugins = load_plugins(entry_points=False, extra=[plugin, *([extra] if extra else [])])
    return Engine(load_config(folder / "config.toml"), plugins)


def test_each_plugin_is_built_once_per_run(tmp_path: Path) -> None:
    plugin = Counting()
    run = engine(tmp_path, plugin)
    assert run.run().status is RunStatus.OK
    assert plugin.built == {"first": 1, "second": 1, "console": 1}
    run.run(request=RunRequest(dry_run=True))
    assert plugin.built == {"first": 2, "second": 2, "console": 2}


def test_options_are_checked_before_the_lock_without_building_anything(tmp_path: Path) -> None:
    plugin = Counting()
    run = engine(tmp_path, plugin, first='colour = "blue"')
    with pytest.raises(ConfigError, match=r"\[sources.first\] colour: unknown key"):
        run.run()
    assert plugin.built == {}
    assert run.store.runs() == []


def test_a_targets_state_is_saved_only_when_the_run_succeeds(tmp_path: Path) -> None:
    plugin = Counting()
    run = engine(tmp_path, plugin)
    assert run.run().status is RunStatus.OK
    assert run.store.plugin_state("default", "target:console") == {"cursor": 1}
    assert run.run().status is RunStatus.OK
    assert run.store.plugin_state("default", "target:console") == {"cursor": 2}
    plugin.target_fails = TargetError("401 the token was revoked")
    assert run.run().status is RunStatus.FAILED
    assert run.run(request=RunRequest(dry_run=True)).status is RunStatus.FAILED
    assert run.store.plugin_state("default", "target:console") == {"cursor": 2}


@pytest.mark.parametrize(
    ("first", "target_fails", "built"),
    [
        ("", None, {"first", "second", "console"}),
        ('fail = "read"', None, {"first", "second", "console"}),
        ("", TargetError("401 the token was revoked"), {"first", "second", "console"}),
        ("", KeyError("a bug in the target"), {"first", "second", "console"}),
    ],
    ids=["ok", "a source fails", "the target fails", "the target has a bug"],
)
def test_every_source_and_the_target_are_closed_whatever_happens(
    tmp_path: Path, first: str, target_fails: Exception | None, built: set[str]
) -> None:
    plugin = Counting()
    plugin.target_fails = target_fails
    run = engine(tmp_path, plugin, first=first)
    run.run()
    assert plugin.closed == dict.fromkeys(built, 1)
    run.run(request=RunRequest(dry_run=True))
    assert plugin.closed == dict.fromkeys(built, 2)


def test_sources_built_before_one_that_cannot_be_built_are_closed(tmp_path: Path) -> None:
    plugin = Counting()
    run = engine(tmp_path, plugin)
    text = (tmp_path / "config.toml").read_text()
    (tmp_path / "config.toml").write_text(
        text.replace(
            '[sources.second]\nplugin = "counted"',
            '[sources.second]\nplugin = "counted"\nfail = "build"',
        )
    )
    run = Engine(load_config(tmp_path / "config.toml"), run.plugins)
    outcome = run.run()
    assert outcome.status is RunStatus.FAILED and "second: cannot open" in outcome.error
    assert plugin.closed == {"first": 1, "console": 1}


def test_sync_finished_is_called_through_pluggy_each_implementation_on_its_own(
    tmp_path: Path,
) -> None:
    plugin = Counting()

    class Listener:
        def __init__(self) -> None:
            self.heard: list[RunStatus] = []

        @hookimpl
        def sync_finished(self, summary: RunSummary) -> None:
            self.heard.append(summary.status)

    class Broken:
        @hookimpl
        def sync_finished(self, summary: RunSummary, notify: Any) -> None:
            raise RuntimeError("the webhook's host is down")

    listener = Listener()
    run = engine(tmp_path, plugin, extra=listener)
    run.plugins.register(Broken())
    calls: list[str] = []
    run.plugins.manager.add_hookcall_monitoring(
        lambda name, impls, kwargs: calls.append(name), lambda *args: None
    )
    assert run.run().status is RunStatus.OK
    assert listener.heard == [RunStatus.OK]
    assert "sync_finished" in calls


def test_a_skippable_error_out_of_a_read_fails_the_run_and_the_target_is_untouched(
    tmp_path: Path,
) -> None:
    plugin = Counting()
    run = engine(tmp_path, plugin, first='fail = "skip"')
    outcome = run.run()
    assert outcome.status is RunStatus.FAILED
    assert outcome.error == "source 'first' failed: a record outside SkippedRecords"
    assert run.store.plugin_state("default", "target:console") == {}
