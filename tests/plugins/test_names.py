"""Group names filled in from templates: ``tidy`` folds what a blank field leaves behind."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from plugins.names import tidy

_EMPTY_BRACKETS = re.compile(r"\(\s*\)|\[\s*\]")
_SPACES = re.compile(r"\s+")


def _tidied(name: str) -> str:
    """What ``tidy`` does, written out in full (its quick path must agree)."""
    return _SPACES.sub(" ", _EMPTY_BRACKETS.sub("", name)).strip(" -:,")


@given(st.text(alphabet=st.sampled_from("Ab7 ()[]-:,\t\n\xa0\u2003é"), max_size=20))
def test_tidy_folds_brackets_spaces_and_ends_whatever_the_name(name: str) -> None:
    assert tidy(name) == _tidied(name)


def test_a_blank_field_leaves_no_trace() -> None:
    assert tidy("Maths 7A () - ") == "Maths 7A"
    assert tidy("Section 00001 P1") == "Section 00001 P1"
    assert tidy("  Art\t[ ]  Year  9 ") == "Art Year 9"
