"""The security harness: our server as users run it, attacked through the real SDK client.

Fixtures (every test here can take them):

- `sandbox` (from tests/conftest.py): the sandbox as a separate HTTP server; `sandbox.requests()`
  is its request log, the record of what reached "Instantly".
- `transport`: "stdio" or "http"; a test taking `target` runs once per transport.
- `audit_path`: where the server under attack writes its audit log (INSTANTLY_AUDIT_LOG).
- `target`: a `Target`; `async with target.connect("--confirm", "token") as client:` starts
  `python -m instantly_mcp.cli <flags>` on that transport (streamable HTTP on 127.0.0.1 for
  "http"), with API_KEY as INSTANTLY_API_KEY and the sandbox as INSTANTLY_BASE_URL, and yields an
  SDK `mcp.Client` session. `target.serve(...)` keeps one HTTP server up for several sessions.
  `target.log()` is everything the server wrote to stderr.

Helpers: `nothing_sent(sandbox)` (the request log is empty), `one_audit_line(audit_path)` (exactly
one line; returns it parsed), `audit_lines(audit_path)`, `text(result)`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mcp_types as types
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from support.http_server import ROOT, McpHttpServer, clean_env, mcp_http_server
from support.sandbox_http import SandboxProcess

API_KEY = "sk_live_SECURITYtestKEY_7f3a9c51d2e84b06"
TRANSPORTS = ("stdio", "http")


@dataclass
class Served:
    """One running server: an HTTP process several sessions can reach, or (stdio) a recipe that
    starts a process per session."""

    target: Target
    args: tuple[str, ...]
    env: dict[str, str]
    http: McpHttpServer | None = None

    @asynccontextmanager
    async def connect(
        self, *, mode: str = "legacy", headers: dict[str, str] | None = None, **options: Any
    ) -> AsyncIterator[Client]:
        if self.http is None:
            params = StdioServerParameters(
                command=sys.executable, args=["-m", "instantly_mcp.cli", *self.args], env=self.env, cwd=str(ROOT)
            )
            with self.target.stderr_path.open("a") as errlog:
                async with Client(stdio_client(params, errlog=errlog), mode=mode, **options) as client:
                    yield client
            return
        async with (
            create_mcp_http_client(headers=headers) as http,
            Client(streamable_http_client(self.http.url, http_client=http), mode=mode, **options) as client,
        ):
            yield client


@dataclass
class Target:
    transport: str
    sandbox: SandboxProcess
    audit_path: Path
    tmp_path: Path
    api_key: str = API_KEY
    logs: list[Path] = field(default_factory=list)

    @property
    def stderr_path(self) -> Path:
        return self.tmp_path / "stdio-stderr.log"

    def env(self, **extra: str) -> dict[str, str]:
        values = {
            "INSTANTLY_API_KEY": self.api_key,
            "INSTANTLY_BASE_URL": self.sandbox.url + "/api/v2/",
            "INSTANTLY_AUDIT_LOG": str(self.audit_path),
        }
        return clean_env(**{**values, **extra})

    @contextmanager
    def serve(self, *args: str, **env: str) -> Iterator[Served]:
        """`env` overrides or adds INSTANTLY_* variables; an empty value removes one."""
        environment = {k: v for k, v in self.env(**env).items() if v != ""}
        if self.transport == "stdio":
            yield Served(self, args, environment)
            return
        wanted = {k: v for k, v in environment.items() if k.startswith("INSTANTLY_")}
        with mcp_http_server(self.tmp_path, "--transport", "http", *args, **wanted) as server:
            server.env = {**server.env, **{k: v for k, v in environment.items() if k == "PYTHONPATH"}}
            self.logs.append(server.log_path)
            yield Served(self, args, environment, server)

    @asynccontextmanager
    async def connect(self, *args: str, env: dict[str, str] | None = None, **options: Any) -> AsyncIterator[Client]:
        with self.serve(*args, **(env or {})) as served:
            async with served.connect(**options) as client:
                yield client

    def log(self) -> str:
        paths = [self.stderr_path, *self.logs]
        return "".join(p.read_text(errors="replace") for p in paths if p.exists())


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def audit_path(tmp_path: Path) -> Path:
    return tmp_path / "audit.jsonl"


@pytest.fixture
def target(transport: str, sandbox: SandboxProcess, audit_path: Path, tmp_path: Path) -> Target:
    return Target(transport, sandbox, audit_path, tmp_path)


def nothing_sent(sandbox: SandboxProcess) -> bool:
    """True when no request at all reached the sandbox since the test's reset."""
    return sandbox.requests() == []


def audit_lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def one_audit_line(path: Path) -> dict[str, Any]:
    lines = audit_lines(path)
    assert len(lines) == 1, f"expected exactly one audit line, got {len(lines)}: {lines}"
    return lines[0]


def text(result: types.CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, types.TextContent))
