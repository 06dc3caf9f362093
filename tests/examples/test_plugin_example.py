"""The example third-party plugin passes rostersync's contract suite, registered
explicitly (as its entry point would register it) and built from its config table."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from sync.testing import PluginKit, SourceContract, SourceFault
from tests.conftest import EXAMPLES

ROSTER = {
    "classes": {
        "Potions": {"members": ["Harry_Potter", "Ron_Weasley"], "teachers": ["Severus_Snape"]},
        "Herbology": {"members": ["Neville_Longbottom"], "teachers": ["Pomona_Sprout"]},
        "Astronomy": {"members": [], "teachers": ["Aurora_Sinistra"]},
    }
}


@pytest.fixture
def example_plugin(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(EXAMPLES / "plugin-example" / "src"))
    return importlib.import_module("rostersync_json_source")


class TestExamplePlugin(SourceContract):
    not_applicable = {
        "test_a_passing_fault_is_retried_or_raised_as_retriable": "a file has no passing faults",
    }

    @pytest.fixture
    def source_kit(self, tmp_path: Path, example_plugin: ModuleType) -> PluginKit:
        (tmp_path / "classes.json").write_text(json.dumps(ROSTER), encoding="utf-8")
        table = {"plugin": "json_file", "path": "classes.json"}
        return PluginKit.for_source(tmp_path, table, plugins=[example_plugin], name="extra")

    @pytest.fixture
    def source_fault(self, tmp_path: Path) -> SourceFault:
        def fault(kind: str) -> None:
            assert kind == "fatal", kind
            (tmp_path / "classes.json").write_text('{"classes": {', encoding="utf-8")

        return fault

    @pytest.fixture
    def bad_record(self, tmp_path: Path) -> Callable[[], None]:
        def spoil() -> None:
            spoiled = {"classes": {**ROSTER["classes"], "Flying": {"members": "Harry_Potter"}}}
            (tmp_path / "classes.json").write_text(json.dumps(spoiled), encoding="utf-8")

        return spoil


def test_a_skipped_class_is_reported_where_it_is(
    tmp_path: Path, example_plugin: ModuleType
) -> None:
    spoiled = {"classes": {**ROSTER["classes"], "Flying": {"members": "Harry_Potter"}}}
    (tmp_path / "classes.json").write_text(json.dumps(spoiled), encoding="utf-8")
    kit = PluginKit.for_source(
        tmp_path, {"plugin": "json_file", "path": "classes.json"}, plugins=[example_plugin]
    )
    read = kit.source().read()
    assert read.records == 4 and read.rejected == 1
    [issue] = [i for i in read.issues if i.field == "members"]
    assert issue.value == "Flying" and issue.file.endswith("classes.json")
    assert issue.message == "record skipped: members must be a list of user names"
    assert set(read.roster.groups) == {"Potions", "Herbology"}
