"""An httpx2 transport that keeps every request and response it carries, for assertions."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx2


@dataclass
class Exchange:
    method: str
    url: str
    body: bytes
    status: int
    headers: httpx2.Headers


@dataclass
class RecordingTransport(httpx2.AsyncBaseTransport):
    inner: httpx2.AsyncBaseTransport = field(default_factory=lambda: httpx2.AsyncHTTPTransport(trust_env=False))
    exchanges: list[Exchange] = field(default_factory=list)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.exchanges.append(Exchange(request.method, str(request.url), body, response.status_code, response.headers))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
