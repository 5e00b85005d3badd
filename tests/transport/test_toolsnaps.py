"""What agents see, per configuration, held against the recorded snapshots in tests/__toolsnaps__/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest

from instantly_mcp.config import Settings

from support.toolsnaps import SERVER_FILE, UPDATE_HINT, check, served

# One line per configuration: folder name → the Settings fields that differ from the defaults.
CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "default": {},
    "read_only": {"read_only": True},
    "confirm_off": {"confirm": "off"},
    "discover": {"tools": ("discover",)},
    "code": {"tools": ("code",)},
}


def serve(**settings: Any) -> dict[str, str]:
    return anyio.run(served, Settings(sandbox=True, **settings))


@pytest.mark.parametrize("name", CONFIGURATIONS)
def test_served_tools_match_the_snapshot(name: str) -> None:
    check(name, serve(**CONFIGURATIONS[name]))


def test_snapshots_hold_tools_and_instructions_as_served() -> None:
    files = serve(read_only=True)
    server = json.loads(files[SERVER_FILE])
    assert server["instructions"].startswith("Tools for the Instantly.ai API V2")
    assert server["tools"] and all(json.loads(files[f"{tool}.json"])["name"] == tool for tool in server["tools"])
    tool = json.loads(files[f"{server['tools'][0]}.json"])
    assert tool["annotations"]["readOnlyHint"] is True
    assert {"fields", "max_items"} <= set(tool["inputSchema"]["properties"])


def test_a_missing_snapshot_fails_and_says_how_to_record_it(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="No tool snapshot") as failure:
        check("fresh", {"a.json": "{}\n"}, root=tmp_path, update=False)
    assert UPDATE_HINT in str(failure.value)


def test_a_stale_snapshot_fails_with_a_diff_and_updating_rewrites_it(tmp_path: Path) -> None:
    check("mode", {"a.json": '{"x": 1}\n', "gone.json": "{}\n"}, root=tmp_path, update=True)
    now = {"a.json": '{"x": 2}\n', "new.json": "{}\n"}
    with pytest.raises(AssertionError) as failure:
        check("mode", now, root=tmp_path, update=False)
    message = str(failure.value)
    assert UPDATE_HINT in message
    assert '-{"x": 1}' in message and '+{"x": 2}' in message
    assert "recorded/gone.json" in message and "served/new.json" in message
    check("mode", now, root=tmp_path, update=True)
    assert sorted(p.name for p in (tmp_path / "mode").iterdir()) == ["a.json", "new.json"]
    check("mode", now, root=tmp_path, update=False)
