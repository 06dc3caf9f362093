"""What the contract suites share: a plugin names the tests that do not apply to it.

A suite never skips. A plugin's test class lists in ``not_applicable`` the suite's tests
that cannot apply to it (a file has no passing faults; a target that does not claim staff
profiles), each with the reason; those tests are not collected at all, so a run of the
suite reports only what it checked, and a test the plugin forgot to provide for fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, NoReturn

import pytest


class Suite:
    """Base of ``SourceContract`` and ``TargetContract``."""

    #: Test name -> why it does not apply to this plugin.
    not_applicable: ClassVar[Mapping[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, reason in cls.not_applicable.items():
            if not name.startswith("test_") or not hasattr(cls, name):
                raise TypeError(f"{cls.__name__}.not_applicable: the suite has no test {name!r}")
            if not reason.strip():
                raise TypeError(f"{cls.__name__}.not_applicable[{name!r}] gives no reason")
            setattr(cls, name, None)  # pytest collects no attribute that is not callable


def provide(what: str, test: str) -> NoReturn:
    """Fail a test whose fixture the plugin did not provide (never skip it silently)."""
    pytest.fail(
        f"no {what}: provide the fixture, or list {test!r} in not_applicable with the reason",
        pytrace=False,
    )
