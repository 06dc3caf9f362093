"""``settle_seconds``: a file an export is still writing is never read half-written."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from plugins.csvfile import read_settled
from sync.errors import SourceError


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
