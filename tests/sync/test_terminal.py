"""Control characters never reach a terminal raw."""

from __future__ import annotations

from sync.terminal import printable


def test_terminal_escapes_are_shown_not_sent() -> None:
    assert printable("\x1b[2J\x1b[31mPWNED") == "\\x1b[2J\\x1b[31mPWNED"
    assert printable("7A\rOK") == "7A\\x0dOK"
    assert printable("evil\u202etxt.exe") == "evil\\u202etxt.exe"
    assert printable("\x9b31m") == "\\x9b31m"


def test_ordinary_text_is_unchanged() -> None:
    text = "Renée Ó Dónaill,\t7A\nGrüße 中文 ✓"
    assert printable(text) == text
