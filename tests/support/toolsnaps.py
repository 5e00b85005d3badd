"""Snapshots of what agents receive (after github-mcp-server's __toolsnaps__).

Each configuration gets a folder under tests/__toolsnaps__/: one JSON file per served tool, exactly as
tools/list served it through the SDK client, and `_server.json` with the server's name, instructions and
the tools in served order. A file per tool keeps a review diff to the tools that changed.
`UPDATE_TOOLSNAPS=1` rewrites a configuration's folder; otherwise a missing or stale snapshot fails.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

from mcp import Client

from instantly_mcp.config import Settings
from instantly_mcp.transport.server import build_server

SNAPS = Path(__file__).resolve().parents[1] / "__toolsnaps__"
SERVER_FILE = "_server.json"
UPDATE_HINT = "UPDATE_TOOLSNAPS=1 python -m pytest tests/transport/test_toolsnaps.py"
MAX_DIFF_LINES = 200


def dumps(value: Any) -> str:
    """Pretty-printed, keys in served order (the server builds them deterministically), newline at the end."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


async def served(settings: Settings) -> dict[str, str]:
    """File name → content of everything an agent receives from a server with these settings."""
    async with Client(build_server(settings), mode="legacy") as client:
        listed = (await client.list_tools()).model_dump(mode="json", by_alias=True, exclude_none=True)
        info = client.server_info
        server = {
            "serverInfo": info.model_dump(mode="json", by_alias=True, exclude_none=True) if info else None,
            "instructions": client.instructions,
            "listing": {key: value for key, value in listed.items() if key != "tools"},
            "tools": [tool["name"] for tool in listed["tools"]],
        }
    files = {SERVER_FILE: dumps(server)}
    files.update({f"{tool['name']}.json": dumps(tool) for tool in listed["tools"]})
    return files


def recorded(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(folder.glob("*.json"))} if folder.is_dir() else {}


def write(folder: Path, files: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for stale in set(recorded(folder)) - set(files):
        (folder / stale).unlink()
    for name, content in files.items():
        (folder / name).write_text(content)


def differences(folder: Path, files: dict[str, str]) -> str:
    """A unified diff from the recorded snapshot to what is served now ('' when they match)."""
    old = recorded(folder)
    lines: list[str] = []
    for name in sorted(set(old) | set(files)):
        before, after = old.get(name, ""), files.get(name, "")
        if before != after:
            lines += difflib.unified_diff(
                before.splitlines(), after.splitlines(), f"recorded/{name}", f"served/{name}", lineterm=""
            )
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... {len(lines) - MAX_DIFF_LINES} more diff lines"]
    return "\n".join(lines)


def check(name: str, files: dict[str, str], *, root: Path = SNAPS, update: bool | None = None) -> None:
    """Fails with a diff when the snapshot `name` is missing or stale; rewrites it when updating."""
    folder = root / name
    if update is None:
        update = os.environ.get("UPDATE_TOOLSNAPS") == "1"
    if update:
        write(folder, files)
        return
    if not folder.is_dir():
        raise AssertionError(f"No tool snapshot for {name!r} at {folder}. Record it with: {UPDATE_HINT}")
    diff = differences(folder, files)
    if diff:
        raise AssertionError(
            f"What agents receive under {name!r} changed. If the change is intended, record it with "
            f"{UPDATE_HINT} and commit the reviewed diff of {folder.relative_to(root.parent.parent)}:\n{diff}"
        )
