"""pydantic-ai agent with instantly-mcp as an MCP toolset (stdio; the sandbox when no key is set).

pip install "pydantic-ai-slim[mcp,openai]" && OPENAI_API_KEY=... python examples/pydantic_ai_agent.py
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from fastmcp.client import Client
from fastmcp.client.transports import StdioTransport
from pydantic_ai import Agent
from pydantic_ai.mcp import MCPToolset
from pydantic_ai.models import Model

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import INSTRUCTIONS, PROMPT, server_command, server_env


def build_agent(model: Model | str) -> Agent:
    command, args = server_command()
    toolset = MCPToolset(Client(StdioTransport(command, args, env=server_env())))
    return Agent(model, toolsets=[toolset], instructions=INSTRUCTIONS)


async def run(model: Model | str, prompt: str = PROMPT) -> str:
    agent = build_agent(model)
    async with agent:  # starts the server once for the whole run
        result = await agent.run(prompt)
    return result.output


if __name__ == "__main__":
    print(asyncio.run(run(sys.argv[1] if len(sys.argv) > 1 else "openai:gpt-4o-mini")))
