"""The source test kit on the oneroster source, for each version's fixture package."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from sync.testing import PluginKit, SourceContract, SourceFault

PACKAGES = Path(__file__).parent / "packages"


@pytest.mark.parametrize("version", ["v1p0", "v1p1", "v1p2"])
class TestOneRosterContract(SourceContract):
    @pytest.fixture
    def source_kit(self, tmp_path: Path, version: str) -> PluginKit:
        shutil.copytree(PACKAGES / version, tmp_path / "package")
        return PluginKit.for_source(tmp_path, {"plugin": "oneroster", "path": "package"})

    @pytest.fixture
    def source_fault(self, tmp_path: Path) -> SourceFault:
        def fault(kind: str) -> None:
            if kind != "fatal":
                pytest.skip("files have no passing faults")
            enrollments = tmp_path / "package" / "enrollments.csv"
            enrollments.write_text(enrollments.read_text() + 'e99,"active,cl-bio1\n')

        return fault

    @pytest.fixture
    def bad_record(self, tmp_path: Path) -> Callable[[], None]:
        def spoil() -> None:
            with (tmp_path / "package" / "enrollments.csv").open("a", encoding="utf-8") as f:
                f.write("e98,active,,cl-bio1,s1,u-nobody,student,false,,\n")

        return spoil
