"""The Claude Desktop bundle as Desktop gets it: `mcpb pack` of this checkout (the official tool), its
file list, a lock file that is current, and the server started the way the manifest tells Desktop to
start it (uv run from the unpacked bundle), listed by the SDK client."""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from support.checkout import uv
from support.node import NODE_DIR, NodeToolMissing, node22, node22_env, npx_bin

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = {"manifest.json", "pyproject.toml", "uv.lock", "icon.png", "README.md", "instantly_mcp", "tool_specs"}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "instantly-mcp.mcpb"
    (ROOT / ".pytest_cache").mkdir(exist_ok=True)  # what a developer's checkout has lying around
    stray = ROOT / f"notes-{os.getpid()}.txt"  # and an untracked file of their own
    try:
        command = [str(node22()), str(npx_bin("mcpb")), "pack", str(ROOT), str(out)]
    except NodeToolMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    stray.write_text("my campaign ideas\n")
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=node22_env(), cwd=NODE_DIR)
    finally:
        stray.unlink()
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def test_the_bundle_ships_the_server_its_lock_and_icon_and_nothing_else(bundle: Path) -> None:
    names = zipfile.ZipFile(bundle).namelist()
    assert {name.split("/")[0] for name in names} == SHIPPED
    assert not [n for n in names if "__pycache__" in n or ".pytest_cache" in n or n.endswith(".pyc")]
    manifest = json.loads(zipfile.ZipFile(bundle).read("manifest.json"))
    assert manifest["icon"] in names and zipfile.ZipFile(bundle).read("icon.png")[:8] == b"\x89PNG\r\n\x1a\n"
    assert "--frozen" in manifest["server"]["mcp_config"]["args"]  # the lock is used as is, never re-resolved


def test_the_lock_file_matches_pyproject() -> None:
    done = subprocess.run([uv(), "lock", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, "uv.lock is stale: run `uv lock` and commit it\n" + done.stderr[-2000:]


def test_desktop_starts_the_unpacked_bundle_as_its_manifest_says(bundle: Path, tmp_path: Path) -> None:
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(bundle).extractall(unpacked)
    config = json.loads((unpacked / "manifest.json").read_text())["server"]["mcp_config"]
    assert config["command"] == "uv"
    args = [arg.replace("${__dirname}", str(unpacked)) for arg in config["args"]]
    # Desktop's own environment (proxy and certificate settings pass through; no PYTHONPATH, no venv)
    # plus the manifest's env from user_config: key left empty, read only ticked.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INSTANTLY_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(PATH=f"{Path(uv()).parent}:/usr/bin:/bin", INSTANTLY_API_KEY="", INSTANTLY_READ_ONLY="true")

    async def run() -> list[str]:
        async with Client(StdioServerParameters(command=uv(), args=args, env=env, cwd=str(tmp_path))) as client:
            return [tool.name for tool in (await client.list_tools()).tools]

    names = anyio.run(run)
    assert "list_campaigns" in names and "delete_campaign" not in names
