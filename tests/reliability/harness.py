"""Helpers for the reliability tests: MCP sessions over one shared client, a transport that counts
what leaves the client, and count-in-window checks on the sandbox's request log."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx2
from mcp import Client

from instantly_mcp.config import Settings
from instantly_mcp.transport.runtime import Runtime, build_runtime
from instantly_mcp.transport.server import build_server
from instantly_mcp.upstream.client import InstantlyClient

from support.servers import answer as data  # noqa: F401  (re-exported for the reliability tests)
from support.servers import text  # noqa: F401  (re-exported for the reliability tests)

KEY = "sk-reliability-4b1d7e0c9a5f"


@dataclass
class CountingTransport(httpx2.AsyncBaseTransport):
    """Notes every request as it leaves the client, before any answer (or none) comes back, and
    when by `clock` (the virtual one the limiter runs on, in tests that count against windows)."""

    inner: httpx2.AsyncBaseTransport = field(default_factory=lambda: httpx2.AsyncHTTPTransport())
    sent: list[tuple[str, str]] = field(default_factory=list)
    clock: Callable[[], float] | None = None
    stamps: list[float] = field(default_factory=list)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.sent.append((request.method, request.url.raw_path.decode().split("?", 1)[0]))
        if self.clock is not None:
            self.stamps.append(self.clock())
        return await self.inner.handle_async_request(request)

    def stamps_of(self, path_prefix: str) -> list[float]:
        return [t for (_, path), t in zip(self.sent, self.stamps, strict=True) if path.startswith(path_prefix)]

    async def aclose(self) -> None:
        await self.inner.aclose()

    def count(self, method: str, path_prefix: str) -> int:
        return sum(1 for m, p in self.sent if m == method and p.startswith(path_prefix))


@dataclass
class Served:
    clients: list[Client]
    runtime: Runtime
    transport: CountingTransport

    @property
    def client(self) -> Client:
        return self.clients[0]

    @property
    def http(self) -> InstantlyClient:
        assert self.runtime.client is not None
        return self.runtime.client


@asynccontextmanager
async def served(
    url: str, *, sessions: int = 1, mode: str = "legacy", settings: Settings | None = None, **client_options: Any
) -> AsyncIterator[Served]:
    """`sessions` MCP client sessions, each on its own server instance, all sharing one runtime:
    one InstantlyClient, one connection pool, one rate limiter per workspace."""
    settings = settings or Settings(api_key=KEY, base_url=url, confirm="off")
    runtime = build_runtime(settings)
    transport = client_options.pop("transport", None) or CountingTransport()
    runtime.client = InstantlyClient(base_url=url, api_key=KEY, transport=transport, **client_options)
    try:
        async with AsyncExitStack() as stack:
            clients = [
                await stack.enter_async_context(Client(build_server(settings, runtime), mode=mode))
                for _ in range(sessions)
            ]
            yield Served(clients, runtime, transport)
    finally:
        await runtime.client.aclose()


def max_in_window(timestamps: Iterable[float], period_s: float) -> int:
    """The most timestamps inside any window [t, t + period_s)."""
    ts = sorted(timestamps)
    most, start = 0, 0
    for end, t in enumerate(ts):
        while t - ts[start] >= period_s:
            start += 1
        most = max(most, end - start + 1)
    return most


class Sleeps:
    """A backoff sleep that takes no time and remembers what it was asked for."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
