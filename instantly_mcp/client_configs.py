"""`instantly-mcp config claude-desktop`: client configuration that launches this very installation.

A GUI app such as Claude Desktop starts servers with its own minimal PATH, not the shell's, so a
bare `instantly-mcp` from a virtualenv is not found there; the command printed here is absolute.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

CLIENT_CONFIGS = ("claude-desktop",)
CONSOLE_SCRIPT = "instantly-mcp"
KEY_PLACEHOLDER = "paste-your-instantly-api-key"


def launch_command() -> list[str]:
    """The console script next to this interpreter (a venv's bin/), else this interpreter with -m.

    sys.executable is kept unresolved: a venv's python is a symlink whose location selects the venv."""
    python = Path(sys.executable).absolute()
    script = python.parent / CONSOLE_SCRIPT
    if script.is_file():
        return [str(script)]
    return [str(python), "-m", "instantly_mcp.cli"]


def claude_desktop_config(name: str, server_args: list[str], with_key: bool) -> dict[str, object]:
    command, *prefix = launch_command()
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
