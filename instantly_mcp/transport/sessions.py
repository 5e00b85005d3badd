"""Session and call caps that keep one tenant from locking the others out.

Any header-safe string is a tenant key under --per-request-key, so a tenant is cheap to invent; the
caps therefore hold per tenant (sessions, calls in flight) and for the whole server (sessions). At
the global cap a new session evicts first the sessions of keys Instantly never answered as valid
(made up: `proven`), then the idlest session of the tenant holding the most, so a tenant with few
sessions keeps them while a flood of idle ones is cleared. Idle sessions also expire after
--session-idle-timeout.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from mcp.server.streamable_http import MCP_SESSION_ID_HEADER, StreamableHTTPServerTransport
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager, _error_response
from mcp_types import INTERNAL_ERROR
from starlette.datastructures import Headers
from starlette.types import Receive, Scope, Send

from instantly_mcp import metrics
from instantly_mcp.config import Settings
from instantly_mcp.transport.auth import ANONYMOUS, tenant_of_requestor, tenant_of_scope
from instantly_mcp.transport.tenant_caps import Opened, TenantCounters, counted, open_one

log = logging.getLogger(__name__)
TOO_MANY = "Too many open sessions for this tenant; close one or try later"


class TenantSessionManager(StreamableHTTPSessionManager):
    """The SDK's session manager with a per-tenant cap and idlest-first eviction at the global cap.
    Each session is also counted in `counters` (TenantCounters): in Redis they hold the tenant's
    cap across replicas, checked when the opening request is served (the admission step is sync)."""

    def __init__(
        self,
        app: Any,
        *,
        settings: Settings,
        stateless: bool = False,
        security_settings: Any = None,
        counters: TenantCounters | None = None,
        proven: Callable[[str], bool] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(
            app,
            stateless=stateless,
            security_settings=security_settings,
            max_sessions=None,
            session_idle_timeout=settings.session_idle_timeout_s,
            **options,
        )
        self.global_cap = settings.max_sessions
        self.tenant_cap = settings.max_sessions_per_tenant
        self._tenants: dict[str, str] = {}  # session id -> tenant
        self._last_seen: dict[str, float] = {}
        self.counters = counters
        self._counted: dict[str, Opened] = {}  # session id -> its count
        self.proven = proven or (lambda tenant: True)

    async def handle_request(self, scope: Scope, receive: Receive, send: Send) -> None:
        session_id = Headers(scope=scope).get(MCP_SESSION_ID_HEADER)
        self._touch(session_id)
        try:
            await super().handle_request(scope, receive, send)
        finally:
            self._touch(session_id)

    def _touch(self, session_id: str | None) -> None:
        if session_id is not None and session_id in self._last_seen:
            self._last_seen[session_id] = time.monotonic()

    def _admit_session(self, requestor: Any) -> StreamableHTTPServerTransport | None:
        tenant = tenant_of_requestor(requestor)
        self._forget_closed()
        held = sum(1 for owner in self._tenants.values() if owner == tenant)
        if tenant != ANONYMOUS and held >= self.tenant_cap:
            log.warning("Refusing a session: tenant %s already holds %d", tenant, held)
            return None
        while len(self._server_instances) >= self.global_cap:
            if not self._evict_one():
                return None
        transport = super()._admit_session(requestor)
        if transport is not None and transport.mcp_session_id is not None:
            self._tenants[transport.mcp_session_id] = tenant
            self._last_seen[transport.mcp_session_id] = time.monotonic()
        return transport

    async def _serve_opening_request(
        self, http_transport: StreamableHTTPServerTransport, scope: Scope, receive: Receive, send: Send
    ) -> None:
        session_id = http_transport.mcp_session_id
        if session_id is not None:
            tenant = tenant_of_scope(scope)
            opened = await open_one(self.counters, "session", tenant, None if tenant == ANONYMOUS else self.tenant_cap)
            if opened is None:
                await self._discard_session(session_id, http_transport)
                await _error_response(TOO_MANY, 503, INTERNAL_ERROR)(scope, receive, send)
                return
            self._counted[session_id] = opened
        await super()._serve_opening_request(http_transport, scope, receive, send)

    async def _discard_session(self, session_id: str, transport: StreamableHTTPServerTransport) -> None:
        opened = self._counted.pop(session_id, None)
        await super()._discard_session(session_id, transport)
        if opened is not None:
            await opened.close()

    def _forget_closed(self) -> None:
        for session_id in [s for s in self._tenants if s not in self._server_instances]:
            self._tenants.pop(session_id, None)
            self._last_seen.pop(session_id, None)

    def _evict_one(self) -> bool:
        """Close a session of a made-up key if there is one, else the idlest of the tenant holding the most."""
        counts = Counter(self._tenants.get(s, ANONYMOUS) for s in self._server_instances)
        if not counts:
            return False
        proven = {tenant: tenant == ANONYMOUS or self.proven(tenant) for tenant in counts}

        def rank(session: str) -> tuple[bool, int, float]:
            tenant = self._tenants.get(session, ANONYMOUS)
            return proven[tenant], -counts[tenant], self._last_seen.get(session, 0.0)

        victim = min(self._server_instances, key=rank)
        transport = self._server_instances.pop(victim)
        self._session_owners.pop(victim, None)
        self._tenants.pop(victim, None)
        self._last_seen.pop(victim, None)
        if transport.idle_scope is not None:
            transport.idle_scope.cancel()  # its server task ends and terminates the transport
        log.info("Evicted idle session %s at the global cap of %d", victim[:8], self.global_cap)
        return True


class CallCaps:
    """Calls in flight per tenant; each call holds at most one upstream connection at a time, so the
    cap is also the tenant's share of the shared connection pool. `per_tenant` None: counted, never
    capped (no --per-request-key). Every call is counted in `counters`; in Redis the cap holds across replicas."""

    def __init__(self, per_tenant: int | None, counters: TenantCounters | None = None) -> None:
        self.per_tenant = per_tenant
        self.counters = counters
        self._inflight: dict[str, int] = {}

    @property
    def counting(self) -> bool:
        """Whether anything reads the count: a cap, replicas sharing it, or /metrics."""
        return self.per_tenant is not None or (self.counters is not None and self.counters.shared) or metrics.enabled()

    @asynccontextmanager
    async def slot(self, tenant: str) -> AsyncIterator[bool]:
        """Yields False (and holds nothing) when the tenant is at its cap, here or across replicas."""
        if not self.counting:  # stdio: one client, no cap, nobody to tell
            yield True
            return
        held = self._inflight.get(tenant, 0)
        if self.per_tenant is not None and held >= self.per_tenant:
            yield False
            return
        self._inflight[tenant] = held + 1
        try:
            async with counted(self.counters, "call", tenant, self.per_tenant) as admitted:
                yield admitted
        finally:
            left = self._inflight[tenant] - 1
            if left:
                self._inflight[tenant] = left
            else:
                del self._inflight[tenant]


class SseCaps:
    """Legacy SSE connections per tenant and in total; a connection is active by nature, so the cap
    refuses new ones rather than evicting."""

    def __init__(self, settings: Settings) -> None:
        self.global_cap = settings.max_sessions
        self.tenant_cap = settings.max_sessions_per_tenant
        self.open: Counter[str] = Counter()

    def cap_of(self, tenant: str) -> int | None:
        return None if tenant == ANONYMOUS else self.tenant_cap

    def admits(self, tenant: str) -> bool:
        if sum(self.open.values()) >= self.global_cap:
            return False
        return tenant == ANONYMOUS or self.open[tenant] < self.tenant_cap

    @asynccontextmanager
    async def held(self, tenant: str) -> AsyncIterator[None]:
        self.open[tenant] += 1
        try:
            yield
        finally:
            self.open[tenant] -= 1
            if self.open[tenant] <= 0:
                del self.open[tenant]
