"""Several daemons on one PostgreSQL store, and a daemon that crashes mid-run."""

from __future__ import annotations

import json
import re
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sync.daemon_support import Site, site_fixture, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SLOT_LINE = re.compile(r"sync default slot (\S+): (ran run \d+|skipped, [^\n]*)")


@pytest.fixture
def pg_site(tmp_path: Path, pg_url: str) -> Iterator[Site]:
    yield from site_fixture(tmp_path, pg_url)


def test_two_daemons_run_each_scheduled_slot_once(pg_site: Site) -> None:
    site = pg_site
    first, second = site.start_daemon("first"), site.start_daemon("second")
    wait_for("six scheduled runs", lambda: len(site.scheduled_runs()) >= 6)
    assert site.stop(first) == 0 and site.stop(second) == 0

    decisions: dict[str, list[str]] = {}
    for name in ("first", "second"):
        for slot, decision in SLOT_LINE.findall(site.log(name)):
            decisions.setdefault(slot, []).append(f"{name}: {decision}")
    ran = Counter(slot for slot, ds in decisions.items() for d in ds if ": ran run" in d)
    assert ran and max(ran.values()) == 1, decisions  # never twice in one slot
    runs = site.scheduled_runs()
    assert len(runs) == sum(ran.values())  # every run is one slot's one run
    contested = [ds for ds in decisions.values() if len(ds) == 2]
    assert contested, decisions  # both daemons did fire for the same slots
    yielded = ("another daemon is running it", "already did it")
    assert any(any(y in d for d in ds for y in yielded) for ds in contested), decisions
    assert {r.summary.status.value for r in runs} == {"ok"}


def test_a_run_lock_held_by_a_killed_daemon_is_taken_over(pg_site: Site) -> None:
    site = pg_site
    site.arm()
    crashed = site.start_daemon("crashed")
    site.wait_until_gated()
    stuck = site.runs()[-1].summary
    crashed.send_signal(signal.SIGKILL)
    crashed.wait(timeout=60)

    manual = site.cli("sync", "--json")
    assert manual.returncode == 0, manual.stderr
    assert f"took over the lock of run {stuck.id}" in manual.stderr
    assert json.loads(manual.stdout)["status"] == "ok"
    by_id = {r.summary.id: r.summary for r in site.runs()}
    assert by_id[stuck.id].status.value == "interrupted"
    assert "stopped before it finished" in by_id[stuck.id].error

    survivor = site.start_daemon("survivor")
    wait_for("a scheduled run of the next daemon", lambda: len(site.scheduled_runs()) >= 2)
    assert site.stop(survivor) == 0
    assert site.scheduled_runs()[-1].summary.status.value == "ok"
