"""What an admin probably meant: the known names closest to a mistyped one, said the same
way by every command and console page that refuses an unknown name."""

from __future__ import annotations

import difflib
from collections.abc import Collection


def closest(key: str, known: Collection[str]) -> list[str]:
    """The (at most three) known names closest to a mistyped one, closest first."""
    return difflib.get_close_matches(key, sorted(known), n=3, cutoff=0.6)


def did_you_mean(key: str, known: Collection[str]) -> str:
    """``"; did you mean a, b?"`` naming the known names closest to ``key``, or ``""``."""
    close = closest(key, known)
    return f"; did you mean {', '.join(close)}?" if close else ""
