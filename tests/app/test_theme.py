"""app/theme.py is the one place for colours: the docks and editors name a role instead of
writing a colour, so that one meaning (an error, the selection) has one colour."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtGui", reason="PySide6 cannot load (missing Qt system libs)")

from app import theme  # noqa: E402

APP = Path(__file__).resolve().parents[2] / "app"
# Not switched over yet (their colours are named in theme.py already).
PENDING = {"timeline_view.py", "main.py"}
LITERAL = re.compile(r"QColor\(\s*\d|#[0-9a-fA-F]{3,8}\b(?!\s*noqa)|Qt\.GlobalColor")


def test_no_colour_literals_outside_the_theme() -> None:
    found = []
    for path in sorted(APP.glob("*.py")):
        if path.name in PENDING | {"theme.py"}:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0] if line.lstrip().startswith("#") else line
            if LITERAL.search(code):
                found.append(f"{path.name}:{n}: {line.strip()}")
    assert not found, "colour literals outside app/theme.py:\n" + "\n".join(found)


def test_one_error_red() -> None:
    red = theme.hex_of(theme.ERROR)
    assert red == "#e53935"
    assert red in theme.ERROR_STYLE and red in theme.ERROR_TEXT_STYLE
    assert red in theme.error_html("x")
    assert theme.GHOST_REFUSED.rgb() == theme.ERROR.rgb()
    assert theme.hex_of(theme.STALE) in theme.STALE_STYLE
