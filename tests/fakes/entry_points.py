"""Make a plugin discoverable through a real entry point, without pip.

Writes a ``NAME-VERSION.dist-info`` folder with ``entry_points.txt`` into a directory
that a subprocess then gets on its ``PYTHONPATH``: importlib.metadata finds it exactly
as it finds an installed package.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def install_entry_point(site: Path, distribution: str, name: str, module: str) -> Path:
    info = site / f"{distribution.replace('-', '_')}-1.0.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 1.0.0\n")
    (info / "entry_points.txt").write_text(f"[rostersync]\n{name} = {module}\n")
    return site


def rostersync_env(*paths: Path) -> dict[str, str]:
    """The environment for a ``python -m sync`` subprocess that sees ``paths`` too."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*(str(p) for p in paths), str(ROOT)])
    env.pop("ROSTERSYNC_CONFIG", None)
    return env


def run_rostersync(
    *args: str, env: dict[str, str], timeout: float = 120, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sync", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
