"""Portable tool schemas: no `type` lists and no untyped subschemas in what tools/list serves, which
some clients reject; checked on the served list (every tool, shape pointers included) and with the
MCP Inspector CLI's own --strict portability check (Inspector 2.12, npm alias inspector-strict)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from instantly_mcp.config import Settings
from instantly_mcp.transport.runtime import build_runtime

from support.node import NODE_DIR, NodeToolMissing, node22, node22_env, npx_bin

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from specgen.portable import portable

ROOT = Path(__file__).resolve().parents[2]
TYPED_BY = ("type", "anyOf", "oneOf", "allOf", "$ref", "enum", "const", "not")


def unportable(schema: Any, path: str = "") -> list[str]:
    found: list[str] = []
    if not isinstance(schema, dict):
        return found
    if isinstance(schema.get("type"), list):
        found.append(f"{path}: type {schema['type']}")
    for key in ("properties", "patternProperties", "$defs"):
        for name, sub in (schema.get(key) or {}).items():
            if isinstance(sub, dict) and not any(k in sub for k in TYPED_BY):
                found.append(f"{path}.{name}: untyped")
            found += unportable(sub, f"{path}.{name}")
    for key in ("items", "additionalProperties"):
        sub = schema.get(key)
        if isinstance(sub, dict):
            if not any(k in sub for k in TYPED_BY):
                found.append(f"{path}.{key}: untyped")
            found += unportable(sub, f"{path}.{key}")
    for key in ("anyOf", "oneOf", "allOf"):
        for i, sub in enumerate(schema.get(key) or []):
            found += unportable(sub, f"{path}.{key}[{i}]")
    return found


@pytest.mark.parametrize("flags", [{}, {"toolsets": ("leads",)}])
def test_every_served_schema_is_portable(flags: dict) -> None:
    tools = build_runtime(Settings(**flags)).tools
    problems = {tool.name: found for tool in tools if (found := unportable(tool.input_schema))}
    assert not problems


def test_portable_spells_type_lists_and_untyped_schemas_as_anyof() -> None:
    schema = {
        "type": "object",
        "properties": {
            "budget": {"type": ["number", "null"], "description": "null = unlimited", "minimum": 0},
            "kind": {"description": "a number or a string"},
            "vars": {"type": "object", "additionalProperties": {"type": ["string", "number"]}},
        },
    }
    out = portable(schema)["properties"]
    assert out["budget"] == {
        "description": "null = unlimited",
        "minimum": 0,
        "anyOf": [{"type": "number"}, {"type": "null"}],
    }
    assert {b["type"] for b in out["kind"]["anyOf"]} == {"string", "number", "boolean", "object", "array"}
    assert out["vars"]["additionalProperties"] == {"anyOf": [{"type": "string"}, {"type": "number"}]}
    assert unportable(schema) and not unportable(portable(schema))


@pytest.mark.e2e  # starts a process
def test_inspector_strict_finds_no_portability_problem() -> None:
    try:
        command = [
            str(node22()),
            str(npx_bin("inspector-strict")),
            "--strict",
            "--method",
            "tools/list",
            "-e",
            f"PYTHONPATH={ROOT}",
            sys.executable,
            "-m",
            "instantly_mcp.cli",
        ]
    except NodeToolMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=node22_env(), cwd=NODE_DIR)
    assert done.returncode == 0, done.stderr[-4000:]
    assert '"tools"' in done.stdout and "Warning:" not in done.stderr and "Error:" not in done.stderr, done.stderr[
        -4000:
    ]
