"""How the examples start the server: `instantly-mcp` over stdio, or the command in INSTANTLY_MCP_COMMAND.

With no INSTANTLY_API_KEY in the environment the server serves its built-in sandbox workspace.
"""

from __future__ import annotations

import os
import shlex


def server_command() -> tuple[str, list[str]]:
    parts = shlex.split(os.environ.get("INSTANTLY_MCP_COMMAND", "instantly-mcp"))
    return parts[0], parts[1:]


def server_env() -> dict[str, str]:
    """The environment the server gets: ours (INSTANTLY_API_KEY, if set, picks the real API)."""
    return dict(os.environ)


PROMPT = "Which domains and addresses are on my Instantly block list? Show me the first two."
INSTRUCTIONS = "You manage an Instantly.ai cold-email workspace through its tools. Answer briefly."
