"""The source test kit on the oneroster source, bulk and after a delta."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugins.oneroster import OneRosterOptions, OneRosterSource
from sync.testing import MemoryState, SourceContract, make_context

PACKAGES = Path(__file__).parent / "packages"


@pytest.mark.parametrize("version", ["v1p0", "v1p1", "v1p2"])
class TestOneRosterContract(SourceContract):
    @pytest.fixture
    def source(self, tmp_path: Path, version: str) -> OneRosterSource:
        options = OneRosterOptions(path=str(PACKAGES / version))
        return OneRosterSource(options, make_context(tmp_path, state=MemoryState()))
