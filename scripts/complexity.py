#!/usr/bin/env python3
"""Fail when a handwritten function is over cyclomatic complexity 20 (radon; generated models excluded)."""

from __future__ import annotations

from pathlib import Path

from radon.complexity import cc_visit

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 20
GENERATED = ROOT / "instantly_mcp" / "catalog" / "models"


def over_limit() -> list[str]:
    found = []
    for path in sorted([*(ROOT / "instantly_mcp").rglob("*.py"), *(ROOT / "scripts").rglob("*.py")]):
        if path.is_relative_to(GENERATED) or "node_modules" in path.parts:
            continue
        found += [
            f"{path.relative_to(ROOT)}:{block.lineno} {block.fullname}: {block.complexity}"
            for block in cc_visit(path.read_text(encoding="utf-8"))
            if block.complexity > LIMIT
        ]
    return found


def main() -> int:
    found = over_limit()
    for line in found:
        print(line)
    print(f"{len(found)} function(s) over complexity {LIMIT}" if found else f"no function over complexity {LIMIT}")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
