"""LangChain agent with instantly-mcp's tools through langchain-mcp-adapters (stdio; the sandbox when no key is set).

langchain-mcp-adapters 0.3 requires mcp<2, so it lives in its own virtualenv, apart from the
server (which needs mcp 2.3); the two talk over stdio only:

    python3 -m venv .venv-langchain
    .venv-langchain/bin/pip install -r examples/requirements-langchain.txt
    .venv-langchain/bin/python examples/langchain_agent.py --offline     # scripted model, no key
    .venv-langchain/bin/pip install langchain-openai
    OPENAI_API_KEY=... .venv-langchain/bin/python examples/langchain_agent.py
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from langchain.agents import create_agent
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_mcp_adapters.client import MultiServerMCPClient
from pydantic import Field

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import (
    INSTRUCTIONS,
    PROMPT,
    next_step,
    options,
    result_text,
    say,
    server_command,
    server_env,
    traced,
)


class ScriptedChatModel(BaseChatModel):
    """_server.next_step as a LangChain chat model: it reads the tool messages and picks the next call."""

    tools: list[str] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        if not self.tools:
            say(f"model: sees {len(tools)} tools")
        self.tools = [getattr(tool, "name", "") for tool in tools]
        return self

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **_: Any) -> ChatResult:
        results = [result_text(m.content) for m in messages if isinstance(m, ToolMessage)]
        step = next_step(results)
        if isinstance(step, str):
            message = AIMessage(content=step)
        else:
            traced(*step)
            message = AIMessage(
                content="", tool_calls=[{"name": step[0], "args": step[1], "id": f"call_{len(results)}"}]
            )
        return ChatResult(generations=[ChatGeneration(message=message)])


def mcp_client(command: str | None = None) -> MultiServerMCPClient:
    program, args = server_command(command)
    return MultiServerMCPClient(
        {"instantly": {"transport": "stdio", "command": program, "args": args, "env": server_env()}}
    )


async def run(model: Any, prompt: str = PROMPT, command: str | None = None) -> str:
    client = mcp_client(command)
    async with client.session("instantly") as session:  # one server process for the whole run
        from langchain_mcp_adapters.tools import load_mcp_tools

        tools = await load_mcp_tools(session)
        agent = create_agent(model, tools, system_prompt=INSTRUCTIONS)
        state = await agent.ainvoke({"messages": [{"role": "user", "content": prompt}]})
    return str(state["messages"][-1].content)


if __name__ == "__main__":
    given = options(default_model="gpt-4o-mini")
    if given.offline:
        model: Any = ScriptedChatModel()
    else:
        from langchain_openai import ChatOpenAI

        model = ChatOpenAI(model=given.model)
    print(asyncio.run(run(model, command=given.server_command)))
