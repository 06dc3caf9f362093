"""The oneroster source end to end through the command line, on the fixture packages."""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliRun
from tests.plugins.oneroster.cli import configure as _configure
from tests.plugins.oneroster.cli import run_json, shown_groups

PACKAGES = Path(__file__).parent / "packages"


MANIFEST_DELTA = """\
propertyName,value
manifest.version,1.0
oneroster.version,1.1
file.academicSessions,absent
file.classes,absent
file.courses,absent
file.orgs,absent
file.users,{users}
file.enrollments,delta
"""


def groups(rostersync: CliRun, config: Path) -> dict[str, Any]:
    data = {"groups": shown_groups(rostersync, config)}
    return {
        g["key"]: (g["name"], g["members"], g["access"], g.get("access_options", {}))
        for g in data["groups"]
    }


def configure(folder: Path, path: Path | str, extra: str = "") -> Path:
    return _configure(folder, "oneroster", path, extra)


V1P1_GROUPS = {
    "cl-alg1": ("Algebra", ["ann.lee"], [], {}),
    "cl-art1": ("Art", ["fin.gale"], [], {}),
    "cl-bio1": ("Biology 1", ["ann.lee", "ben.ode"], ["mr.grant"], {"mr.grant": ["primary"]}),
    "cl-bio2": ("Biology 2", ["ben.ode", "cara.diaz"], ["mr.grant", "ms.holt"], {}),
}


def test_a_1_1_package_makes_exactly_the_groups_members_and_access_it_says(
    rostersync: CliRun, tmp_path: Path
) -> None:
    config = configure(tmp_path, PACKAGES / "v1p1")
    data = run_json(rostersync, config, "sync")
    assert data["status"] == "ok", data
    assert groups(rostersync, config) == V1P1_GROUPS
    found = {(i["file"], i["line"], i["field"], i["value"]) for i in data["issues"]}
    assert found == {
        ("enrollments.csv", 18, "sourcedId", "e1"),  # a duplicate sourcedId
        ("enrollments.csv", 16, "classSourcedId", "cl-nope"),  # an unknown class
        ("enrollments.csv", 17, "userSourcedId", "u-ghost"),  # an unknown user
        ("enrollments.csv", 20, "classSourcedId", "cl-old"),  # a class marked tobedeleted
        ("users.csv", 5, "username", "u-s4"),  # no username
        ("users.csv", 8, "username", "sam.same"),  # the same username: both skipped
        ("users.csv", 9, "username", "sam.same"),
    }
    again = run_json(rostersync, config, "sync")
    assert again["status"] == "ok" and again["changes"] == []


def test_the_same_district_from_a_zip_gives_the_same_groups(
    rostersync: CliRun, tmp_path: Path
) -> None:
    archive = tmp_path / "oneroster.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for file in (PACKAGES / "v1p1").iterdir():
            z.write(file, f"export-2026-12-01/{file.name}")
    config = configure(tmp_path, archive)
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    assert groups(rostersync, config) == V1P1_GROUPS


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ('schools = ["Hillview Middle"]', {"cl-art1"}),
        ('schools = ["s1"]', {"cl-alg1", "cl-bio1", "cl-bio2"}),
        ('schools = ["d1"]', set(V1P1_GROUPS)),  # a district takes its schools
        ('sessions = ["t2"]', {"cl-alg1", "cl-bio2"}),
        ('sessions = ["y2026"]', set(V1P1_GROUPS)),  # a year takes its terms
        ('sessions = "current"', {"cl-art1", "cl-bio1", "cl-bio2"}),  # t1 holds 2026-12-01
    ],
)
def test_schools_and_sessions_keep_only_their_classes(
    rostersync: CliRun,
    tmp_path: Path,
    extra: str,
    expected: set[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import plugins.oneroster.mapping as mapping

    class Today(mapping.date):
        @classmethod
        def today(cls) -> Today:
            return cls(2026, 12, 1)

    monkeypatch.setattr(mapping, "date", Today)
    config = configure(tmp_path, PACKAGES / "v1p1", extra)
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    assert set(groups(rostersync, config)) == expected


def test_access_roles_identity_and_template_options(rostersync: CliRun, tmp_path: Path) -> None:
    extra = (
        'access_roles = ["teacher", "aide"]\nidentity = "user_id:ldap"\n'
        'group_name = "{course}: {title} ({periods}) {school} {term}"'
    )
    config = configure(tmp_path, PACKAGES / "v1p1", extra)
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    found = groups(rostersync, config)
    assert found["cl-bio1"][:3] == (
        "Biology: Biology 1 (1) Riverside High Fall 2026",
        ["alee", "bode"],
        ["jgrant"],  # the aide has no LDAP id: skipped and reported
    )
    assert found["cl-bio2"][0] == "Biology: Biology 2 (2,3) Riverside High Fall 2026, Spring 2027"


@pytest.mark.parametrize("version", ["v1p0", "v1p2"])
def test_1_0_and_1_2_packages(rostersync: CliRun, tmp_path: Path, version: str) -> None:
    config = configure(tmp_path, PACKAGES / version, 'access_roles = ["teacher", "proctor"]')
    data = run_json(rostersync, config, "sync")
    assert data["status"] == "ok" and data["issues"] == []
    found = groups(rostersync, config)
    assert found["cl-bio1"][1:] == (
        ["ann.lee"],
        ["mr.grant", "pro.ctor"] if version == "v1p2" else ["mr.grant"],
        {"mr.grant": ["primary"]},
    )


def _copy(tmp_path: Path, name: str = "pkg") -> Path:
    folder = tmp_path / name
    shutil.copytree(PACKAGES / "v1p1", folder)
    return folder


def test_moving_one_student_changes_exactly_that(rostersync: CliRun, tmp_path: Path) -> None:
    package = _copy(tmp_path)
    config = configure(tmp_path, package)
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    enrollments = package / "enrollments.csv"
    enrollments.write_text(
        enrollments.read_text().replace("e2,active,,cl-bio1,s1,u-s2", "e2,active,,cl-alg1,s1,u-s2")
    )
    data = run_json(rostersync, config, "sync")
    assert data["status"] == "ok"
    assert sorted(data["changes"], key=str) == sorted(
        [
            {"kind": "add_member", "group": "cl-alg1", "name": "Algebra", "person": "ben.ode"},
            {"kind": "remove_member", "group": "cl-bio1", "name": "Biology 1", "person": "ben.ode"},
        ],
        key=str,
    )


def test_a_delta_moves_adds_and_removes_to_the_state_a_bulk_would_give(
    rostersync: CliRun, tmp_path: Path
) -> None:
    package = _copy(tmp_path)
    config = configure(tmp_path, package)
    assert run_json(rostersync, config, "sync")["status"] == "ok"

    delta = tmp_path / "delta"
    delta.mkdir()
    (delta / "manifest.csv").write_text(MANIFEST_DELTA.format(users="delta"))
    (delta / "users.csv").write_text(
        "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username\n"
        "u-s7,active,2026-12-01,true,s1,student,gus.new\n"
    )
    (delta / "enrollments.csv").write_text(
        "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role\n"
        "e2,active,2026-12-01,cl-alg1,s1,u-s2,student\n"  # move ben.ode
        "e20,active,2026-12-01,cl-bio1,s1,u-s7,student\n"  # add gus.new
        "e7,tobedeleted,2026-12-01,cl-bio2,s1,u-t2,teacher\n"  # ms.holt loses access
        "e9,tobedeleted,2026-12-01,cl-alg1,s1,u-s1,student\n"  # ann.lee leaves Algebra
    )
    configure(tmp_path, delta)
    data = run_json(rostersync, config, "sync", "--allow-deletes")  # (2 of 6: over 20 %)
    assert data["status"] == "ok", data
    after_delta = groups(rostersync, config)
    assert after_delta["cl-alg1"][1] == ["ben.ode"]
    assert after_delta["cl-bio1"][1] == ["ann.lee", "gus.new"]
    assert after_delta["cl-bio2"][2] == ["mr.grant"]
    assert run_json(rostersync, config, "sync")["changes"] == []  # the same delta again

    # The same result written as a bulk package, synced into a fresh state.
    enrollments = package / "enrollments.csv"
    text = enrollments.read_text().replace("e2,active,,cl-bio1", "e2,active,,cl-alg1")
    text = text.replace("e7,active,", "e7,tobedeleted,").replace("e9,active,", "e9,tobedeleted,")
    enrollments.write_text(text + "e20,active,,cl-bio1,s1,u-s7,student,false,,\n")
    users = package / "users.csv"
    users.write_bytes(users.read_bytes() + b"u-s7,active,,true,s1,student,gus.new,,,,,,,,,,,\r\n")
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    bulk = configure(fresh, package)
    assert run_json(rostersync, bulk, "sync")["status"] == "ok"
    assert groups(rostersync, bulk) == after_delta


def test_a_delta_with_no_earlier_bulk_is_a_clear_error(rostersync: CliRun, tmp_path: Path) -> None:
    delta = tmp_path / "delta"
    delta.mkdir()
    (delta / "manifest.csv").write_text(MANIFEST_DELTA.format(users="absent"))
    (delta / "enrollments.csv").write_text(
        "sourcedId,status,classSourcedId,userSourcedId,role\ne1,tobedeleted,cl-bio1,u-s1,student\n"
    )
    config = configure(tmp_path, delta)
    data = run_json(rostersync, config, "sync")
    assert data["status"] == "failed"
    assert "a delta package" in data["error"] and "no bulk package was read before" in data["error"]


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda t: t.replace("e5,active,,cl-bio2", 'e5,active,,"cl-bio2'), "line 6: malformed CSV"),
        (lambda t: t.replace("e5,active,,cl-bio2", "e5,act\x07ive,,cl-bio2"), "line 6: malformed"),
        (lambda t: t.rstrip("\n"), "the last line has no line ending"),
        (
            lambda t: t.replace("e5,active,,cl-bio2", '"e5\nx",active,,cl-bio2'),
            "line 6: malformed CSV",
        ),
    ],
)
def test_a_damaged_file_fails_the_run_naming_file_and_line_and_changes_nothing(
    rostersync: CliRun, tmp_path: Path, damage: Any, expected: str
) -> None:
    package = _copy(tmp_path)
    config = configure(tmp_path, package)
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    before = groups(rostersync, config)
    enrollments = package / "enrollments.csv"
    enrollments.write_text(
        damage(enrollments.read_text().replace("e1,active,,cl-bio1", "eX,active,,cl-bio9"))
    )
    data = run_json(rostersync, config, "sync")
    assert data["status"] == "failed"
    assert data["error"].startswith("enrollments.csv") or "enrollments.csv" in data["error"]
    assert expected in data["error"]
    assert groups(rostersync, config) == before


def test_a_missing_required_column_is_an_issue_and_the_other_files_still_import(
    rostersync: CliRun, tmp_path: Path
) -> None:
    package = _copy(tmp_path)
    config = configure(tmp_path, package)
    courses = package / "Courses.csv"
    courses.write_text(courses.read_text().replace("sourcedId,", "id,", 1))
    data = run_json(rostersync, config, "sync", "--dry-run")
    missing = [i for i in data["issues"] if i["file"] == "Courses.csv"]
    assert [(i["line"], i["field"], i["severity"]) for i in missing] == [(1, "sourcedId", "error")]
    assert data["planned"]["create_group"] == 4


def test_passwords_and_parents_contacts_are_never_stored_or_logged(
    rostersync: CliRun, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for version in ("v1p1", "v1p2"):
        folder = tmp_path / version
        folder.mkdir()
        config = configure(folder, PACKAGES / version)
        result = rostersync("sync", "--json", config=config)
        assert json.loads(result.stdout)["status"] == "ok"
        shown = rostersync("runs", "show", "1", "--json", "--all", config=config).output
        database = (folder / "state.db").read_bytes()
        dump = "\n".join(sqlite3.connect(folder / "state.db").iterdump())
        assert run_json(rostersync, config, "show")["groups"]  # (the state holds the roster)
        for secret in ("CANARY", "Secr3t"):
            assert secret not in result.output and secret not in shown
            assert secret.encode() not in database and secret not in dump
            assert secret not in caplog.text
    # ...and the snapshot (compressed) holds no parent either:
    from plugins.oneroster.delta import decode

    stored = sqlite3.connect(tmp_path / "v1p2" / "state.db").execute(
        "SELECT value FROM rs_plugin_state WHERE key = 'snapshot'"
    )
    tables = decode(json.loads(stored.fetchone()[0]))
    kept = json.dumps({t: [dict(r.values) for r in rows] for t, rows in tables.items()})
    assert "CANARY" not in kept and "Secr3t" not in kept and "u-p1" not in kept


@pytest.mark.parametrize("version", ["v1p0", "v1p1", "v1p2"])
def test_a_byte_identical_rerun_maps_the_kept_tables_and_reports_exactly_the_same(
    rostersync: CliRun, tmp_path: Path, version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import plugins.oneroster.source as source

    parsed: list[Path] = []

    def read_package(path: Path, **kwargs: Any) -> Any:
        parsed.append(path)
        return real(path, **kwargs)

    real = source.read_package
    monkeypatch.setattr(source, "read_package", read_package)
    package = tmp_path / "package"
    shutil.copytree(PACKAGES / version, package)
    config = configure(tmp_path, package, 'access_roles = ["teacher", "aide"]')
    first = run_json(rostersync, config, "sync")
    assert first["status"] == "ok"
    assert len(first["issues"]) == {"v1p0": 0, "v1p1": 7, "v1p2": len(first["issues"])}[version]
    before = groups(rostersync, config)
    assert len(parsed) == 1
    again = run_json(rostersync, config, "sync")
    assert len(parsed) == 1  # (the files were not parsed again)
    assert again["status"] == "ok" and again["changes"] == []
    assert again["issues"] == first["issues"]
    assert groups(rostersync, config) == before
    # one byte more in one file and the package is read again
    users = next(package.glob("[uU]sers.csv"))
    users.write_bytes(users.read_bytes() + b"\n")
    third = run_json(rostersync, config, "sync")
    assert len(parsed) == 2 and third["issues"] == first["issues"]
