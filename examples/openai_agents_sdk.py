"""OpenAI Agents SDK agent with instantly-mcp as an MCP server (stdio; the sandbox when no key is set).

pip install openai-agents && OPENAI_API_KEY=... python examples/openai_agents_sdk.py
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from agents import Agent, Model, RunConfig, Runner
from agents.mcp import MCPServerStdio

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import INSTRUCTIONS, PROMPT, server_command, server_env


async def run(model: Model | str | None = None, prompt: str = PROMPT, *, tracing: bool = True) -> str:
    command, args = server_command()
    params = {"command": command, "args": args, "env": server_env()}
    # 240 tools: list them once per connection, and give slow upstream calls time.
    async with MCPServerStdio(
        params=params, name="instantly", cache_tools_list=True, client_session_timeout_seconds=60
    ) as server:
        agent = Agent(name="Instantly assistant", instructions=INSTRUCTIONS, mcp_servers=[server], model=model)
        result = await Runner.run(agent, prompt, run_config=RunConfig(tracing_disabled=not tracing))
    return str(result.final_output)


if __name__ == "__main__":
    print(asyncio.run(run(sys.argv[1] if len(sys.argv) > 1 else None)))
