"""The README's first command as a newcomer runs it: `bash scripts/serve.sh` in a fresh copy of the
checkout, outside any virtualenv, with no PYTHONPATH. It makes its own venv (PEP 668 refuses
`pip install` into Debian's Python), installs, and serves the sandbox over stdio to the SDK client."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

from instantly_mcp.catalog.operations import load_operations

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


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


def newcomer_env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("INSTANTLY_") and k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    }


def test_readme_opens_with_the_two_commands() -> None:
    section = README.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"```sh\n(.*?)\n```", section, re.DOTALL) == ["bash scripts/serve.sh", "bash scripts/test.sh"]
    assert "pip install -e ." not in section


def test_first_command_installs_into_its_own_venv_and_serves_the_sandbox(tmp_path: Path) -> None:
    checkout = fresh_checkout(tmp_path)
    first = subprocess.run(
        ["bash", "scripts/serve.sh", "--version"],
        cwd=checkout,
        env=newcomer_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.stdout.strip().startswith("instantly-mcp ")  # stdout carries only the server's own output
    assert (checkout / ".venv" / "bin" / "instantly-mcp").is_file()

    async def run() -> tuple[int, bool]:
        params = StdioServerParameters(command="bash", args=["scripts/serve.sh"], env=newcomer_env(), cwd=str(checkout))
        async with Client(params) as client:
            tools = (await client.list_tools()).tools
            result = await client.call_tool("list_block_list_entries", {"limit": 1})
            return len(tools), result.is_error

    count, failed = anyio.run(run)
    assert count == len(load_operations()) and not failed
    runs_from = subprocess.run(
        [str(checkout / ".venv" / "bin" / "python"), "-c", "import instantly_mcp; print(instantly_mcp.__file__)"],
        capture_output=True,
        text=True,
        timeout=60,
        env=newcomer_env(),
        cwd="/",
    )
    assert runs_from.stdout.startswith(str(checkout))
