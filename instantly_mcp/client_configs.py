"""`instantly-mcp config claude-desktop`: client configuration that launches this very installation.

A GUI app such as Claude Desktop starts servers with its own minimal PATH, not the shell's, so a
bare `instantly-mcp` from a virtualenv is not found there; the command printed here is absolute.
It is never a path inside a package cache (`uvx`, `pipx run`): `uv cache clean` would delete it.
"""

from __future__ import annotations

import json
import os
import sys
from importlib import metadata
from pathlib import Path

from instantly_mcp.errors import ConfigError

CLIENT_CONFIGS = ("claude-desktop",)
CONSOLE_SCRIPT = "instantly-mcp"
KEY_PLACEHOLDER = "paste-your-instantly-api-key"
DISTRIBUTION = "instantly-v2-mcp"
# Where uvx and `pipx run` keep the environments they make on the fly.
CACHE_MARKERS = ("/uv/archive-v", "/uv/builds-v", "/uv/cache/", "/pipx/.cache/", "/.cache/pipx/")


def launch_command() -> list[str]:
    """The console script next to this interpreter (a venv's bin/), else this interpreter with -m.

    sys.executable is kept unresolved: a venv's python is a symlink whose location selects the venv."""
    python = Path(sys.executable).absolute()
    script = python.parent / CONSOLE_SCRIPT
    if script.is_file():
        return [str(script)]
    return [str(python), "-m", "instantly_mcp.cli"]


def in_package_cache(path: str) -> bool:
    shown = path.replace("\\", "/")
    cache = os.environ.get("UV_CACHE_DIR")
    return any(marker in shown for marker in CACHE_MARKERS) or bool(cache and shown.startswith(cache))


def install_source() -> str:
    """What this copy was installed from: its wheel or folder when uv/pip recorded one, else the name on PyPI."""
    try:
        direct = json.loads(metadata.distribution(DISTRIBUTION).read_text("direct_url.json") or "{}")
    except metadata.PackageNotFoundError:
        return DISTRIBUTION
    url = str(direct.get("url", ""))
    return url.removeprefix("file://") if url.startswith("file://") else url or DISTRIBUTION


def refuse_cached(command: str) -> None:
    if in_package_cache(command):
        source = install_source()
        raise ConfigError(
            f"this copy runs from a package cache ({command}), which `uv cache clean` deletes, and Claude Desktop "
            f"would lose the server. Install it to stay, then ask again: `uv tool install {source}` (or "
            f"`pipx install {source}`), then `instantly-mcp config claude-desktop`"
        )


def claude_desktop_config(name: str, server_args: list[str], with_key: bool) -> dict[str, object]:
    command, *prefix = launch_command()
    refuse_cached(command)
    entry: dict[str, object] = {"command": command, "args": [*prefix, *server_args]}
    if with_key:
        entry["env"] = {"INSTANTLY_API_KEY": KEY_PLACEHOLDER}
    return {"mcpServers": {name: entry}}


def print_client_config(client: str, name: str, server_args: list[str], with_key: bool) -> int:
    config = claude_desktop_config(name, server_args, with_key)
    print(json.dumps(config, indent=2))
    where = "the built-in sandbox" if not with_key else f"your workspace once {KEY_PLACEHOLDER} is replaced by your key"
    print(f"instantly-mcp: merge this into claude_desktop_config.json ({client}); it serves {where}", file=sys.stderr)
    return 0


def waiting_line() -> str:
    """What a person who started the stdio server at a terminal reads: it is not hung, it waits for a client."""
    command = " ".join(launch_command())
    return (
        "instantly-mcp: waiting for an MCP client on stdin (this terminal is not one). Connect a client instead: "
        f"`claude mcp add instantly -- {command}`, or `{command} config claude-desktop` for Claude Desktop; "
        "`--transport http` serves http://127.0.0.1:8000/mcp. Ctrl-C ends."
    )
