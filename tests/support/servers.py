"""An in-process MCP server under a given policy, wired to the in-process sandbox.

Two independent records of what went upstream: the RecordingTransport the server's client sends
through (`sent`), and the sandbox's own `request_log` (`received`). `Human` answers elicitations.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx2
import mcp_types as types
from mcp import Client

from instantly_mcp.config import Settings
from instantly_mcp.transport.runtime import Runtime, build_runtime
from instantly_mcp.transport.server import build_server
from instantly_mcp.upstream.client import InstantlyClient

from support.recording import Exchange, RecordingTransport

SANDBOX_URL = "http://sandbox.test"
TEST_KEY = "sk-test-policy-0f3a9c51d2"


@dataclass
class Human:
    """Answers every elicitation with `action` (ticking the confirm box when `tick`) and keeps the questions."""

    action: str = "accept"
    tick: bool = True
    questions: list[str] = field(default_factory=list)

    async def __call__(self, context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        self.questions.append(params.message)
        content = {"confirm": self.tick} if self.action == "accept" else None
        return types.ElicitResult(action=self.action, content=content)


@dataclass
class Harness:
    client: Client
    runtime: Runtime
    upstream: RecordingTransport
    app: Any | None

    @property
    def sent(self) -> list[Exchange]:
        return self.upstream.exchanges

    @property
    def received(self) -> list[dict[str, Any]]:
        return self.app.state.sandbox.request_log if self.app is not None else []

    def nothing_sent(self) -> bool:
        return not self.sent and not self.received

    def writes(self) -> list[Exchange]:
        """Requests that could change something: everything but the summaries' GET lookups.
        The sandbox must have received the same ones, so nothing slips past the recorder."""
        writes = [e for e in self.sent if e.method != "GET"]
        if self.app is not None:
            assert [e.method for e in writes] == [r["method"] for r in self.received if r["method"] != "GET"]
        return writes

    async def call(self, name: str, arguments: dict[str, Any] | None = None) -> types.CallToolResult:
        return await self.client.call_tool(name, arguments or {})

    async def data(self, name: str, arguments: dict[str, Any] | None = None) -> Any:
        """A read tool's JSON answer, leaving the request log as it was before."""
        before, received = len(self.sent), len(self.received)
        result = await self.call(name, arguments)
        assert not result.is_error, result.content[0].text
        del self.sent[before:]
        del self.received[received:]
        return json.loads(result.content[0].text)


def sandbox_app(**options: Any) -> Any:
    from instantly_mcp.sandbox import create_app

    return create_app(**options)


@asynccontextmanager
async def policy_server(
    *,
    mode: str = "legacy",
    elicit: Human | None = None,
    clock: Callable[[], float] = time.time,
    api_key: str = TEST_KEY,
    app: Any | None = None,
    transport: httpx2.AsyncBaseTransport | None = None,
    **settings: Any,
) -> AsyncIterator[Harness]:
    """`settings` are Settings fields (scopes, toolsets, tools, read_only, confirm, secret, audit_log);
    upstream is `transport` when given, else the sandbox `app` (a fresh seeded one by default)."""
    config = Settings(api_key=api_key, base_url=SANDBOX_URL, **settings)
    runtime = build_runtime(config, clock=clock)
    if transport is None:
        app = app or sandbox_app()
        transport = httpx2.ASGITransport(app=app)
    upstream = RecordingTransport(inner=transport)
    runtime.client = InstantlyClient(base_url=SANDBOX_URL, api_key=api_key, transport=upstream, backoff_base=0.01)
    try:
        async with Client(build_server(config, runtime), mode=mode, elicitation_callback=elicit) as client:
            yield Harness(client=client, runtime=runtime, upstream=upstream, app=app)
    finally:
        await runtime.client.aclose()


def text(result: types.CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, types.TextContent))


def answer(result: types.CallToolResult) -> Any:
    assert not result.is_error, text(result)
    return json.loads(text(result))


class Clock:
    """Wall-clock seconds that move only when told to."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
