"""A test kit for plugin authors: contract suites, a plugin built as a run builds it,
and fakes.

Subclass ``SourceContract`` or ``TargetContract`` in your plugin's tests and provide
the fixtures they name; every built-in source and target passes them::

    class TestMySource(SourceContract):
        @pytest.fixture
        def source_kit(self, tmp_path):
            (tmp_path / "roster.json").write_text(...)
            return PluginKit.for_source(
                tmp_path, {"plugin": "json_file", "path": "roster.json"}, plugins=[my_plugin]
            )
"""

from __future__ import annotations

from sync.testing.fakes import (
    MemoryState,
    MemoryTarget,
    flaky,
    make_context,
    sample_roster,
    sync_into,
)
from sync.testing.kit import KIT_SOURCE, KIT_TARGET, KitSource, PluginKit, StandIns, toml_table
from sync.testing.source_suite import SourceContract, SourceFault
from sync.testing.target_suite import HandMadeGroup, TargetContract, TargetFault

__all__ = [
    "KIT_SOURCE",
    "KIT_TARGET",
    "HandMadeGroup",
    "KitSource",
    "MemoryState",
    "MemoryTarget",
    "PluginKit",
    "SourceContract",
    "SourceFault",
    "StandIns",
    "TargetContract",
    "TargetFault",
    "flaky",
    "make_context",
    "sample_roster",
    "sync_into",
    "toml_table",
]
