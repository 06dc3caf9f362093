"""A package's digest says whether its files are byte-identical to the last read, without
parsing them; a .zip is digested from its own bytes, its members never inflated for it."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from plugins.oneroster import package
from plugins.oneroster.package import package_digest, read_package
from sync.api import SourceError

PACKAGE = Path(__file__).parent / "packages" / "v1p1"


def _zip(folder: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for file in sorted(folder.iterdir()):
            z.write(file, file.name)
    return archive


def test_a_zip_is_digested_without_inflating_a_member(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = _zip(PACKAGE, tmp_path / "oneroster.zip")
    inflated: list[str] = []
    real = package._read_member

    def read_member(path: Path, member: str) -> bytes:
        inflated.append(member)
        return real(path, member)

    monkeypatch.setattr(package, "_read_member", read_member)
    digest = package_digest(archive)
    assert inflated == []
    assert read_package(archive, source="s", digest=digest).digest == digest
    assert len(inflated) == len(set(inflated))  # (the read inflates each member once)


def test_the_digest_changes_with_the_files_and_only_with_them(tmp_path: Path) -> None:
    folder = tmp_path / "package"
    shutil.copytree(PACKAGE, folder)
    first_folder = package_digest(folder)
    first_zip = package_digest(_zip(folder, tmp_path / "a.zip"))
    assert package_digest(folder) == first_folder
    assert package_digest(tmp_path / "a.zip") == first_zip
    users = folder / "users.csv"
    users.write_bytes(users.read_bytes().replace(b"active", b"tobedeleted", 1))
    assert package_digest(folder) != first_folder
    assert package_digest(_zip(folder, tmp_path / "b.zip")) != first_zip


def test_a_missing_zip_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file or folder"):
        package_digest(tmp_path / "gone.zip")


def test_a_folder_is_read_once_and_parsed_as_the_digest_saw_it(tmp_path: Path) -> None:
    """The files the digest read are the ones parsed (a file is not read twice): one
    changed between the digest and the parse is parsed as the digest saw it, and the
    next digest tells the change."""
    folder = tmp_path / "package"
    shutil.copytree(PACKAGE, folder)
    kept: dict[str, bytes] = {}
    digest = package_digest(folder, keep=kept)
    assert set(kept) == {file.name.casefold() for file in folder.glob("*.csv")}
    before = read_package(folder, source="s").tables["classes"].column("title")
    classes = folder / "CLASSES.csv"  # (as some SISs name it)
    classes.write_text(classes.read_text().replace("Biology 1", "Biology One"))
    read = read_package(folder, source="s", digest=digest, kept=kept)
    assert read.tables["classes"].column("title") == before
    assert kept == {}  # (each taken out as it was parsed, the rest dropped)
    assert package_digest(folder) != digest


def test_a_file_empty_when_digested_is_parsed_empty_though_written_since(
    tmp_path: Path,
) -> None:
    """An empty file is kept as read too: it is not read again because it is empty."""
    folder = tmp_path / "package"
    shutil.copytree(PACKAGE, folder)
    courses = next(folder.glob("[cC][oO][uU][rR][sS][eE][sS].csv"))
    written = courses.read_bytes()
    courses.write_bytes(b"")
    kept: dict[str, bytes] = {}
    digest = package_digest(folder, keep=kept)
    assert kept[courses.name.casefold()] == b""
    empty = read_package(folder, source="s")
    courses.write_bytes(written)
    read = read_package(folder, source="s", digest=digest, kept=kept)
    assert len(read.tables["courses"]) == len(empty.tables["courses"]) == 0
    assert read.issues == empty.issues
