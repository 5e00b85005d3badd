"""What the examples share: how they start the server, and the scripted model of `--offline`.

The server: `--server-command "CMD ARGS"`, else INSTANTLY_MCP_COMMAND, else this checkout's
.venv/bin/instantly-mcp (made by `bash scripts/serve.sh`), else `instantly-mcp` on PATH, else this
Python's `-m instantly_mcp.cli`. With no INSTANTLY_API_KEY it serves its built-in sandbox workspace.

`--offline` replaces the LLM by a script that needs no key and shows the approval flow: list the
block list, ask to delete an entry (the server holds the call for a person's approval and answers
with a link), approve it as that person would on the page, repeat the call with approval_id.
The tests (tests/e2e/test_frameworks.py) run every example this way.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shlex
import shutil
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CHECKOUT_COMMAND = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "instantly-mcp"
PROMPT = "Which domains and addresses are on my Instantly block list? Remove the first one."
INSTRUCTIONS = "You manage an Instantly.ai cold-email workspace through its tools. Answer briefly."
LIST, DELETE = "list_block_list_entries", "delete_block_list_entry"


def options(argv: Sequence[str] | None = None, default_model: str = "") -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("model", nargs="?", default=default_model, help=f"the model (default {default_model})")
    parser.add_argument("--offline", action="store_true", help="a scripted model instead of an LLM: no key needed")
    parser.add_argument(
        "--server-command", metavar="CMD", help="how to start instantly-mcp, e.g. '/path/to/instantly-mcp'"
    )
    return parser.parse_args(argv)


def server_command(given: str | None = None) -> tuple[str, list[str]]:
    chosen = given or os.environ.get("INSTANTLY_MCP_COMMAND")
    if chosen:
        parts = shlex.split(chosen)
        return parts[0], parts[1:]
    if CHECKOUT_COMMAND.is_file():
        return str(CHECKOUT_COMMAND), []
    on_path = shutil.which("instantly-mcp")
    if on_path:
        return on_path, []
    if importlib.util.find_spec("instantly_mcp") is not None:
        return sys.executable, ["-m", "instantly_mcp.cli"]
    raise SystemExit(
        "instantly-mcp not found: run `bash scripts/serve.sh --version` once in this checkout (it makes .venv), "
        "or pass --server-command '/path/to/instantly-mcp'"
    )


def server_env() -> dict[str, str]:
    """The environment the server gets: ours (INSTANTLY_API_KEY, if set, picks the real API)."""
    return dict(os.environ)


def say(text: str) -> None:
    print(text, flush=True)


def result_text(result: Any) -> str:
    """A tool result as the framework hands it to the model (text, content parts or JSON) as text."""
    if isinstance(result, str):
        return result
    if isinstance(result, list):
        return "".join(result_text(part) for part in result)
    if isinstance(result, dict) and isinstance(result.get("text"), str):
        return str(result["text"])
    return json.dumps(result)


def next_step(results: list[str]) -> tuple[str, dict[str, Any]] | str:
    """The scripted model: from the tool results so far, the next tool call (name, arguments) or the answer."""
    if not results:
        return LIST, {"limit": 2}
    entry = json.loads(results[0])["items"][0]
    if len(results) == 1:
        return DELETE, {"id": entry["id"]}
    if len(results) == 2:
        asked = json.loads(results[1])
        say(f"server: {asked['status']}: {asked['summary']}")
        say(f"server: a person approves at {asked['approval_url']}")
        approve_as_the_person(asked["approval_url"])
        return DELETE, {"id": entry["id"], "approval_id": asked["approval_id"]}
    if entry["bl_value"] not in results[2] or '"status"' in results[2]:  # the deleted entry comes back
        return f"Not removed: {results[2][:300]}"
    return f"Removed {entry['bl_value']} from the block list, once a person had approved it."


def approve_as_the_person(url: str) -> None:
    """What the person does on the page (its Approve button), through the pages' JSON API, with the
    approver secret only the person is meant to read (the server keeps it in the user's config dir)."""
    base, approval_id = url.split("/approvals/")
    try:  # the person opens the link first; the page asks for the secret (and creates it on first use)
        urllib.request.urlopen(url, timeout=30).close()
    except urllib.error.HTTPError as shown:
        shown.close()
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    secret = (config / "instantly-mcp" / "approver-secret").read_text().strip()
    request = urllib.request.Request(
        f"{base}/approvals/api/{approval_id}/approve", method="POST", headers={"Authorization": f"Bearer {secret}"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        state = json.loads(answer.read())["state"]
    say(f"person: approved on the page; it says: {state}")


def traced(name: str, arguments: dict[str, Any]) -> None:
    say(f"model: calls {name}({json.dumps(arguments)})")
