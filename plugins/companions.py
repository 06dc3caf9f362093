"""Access rights as companion groups, shared by the targets that keep them that way
(``scim``, ``ldap``): a group's access list is an owned group "<name> - staff", one per set
of access options, marked as the companion of the group's key.

A marker is ``<prefix><key>`` for a group and ``<prefix><key>#access[:opt,opt]`` for its
companions; the prefix (``rostersync:<sync>:``) says which sync owns them.
"""

from __future__ import annotations

from dataclasses import dataclass

#: What follows a group's key in the marker of its companion (access) groups.
ACCESS_MARK = "#access"


def default_prefix(sync: str) -> str:
    return f"rostersync:{sync}:"


@dataclass(frozen=True)
class Marked:
    """What a marker says: the group's key and, for a companion, its access options."""

    key: str
    options: frozenset[str] | None = None  # None: the group itself, not a companion

    @property
    def companion(self) -> bool:
        return self.options is not None


def marker(prefix: str, key: str, options: frozenset[str] | None = None) -> str:
    """The marker of group ``key`` (``options=None``) or of its companion for ``options``."""
    if options is None:
        return prefix + key
    tail = ":" + ",".join(sorted(options)) if options else ""
    return f"{prefix}{key}{ACCESS_MARK}{tail}"


def parse_marker(prefix: str, text: str) -> Marked | None:
    """What ``text`` marks, or None when it is not a marker of this prefix."""
    if not text.startswith(prefix):
        return None
    rest = text[len(prefix) :]
    key, mark, tail = rest.rpartition(ACCESS_MARK)
    if mark and key and (tail == "" or tail.startswith(":")):
        return Marked(key, frozenset(o for o in tail[1:].split(",") if o))
    return Marked(rest) if rest else None


def companion_name(name: str, suffix: str, options: frozenset[str]) -> str:
    """The name of a group's companion for ``options``: "Potions - staff (basic)"."""
    extra = f" ({', '.join(sorted(options))})" if options else ""
    return f"{name}{suffix}{extra}"
