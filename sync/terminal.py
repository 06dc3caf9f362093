"""Text for a terminal: control characters shown as escapes, never sent raw.

A class named ``\\x1b[2J\\x1b[31mPWNED`` (from a file or a target) must not clear an
admin's screen or forge a line of output, so every human-readable line rostersync
prints goes through ``printable``. JSON output needs nothing: ``json.dumps`` escapes them.
"""

from __future__ import annotations

import re

import click

# C0 controls but tab and newline, DEL, C1 controls, and the invisible characters that
# reorder or hide text (direction overrides and isolates, zero-width ones, a BOM).
_UNSAFE = re.compile(
    "[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u200b-\\u200f\\u202a-\\u202e\\u2066-\\u2069\\ufeff]"
)


def _escape(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every unsafe character written as a Python-style escape."""
    return _UNSAFE.sub(_escape, text)


def echo(message: str = "", *, err: bool = False) -> None:
    """``click.echo`` of a human-readable line, made ``printable``."""
    click.echo(printable(message), err=err)
