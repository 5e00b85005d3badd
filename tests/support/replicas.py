"""Calls to `instantly-mcp --transport http` replicas over the SDK client, and /metrics scrapes."""

from __future__ import annotations

from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from .http_server import McpHttpServer


async def call(url: str, tool: str, arguments: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    async with (
        create_mcp_http_client(headers=headers) as http,
        Client(streamable_http_client(url, http_client=http), mode="legacy") as client,
    ):
        return await client.call_tool(tool, arguments)


def metric(scrape: str, name: str, **labels: str) -> float:
    """The sample of `name` with exactly these labels (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in scrape.splitlines():
        if line.startswith("#"):
            continue
        sample, _, value = line.rpartition(" ")
        sample_name, _, rest = sample.partition("{")
        if sample_name == name and ",".join(sorted(rest.rstrip("}").split(","))) == wanted:
            return float(value)
    return 0.0


def scrape(server: McpHttpServer, headers: dict[str, str] | None = None) -> str:
    response = httpx2.get(server.base + "/metrics", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return response.text
