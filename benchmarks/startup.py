"""How fast the command line starts: whole processes, as an admin types the commands.

    .venv/bin/python -m benchmarks.startup [--repeat 7]

Times ``rostersync --help``, ``rostersync plugins`` and ``rostersync status`` (on the
bundled example, synced once first) as subprocesses, each ``--repeat`` times, and prints
the median and the fastest run, start to exit, and the fastest CPU time (user + system)
of the process (the machines are shared and noisy; the fastest is the closest to what the
code costs, and CPU time does not count waiting for a busy core). Goals: --help and
plugins under 0.2 s, status under 0.4 s. Writes JSON to ``benchmarks/out/startup.json``.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {"--help": ["--help"], "plugins": ["plugins"], "status": ["status"]}
GOALS = {"--help": 0.2, "plugins": 0.2, "status": 0.4}


def rostersync(folder: Path, *args: str) -> tuple[float, float]:
    """Seconds one ``rostersync ARGS`` process takes in ``folder``: start to exit, and
    its CPU time (user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "sync", *args],
        cwd=folder,
        check=True,
        stdout=subprocess.DEVNULL,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(repeat: int) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copytree(ROOT / "examples" / "impero", folder / "examples" / "impero")
        shutil.copy(ROOT / "config.toml", folder / "config.toml")
        rostersync(folder, "sync")  # status then reads a real run
        rows = {}
        for name, args in COMMANDS.items():
            runs = [rostersync(folder, *args) for _ in range(repeat)]
            times = [wall for wall, _ in runs]
            rows[name] = {
                "median": statistics.median(times),
                "fastest": min(times),
                "fastest_cpu": min(cpu for _, cpu in runs),
                "goal": GOALS[name],
            }
        return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    args = parser.parse_args()
    rows = measure(args.repeat)
    print(f"{'startup':<10} {'median s':>9} {'fastest s':>10} {'cpu s':>7} {'goal s':>7}")
    for name, row in rows.items():
        print(
            f"{name:<10} {row['median']:>9.3f} {row['fastest']:>10.3f} "
            f"{row['fastest_cpu']:>7.3f} {row['goal']:>7.1f}"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "startup.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
