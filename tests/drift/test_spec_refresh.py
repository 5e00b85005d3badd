"""Issue 15, item 11: `python scripts/generate.py --spec NEW.json` prints what changed (operations and fields
added, removed, changed) and regenerates from NEW.json; a NEW.json that the overrides no longer fit leaves
everything as it was. Run on a copy of the generator and its inputs, never on the checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e  # each test runs the generator in a process (about 20 s)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    for folder in ("scripts", "tool_specs"):
        shutil.copytree(
            ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("node_modules", "node", "__pycache__")
        )
    shutil.copytree(ROOT / "instantly_mcp", tmp_path / "instantly_mcp", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "docs").mkdir()
    shutil.copy2(ROOT / "docs" / "tools.md", tmp_path / "docs" / "tools.md")  # generated too (issue 16)
    shutil.copy2(ROOT / "README.md", tmp_path / "README.md")  # its settings table is generated (issue 25)
    return tmp_path


def generate(copy: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(copy)}
    return subprocess.run(
        [sys.executable, "scripts/generate.py", *args],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def newer_spec(copy: Path, edit) -> Path:
    spec = json.loads((copy / "tool_specs" / "source" / "openapi.json").read_text())
    edit(spec)
    path = copy / "new.json"
    path.write_text(json.dumps(spec))
    return path


def evolve(spec: dict) -> None:
    paths = spec["paths"]
    del paths["/api/v2/custom-tags/{id}"]["delete"]
    paths["/api/v2/custom-tags/archive"] = {
        "post": {
            **paths["/api/v2/custom-tags"]["post"],
            "summary": "Archive custom tags",
            "operationId": "archiveCustomTags",
        }
    }
    body = paths["/api/v2/custom-tags"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    body.setdefault("properties", {})["color"] = {"type": "string"}
    body["properties"]["label"] = {**body["properties"]["label"], "maxLength": 64}
    for param in paths["/api/v2/custom-tags"]["get"]["parameters"]:
        if param["name"] == "limit":
            param["schema"] = {**param["schema"], "maximum": 50}


def test_a_newer_spec_is_reported_and_adopted(copy: Path) -> None:
    new = newer_spec(copy, evolve)
    result = generate(copy, "--spec", str(new))
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "+ POST /api/v2/custom-tags/archive: Archive custom tags" in out
    assert "- DELETE /api/v2/custom-tags/{id}" in out
    assert "~ POST /api/v2/custom-tags\n" in out and "    + body.color (type='string')" in out
    assert (
        "    ~ body.label: required type='string', minLength=1 -> required type='string', minLength=1, maxLength=64"
        in out
    )
    assert "~ GET /api/v2/custom-tags\n" in out and "maximum=50" in out
    assert "1 operation(s) added, 1 removed" in out
    assert (copy / "tool_specs" / "source" / "openapi.json").read_bytes() == new.read_bytes()
    tools = {e["name"] for e in json.loads((copy / "tool_specs" / "CustomTag.json").read_text())["operations"]}
    assert "archive_custom_tags" in tools and "delete_custom_tag" not in tools
    assert generate(copy, "--check").returncode == 0


def test_a_spec_the_overrides_no_longer_fit_changes_nothing(copy: Path) -> None:
    before = (copy / "tool_specs" / "source" / "openapi.json").read_bytes()
    new = newer_spec(copy, lambda spec: spec["paths"].pop("/api/v2/account-campaign-mappings/{email}"))
    result = generate(copy, "--spec", str(new))
    assert result.returncode != 0 and "overrides name operations not in the spec" in result.stdout + result.stderr
    assert "- GET /api/v2/account-campaign-mappings/{email}" in result.stdout
    assert (copy / "tool_specs" / "source" / "openapi.json").read_bytes() == before
    assert generate(copy, "--check").returncode == 0
