"""docs/plugins.md has one heading per hook with its exact signature (as datasette does)."""

from __future__ import annotations

import inspect
import re

import pytest

from sync import hookspecs
from tests.conftest import ROOT

DOC = (ROOT / "docs" / "plugins.md").read_text()
HOOKS = sorted(
    name
    for name, value in vars(hookspecs).items()
    if inspect.isfunction(value) and hasattr(value, "rostersync_spec")
)


def test_there_are_hooks() -> None:
    assert HOOKS == [
        "register_commands",
        "register_sources",
        "register_targets",
        "register_web_pages",
        "sync_finished",
    ]


@pytest.mark.parametrize("hook", HOOKS)
def test_each_hook_has_a_heading_and_its_exact_signature(hook: str) -> None:
    assert re.search(rf"^### {hook}$", DOC, re.MULTILINE), f"no heading for {hook}"
    source = inspect.getsource(getattr(hookspecs, hook))
    signature = source[source.index("def ") : source.index(":\n") + 1]
    assert " ".join(signature.split()) in " ".join(DOC.split())


def test_every_documented_hook_exists() -> None:
    assert sorted(re.findall(r"^### (\w+)$", DOC[DOC.index("## Hooks") :], re.MULTILINE)) == HOOKS
