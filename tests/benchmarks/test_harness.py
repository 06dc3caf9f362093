"""The benchmark harness runs at a tiny size, so it never rots (no timing assertions)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.district import generate, move_one_percent, write_impero
from tests.conftest import ROOT, require_postgres


def test_the_district_is_deterministic_and_shaped_as_specified() -> None:
    district = generate(1600)
    assert district == generate(1600)
    assert len(district.teachers) == 100
    assert district.memberships == 1600 * 6
    assert len(district.sections) == 6 * 64
    moved = move_one_percent(district)
    before = set(district.pairs())
    after = set(moved.pairs())
    assert len(after) == len(before) and len(before - after) == district.memberships // 100


def test_impero_files_hold_every_pair(tmp_path: Path) -> None:
    district = generate(200)
    folder = write_impero(district, tmp_path)
    lines = (folder / "students.csv").read_text().splitlines()
    assert lines[:2] == ["version,1", "username,class"]
    assert len(lines) - 2 == district.memberships


def test_the_harness_runs_end_to_end_at_a_tiny_size(tmp_path: Path) -> None:
    require_postgres()
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.run",
            "--size",
            "160",
            "--repeat",
            "2",
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert process.returncode == 0, process.stderr
    report = json.loads((tmp_path / "results-160.json").read_text())
    rows = {(r["backend"], r["step"]): r for r in report["results"]}
    district = generate(160)
    assert rows[("baseline", "csv+executemany")]["rows_written"] == district.memberships + len(
        district.sections
    )
    for backend in ("sqlite", "postgres", "clever", "clever-events"):
        full = rows[(backend, "full")]
        # Every change writes a row, and every group's member digest is written once more
        # after its members (one batch at this size).
        assert full["status"] == "ok"
        assert full["rows_written"] == full["applied"] + len(district.sections)
        assert rows[(backend, "no-change")]["rows_written"] == 0
        assert rows[(backend, "no-change")]["applied"] == 0
        moved = rows[(backend, "1% moved")]
        assert moved["applied"] == 2 * (district.memberships // 100)  # a remove and an add each
    if ("ldap", "full") in rows:  # with slapd here: the directory got writes only when due
        assert rows[("ldap", "full")]["status"] == "ok" and rows[("ldap", "full")]["ldap_writes"]
        assert rows[("ldap", "no-change")]["ldap_writes"] == 0
        assert rows[("ldap", "1% moved")]["applied"] == 2 * (district.memberships // 100)
    # The OneRoster package of the same district writes what the Impero CSV files do, and
    # each repetition's two full syncs are compared as a pair.
    assert rows[("oneroster", "full")]["status"] == "ok"
    assert rows[("oneroster", "full")]["rows_written"] == rows[("sqlite", "full")]["rows_written"]
    assert rows[("oneroster", "no-change")]["rows_written"] == 0
    (pair,) = report["paired"]
    assert (pair["backend"], pair["against"]) == ("oneroster", "sqlite")
    for step in ("full", "no-change", "1% moved"):
        found = pair["steps"][step]
        assert len(found["cpu_ratios"]) == len(found["seconds_ratios"]) == 2
        # (of two pairs the upper, as median_of takes the upper of two runs)
        assert found["cpu_ratio"] == pytest.approx(max(found["cpu_ratios"]), abs=1e-3)
        assert found["seconds_ratio"] == pytest.approx(max(found["seconds_ratios"]), abs=1e-3)
    assert "oneroster over sqlite" in process.stdout
    assert "x base" in process.stdout
    assert all(len(r["runs_seconds"]) == 2 for r in report["results"])
    assert all(len(r["runs_cpu_seconds"]) == 2 for r in report["results"])
    assert all(r["cpu_seconds"] > 0 for r in report["results"])


def test_the_startup_benchmark_runs(tmp_path: Path) -> None:
    process = subprocess.run(
        [sys.executable, "-m", "benchmarks.startup", "--repeat", "1", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert process.stdout.splitlines()[0].split()[0] == "startup"
    rows = json.loads((tmp_path / "startup.json").read_text())
    assert set(rows) == {"--help", "plugins", "status"}
    assert all(row["fastest"] > 0 for row in rows.values())


def test_the_console_benchmark_runs_end_to_end_at_a_tiny_size(tmp_path: Path) -> None:
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.web",
            "--size",
            "300",
            "--runs",
            "12",
            "--repeat",
            "2",
            "--metrics-runs",
            "40",
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    report = json.loads((tmp_path / "web.json").read_text())
    assert {"overview", "runs list", "/metrics at 40 runs"} <= set(report)
    assert all(v["median_ms"] > 0 for v in report.values() if isinstance(v, dict))
    assert "console pages, 300 students, 12 runs of history" in process.stdout
