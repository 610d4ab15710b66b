"""Print a pip constraints file that pins every requirement in pyproject.toml (the
dependencies and the given extras) to its floor, ``name==X`` for ``name>=X``: pip has no
"lowest versions" resolution, so `make test-lowest` installs with these constraints.

    python scripts/lowest_constraints.py [--extras dev,generate,farm] [--except torch]

A requirement without a floor is left free; ``--except`` leaves named ones to the caller
(torch: the Makefile installs TORCH_SPEC, the CPU wheel, instead of the floor's CUDA build).
Markers are kept, so the Python-version-dependent PySide6 lines stay correct."""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(\[[^\]]*\])?\s*([^;]*?)\s*(;.*)?$")


def floors(extras: list[str], skip: set[str]) -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in extras:
        requirements += project["optional-dependencies"][extra]
    lines: list[str] = []
    for req in requirements:
        m = REQUIREMENT.match(req)
        if m is None:
            raise SystemExit(f"cannot read the requirement {req!r} in pyproject.toml")
        name, spec, marker = m[1], m[3], (m[4] or "")
        if name.lower() in skip:
            continue
        floor = re.search(r">=\s*([0-9][^,\s]*)", spec)
        if floor:
            lines.append(f"{name}=={floor[1]}{' ' + marker if marker else ''}")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--extras", default="dev,generate,farm")
    ap.add_argument("--except", dest="skip", default="", help="comma-separated names")
    args = ap.parse_args()
    extras = [e for e in args.extras.split(",") if e]
    skip = {s.strip().lower() for s in args.skip.split(",") if s.strip()}
    print("\n".join(floors(extras, skip)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
