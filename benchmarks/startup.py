"""How fast the command line starts: whole processes, as an admin types the commands.

    .venv/bin/python -m benchmarks.startup [--repeat 7]

Times ``rostersync --help``, ``rostersync plugins`` and ``rostersync status`` (on the
bundled example, synced once first) as subprocesses, each ``--repeat`` times, and prints
the median and the fastest run (the machines are shared and noisy; the fastest is the
closest to what the code costs). Goals: --help and plugins under 0.2 s, status under
0.4 s. Writes JSON to ``benchmarks/out/startup.json``.
"""

from __future__ import annotations

import argparse
import json
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


def rostersync(folder: Path, *args: str) -> float:
    """Seconds one ``rostersync ARGS`` process takes in ``folder``, start to exit."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "sync", *args],
        cwd=folder,
        check=True,
        stdout=subprocess.DEVNULL,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    return time.perf_counter() - started


def measure(repeat: int) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copytree(ROOT / "examples" / "impero", folder / "examples" / "impero")
        shutil.copy(ROOT / "config.toml", folder / "config.toml")
        rostersync(folder, "sync")  # status then reads a real run
        rows = {}
        for name, args in COMMANDS.items():
            times = [rostersync(folder, *args) for _ in range(repeat)]
            rows[name] = {
                "median": statistics.median(times),
                "fastest": min(times),
                "goal": GOALS[name],
            }
        return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    args = parser.parse_args()
    rows = measure(args.repeat)
    print(f"{'startup':<10} {'median s':>9} {'fastest s':>10} {'goal s':>7}")
    for name, row in rows.items():
        print(f"{name:<10} {row['median']:>9.3f} {row['fastest']:>10.3f} {row['goal']:>7.1f}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "startup.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
