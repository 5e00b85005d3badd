"""Whose Instantly workspace a tool call acts on: the server's key, or (multi-tenant) the request's own.

With `--per-request-key` every HTTP request carries its tenant's key in `X-Instantly-Api-Key`. The
call then goes out through the one shared connection pool with that key: the client keeps a rate
limiter per key fingerprint, confirmation tokens are bound to the same fingerprint, and nothing is
cached between calls, so two tenants never share budgets, confirmations or data. The key itself
is only ever sent upstream in the Authorization header; logs and errors name its fingerprint.
Which tenant a request is (its header, its OAuth user) is transport/auth.py's question.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import httpx2

from instantly_mcp.upstream.client import ApiRequest, ApiResponse, InstantlyClient, Requester, key_fingerprint


class KeyedClient:
    """The shared client, sending one tenant's key on every request (a view: no pool of its own)."""

    def __init__(self, inner: InstantlyClient, api_key: str) -> None:
        self._inner = inner
        self._api_key = api_key

    async def request(self, req: ApiRequest, *, api_key: str | None = None) -> ApiResponse:
        return await self._inner.request(req, api_key=api_key or self._api_key)

    def __repr__(self) -> str:
        return f"KeyedClient(key_fingerprint={key_fingerprint(self._api_key)!r})"


@dataclass(frozen=True)
class Tenant:
    client: Requester
    fingerprint: str  # what confirmations bind to: the key's, and the OAuth user's when there is one
    principal: str | None = None  # the OAuth user (--oauth-issuer), for the audit log


MAX_SANDBOX_TENANTS = 256


class TenantSandboxes(httpx2.AsyncBaseTransport):
    """`--per-request-key --sandbox`: each tenant key gets its own in-process sandbox workspace, so
    no tenant reads or changes another's. The least recently used workspace is dropped beyond
    MAX_SANDBOX_TENANTS (a sandbox is disposable; its next request starts from the seed again)."""

    def __init__(self, db_path: str | None = None, limit: int = MAX_SANDBOX_TENANTS, scale: str = "demo") -> None:
        self._db_path = db_path
        self._scale = scale
        self._limit = limit
        self._apps: OrderedDict[str, httpx2.ASGITransport] = OrderedDict()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        return await self.workspace(request.headers.get("authorization", "")).handle_async_request(request)

    def workspace(self, authorization: str) -> httpx2.ASGITransport:
        from instantly_mcp.sandbox import create_app

        tenant = key_fingerprint(authorization)
        transport = self._apps.get(tenant)
        if transport is None:
            db_path = f"{self._db_path}.{tenant}" if self._db_path else None
            transport = self._apps[tenant] = httpx2.ASGITransport(app=create_app(db_path=db_path, scale=self._scale))
            while len(self._apps) > self._limit:
                self._apps.popitem(last=False)
        self._apps.move_to_end(tenant)
        return transport
