"""Builds the MCP server: tools/list and tools/call over one shared Instantly client."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx2
import mcp_types as types
from mcp.server.lowlevel import Server

from . import __version__
from .client import InstantlyClient
from .config import SANDBOX_BASE_URL, SANDBOX_KEY, Settings
from .registry import Operation, load_operations
from .tools import InvalidArguments, error_result, execute, prepare, to_mcp_tool

INSTRUCTIONS = (
    "Tools for the Instantly.ai API V2 (cold email): campaigns, leads, sending accounts, unibox emails, "
    "analytics, deliverability. List tools paginate with starting_after / next_starting_after."
)


@dataclass
class Runtime:
    """What every handler shares: the visible operations, their tool definitions, the client."""

    settings: Settings
    operations: dict[str, Operation]
    tools: list[types.Tool]
    client: InstantlyClient | None = None


def sandbox_transport(settings: Settings) -> httpx2.AsyncBaseTransport:
    """The built-in sandbox served in-process: no port, no network."""
    from .sandbox import create_app

    return httpx2.ASGITransport(app=create_app(db_path=settings.sandbox_db))


def make_client(settings: Settings) -> InstantlyClient:
    if settings.uses_sandbox:
        return InstantlyClient(base_url=SANDBOX_BASE_URL, api_key=SANDBOX_KEY, transport=sandbox_transport(settings), timeout=settings.timeout_s)
    return InstantlyClient(base_url=settings.base_url, api_key=settings.api_key, timeout=settings.timeout_s)


def announce_backend(settings: Settings) -> None:
    if settings.uses_sandbox:
        reason = "--sandbox was given" if settings.sandbox else "INSTANTLY_API_KEY is not set"
        print(
            f"instantly-mcp: serving the built-in SANDBOX ({reason}); no real Instantly workspace is touched. "
            "Set INSTANTLY_API_KEY to use your workspace.",
            file=sys.stderr,
        )
    else:
        print(f"instantly-mcp: using the Instantly API at {settings.base_url}", file=sys.stderr)


def build_runtime(settings: Settings) -> Runtime:
    operations = dict(load_operations())
    tools = [to_mcp_tool(op) for op in operations.values()]
    return Runtime(settings=settings, operations=operations, tools=tools)


def build_server(settings: Settings, runtime: Runtime | None = None) -> Server[Runtime]:
    runtime = runtime or build_runtime(settings)

    @asynccontextmanager
    async def lifespan(_: Server[Runtime]) -> AsyncIterator[Runtime]:
        owns_client = runtime.client is None
        if owns_client:
            runtime.client = make_client(settings)
        try:
            yield runtime
        finally:
            if owns_client and runtime.client is not None:
                await runtime.client.aclose()
                runtime.client = None

    async def list_tools(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=runtime.tools)

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        op = runtime.operations.get(params.name)
        if op is None:
            return error_result(f"Unknown tool {params.name!r}. Call tools/list for the available tools.")
        try:
            prepared = prepare(op, params.arguments)
        except InvalidArguments as exc:
            return error_result(str(exc))
        assert runtime.client is not None
        return await execute(prepared, runtime.client)

    return Server(
        "instantly-mcp",
        version=__version__,
        title="Instantly.ai",
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


async def serve_stdio(settings: Settings) -> None:
    from mcp.server.stdio import stdio_server

    server = build_server(settings)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())
