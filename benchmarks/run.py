"""Measure a district-sized sync against the machine's own floor.

    .venv/bin/python -m benchmarks.run --size 50000

For one district it measures, one process after another on the same data:

1. the baseline: Python's csv module reads the Impero files and inserts the pairs into a
   fresh SQLite table with executemany in one transaction (the floor no sync beats by much);
2. a full first sync into an empty target; 3. a no-change resync; 4. a resync after 1% of
   memberships moved;

for CSV -> directory on SQLite, CSV -> directory on PostgreSQL, and the fake Clever
server -> directory, pulling everything every run (``clever``) and, as Clever syncs by
default, from its events after the first (``clever-events``: the moves arrive as section
update events), and CSV -> the ldap target on a throwaway slapd (``ldap``, when slapd is
installed; its "ldap writes" are the adds, modifies, deletes and renames slapd logged).
Each step runs in a fresh child process, which reports its wall time, its CPU time (its
own, not a server's), its peak RSS, and the rows it wrote (data rows, and run-record rows
apart); on ldap, also the searches slapd logged. The baseline and every backend's
sequence run ``--repeat`` times (default 3), each from a fresh state, and the table shows
the median: the machines are shared and noisy. Within a repetition the backends run in
turn, and the OneRoster package's steps are compared with the Impero CSV's (``sqlite``)
run by run, each repetition's two runs as a pair (``PAIRED``).
Prints a table and writes JSON (every run's seconds too) to ``benchmarks/out/``.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.district import (  # noqa: E402
    District,
    generate,
    move_one_percent,
    write_impero,
    write_oneroster,
)

PG_ADMIN_URL = os.environ.get(
    "ROSTERSYNC_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
STEPS = ("full", "no-change", "1% moved")
# What a step imports when it first needs it (commands start fast, so the engine and the
# plugins import these lazily): Alembic to migrate a new state database, the targets' and
# the sources' own modules. The child imports them before its clock starts, as every
# import was before the lazy imports, so a step's seconds are its work only.
PRELOADED = (
    "alembic.command",
    "alembic.runtime.migration",
    "alembic.script",
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.dialects.postgresql",
    "plugins.directory.target",
    "plugins.impero_csv",
    "plugins.oneroster.source",
    "plugins.clever",
)
TOKEN = "benchmark-token"

CONFIG = """\
[state]
url = "{url}"

[sync]
sources = ["district"]
target = "directory"

[sources.district]
{source}

[targets.directory]
{target}
"""

LDAP_TARGET = """\
plugin = "ldap"
url = "{url}"
start_tls = false
bind_dn = "{bind_dn}"
password = "{password}"
groups_dn = "{groups_dn}"
users_dn = "{users_dn}"
"""
LDAP_WRITES = ("ADD", "MOD", "DEL", "MODRDN")


# -- the child: one measured step ------------------------------------------------------
def child(spec: dict[str, Any]) -> dict[str, Any]:
    import sqlalchemy as sa

    written = {"data": 0, "record": 0}

    def count_writes(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        head = statement.lstrip()[:60]
        if head[:6].upper() not in ("INSERT", "UPDATE", "DELETE") or cursor.rowcount <= 0:
            return
        if "alembic_version" in head:
            return  # schema bookkeeping on a fresh database, not a sync's writes
        written["record" if " rs_" in head else "data"] += cursor.rowcount

    sa.event.listen(sa.engine.Engine, "after_cursor_execute", count_writes)
    count_copies(written)
    # Imports are not the sync's work: they are timed apart, as "startup".
    imported = time.perf_counter()
    from sync.config import load_config
    from sync.gc_tuning import few_gc_passes
    from sync.plugins import load_plugins
    from sync.run import Engine, RunRequest

    plugins = load_plugins(entry_points=False)
    for module in PRELOADED:  # imported by the step, but imports are startup here
        importlib.import_module(module)
    start = time.perf_counter()
    cpu_start = time.process_time()
    if spec["kind"] == "baseline":
        rows = baseline(Path(spec["folder"]), Path(spec["db"]))
        result: dict[str, Any] = {"status": "ok", "rows": rows}
        written["data"] = rows
    else:
        if spec.get("token"):
            os.environ["CLEVER_TOKEN"] = spec["token"]
        engine = Engine(load_config(spec["config"]), plugins)
        with few_gc_passes():  # as the command line runs it
            outcome = engine.run(None, RunRequest())
        result = {"status": outcome.status.value, "applied": sum(outcome.applied.values())}
    result["seconds"] = time.perf_counter() - start
    result["cpu_seconds"] = time.process_time() - cpu_start  # this process only, not slapd
    result["startup_seconds"] = start - imported
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["rows_written"] = written["data"]
    result["record_rows"] = written["record"]
    return result


def count_copies(written: dict[str, int]) -> None:
    """Count rows PostgreSQL takes by COPY too: it goes to the driver, past SQLAlchemy."""
    import psycopg

    plain_copy = psycopg.Cursor.copy

    @contextmanager
    def copy(cursor: Any, statement: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        with plain_copy(cursor, statement, *args, **kwargs) as ongoing:
            yield ongoing
        written["record" if " rs_" in str(statement) else "data"] += max(cursor.rowcount, 0)

    psycopg.Cursor.copy = copy  # type: ignore[assignment,method-assign]


def baseline(folder: Path, db: Path) -> int:
    """The floor: csv-module read plus one executemany into a fresh SQLite table."""
    pairs: list[tuple[str, str]] = []
    for name in ("students.csv", "teachers.csv"):
        with (folder / name).open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            next(reader)
            next(reader)
            pairs.extend((row[0], row[1]) for row in reader)
    connection = sqlite3.connect(db)
    with connection:
        connection.execute("CREATE TABLE pairs (username TEXT, class TEXT)")
        connection.executemany("INSERT INTO pairs VALUES (?, ?)", pairs)
    connection.close()
    return len(pairs)


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    process = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--child", json.dumps(spec)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if process.returncode != 0:
        raise RuntimeError(f"benchmark step failed:\n{process.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(process.stdout.strip().splitlines()[-1])
    return result


# -- the parent: set up, run every step, report ------------------------------------------
def clever_district(district: District) -> Any:
    """The same district as the fake Clever server serves it."""
    from tests.fakes.clever_server import District as CleverDistrict

    served = CleverDistrict()
    school = "5f0100000000000000000000"
    served.schools[school] = {"id": school, "name": "District School", "sis_id": "SCH0"}
    ids: dict[str, str] = {}
    for kind, role, names in ((2, "student", district.students), (3, "teacher", district.teachers)):
        for number, username in enumerate(names):
            uid = f"5f{kind:02x}{number:020x}"
            ids[username] = uid
            served.users[uid] = {
                "id": uid,
                "email": f"{username}@district.example",
                "name": {"first": username, "last": "", "middle": ""},
                "roles": {
                    role: {
                        "credentials": {"district_username": username},
                        "school": school,
                        "schools": [school],
                    }
                },
            }
    for section in district.sections:
        sid = f"5f04{int(section.id, 16):020x}"
        served.sections[sid] = {
            "id": sid,
            "name": section.name,
            "period": str(section.period),
            "school": school,
            "students": [ids[s] for s in section.students],
            "teacher": ids[section.teacher],
            "teachers": [ids[section.teacher]],
        }
    return served


def move_by_events(server: Any, moved: Any) -> None:
    """The moves as Clever reports them: each changed section updated, with an event."""
    for sid, section in moved.sections.items():
        if server.district.sections[sid]["students"] != section["students"]:
            server.update_section(sid, students=section["students"])


def state_url(backend: str, work: Path, stack: ExitStack) -> str:
    if backend != "postgres":
        return f"sqlite:///{work / 'state.db'}"
    import sqlalchemy as sa

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL)
    with admin.begin() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as c:
            c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    stack.callback(drop)
    return f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"


def measure_backend(
    backend: str, district: District, moved: District, work: Path, baseline_s: float
) -> list[dict[str, Any]]:
    """One fresh state, then every step in turn, as an admin's first three runs would be."""
    results = []
    with ExitStack() as stack:
        folder = work / "impero"
        write_impero(district, folder)
        server = None
        if backend in ("clever", "clever-events"):
            from tests.fakes.clever_server import CleverServer

            server = stack.enter_context(CleverServer(clever_district(district), token=TOKEN))
            # A district's event log is never empty: the first sync keeps its head.
            server.emit_other("terms.updated", {"id": "5f0a00000000000000000000"})
            incremental = "true" if backend == "clever-events" else "false"
            source = (
                f'plugin = "clever"\nurl = "{server.url}"\n'
                'token = { env = "CLEVER_TOKEN" }\npage_size = 10000\n'
                f"incremental = {incremental}"
            )
        # (settle_seconds = 0: this measures a sync, not waiting for an export to finish)
        elif backend == "oneroster":
            write_oneroster(district, work / "oneroster")
            source = f'plugin = "oneroster"\npath = "{work / "oneroster"}"\nsettle_seconds = 0'
        else:
            source = f'plugin = "impero_csv"\npath = "{folder}"\nsettle_seconds = 0'
        slapd = None
        target = 'plugin = "directory"'
        if backend == "ldap":
            slapd, target = ldap_target(district, work, stack)
        url = state_url(backend, work, stack)
        config = work / "config.toml"
        config.write_text(CONFIG.format(url=url, source=source, target=target))
        for step in STEPS:
            if step == "1% moved":
                if backend == "clever-events":
                    move_by_events(server, clever_district(moved))
                elif server is not None:
                    server.district = clever_district(moved)
                elif backend == "oneroster":
                    write_oneroster(moved, work / "oneroster")
                else:
                    write_impero(moved, folder)
            spec = {"kind": "sync", "config": str(config), "token": TOKEN}
            mark = slapd.log_mark() if slapd is not None else 0
            result = run_child(spec)
            if slapd is not None:  # what the sync sent the directory: adds, modifies ...
                result["ldap_writes"] = sum(len(slapd.operations(mark, k)) for k in LDAP_WRITES)
                result["ldap_searches"] = len(slapd.operations(mark, "SRCH"))
            result.update(backend=backend, step=step, ratio=result["seconds"] / baseline_s)
            results.append(result)
            print(
                f"  {backend:<13} {step:<10} {result['seconds']:7.2f} s "
                f"(CPU {result['cpu_seconds']:.2f} s)",
                file=sys.stderr,
            )
    return results


def ldap_target(district: District, work: Path, stack: ExitStack) -> tuple[Any, str]:
    """A throwaway slapd holding an entry per student and teacher (loaded with slapadd),
    and the ldap target's table for it."""
    from tests.fakes.slapd import SERVICE_DN, SERVICE_PASSWORD, SUFFIX, running_slapd

    people, groups = f"ou=people,{SUFFIX}", f"ou=groups,{SUFFIX}"

    def entries() -> Iterator[str]:
        for ou, dn in (("people", people), ("groups", groups)):
            yield from (f"dn: {dn}", "objectClass: organizationalUnit", f"ou: {ou}", "")
        for username in (*district.students, *district.teachers):
            yield from (f"dn: uid={username},{people}", "objectClass: inetOrgPerson")
            yield from (f"uid: {username}", f"cn: {username}", f"sn: {username}", "")

    slapd = stack.enter_context(running_slapd(work / "slapd", entries()))
    table = LDAP_TARGET.format(
        url=slapd.url,
        bind_dn=SERVICE_DN,
        password=SERVICE_PASSWORD,
        groups_dn=groups,
        users_dn=people,
    )
    return slapd, table


def default_backends() -> str:
    from tests.fakes.slapd import slapd_missing

    return "sqlite,postgres,clever,clever-events,oneroster" + ("" if slapd_missing() else ",ldap")


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median time, with every run's seconds and the highest peak RSS."""
    ordered = sorted(runs, key=lambda r: r["seconds"])
    chosen = dict(ordered[len(ordered) // 2])
    chosen["runs_seconds"] = [round(r["seconds"], 3) for r in runs]
    cpu = sorted(r["cpu_seconds"] for r in runs)
    chosen["cpu_seconds"] = cpu[len(cpu) // 2]
    chosen["runs_cpu_seconds"] = [round(r["cpu_seconds"], 3) for r in runs]
    chosen["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=50_000, help="students (default 50000)")
    parser.add_argument(
        "--backends", default=None, help="comma-separated (default: all; ldap if slapd is here)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="measure every step this many times, each from a fresh state, and report the "
        "median (default 3: the machines are shared and noisy)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    backends = [b for b in (args.backends or default_backends()).split(",") if b]
    district = generate(args.size)
    moved = move_one_percent(district)
    print(
        f"district: {len(district.students)} students, {len(district.teachers)} teachers, "
        f"{len(district.sections)} sections, {district.memberships} memberships",
        file=sys.stderr,
    )
    with tempfile.TemporaryDirectory(prefix="rostersync-bench-") as tmp:
        work = Path(tmp)
        write_impero(district, work / "base")
        bases = []
        for _ in range(args.repeat):
            (work / "baseline.db").unlink(missing_ok=True)
            bases.append(
                run_child(
                    {
                        "kind": "baseline",
                        "folder": str(work / "base"),
                        "db": str(work / "baseline.db"),
                    }
                )
            )
            print(f"  baseline            {bases[-1]['seconds']:7.2f} s", file=sys.stderr)
        base = median_of(bases)
        base.update(backend="baseline", step="csv+executemany", ratio=1.0)
        results = [base]
        runs: dict[str, dict[str, list[dict[str, Any]]]] = {
            backend: {step: [] for step in STEPS} for backend in backends
        }
        # Every backend in turn within each repetition, so that a shared machine's slower
        # minutes fall on all of them alike, and two backends' runs of one repetition
        # can be compared as a pair (see ``paired``).
        for repetition in range(args.repeat):
            for backend in backends:
                folder = work / f"{backend}-{repetition}"
                folder.mkdir()
                for result in measure_backend(backend, district, moved, folder, base["seconds"]):
                    runs[backend][result["step"]].append(result)
                shutil.rmtree(folder, ignore_errors=True)
        for backend in backends:
            for step in STEPS:
                chosen = median_of(runs[backend][step])
                chosen["ratio"] = chosen["seconds"] / base["seconds"]
                results.append(chosen)
    report = {
        "size": args.size,
        "sections": len(district.sections),
        "memberships": district.memberships,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "repeat": args.repeat,
        "results": results,
        "paired": [
            paired(runs, backend, against)
            for backend, against in PAIRED
            if backend in runs and against in runs
        ],
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"results-{args.size}.json"
    path.write_text(json.dumps(report, indent=2))
    path.with_suffix(".md").write_text(markdown(report))
    print(table(report))
    print(f"\nJSON: {path}\nMarkdown (for docs/performance.md): {path.with_suffix('.md')}")


#: (backend, against): the same district through two sources, compared run by run. The
#: OneRoster package's goal is its full sync within 1.5x of the Impero CSV one's.
PAIRED = (("oneroster", "sqlite"),)


def paired(
    runs: dict[str, dict[str, list[dict[str, Any]]]], backend: str, against: str
) -> dict[str, Any]:
    """``backend``'s CPU and wall seconds over ``against``'s, step by step, each
    repetition's runs as a pair (they ran minutes apart, not a whole backend apart), and
    the median of the pairs."""
    steps = {}
    for step in STEPS:
        pairs = list(zip(runs[backend][step], runs[against][step], strict=True))
        cpu = [mine["cpu_seconds"] / theirs["cpu_seconds"] for mine, theirs in pairs]
        wall = [mine["seconds"] / theirs["seconds"] for mine, theirs in pairs]
        steps[step] = {
            "cpu_ratios": [round(r, 3) for r in cpu],
            "cpu_ratio": sorted(cpu)[len(cpu) // 2],
            "seconds_ratios": [round(r, 3) for r in wall],
            "seconds_ratio": sorted(wall)[len(wall) // 2],
        }
    return {"backend": backend, "against": against, "steps": steps}


def paired_lines(report: dict[str, Any]) -> list[str]:
    lines = []
    for pair in report["paired"]:
        lines.append(f"{pair['backend']} over {pair['against']}, run by run (median):")
        for step, found in pair["steps"].items():
            cpu = ", ".join(f"{r:.2f}" for r in found["cpu_ratios"])
            lines.append(
                f"  {step:<10} CPU {found['cpu_ratio']:.2f}x ({cpu}), "
                f"wall {found['seconds_ratio']:.2f}x"
            )
    return lines


def table(report: dict[str, Any]) -> str:
    lines = [
        f"N={report['size']}: {report['sections']} sections, {report['memberships']} memberships",
        f"{'backend':<13} {'step':<16} {'status':<7} {'seconds':>8} {'x base':>7} {'CPU s':>6} "
        f"{'peak MB':>8} {'rows written':>13} {'record rows':>12} {'ldap writes':>12}",
    ]
    for r in report["results"]:
        lines.append(
            f"{r['backend']:<13} {r['step']:<16} {r['status']:<7} {r['seconds']:>8.2f} "
            f"{r['ratio']:>7.2f} {r['cpu_seconds']:>6.2f} {r['peak_rss_mb']:>8.0f} "
            f"{r['rows_written']:>13} "
            f"{r['record_rows']:>12} {r.get('ldap_writes', '-'):>12}"
        )
    return "\n".join([*lines, *paired_lines(report)])


def markdown(report: dict[str, Any]) -> str:
    """The table as docs/performance.md shows it."""
    lines = [
        f"N = {report['size']:,}: {report['sections']:,} sections, {report['memberships']:,} "
        f"memberships (Python {report['python']}, {report['cpus']} cores, "
        + (f"median of {report['repeat']} runs)." if report["repeat"] > 1 else "one run)."),
        "",
        "| backend | step | status | seconds (median) | runs | x baseline | CPU s (median) "
        "| peak RSS MB | rows written | run-record rows | ldap writes |",
        "|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["results"]:
        runs = ", ".join(f"{s:.2f}" for s in r["runs_seconds"])
        writes = format(r["ldap_writes"], ",") if "ldap_writes" in r else "-"
        lines.append(
            f"| {r['backend']} | {r['step']} | {r['status']} | {r['seconds']:.2f} | {runs} "
            f"| {r['ratio']:.2f} | {r['cpu_seconds']:.2f} | {r['peak_rss_mb']:.0f} "
            f"| {r['rows_written']:,} "
            f"| {r['record_rows']} | {writes} |"
        )
    for pair in report["paired"]:
        lines += [
            "",
            f"{pair['backend']} over {pair['against']}, each repetition's runs as a pair "
            "(median of the pairs):",
            "",
            "| step | CPU ratio | CPU ratios | wall ratio | wall ratios |",
            "|---|---:|---|---:|---|",
        ]
        for step, found in pair["steps"].items():
            cpu = ", ".join(f"{r:.2f}" for r in found["cpu_ratios"])
            wall = ", ".join(f"{r:.2f}" for r in found["seconds_ratios"])
            lines.append(
                f"| {step} | {found['cpu_ratio']:.2f} | {cpu} "
                f"| {found['seconds_ratio']:.2f} | {wall} |"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
