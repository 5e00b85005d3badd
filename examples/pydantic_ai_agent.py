"""pydantic-ai agent with instantly-mcp as an MCP toolset (stdio; the sandbox when no key is set).

python examples/pydantic_ai_agent.py --offline          # scripted model, no key: the approval flow
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
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models import Model
from pydantic_ai.models.function import AgentInfo, FunctionModel

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


def build_agent(model: Model | str, command: str | None = None) -> Agent:
    program, args = server_command(command)
    toolset = MCPToolset(Client(StdioTransport(program, args, env=server_env())))
    return Agent(model, toolsets=[toolset], instructions=INSTRUCTIONS)


def scripted_model() -> FunctionModel:
    """_server.next_step as a pydantic-ai model: it reads the tool results and picks the next call."""

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        results = [p.content for m in messages for p in getattr(m, "parts", []) if isinstance(p, ToolReturnPart)]
        if not results:
            say(f"model: sees {len(info.function_tools)} tools")
        step = next_step([result_text(r) for r in results])
        if isinstance(step, str):
            return ModelResponse(parts=[TextPart(step)])
        traced(*step)
        return ModelResponse(parts=[ToolCallPart(step[0], step[1], tool_call_id=f"call_{len(results)}")])

    return FunctionModel(respond)


async def run(model: Model | str, prompt: str = PROMPT, command: str | None = None) -> str:
    agent = build_agent(model, command)
    async with agent:  # starts the server once for the whole run
        result = await agent.run(prompt)
    return result.output


if __name__ == "__main__":
    given = options(default_model="openai:gpt-4o-mini")
    print(asyncio.run(run(scripted_model() if given.offline else given.model, command=given.server_command)))
