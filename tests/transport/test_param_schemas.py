"""The SDK's Mcp-Param header check (2026-07-28 streamable HTTP) reads a tool's schema from the
server's get_tool_input_schema; without one it runs the whole tools/list for every tools/call that
has arguments (255 tools validated and copied, about 4 ms a call)."""

from __future__ import annotations

from instantly_mcp.config import Settings
from instantly_mcp.transport.runtime import build_runtime
from instantly_mcp.transport.server import build_server


def test_the_header_check_reads_each_tools_schema_from_the_list_served() -> None:
    for tools in ((), ("discover",), ("code",)):
        settings = Settings(sandbox=True, tools=tools)
        runtime = build_runtime(settings)
        server = build_server(settings, runtime)
        lookup = server.get_tool_input_schema
        assert lookup is not None
        listed = runtime.listed["tools"]
        assert {t["name"]: lookup(t["name"]) for t in listed} == {t["name"]: t["inputSchema"] for t in listed}
        assert lookup("no_such_tool") is None
    assert lookup("list_campaigns") is None  # code mode lists only search_tools and run_code
