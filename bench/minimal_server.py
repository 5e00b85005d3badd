"""The floor: a one-tool MCP server on the same SDK and transport, doing one HTTP GET per call.

    python bench/minimal_server.py              stdio
    python bench/minimal_server.py --port PORT  streamable HTTP at /mcp (same uvicorn as ours)
    python bench/minimal_server.py --code       stdio, the one tool being run_code: a script in a
                                                pydantic-monty worker whose `instantly` module holds
                                                the same GET (code mode's floor)

The upstream comes from BENCH_UPSTREAM.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import anyio
import httpx2
import mcp_types as types
from mcp.server.lowlevel import Server

BASE = os.environ.get("BENCH_UPSTREAM", "http://127.0.0.1:8089")
PATH = "/api/v2/block-lists-entries"
TOOL = types.Tool(
    name="list_block_list_entries",
    description="List block list entries.",
    input_schema={"type": "object", "properties": {"limit": {"type": "integer"}}},
)
CODE_TOOL = types.Tool(
    name="run_code",
    description="Run a Python script; `instantly.list_block_list_entries(limit=...)` lists block list entries.",
    input_schema={"type": "object", "properties": {"code": {"type": "string"}}, "required": ["code"]},
)


def build_server(http: httpx2.AsyncClient) -> Server:
    async def list_tools(ctx, params):
        return types.ListToolsResult(tools=[TOOL])

    async def call_tool(ctx, params):
        response = await http.get(PATH, params=params.arguments or {})
        return types.CallToolResult(content=[types.TextContent(type="text", text=response.text)])

    return Server("minimal", on_list_tools=list_tools, on_call_tool=call_tool)


def build_code_server(http: httpx2.AsyncClient, pool: Any) -> Server:
    """run_code as our code mode runs it, less everything of ours: one checkout of a pool worker per
    script, the module's one function awaiting the GET, the last value back as compact JSON."""
    import pydantic_monty as monty

    async def list_block_list_entries(**arguments: Any) -> Any:
        return (await http.get(PATH, params=arguments)).json()

    module = monty.ExternalModule({"list_block_list_entries": list_block_list_entries})

    async def list_tools(ctx, params):
        return types.ListToolsResult(tools=[CODE_TOOL])

    async def call_tool(ctx, params):
        async with pool.checkout(script_name="script.py", external_modules={"instantly": module}) as session:
            value = await session.feed_run("import instantly\n" + params.arguments["code"])
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        return types.CallToolResult(content=[types.TextContent(type="text", text=text)])

    return Server("minimal-code", on_list_tools=list_tools, on_call_tool=call_tool)


def upstream() -> httpx2.AsyncClient:
    return httpx2.AsyncClient(base_url=BASE, headers={"Authorization": "Bearer bench"})


async def serve_stdio(code: bool) -> None:
    from mcp.server.stdio import stdio_server

    async with upstream() as http, stdio_server() as (read, write):
        if code:
            import pydantic_monty as monty

            async with monty.AsyncMonty(min_processes=1, max_processes=8) as pool:
                server = build_code_server(http, pool)
                await server.run(read, write, server.create_initialization_options())
        else:
            server = build_server(http)
            await server.run(read, write, server.create_initialization_options())


def serve_http(port: int) -> None:
    import uvicorn

    uvicorn.run(build_server(upstream()).streamable_http_app(), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--port"]:
        serve_http(int(sys.argv[2]))
    else:
        anyio.run(serve_stdio, sys.argv[1:2] == ["--code"])
