"""``settle_seconds``: a file an export is still writing is never read half-written."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from plugins.csvfile import read_settled, settled_files, still_unchanged
from sync.errors import SourceError
from sync.testing import PluginKit


def fresh(path: Path, text: str, age: float = 0.0) -> Path:
    path.write_text(text)
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_a_fresh_file_is_read_once_it_has_been_unchanged_for_the_settle_time(
    tmp_path: Path,
) -> None:
    path = fresh(tmp_path / "students.csv", "version,1\n", age=1.0)
    waits: list[float] = []
    data = read_settled(path, display="students.csv", settle_seconds=5, sleep=waits.append)
    assert data == b"version,1\n"
    assert len(waits) == 1 and 3.5 < waits[0] <= 4.0


def test_a_file_still_being_written_fails_and_changes_nothing(tmp_path: Path) -> None:
    path = fresh(tmp_path / "students.csv", "version,1\nusername,class\nHarry_Pot")

    def the_export_writes_on(_seconds: float) -> None:
        with path.open("a") as file:
            file.write("ter,Potions\n")

    with pytest.raises(SourceError, match=r"^students.csv: still being written; nothing changed"):
        read_settled(path, display="students.csv", settle_seconds=5, sleep=the_export_writes_on)


def test_an_old_file_or_settle_0_is_read_at_once(tmp_path: Path) -> None:
    def never(_seconds: float) -> None:
        raise AssertionError("waited")

    old = fresh(tmp_path / "old.csv", "a\n", age=60)
    new = fresh(tmp_path / "new.csv", "b\n")
    assert read_settled(old, display="old.csv", settle_seconds=5, sleep=never) == b"a\n"
    assert read_settled(new, display="new.csv", settle_seconds=0, sleep=never) == b"b\n"


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"^students.csv: file not found"):
        read_settled(tmp_path / "students.csv", display="students.csv", settle_seconds=5)


# -- packages: a OneRoster folder or .zip, an SDS folder ---------------------------------


def test_a_package_is_read_once_every_file_has_been_unchanged_for_the_settle_time(
    tmp_path: Path,
) -> None:
    old = fresh(tmp_path / "users.csv", "sourcedId\n", age=60)
    new = fresh(tmp_path / "classes.csv", "sourcedId\n", age=1.0)
    waits: list[float] = []
    stamps = settled_files([old, new], display="package", settle_seconds=5, sleep=waits.append)
    assert len(waits) == 1 and 3.5 < waits[0] <= 4.0  # the newest file decides
    still_unchanged([new, old], stamps, display="package")


def test_a_package_file_changing_while_waiting_or_reading_fails_and_changes_nothing(
    tmp_path: Path,
) -> None:
    users = fresh(tmp_path / "users.csv", "sourcedId\nu1\n")

    def the_export_writes_on(_seconds: float) -> None:
        with users.open("a") as file:
            file.write("u2\n")

    with pytest.raises(SourceError, match=r"^package: still being written; nothing changed"):
        settled_files([users], display="package", settle_seconds=5, sleep=the_export_writes_on)
    stamps = settled_files([users], display="package", settle_seconds=0)
    fresh(tmp_path / "enrollments.csv", "sourcedId\n")  # a file arrives during the read
    files = sorted(tmp_path.iterdir())
    with pytest.raises(SourceError, match=r"^package: still being written"):
        still_unchanged(files, stamps, display="package")


@pytest.mark.parametrize(
    ("plugin", "fixture"),
    [("oneroster", "oneroster/packages/v1p1"), ("sds", "sds/folders/v1-us")],
)
def test_the_package_sources_wait_for_the_export(tmp_path: Path, plugin: str, fixture: str) -> None:
    shutil.copytree(Path(__file__).parent / fixture, tmp_path / "package")
    table = {"plugin": plugin, "path": "package", "settle_seconds": 1.0}
    kit = PluginKit.for_source(tmp_path, table)
    source = kit.source()
    first = sorted((tmp_path / "package").iterdir())[0]
    first.write_bytes(first.read_bytes())  # just written by the export, which goes on
    writer = threading.Timer(0.3, lambda: first.write_bytes(first.read_bytes() + b"\n"))
    writer.start()
    try:
        with pytest.raises(SourceError, match="still being written; nothing changed"):
            source.read()
    finally:
        writer.join()
    time.sleep(1.1)  # the export has finished
    assert kit.source().read().roster.groups
