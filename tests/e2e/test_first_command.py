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

from support.checkout import fresh_checkout

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


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


def test_without_apt_get_setup_skips_the_system_package_tests_instead_of_stopping(tmp_path: Path) -> None:
    """macOS and other systems without apt-get: setup.sh says which tests are skipped and why, and
    records the package for scripts/test.sh (INSTANTLY_TESTS_WITHOUT), instead of exiting."""
    checkout = fresh_checkout(tmp_path)
    tools = tmp_path / "bin"  # the commands setup.sh uses, but no apt-get and no redis-server
    tools.mkdir()
    for name in ("bash", "date", "mkdir", "cat", "sha256sum", "cut", "dirname", "tail", "id", "printf"):
        found = shutil.which(name)
        if found:
            (tools / name).symlink_to(found)
    done = subprocess.run(
        ["bash", "scripts/setup.sh"],
        cwd=checkout,
        env={"PATH": str(tools), "HOME": str(tmp_path), "INSTANTLY_SETUP_STEPS": "redis"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "redis-server: apt-get not found; the tests that need redis-server are skipped" in done.stdout
    assert (checkout / ".cache" / "setup" / "without").read_text().split() == ["redis-server"]
