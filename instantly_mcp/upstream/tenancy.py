"""Whose Instantly workspace a tool call acts on: the server's key, or (multi-tenant) the request's own.

With `--per-request-key` every HTTP request carries its tenant's key in `X-Instantly-Api-Key`. The
call then goes out through the one shared connection pool with that key: the client keeps a rate
limiter per key fingerprint, confirmation tokens are bound to the same fingerprint, and nothing is
cached between calls, so two tenants never share budgets, confirmations or data. The key itself
is only ever sent upstream in the Authorization header; logs and errors name its fingerprint.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import httpx2
from mcp.server.auth.provider import AccessToken

from instantly_mcp.upstream.client import ApiRequest, ApiResponse, InstantlyClient, Requester, key_fingerprint

TENANT_KEY_HEADER = "X-Instantly-Api-Key"
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")


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


def valid_tenant_key(value: str | None) -> str | None:
    """The key from the header, or None when it is missing or could not be sent upstream."""
    key = (value or "").strip()
    return key if _HEADER_SAFE.fullmatch(key) else None


def header_key(ctx: Any) -> str | None:
    """X-Instantly-Api-Key of the HTTP request that carried this MCP message (None on stdio)."""
    request = getattr(ctx, "request", None)
    headers = getattr(request, "headers", None)
    return valid_tenant_key(headers.get(TENANT_KEY_HEADER)) if headers is not None else None


def principal_of(ctx: Any) -> str | None:
    """`oauth:<digest of issuer and subject>` for a call made with an OAuth token, else None."""
    request = getattr(ctx, "request", None)
    user = request.scope.get("user") if request is not None and hasattr(request, "scope") else None
    token = getattr(user, "access_token", None)
    if not isinstance(token, AccessToken) or token.subject is None:
        return None
    issuer = (token.claims or {}).get("iss", "")
    return "oauth:" + key_fingerprint(f"{issuer}\0{token.subject}")


def tenant_of(client: InstantlyClient | None, fingerprint: str, *, per_request_key: bool, ctx: Any) -> Tenant | str:
    """The client and key fingerprint for this call (the server's own unless `per_request_key`), or
    an error message when the tenant's key is missing. An OAuth user is bound into the fingerprint."""
    assert client is not None
    principal = principal_of(ctx)
    bound = f"/{principal}" if principal else ""
    if not per_request_key:
        return Tenant(client, fingerprint + bound, principal)
    key = header_key(ctx)
    if key is None:
        return (
            f"This server is multi-tenant: every request must carry your Instantly API key in the "
            f"{TENANT_KEY_HEADER} header. Nothing was sent."
        )
    return Tenant(KeyedClient(client, key), key_fingerprint(key) + bound, principal)


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
