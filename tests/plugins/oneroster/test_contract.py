"""The source test kit on the oneroster source, for each version's fixture package."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sync.testing import PluginKit, SourceContract, SourceFault
from tests.fakes.oneroster_server import OneRosterServer, enrollment, school

PACKAGES = Path(__file__).parent / "packages"


@pytest.mark.parametrize("version", ["v1p0", "v1p1", "v1p2"])
class TestOneRosterContract(SourceContract):
    not_applicable = {
        "test_a_passing_fault_is_retried_or_raised_as_retriable": "files have no passing faults",
    }

    @pytest.fixture
    def source_kit(self, tmp_path: Path, version: str) -> PluginKit:
        shutil.copytree(PACKAGES / version, tmp_path / "package")
        return PluginKit.for_source(tmp_path, {"plugin": "oneroster", "path": "package"})

    @pytest.fixture
    def source_fault(self, tmp_path: Path) -> SourceFault:
        def fault(kind: str) -> None:
            assert kind == "fatal", kind
            enrollments = tmp_path / "package" / "enrollments.csv"
            enrollments.write_text(enrollments.read_text() + 'e99,"active,cl-bio1\n')

        return fault

    @pytest.fixture
    def bad_record(self, tmp_path: Path) -> Callable[[], None]:
        def spoil() -> None:
            with (tmp_path / "package" / "enrollments.csv").open("a", encoding="utf-8") as f:
                f.write("e98,active,,cl-bio1,s1,u-nobody,student,false,,\n")

        return spoil


@pytest.mark.parametrize("api_version", ["1.1", "1.2"])
class TestOneRosterRestContract(SourceContract):
    @pytest.fixture
    def server(self, api_version: str) -> Iterator[OneRosterServer]:
        with OneRosterServer(school(api_version), version=api_version) as running:
            yield running

    @pytest.fixture
    def source_kit(self, tmp_path: Path, server: OneRosterServer) -> PluginKit:
        table = {
            "plugin": "oneroster",
            "url": server.url,
            "version": server.version,
            "token_url": server.token_url,
            "client_id": server.client_id,
            "client_secret": server.client_secret,
            "backoff_seconds": 0,
        }
        return PluginKit.for_source(tmp_path, table)

    @pytest.fixture
    def source_fault(self, server: OneRosterServer) -> SourceFault:
        def fault(kind: str) -> None:
            if kind == "fatal":
                server.client_secret = "rotated-on-the-sis"  # our secret is refused from now on
            else:
                server.fail("classes", [503])

        return fault

    @pytest.fixture
    def bad_record(self, server: OneRosterServer) -> Callable[[], None]:
        def spoil() -> None:
            server.insert(
                "enrollments", enrollment(server.version, "e-bad", "u-nobody", "k1", "student")
            )

        return spoil
