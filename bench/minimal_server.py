"""The floor: a one-tool MCP server on the same SDK and transport, doing one HTTP GET per call."""

from __future__ import annotations

import os

import anyio
import httpx2
import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

BASE = os.environ.get("BENCH_UPSTREAM", "http://127.0.0.1:8089")
TOOL = types.Tool(
    name="list_block_list_entries",
    description="List block list entries.",
    input_schema={"type": "object", "properties": {"limit": {"type": "integer"}}},
)


async def main() -> None:
    async with httpx2.AsyncClient(base_url=BASE, headers={"Authorization": "Bearer bench"}) as http:

        async def list_tools(ctx, params):
            return types.ListToolsResult(tools=[TOOL])

        async def call_tool(ctx, params):
            response = await http.get("/api/v2/block-lists-entries", params=params.arguments or {})
            return types.CallToolResult(content=[types.TextContent(type="text", text=response.text)])

        server = Server("minimal", on_list_tools=list_tools, on_call_tool=call_tool)
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())


if __name__ == "__main__":
    anyio.run(main)
