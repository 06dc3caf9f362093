"""The test kit catches plugins that break the contract, and builds plugins as a run does.

Each suite is run here against a plugin that breaks the rule it checks: the suite must
fail. (The contract suites passing for the good plugins is shown by their own tests.)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from sync.contract import PluginContext, PluginOptions, SourceRead, SourceType, TargetType
from sync.errors import ConfigError
from sync.hookspecs import hookimpl
from sync.testing import MemoryTarget, PluginKit, SourceContract, TargetContract, sample_roster


class TokenOptions(PluginOptions):
    token: SecretStr
    rejected: int = 0
    scribble: bool = False


class OddSource:
    """A source breaking a rule on request: counting more rejects than records, or
    keeping a cursor in a file of its own (written even by a dry or failed run)."""

    def __init__(self, options: TokenOptions, context: PluginContext) -> None:
        self.options = options
        self.context = context

    def read(self) -> SourceRead:
        if self.options.scribble:
            with (self.context.config_dir / "cursor.txt").open("a") as cursor:
                cursor.write("read once more\n")
        return SourceRead(roster=sample_roster(), records=6, rejected=self.options.rejected)

    def close(self) -> None:
        pass


class BareErrorTarget(MemoryTarget):
    """A target that lets its driver's passing error out instead of ``RetriableError``."""

    broken: bool = False

    def apply(self, changes: Any) -> Any:
        if self.broken:
            raise ConnectionResetError("connection reset by peer")
        return super().apply(changes)


class OddPlugin:
    def __init__(self) -> None:
        self.target = BareErrorTarget()
        self.sources: list[OddSource] = []

    @hookimpl
    def register_sources(self, register: Callable[[SourceType[Any]], None]) -> None:
        register(SourceType(name="odd", options=TokenOptions, factory=self._source))

    @hookimpl
    def register_targets(self, register: Callable[[TargetType[Any]], None]) -> None:
        register(TargetType(name="bare", options=PluginOptions, factory=lambda o, c: self.target))

    def _source(self, options: TokenOptions, context: PluginContext) -> OddSource:
        self.sources.append(OddSource(options, context))
        return self.sources[-1]


@pytest.fixture
def plugin(monkeypatch: pytest.MonkeyPatch) -> OddPlugin:
    monkeypatch.setenv("ODD_TOKEN", "s3cret-from-env")
    return OddPlugin()


def odd_kit(tmp_path: Path, plugin: OddPlugin, **options: Any) -> PluginKit:
    table = {"plugin": "odd", "token": {"env": "ODD_TOKEN"}, **options}
    return PluginKit.for_source(tmp_path, table, plugins=[plugin])


def test_the_kit_builds_a_source_from_its_table_with_secrets_resolved(
    tmp_path: Path, plugin: OddPlugin
) -> None:
    source = odd_kit(tmp_path, plugin).source()
    assert isinstance(source, OddSource)
    assert source.options.token.get_secret_value() == "s3cret-from-env"
    assert source.context.name == "school" and source.context.config_dir == tmp_path


def test_the_kit_refuses_a_table_the_engine_refuses(
    tmp_path: Path, plugin: OddPlugin, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError, match=r"\[sources.school\] colour: unknown key"):
        odd_kit(tmp_path, plugin, colour="blue").source()
    monkeypatch.delenv("ODD_TOKEN")
    with pytest.raises(ConfigError, match="ODD_TOKEN"):
        odd_kit(tmp_path, plugin).source()


def test_the_counts_suite_fails_a_source_rejecting_more_than_it_read(
    tmp_path: Path, plugin: OddPlugin
) -> None:
    source = odd_kit(tmp_path, plugin, rejected=9).source()
    with pytest.raises(AssertionError, match="rejected records are among the records"):
        SourceContract().test_rejected_records_are_counted_among_the_records_and_reported(source)


def test_the_dry_run_suite_fails_a_source_that_writes(tmp_path: Path, plugin: OddPlugin) -> None:
    kit = odd_kit(tmp_path, plugin, scribble=True)
    with pytest.raises(AssertionError):
        SourceContract().test_a_dry_run_writes_nothing(kit)


def test_the_staged_state_suite_fails_a_source_keeping_its_own_cursor(
    tmp_path: Path, plugin: OddPlugin
) -> None:
    kit = odd_kit(tmp_path, plugin, scribble=True)
    with pytest.raises(AssertionError, match="not in its own tables"):
        SourceContract().test_staged_state_is_saved_only_when_the_run_succeeds(kit)
    kit = odd_kit(tmp_path / "good", plugin)
    SourceContract().test_staged_state_is_saved_only_when_the_run_succeeds(kit)


def test_the_retriable_suite_fails_a_target_letting_a_driver_error_out(
    tmp_path: Path, plugin: OddPlugin
) -> None:
    kit = PluginKit.for_target(tmp_path, {"plugin": "bare"}, plugins=[plugin])

    def fault(kind: str) -> None:
        plugin.target.broken = True

    with pytest.raises(ConnectionResetError):
        TargetContract().test_a_passing_fault_raises_retriable_and_the_run_retries(
            kit, kit.target(), fault
        )
