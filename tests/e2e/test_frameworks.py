"""Every agent-framework example in examples/ run as a user runs it, with `--offline`: the
framework discovers our 255 tools over MCP (stdio, the sandbox), the scripted model all examples
share (examples/_server.py) lists the block list, asks to delete an entry, the server holds the
call for a person's approval, the person approves on the page, and the repeat with approval_id
deletes exactly that entry.

pydantic-ai and the OpenAI Agents SDK share our mcp 2.3; langchain-mcp-adapters requires mcp<2 and
runs from its own virtualenv (.cache/venv-langchain, made by scripts/setup.sh from
examples/requirements-langchain.txt), talking to our server over stdio.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
LANGCHAIN_VENV = ROOT / ".cache" / "venv-langchain"
SERVER_COMMAND = f"{sys.executable} -m instantly_mcp.cli"


def python_for(example: str) -> Path:
    if example != "langchain_agent":
        return Path(sys.executable)
    python = LANGCHAIN_VENV / "bin" / "python"
    if not python.exists():
        pytest.fail(
            f"{python} is missing: run `bash scripts/setup.sh`, which makes the LangChain virtualenv "
            "(langchain-mcp-adapters needs mcp<2, so it cannot share ours)",
            pytrace=False,
        )
    return python


@pytest.mark.parametrize("example", ["pydantic_ai_agent", "openai_agents_sdk", "langchain_agent"])
def test_every_example_runs_offline_through_the_approval_flow(example: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INSTANTLY_", "OPENAI_", "PYTHONPATH"))}
    env["PYTHONPATH"] = str(ROOT)  # the server command below imports this checkout
    done = subprocess.run(
        [str(python_for(example)), str(EXAMPLES / f"{example}.py"), "--offline", "--server-command", SERVER_COMMAND],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    lines = done.stdout.splitlines()
    expected = [
        "model: sees 255 tools",
        "model: calls list_block_list_entries(",
        "model: calls delete_block_list_entry(",
        "server: approval_required: Delete block list entry 'competitor.example'",
        "server: a person approves at http://127.0.0.1:",
        "person: approved on the page; it says: Approved: go back to your assistant",
        "model: calls delete_block_list_entry(",
        "Removed competitor.example from the block list, once a person had approved it.",
    ]
    assert len(lines) == len(expected), done.stdout
    assert all(line.startswith(start) for line, start in zip(lines, expected, strict=True)), done.stdout
    asked = re.search(r"approves at (\S+)/approvals/(\S+)$", lines[4])
    assert asked is not None and f'"approval_id": "{asked.group(2)}"' in lines[6]
