"""An in-process MCP server wired to an Instantly-compatible HTTP server, driven by the SDK client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp import Client

from instantly_mcp.config import Settings
from instantly_mcp.transport.runtime import build_runtime
from instantly_mcp.transport.server import build_server
from instantly_mcp.upstream.client import InstantlyClient

from support.servers import answer as payload  # noqa: F401  (re-exported)


@asynccontextmanager
async def mcp_client(
    base_url: str,
    *,
    api_key: str = "test-key",
    mode: str = "legacy",
    settings: Settings | None = None,
    **client_options: Any,
) -> AsyncIterator[Client]:
    settings = settings or Settings(api_key=api_key, base_url=base_url, confirm="off")
    runtime = build_runtime(settings)
    runtime.client = InstantlyClient(base_url=base_url, api_key=api_key, **client_options)
    try:
        async with Client(build_server(settings, runtime), mode=mode) as client:
            yield client
    finally:
        await runtime.client.aclose()
