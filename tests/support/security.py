"""Attacks driven the way a hostile agent would: the SDK client over stdio and over HTTP, against the
server as users run it (`python -m instantly_mcp.cli`), talking to the sandbox process over real HTTP.

`attack_server` yields a connected client plus the audit log path; the sandbox's own request log
(`sandbox.requests()`) says what reached "Instantly".
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mcp_types as types
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from .http_server import ACCEPT, INIT, McpHttpServer, clean_env, mcp_http_server  # noqa: F401 (re-exported)
from .sandbox_http import SandboxProcess

ROOT = Path(__file__).resolve().parents[2]
TRANSPORTS = ["stdio", "http"]
SERVER_KEY = "sk-security-test-key-7d41c0a9e2"


@dataclass
class Attack:
    client: Client
    audit_path: Path
    sandbox: SandboxProcess

    async def call(self, name: str, arguments: dict[str, Any] | None = None) -> types.CallToolResult:
        return await self.client.call_tool(name, arguments or {})

    def audit(self) -> list[dict[str, Any]]:
        if not self.audit_path.exists():
            return []
        return [json.loads(line) for line in self.audit_path.read_text().splitlines() if line.strip()]

    def upstream(self, *, writes_only: bool = False) -> list[dict[str, Any]]:
        requests = self.sandbox.requests()
        return [r for r in requests if r["method"] != "GET"] if writes_only else requests


def server_env(sandbox: SandboxProcess, audit_path: Path, **extra: str) -> dict[str, str]:
    return clean_env(
        INSTANTLY_API_KEY=SERVER_KEY,
        INSTANTLY_BASE_URL=sandbox.url + "/api/v2/",
        INSTANTLY_AUDIT_LOG=str(audit_path),
        **extra,
    )


@asynccontextmanager
async def attack_server(
    transport: str, sandbox: SandboxProcess, tmp_path: Path, *args: str, **env: str
) -> AsyncIterator[Attack]:
    """The server with `args` over `transport`, its upstream the sandbox process, an audit log in tmp_path."""
    audit_path = tmp_path / f"audit-{transport}.jsonl"
    environment = server_env(sandbox, audit_path, **env)
    if transport == "stdio":
        params = StdioServerParameters(
            command=sys.executable, args=["-m", "instantly_mcp.cli", *args], env=environment, cwd=str(ROOT)
        )
        with open(tmp_path / "stdio-stderr.txt", "w") as errlog:
            async with Client(stdio_client(params, errlog=errlog), mode="legacy") as client:
                yield Attack(client, audit_path, sandbox)
        return
    log = tmp_path / "http-server.log"
    server = McpHttpServer(["--transport", "http", *args], environment, log).start()
    try:
        async with http_client(server.url) as client:
            yield Attack(client, audit_path, sandbox)
    finally:
        server.stop()


@asynccontextmanager
async def http_client(url: str, headers: dict[str, str] | None = None) -> AsyncIterator[Client]:
    async with (
        create_mcp_http_client(headers=headers) as http,
        Client(streamable_http_client(url, http_client=http), mode="legacy") as client,
    ):
        yield client


@contextmanager
def http_mcp(tmp_path: Path, *args: str, **env: str) -> Iterator[McpHttpServer]:
    """A bare HTTP server (sandbox in-process unless env says otherwise), for the transport-edge attacks."""
    with mcp_http_server(tmp_path, "--transport", "http", *args, **env) as server:
        yield server


def text(result: types.CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, types.TextContent))


def body(result: types.CallToolResult) -> Any:
    assert not result.is_error, text(result)
    return json.loads(text(result))


def environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, v in pairs}


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found
