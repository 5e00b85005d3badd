"""One line to a running server, as a newcomer with a clean home directory has it: the wheel built
from a fresh copy, run with uvx, configured for Claude Desktop from `config claude-desktop` (which
refuses a path inside uv's cache and names the command that installs for good), and the configured
command started under `env -i` with a minimal PATH, as Desktop starts it, listed by the SDK client."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

from support.checkout import fresh_checkout, uv

PASSED_THROUGH = ("SSL_CERT_FILE", "SSL_CERT_DIR", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "UV_INDEX_URL")


def clean_home_env(home: Path) -> dict[str, str]:
    """A clean HOME; only the network settings (certificates, proxy, index) of this machine pass through."""
    kept = {k: v for k, v in os.environ.items() if k.upper() in PASSED_THROUGH}
    return {
        **kept,
        "HOME": str(home),
        "PATH": f"{Path(uv()).parent}:/usr/bin:/bin",
        "UV_TOOL_DIR": str(home / ".local" / "share" / "uv" / "tools"),
        "UV_TOOL_BIN_DIR": str(home / ".local" / "bin"),
    }


def run(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)


def test_the_wheel_runs_with_uvx_and_configures_desktop_from_a_clean_home(tmp_path: Path) -> None:
    checkout = fresh_checkout(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    env = clean_home_env(home)
    built = run([uv(), "build", "--wheel", "--out-dir", str(tmp_path / "dist")], env, checkout)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("instantly_v2_mcp-*-py3-none-any.whl")

    version = run([uv(), "tool", "run", "--from", str(wheel), "instantly-mcp", "--version"], env, home)
    assert version.returncode == 0 and version.stdout.startswith("instantly-mcp "), version.stderr[-3000:]
    cached = run([uv(), "tool", "run", "--from", str(wheel), "instantly-mcp", "config", "claude-desktop"], env, home)
    assert cached.returncode == 2 and cached.stdout == ""  # a path in uv's cache is refused...
    assert f"`uv tool install {wheel}`" in cached.stderr and "uv cache clean" in cached.stderr  # ...with the fix

    installed = run([uv(), "tool", "install", str(wheel)], env, home)
    assert installed.returncode == 0, installed.stderr[-3000:]
    script = home / ".local" / "bin" / "instantly-mcp"
    config = run([str(script), "config", "claude-desktop", "--", "--read-only"], env, home)
    assert config.returncode == 0, config.stderr
    entry = json.loads(config.stdout)["mcpServers"]["instantly"]
    assert entry["command"].startswith(str(home)) and entry["args"] == ["--read-only"]

    async def connect() -> tuple[list[str], bool]:
        minimal = ["-i", "PATH=/usr/bin:/bin", entry["command"], *entry["args"]]
        params = StdioServerParameters(command="/usr/bin/env", args=minimal, cwd="/")
        async with Client(params) as client:
            names = [tool.name for tool in (await client.list_tools()).tools]
            listed = await client.call_tool("list_campaigns", {"limit": 1})
            return names, bool(listed.is_error)

    names, failed = anyio.run(connect)
    assert "list_campaigns" in names and "delete_campaign" not in names and not failed
