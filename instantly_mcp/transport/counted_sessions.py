"""Stateful streamable HTTP sessions counted per tenant (TenantCounters and the sessions gauge).

The SDK's session manager has no hooks, so this subclass wraps the two steps every session passes:
the request that opens it and its discarding (client DELETE, idle timeout, crash, refused opening).
"""

from __future__ import annotations

from typing import Any

from mcp.server.streamable_http import StreamableHTTPServerTransport
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.types import Receive, Scope, Send

from instantly_mcp.upstream.tenant_counters import Opened, TenantCounters, open_one


def tenant_of_scope(scope: Scope) -> str:
    """The principal the Guard set (the tenant with --per-request-key); empty otherwise."""
    return str(getattr(scope.get("user"), "username", "") or "")


class CountedSessionManager(StreamableHTTPSessionManager):
    def __init__(self, *args: Any, counters: TenantCounters | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.counters = counters
        self._open: dict[str, Opened] = {}  # by session id

    async def _serve_opening_request(
        self, http_transport: StreamableHTTPServerTransport, scope: Scope, receive: Receive, send: Send
    ) -> None:
        session_id = http_transport.mcp_session_id
        if session_id is not None:
            self._open[session_id] = await open_one(self.counters, "session", tenant_of_scope(scope))
        await super()._serve_opening_request(http_transport, scope, receive, send)

    async def _discard_session(self, session_id: str, transport: StreamableHTTPServerTransport) -> None:
        opened = self._open.pop(session_id, None)
        await super()._discard_session(session_id, transport)
        if opened is not None:
            await opened.close()
