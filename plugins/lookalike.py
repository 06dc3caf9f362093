"""Look-alike identities: names that differ only in case are warned about.

The CSV readers normalise text to NFC and refuse invisible characters (see
``plugins.csvfile``), so what is left to confuse two people or two groups is case:
``Harry_Potter`` and ``harry_potter``, or the classes ``7a`` and ``7A``. They stay
separate (a target may tell them apart), but never without a warning.
"""

from __future__ import annotations

from collections.abc import Iterable

from sync.api import Issue, Severity


def case_variants(
    keys: Iterable[str], *, what: str, source: str, file: str, field: str
) -> list[Issue]:
    """A warning for every set of ``keys`` that differ only in case (``what``: "classes")."""
    keys = list(keys)
    if len(set(map(str.casefold, keys))) == len(set(keys)):
        return []  # (the usual case, found in C: district files have 100,000s of names)
    by_folded: dict[str, list[str]] = {}
    for key in dict.fromkeys(keys):
        by_folded.setdefault(key.casefold(), []).append(key)
    return [
        Issue(
            Severity.WARNING,
            f"{what} {', '.join(repr(k) for k in sorted(found))} differ only in case and "
            "are kept apart; if they are the same, correct the file",
            source=source,
            file=file,
            field=field,
            value=found[0],
        )
        for found in by_folded.values()
        if len(found) > 1
    ]
