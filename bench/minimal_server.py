"""The floor: a one-tool MCP server on the same SDK and transport, doing one HTTP GET per call.

    python bench/minimal_server.py              stdio
    python bench/minimal_server.py --port PORT  streamable HTTP at /mcp (same uvicorn as ours)

The upstream comes from BENCH_UPSTREAM.
"""

from __future__ import annotations

import os
import sys

import anyio
import httpx2
import mcp_types as types
from mcp.server.lowlevel import Server

BASE = os.environ.get("BENCH_UPSTREAM", "http://127.0.0.1:8089")
TOOL = types.Tool(
    name="list_block_list_entries",
    description="List block list entries.",
    input_schema={"type": "object", "properties": {"limit": {"type": "integer"}}},
)


def build_server(http: httpx2.AsyncClient) -> Server:
    async def list_tools(ctx, params):
        return types.ListToolsResult(tools=[TOOL])

    async def call_tool(ctx, params):
        response = await http.get("/api/v2/block-lists-entries", params=params.arguments or {})
        return types.CallToolResult(content=[types.TextContent(type="text", text=response.text)])

    return Server("minimal", on_list_tools=list_tools, on_call_tool=call_tool)


def upstream() -> httpx2.AsyncClient:
    return httpx2.AsyncClient(base_url=BASE, headers={"Authorization": "Bearer bench"})


async def serve_stdio() -> None:
    from mcp.server.stdio import stdio_server

    async with upstream() as http, stdio_server() as (read, write):
        server = build_server(http)
        await server.run(read, write, server.create_initialization_options())


def serve_http(port: int) -> None:
    import uvicorn

    uvicorn.run(build_server(upstream()).streamable_http_app(), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--port"]:
        serve_http(int(sys.argv[2]))
    else:
        anyio.run(serve_stdio)
