"""Whose Instantly workspace a tool call acts on: the server's key, or (multi-tenant) the request's own.

With `--per-request-key` every HTTP request carries its tenant's key in `X-Instantly-Api-Key`. The
call then goes out through the one shared connection pool with that key: the client keeps a rate
limiter per key fingerprint, confirmation tokens are bound to the same fingerprint, and nothing is
cached between calls, so two tenants never share budgets, confirmations or data. The key itself
is only ever sent upstream in the Authorization header; logs and errors name its fingerprint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

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
    fingerprint: str


def valid_tenant_key(value: str | None) -> str | None:
    """The key from the header, or None when it is missing or could not be sent upstream."""
    key = (value or "").strip()
    return key if _HEADER_SAFE.fullmatch(key) else None


def header_key(ctx: Any) -> str | None:
    """X-Instantly-Api-Key of the HTTP request that carried this MCP message (None on stdio)."""
    request = getattr(ctx, "request", None)
    headers = getattr(request, "headers", None)
    return valid_tenant_key(headers.get(TENANT_KEY_HEADER)) if headers is not None else None


def tenant_of(client: InstantlyClient | None, fingerprint: str, *, per_request_key: bool, ctx: Any) -> Tenant | str:
    """The client and key fingerprint for this call (the server's own unless `per_request_key`), or
    an error message when the tenant's key is missing."""
    assert client is not None
    if not per_request_key:
        return Tenant(client, fingerprint)
    key = header_key(ctx)
    if key is None:
        return (
            f"This server is multi-tenant: every request must carry your Instantly API key in the "
            f"{TENANT_KEY_HEADER} header. Nothing was sent."
        )
    return Tenant(KeyedClient(client, key), key_fingerprint(key))
