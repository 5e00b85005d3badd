"""Stateful streamable HTTP sessions counted per tenant (TenantCounters and the sessions gauge).

The SDK's session manager has no hooks, so this subclass wraps the two steps every session passes:
the request that opens it and its discarding (client DELETE, idle timeout, crash, refused opening).
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from mcp.server.streamable_http import StreamableHTTPServerTransport
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.types import Receive, Scope, Send

from instantly_mcp import metrics
from instantly_mcp.gates.approvals import StoreUnavailable
from instantly_mcp.upstream.tenant_counters import TenantCounters


def tenant_of_scope(scope: Scope) -> str:
    """The principal the Guard set (the tenant with --per-request-key); empty otherwise."""
    return str(getattr(scope.get("user"), "username", "") or "")


class CountedSessionManager(StreamableHTTPSessionManager):
    def __init__(self, *args: Any, counters: TenantCounters | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.counters = counters
        self._open: dict[str, tuple[str, str | None]] = {}  # session id -> (tenant, lease)

    async def _serve_opening_request(
        self, http_transport: StreamableHTTPServerTransport, scope: Scope, receive: Receive, send: Send
    ) -> None:
        session_id = http_transport.mcp_session_id
        if session_id is not None:
            tenant = tenant_of_scope(scope)
            lease = None
            if self.counters is not None:
                with suppress(StoreUnavailable):
                    lease = await self.counters.acquire("session", tenant)
            self._open[session_id] = (tenant, lease)
            metrics.SESSIONS.labels(metrics.tenant_label(tenant)).inc()
        await super()._serve_opening_request(http_transport, scope, receive, send)

    async def _discard_session(self, session_id: str, transport: StreamableHTTPServerTransport) -> None:
        opened = self._open.pop(session_id, None)
        await super()._discard_session(session_id, transport)
        if opened is not None:
            tenant, lease = opened
            metrics.SESSIONS.labels(metrics.tenant_label(tenant)).dec()
            if self.counters is not None and lease is not None:
                await self.counters.release("session", tenant, lease)
