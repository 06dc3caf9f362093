"""Fixtures: a fresh SCIM server per test, and targets pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from plugins.scim.target import ScimOptions, ScimTarget
from sync.testing import make_context
from tests.plugins.scim.server import TOKEN, ScimServer, running_scim_server


@pytest.fixture
def scim() -> Iterator[ScimServer]:
    with running_scim_server() as server:
        yield server


MakeTarget = Callable[..., ScimTarget]


@pytest.fixture
def make_target(scim: ScimServer, tmp_path: Path) -> Iterator[MakeTarget]:
    """``make_target(**options)``: a ScimTarget on the test server (closed afterwards)."""
    made: list[ScimTarget] = []

    def make(*, sync: str = "default", **options: Any) -> ScimTarget:
        options = {"create_users": True, "backoff_seconds": 0, **options}
        target = ScimTarget(
            ScimOptions(url=scim.url, token=TOKEN, **options),
            make_context(tmp_path, name="idp", sync=sync),
        )
        made.append(target)
        return target

    yield make
    for target in made:
        target.close()
