"""The SDK's Mcp-Param header check (2026-07-28 streamable HTTP) reads a tool's schema from the
server's get_tool_input_schema; without one it runs the whole tools/list for every tools/call that
has arguments (255 tools validated and copied, about 4 ms a call). It can only refuse a call to a
tool whose schema annotates a property with x-mcp-header, so only those schemas are handed over."""

from __future__ import annotations

import copy

from mcp.shared.inbound import validate_mcp_param_headers

from instantly_mcp.config import Settings
from instantly_mcp.transport.runtime import build_runtime
from instantly_mcp.transport.server import build_server


def test_the_check_is_skipped_for_every_tool_it_could_never_refuse() -> None:
    for tools in ((), ("discover",), ("code",)):
        settings = Settings(sandbox=True, tools=tools)
        runtime = build_runtime(settings)
        lookup = build_server(settings, runtime).get_tool_input_schema
        assert lookup is not None
        for tool in runtime.listed["tools"]:
            assert lookup(tool["name"]) is None
            bogus = {"mcp-param-limit": "7", "mcp-param-name": "x"}
            assert validate_mcp_param_headers(tool["inputSchema"], {"limit": 2, "name": "y"}, bogus) is None
        assert lookup("no_such_tool") is None


def test_a_tool_that_declares_a_header_is_checked_from_the_list_served() -> None:
    settings = Settings(sandbox=True)
    runtime = build_runtime(settings)
    listed = copy.deepcopy(runtime.listed)
    tool = next(t for t in listed["tools"] if t["name"] == "list_campaigns")
    tool["inputSchema"]["properties"]["limit"]["x-mcp-header"] = "Limit"
    runtime.listed = listed
    lookup = build_server(settings, runtime).get_tool_input_schema
    assert lookup is not None
    assert lookup("list_campaigns") is tool["inputSchema"]
    assert lookup("list_leads") is None
    refused = validate_mcp_param_headers(lookup("list_campaigns"), {"limit": 2}, {"mcp-param-limit": "7"})
    assert refused is not None and "does not match" in refused.message
