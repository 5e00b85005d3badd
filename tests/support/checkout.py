"""A newcomer's copy of this checkout (tracked files only, no tests), and uv from the `test` extra."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def fresh_checkout(tmp_path: Path) -> Path:
    copy = tmp_path / "instantly-mcp"
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    )
    for name in tracked:
        if name and not name.startswith(("tests/", "bench/", "scripts/node/")) and (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    return copy


def uv() -> str:
    """uv from the `test` extra: next to this interpreter (a venv that is not activated), else on PATH."""
    beside = Path(sys.executable).parent / "uv"
    found = str(beside) if beside.is_file() else shutil.which("uv")
    if found is None:
        pytest.fail("uv not found: it is in the `test` extra (bash scripts/setup.sh installs it)", pytrace=False)
    return found
