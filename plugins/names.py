"""Group name templates (``group_name = "{title} ({periods})"``), shared by the sources."""

from __future__ import annotations

import re
import string
from collections.abc import Set

_EMPTY_BRACKETS = re.compile(r"\(\s*\)|\[\s*\]")
_SPACES = re.compile(r"\s+")


def template_fields(template: str) -> set[str]:
    """The fields a template names; raises ``ValueError`` for a malformed one."""
    names = set()
    for _, name, _, _ in string.Formatter().parse(template):
        if name is None:
            continue
        if not name or not name.isidentifier():
            raise ValueError(f"{{{name}}} is not a plain field name")
        names.add(name)
    return names


def check_template(template: str, known: Set[str]) -> str:
    """``template`` when it names only ``known`` fields; else ``ValueError`` saying why
    (for an options validator)."""
    try:
        names = template_fields(template)
    except ValueError as exc:
        raise ValueError(f"is not a valid template: {exc}") from None
    unknown = names - known
    if unknown:
        raise ValueError(
            f"names unknown fields {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}"
        )
    return template


def tidy(name: str) -> str:
    """A filled-in template with empty brackets, doubled spaces and stray ends removed."""
    if (
        name.isascii()
        and name.isprintable()  # (so its only white space is single spaces: none to fold)
        and "  " not in name
        and "(" not in name
        and "[" not in name
    ):
        return name.strip(" -:,")  # (nearly every name: a district has thousands)
    return _SPACES.sub(" ", _EMPTY_BRACKETS.sub("", name)).strip(" -:,")
