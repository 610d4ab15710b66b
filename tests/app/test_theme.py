"""app/theme.py is the one place for colours: the docks and editors name a role instead of
writing a colour, so that one meaning (an error, the selection) has one colour."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtGui", reason="PySide6 cannot load (missing Qt system libs)")

from app import theme  # noqa: E402

APP = Path(__file__).resolve().parents[2] / "app"
HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})\b")
CODE = re.compile(r"QColor\(\s*(?:\d|['\"])|Qt\.GlobalColor")


def _literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of colour literals in code and strings (comments do not count)."""
    found = []
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    for tok in tokens:
        if tok.type == tokenize.STRING and HEX.search(tok.string):
            found.append((tok.start[0], tok.string))
    lines = source.splitlines()
    code_lines = {t.start[0] for t in tokens if t.type == tokenize.NAME and t.string in
                  ("QColor", "Qt")}
    for n in sorted(code_lines):
        line = lines[n - 1].split("#", 1)[0]
        if CODE.search(line):
            found.append((n, line.strip()))
    return found


def test_no_colour_literals_outside_the_theme() -> None:
    found = []
    for path in sorted(APP.glob("*.py")):
        if path.name == "theme.py":
            continue
        found += [f"{path.name}:{n}: {text}" for n, text in _literals(path.read_text())]
    assert not found, "colour literals outside app/theme.py:\n" + "\n".join(found)


def test_one_error_red() -> None:
    red = theme.hex_of(theme.ERROR)
    assert red == "#e53935"
    assert red in theme.ERROR_STYLE and red in theme.ERROR_TEXT_STYLE
    assert red in theme.error_html("x")
    assert theme.GHOST_REFUSED.rgb() == theme.ERROR.rgb()
    assert theme.hex_of(theme.STALE) in theme.STALE_STYLE
