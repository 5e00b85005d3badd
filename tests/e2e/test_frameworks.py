"""The agent-framework examples in examples/, each run with the framework's own scripted model:
the framework discovers our tools over MCP (stdio, the sandbox), the scripted model picks
list_block_list_entries, the framework calls it, and the answer is built from what came back.

pydantic-ai and the OpenAI Agents SDK share our mcp 2.3; langchain-mcp-adapters requires mcp<2 and
runs from its own virtualenv (.cache/venv-langchain, made by scripts/setup.sh from
examples/requirements-langchain.txt), talking to our server over stdio.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
LANGCHAIN_VENV = ROOT / ".cache" / "venv-langchain"
SERVER_COMMAND = f"{sys.executable} -m instantly_mcp.cli"
TOOL = "list_block_list_entries"


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def server_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The examples start `python -m instantly_mcp.cli` with no key: the sandbox."""
    for name in [n for n in os.environ if n.startswith("INSTANTLY_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("INSTANTLY_MCP_COMMAND", SERVER_COMMAND)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))


def entries_from(text: str) -> list[str]:
    return [item["bl_value"] for item in json.loads(text)["items"]]


def test_pydantic_ai_agent_discovers_and_calls_our_tools(server_env: None) -> None:
    from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
    from pydantic_ai.models.function import AgentInfo, FunctionModel

    seen: dict[str, Any] = {}

    def scripted(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        returns = [p for m in messages for p in getattr(m, "parts", []) if isinstance(p, ToolReturnPart)]
        if not returns:
            seen["tools"] = {t.name: t for t in info.function_tools}
            return ModelResponse(parts=[ToolCallPart(TOOL, {"limit": 2})])
        seen["returned"] = returns[0].content
        return ModelResponse(parts=[TextPart(f"Blocked: {returns[0].content}")])

    example = load_example("pydantic_ai_agent")
    output = anyio.run(example.run, FunctionModel(scripted))
    assert len(seen["tools"]) == 255 and seen["tools"][TOOL].description  # what the model reads
    assert "limit" in seen["tools"][TOOL].parameters_json_schema["properties"]
    returned = seen["returned"] if isinstance(seen["returned"], str) else json.dumps(seen["returned"])
    assert len(entries_from(returned)) == 2
    assert output.startswith("Blocked:") and "competitor.example" in output


def test_openai_agents_sdk_discovers_and_calls_our_tools(server_env: None) -> None:
    from agents import Model, ModelResponse, Usage
    from openai.types.responses import ResponseFunctionToolCall, ResponseOutputMessage, ResponseOutputText

    class ScriptedModel(Model):
        """First turn: call list_block_list_entries; second: answer with what the tool returned."""

        def __init__(self) -> None:
            self.tools: list[Any] = []
            self.outputs: list[str] = []

        async def get_response(
            self, system_instructions, input, model_settings, tools, output_schema, handoffs, tracing, **_: Any
        ):
            outputs = (
                [i["output"] for i in input if isinstance(i, dict) and i.get("type") == "function_call_output"]
                if isinstance(input, list)
                else []
            )
            if not outputs:
                self.tools = tools
                call = ResponseFunctionToolCall(
                    type="function_call", id="fc_1", call_id="call_1", name=TOOL, arguments=json.dumps({"limit": 2})
                )
                return ModelResponse(output=[call], usage=Usage(), response_id=None)
            self.outputs = [o if isinstance(o, str) else json.dumps(o) for o in outputs]
            text = ResponseOutputText(type="output_text", text=f"Blocked: {self.outputs[0]}", annotations=[])
            message = ResponseOutputMessage(
                type="message", id="msg_1", role="assistant", status="completed", content=[text]
            )
            return ModelResponse(output=[message], usage=Usage(), response_id=None)

        def stream_response(self, *args: Any, **kwargs: Any):
            raise NotImplementedError

    model = ScriptedModel()
    example = load_example("openai_agents_sdk")
    output = anyio.run(lambda: example.run(model, tracing=False))
    names = {t.name for t in model.tools}
    assert len(names) == 255 and TOOL in names
    assert len(model.outputs) == 1 and "competitor.example" in model.outputs[0]
    assert output.startswith("Blocked:") and "competitor.example" in output


LANGCHAIN_DRIVER = r'''
import asyncio, importlib.util, json, sys
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, ToolMessage

class ScriptedChatModel(GenericFakeChatModel):
    """GenericFakeChatModel that accepts tools and records what the agent passed back."""
    tools: list = []
    def bind_tools(self, tools, **kwargs):
        self.tools.extend(getattr(t, "name", None) for t in tools)
        return self

spec = importlib.util.spec_from_file_location("langchain_agent", sys.argv[1])
example = importlib.util.module_from_spec(spec); spec.loader.exec_module(example)
script = iter([
    AIMessage(content="", tool_calls=[{"name": "list_block_list_entries", "args": {"limit": 2}, "id": "call_1"}]),
    AIMessage(content="Blocked: see the tool result."),
])
model = ScriptedChatModel(messages=script)
captured = {}
original = example.create_agent
def create_agent(m, tools, **kw):
    agent = original(m, tools, **kw)
    captured["agent"] = agent
    return agent
example.create_agent = create_agent

async def main():
    client = example.mcp_client()
    async with client.session("instantly") as session:
        from langchain_mcp_adapters.tools import load_mcp_tools
        tools = await load_mcp_tools(session)
        agent = example.create_agent(model, tools, system_prompt=example.INSTRUCTIONS)
        state = await agent.ainvoke({"messages": [{"role": "user", "content": example.PROMPT}]})
    tool_messages = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    content = tool_messages[0].content if tool_messages else None
    if isinstance(content, list):
        content = "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    import mcp
    print(json.dumps({"tools": sorted(set(filter(None, model.tools))), "tool_result": content,
                      "final": state["messages"][-1].content,
                      "mcp": mcp.__version__ if hasattr(mcp, "__version__") else None}))

asyncio.run(main())
# run() itself is the example's entry point; check it too, with a fresh script
model = ScriptedChatModel(messages=iter([
    AIMessage(content="", tool_calls=[{"name": "list_block_list_entries", "args": {"limit": 1}, "id": "call_2"}]),
    AIMessage(content="done"),
]))
print(json.dumps({"run": asyncio.run(example.run(model))}))
'''


def test_langchain_agent_discovers_and_calls_our_tools(tmp_path: Path) -> None:
    python = LANGCHAIN_VENV / "bin" / "python"
    if not python.exists():
        pytest.fail(
            f"{python} is missing: run `bash scripts/setup.sh`, which makes the LangChain virtualenv "
            "(langchain-mcp-adapters needs mcp<2, so it cannot share ours)",
            pytrace=False,
        )
    driver = tmp_path / "driver.py"
    driver.write_text(LANGCHAIN_DRIVER)
    env = {k: v for k, v in os.environ.items() if not k.startswith("INSTANTLY_") and k != "PYTHONPATH"}
    env["INSTANTLY_MCP_COMMAND"] = SERVER_COMMAND
    done = subprocess.run(
        [str(python), str(driver), str(EXAMPLES / "langchain_agent.py")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    first, second = (json.loads(line) for line in done.stdout.strip().splitlines()[-2:])
    assert len(first["tools"]) == 255 and TOOL in first["tools"]
    assert entries_from(first["tool_result"])[:2] and "competitor.example" in first["tool_result"]
    assert first["final"].startswith("Blocked:")
    assert second["run"] == "done"
