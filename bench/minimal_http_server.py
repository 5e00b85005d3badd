"""The floor over HTTP: the one-tool server of minimal_server.py on streamable HTTP (same SDK, same uvicorn).

    python bench/minimal_http_server.py PORT     (upstream from BENCH_UPSTREAM)
"""

from __future__ import annotations

import os
import sys

import httpx2
import mcp_types as types
import uvicorn
from mcp.server.lowlevel import Server

BASE = os.environ.get("BENCH_UPSTREAM", "http://127.0.0.1:8089")
TOOL = types.Tool(
    name="list_block_list_entries",
    description="List block list entries.",
    input_schema={"type": "object", "properties": {"limit": {"type": "integer"}}},
)


def main(port: int) -> None:
    http = httpx2.AsyncClient(base_url=BASE, headers={"Authorization": "Bearer bench"})

    async def list_tools(ctx, params):
        return types.ListToolsResult(tools=[TOOL])

    async def call_tool(ctx, params):
        response = await http.get("/api/v2/block-lists-entries", params=params.arguments or {})
        return types.CallToolResult(content=[types.TextContent(type="text", text=response.text)])

    server = Server("minimal", on_list_tools=list_tools, on_call_tool=call_tool)
    uvicorn.run(server.streamable_http_app(), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main(int(sys.argv[1]))
