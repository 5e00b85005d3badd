"""OpenAI Agents SDK agent with instantly-mcp as an MCP server (stdio; the sandbox when no key is set).

python examples/openai_agents_sdk.py --offline          # scripted model, no key: the approval flow
pip install openai-agents && OPENAI_API_KEY=... python examples/openai_agents_sdk.py
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from agents import Agent, Model, ModelResponse, RunConfig, Runner, Usage
from agents.mcp import MCPServerStdio
from openai.types.responses import ResponseFunctionToolCall, ResponseOutputMessage, ResponseOutputText

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


class ScriptedModel(Model):
    """_server.next_step as an Agents SDK model: it reads the function-call outputs and picks the next call."""

    def __init__(self) -> None:
        self.tools: list[Any] = []

    async def get_response(
        self, system_instructions, input, model_settings, tools, output_schema, handoffs, tracing, **_: Any
    ) -> ModelResponse:
        items = input if isinstance(input, list) else []
        results = [i["output"] for i in items if isinstance(i, dict) and i.get("type") == "function_call_output"]
        if not results:
            self.tools = list(tools)
            say(f"model: sees {len(tools)} tools")
        step = next_step([result_text(r) for r in results])
        if isinstance(step, str):
            text = ResponseOutputText(type="output_text", text=step, annotations=[])
            message = ResponseOutputMessage(
                type="message", id="msg_1", role="assistant", status="completed", content=[text]
            )
            return ModelResponse(output=[message], usage=Usage(), response_id=None)
        traced(*step)
        n = len(results)
        call = ResponseFunctionToolCall(
            type="function_call", id=f"fc_{n}", call_id=f"call_{n}", name=step[0], arguments=json.dumps(step[1])
        )
        return ModelResponse(output=[call], usage=Usage(), response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


async def run(
    model: Model | str | None = None, prompt: str = PROMPT, *, tracing: bool = True, command: str | None = None
) -> str:
    program, args = server_command(command)
    params = {"command": program, "args": args, "env": server_env()}
    # 255 tools: list them once per connection, and give slow upstream calls time.
    async with MCPServerStdio(
        params=params, name="instantly", cache_tools_list=True, client_session_timeout_seconds=60
    ) as server:
        agent = Agent(name="Instantly assistant", instructions=INSTRUCTIONS, mcp_servers=[server], model=model)
        result = await Runner.run(agent, prompt, run_config=RunConfig(tracing_disabled=not tracing))
    return str(result.final_output)


if __name__ == "__main__":
    given = options(default_model="gpt-4o-mini")
    model = ScriptedModel() if given.offline else given.model
    print(asyncio.run(run(model, tracing=not given.offline, command=given.server_command)))
