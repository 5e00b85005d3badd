"""The SDK client talking to a real `instantly-mcp` process (stdio or streamable HTTP) whose upstream
is the sandbox HTTP process, so the sandbox's request log shows exactly what left the server."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from pathlib import Path

from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from .http_server import McpHttpServer, clean_env, mcp_http_server

ROOT = Path(__file__).resolve().parents[2]
TRANSPORTS = ["stdio", "http"]
KEY = "sk-real-clients-3c9d0e"


def upstream_env(sandbox_url: str, **env: str) -> dict[str, str]:
    return {"INSTANTLY_API_KEY": KEY, "INSTANTLY_BASE_URL": sandbox_url, **env}


@asynccontextmanager
async def stdio(sandbox_url: str, **env: str) -> AsyncIterator[Client]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "instantly_mcp.cli"],
        env=clean_env(**upstream_env(sandbox_url, **env)),
        cwd=str(ROOT),
    )
    async with Client(params, mode="legacy") as client:
        yield client


@contextmanager
def http_process(tmp_path: Path, sandbox_url: str, **env: str) -> Iterator[McpHttpServer]:
    with mcp_http_server(tmp_path, "--transport", "http", **upstream_env(sandbox_url, **env)) as server:
        yield server


@asynccontextmanager
async def http(url: str) -> AsyncIterator[Client]:
    async with AsyncExitStack() as stack:
        client_http = await stack.enter_async_context(create_mcp_http_client())
        yield await stack.enter_async_context(
            Client(streamable_http_client(url, http_client=client_http), mode="legacy")
        )
