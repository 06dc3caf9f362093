"""Measure the console's pages over a district's history.

    .venv/bin/python -m benchmarks.web --size 50000 --runs 500

Syncs a district of ``--size`` students (Impero CSV -> directory, SQLite) twice (a first
full sync and a resync after 1% of memberships moved), then records ``--runs`` runs of
history in all (each with changes and rejected rows, written straight to the store), and
serves the console with uvicorn on 127.0.0.1. It then asks, as a signed-in admin, for the
overview, the newest run's page, and the first run's page (every membership of the
district), ``--repeat`` times each, and prints the median and worst time of each.
``--metrics-runs`` adds runs up to that many and times ``/metrics`` over them. Writes JSON
to ``benchmarks/out/web.json``. The goal: each page under 200 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.district import generate, move_one_percent, write_impero  # noqa: E402

CONFIG = """\
[state]
url = "sqlite:///{folder}/state.db"

[sync]
sources = ["district"]
target = "directory"

[sync.schedule]
cron = "0 6 * * *"

[sources.district]
plugin = "impero_csv"
path = "impero"

[targets.directory]
plugin = "directory"
"""
PASSWORD = "benchmark-password"


def add_history(store: Any, sync: str, upto: int) -> None:
    """Runs recorded as a daemon leaves them, up to ``upto`` runs in all, in bulk."""
    import sqlalchemy as sa

    from sync.model import Change, ChangeKind
    from sync.store import issue_t, pack_changes, run_t

    with store.engine.connect() as c:
        have = c.execute(sa.select(sa.func.count()).select_from(run_t)).scalar() or 0
    start = datetime.now(UTC) - timedelta(days=upto)
    changes = [
        Change(ChangeKind.ADD_MEMBER, "Section 00001 P1", "", f"s{i:06d}") for i in range(40)
    ]
    plan = pack_changes(changes)
    rows, issues = [], []
    for n in range(have, upto):
        at = start + timedelta(hours=n)
        rows.append(
            {
                "sync": sync,
                "trigger": "scheduled",
                "status": "ok" if n % 10 else "partial",
                "step": "",
                "dry_run": False,
                "started_at": at,
                "finished_at": at + timedelta(seconds=20 + n % 40),
                "holder": "",
                "counts": json.dumps({"add_member": 40, "remove_member": n % 7}),
                "planned": "{}",
                "issues": 3,
                "retries": 0,
                "error": "",
                "plan": plan,
                "target_fingerprint": "",
            }
        )
    with store.engine.begin() as c:
        for chunk in range(0, len(rows), 5000):
            c.execute(sa.insert(run_t), rows[chunk : chunk + 5000])
        ids = [
            i for (i,) in c.execute(sa.select(run_t.c.id).order_by(run_t.c.id.desc()).limit(500))
        ]
        for run_id in ids:
            issues += [
                {
                    "run_id": run_id,
                    "severity": "error",
                    "source": "district",
                    "file": "students.csv",
                    "line": 100 + k,
                    "field": "class",
                    "value": "",
                    "message": "the class is empty",
                }
                for k in range(3)
            ]
        if issues and have < 500:
            c.execute(sa.insert(issue_t), issues)


def timed(client: Any, path: str, repeat: int) -> dict[str, float]:
    seconds = []
    for _ in range(repeat):
        begin = time.perf_counter()
        answer = client.get(path)
        seconds.append(time.perf_counter() - begin)
        if answer.status_code != 200:
            raise RuntimeError(f"{path} answered {answer.status_code}")
    return {
        "first_ms": 1000 * seconds[0],
        "median_ms": 1000 * statistics.median(seconds[1:] or seconds),
        "worst_ms": 1000 * max(seconds[1:] or seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--metrics-runs", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    args = parser.parse_args()

    import httpx

    from sync.app import App
    from sync.model import Trigger
    from sync.plugins import load_plugins
    from sync.run import RunRequest
    from sync.web import ConsoleServer, create_app
    from sync.web.accounts import Accounts
    from tests.web.conftest import sign_in

    report: dict[str, Any] = {"size": args.size, "runs": args.runs}
    with tempfile.TemporaryDirectory(prefix="rostersync-web-bench-") as work:
        folder = Path(work)
        district = generate(args.size)
        write_impero(district, folder / "impero")
        (folder / "config.toml").write_text(CONFIG.format(folder=folder))
        app = App(config_path=str(folder / "config.toml"), plugins=load_plugins(entry_points=False))
        first = app.engine.run(None, RunRequest(trigger=Trigger.MANUAL))
        add_history(app.store, "default", args.runs - 1)
        write_impero(move_one_percent(district), folder / "impero")
        newest = app.engine.run(None, RunRequest(trigger=Trigger.MANUAL))
        Accounts(app.config.state_url).add("admin", "admin", PASSWORD)
        web = app.config.web.model_copy(update={"port": 0})
        server = ConsoleServer(create_app(lambda: app, web=web), web)
        server.start()
        try:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                sign_in(client, "admin", PASSWORD)
                pages = {
                    "overview": "/",
                    f"run page, newest run ({newest.run_id})": f"/runs/{newest.run_id}",
                    f"run page, first sync ({first.run_id})": f"/runs/{first.run_id}",
                    "runs list": "/runs",
                }
                for name, path in pages.items():
                    report[name] = timed(client, path, args.repeat + 1)
                if args.metrics_runs:
                    add_history(app.store, "default", args.metrics_runs)
                    report[f"/metrics at {args.metrics_runs} runs"] = timed(
                        client, "/metrics", args.repeat + 1
                    )
        finally:
            server.close()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "web.json").write_text(json.dumps(report, indent=2))
    print(f"console pages, {args.size} students, {args.runs} runs of history:")
    for name, value in report.items():
        if isinstance(value, dict):
            print(
                f"  {name:<34} first {value['first_ms']:7.1f} ms   then median "
                f"{value['median_ms']:7.1f} ms, worst {value['worst_ms']:7.1f} ms"
            )


if __name__ == "__main__":
    main()
