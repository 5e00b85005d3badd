"""LangChain agent with instantly-mcp's tools through langchain-mcp-adapters (stdio; the sandbox when no key is set).

langchain-mcp-adapters 0.3 requires mcp<2, so it lives in its own virtualenv, apart from the
server (which needs mcp 2.3); the two talk over stdio only:

    python -m venv .venv-langchain
    .venv-langchain/bin/pip install -r examples/requirements-langchain.txt langchain-openai
    OPENAI_API_KEY=... .venv-langchain/bin/python examples/langchain_agent.py
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from langchain.agents import create_agent
from langchain_mcp_adapters.client import MultiServerMCPClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import INSTRUCTIONS, PROMPT, server_command, server_env


def mcp_client() -> MultiServerMCPClient:
    command, args = server_command()
    return MultiServerMCPClient(
        {"instantly": {"transport": "stdio", "command": command, "args": args, "env": server_env()}}
    )


async def run(model: Any, prompt: str = PROMPT) -> str:
    client = mcp_client()
    async with client.session("instantly") as session:  # one server process for the whole run
        from langchain_mcp_adapters.tools import load_mcp_tools

        tools = await load_mcp_tools(session)
        agent = create_agent(model, tools, system_prompt=INSTRUCTIONS)
        state = await agent.ainvoke({"messages": [{"role": "user", "content": prompt}]})
    return str(state["messages"][-1].content)


if __name__ == "__main__":
    from langchain_openai import ChatOpenAI

    print(asyncio.run(run(ChatOpenAI(model=sys.argv[1] if len(sys.argv) > 1 else "gpt-4o-mini"))))
