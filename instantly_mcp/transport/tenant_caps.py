"""How many sessions and tool calls each tenant has open: in this process, or across replicas in Redis.

The per-tenant caps ask `acquire(kind, tenant, cap)` before opening a session or starting a call
and `release(kind, tenant, lease)` when it ends. In Redis each open one is a member of a sorted
set scored by its lease's end, so a replica that dies without releasing frees its share once the
lease runs out (LEASE_S per kind), and the count and cap check is one Lua step across replicas.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Literal, Protocol

from prometheus_client import Gauge
from redis.asyncio import Redis
from redis.exceptions import RedisError

from instantly_mcp import metrics
from instantly_mcp.errors import StoreUnavailable

Kind = Literal["session", "call"]
LEASE_S: dict[Kind, int] = {"session": 24 * 3600, "call": 300}
PREFIX = "instantly-mcp:tenant"
log = logging.getLogger(__name__)


class TenantCounters(Protocol):
    shared: bool  # counted across replicas: only then is a cap worth asking them (one process counts exactly itself)

    async def acquire(self, kind: Kind, tenant: str, cap: int | None = None) -> str | None:
        """A lease on one more `kind` for `tenant`, or None when `cap` are already open."""

    async def release(self, kind: Kind, tenant: str, lease: str) -> None: ...

    async def count(self, kind: Kind, tenant: str) -> int: ...


class MemoryTenantCounters:
    """One process's counts (no Redis): what the caps see on a single replica."""

    shared = False

    def __init__(self) -> None:
        self._open: dict[Kind, Counter[str]] = {"session": Counter(), "call": Counter()}
        self._ids = itertools.count()

    async def acquire(self, kind: Kind, tenant: str, cap: int | None = None) -> str | None:
        if cap is not None and self._open[kind][tenant] >= cap:
            return None
        self._open[kind][tenant] += 1
        return str(next(self._ids))

    async def release(self, kind: Kind, tenant: str, lease: str) -> None:
        counts = self._open[kind]
        counts[tenant] -= 1
        if counts[tenant] <= 0:
            del counts[tenant]

    async def count(self, kind: Kind, tenant: str) -> int:
        return self._open[kind][tenant]


_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local cap = tonumber(ARGV[3])
if cap >= 0 and redis.call('ZCARD', KEYS[1]) >= cap then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
"""


class RedisTenantCounters:
    """Counts shared by every replica on one Redis; a failure raises StoreUnavailable."""

    shared = True

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._acquire = redis.register_script(_ACQUIRE)
        self._replica = secrets.token_hex(6)
        self._ids = itertools.count()

    async def acquire(self, kind: Kind, tenant: str, cap: int | None = None) -> str | None:
        lease = f"{self._replica}:{next(self._ids)}"
        try:
            admitted = await self._acquire(
                keys=[_key(kind, tenant)], args=[lease, LEASE_S[kind], -1 if cap is None else cap]
            )
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(f"Redis is unreachable ({type(exc).__name__})") from None
        return lease if admitted else None

    async def release(self, kind: Kind, tenant: str, lease: str) -> None:
        with suppress(RedisError, OSError):  # else its lease ends it
            await self.redis.zrem(_key(kind, tenant), lease)

    async def count(self, kind: Kind, tenant: str) -> int:
        try:
            return int(await self.redis.zcount(_key(kind, tenant), time.time(), "+inf"))
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(f"Redis is unreachable ({type(exc).__name__})") from None


def _key(kind: Kind, tenant: str) -> str:
    return f"{PREFIX}:{kind}:{{{tenant}}}"


@dataclass
class Opened:
    """One counted session or call: in TenantCounters (when they answered) and in its per-tenant gauge."""

    counters: TenantCounters | None
    kind: Kind
    tenant: str
    lease: str | None

    async def close(self) -> None:
        _lower(self.kind, self.tenant)
        if self.counters is not None and self.lease is not None:
            await self.counters.release(self.kind, self.tenant, self.lease)


async def open_one(counters: TenantCounters | None, kind: Kind, tenant: str, cap: int | None = None) -> Opened | None:
    """Count one more `kind` for `tenant`, or None when shared counters already hold `cap` of them
    across replicas. The caller's own (per-process) cap has been checked first, so a cap is asked
    of shared counters only. While Redis is unreachable it is uncounted and not refused: each
    replica's own caps still hold, as the rate limiter falls back to its local share."""
    lease = None
    if counters is not None:
        with suppress(StoreUnavailable):
            lease = await counters.acquire(kind, tenant, cap if counters.shared else None)
            if lease is None:
                log.warning(
                    "Refusing a %s: tenant %s holds %s across replicas", kind, metrics.tenant_label(tenant), cap
                )
                return None
    _raise(kind, tenant)
    return Opened(counters, kind, tenant, lease)


@asynccontextmanager
async def counted(
    counters: TenantCounters | None, kind: Kind, tenant: str, cap: int | None = None
) -> AsyncIterator[bool]:
    """Yields False (holding nothing) when the tenant is at `cap` across replicas."""
    opened = await open_one(counters, kind, tenant, cap)
    try:
        yield opened is not None
    finally:
        if opened is not None:
            await opened.close()


_OPEN: Counter[tuple[Kind, str]] = Counter()  # what each per-tenant gauge series shows


def _gauge(kind: Kind) -> Gauge:
    return metrics.SESSIONS if kind == "session" else metrics.CALLS_IN_FLIGHT


def _raise(kind: Kind, tenant: str) -> None:
    label = metrics.tenant_label(tenant)
    _OPEN[kind, label] += 1
    _gauge(kind).labels(label).inc()


def _lower(kind: Kind, tenant: str) -> None:
    """One fewer; at none the tenant's series goes too, so /metrics holds only tenants with something open."""
    label = metrics.tenant_label(tenant)
    _OPEN[kind, label] -= 1
    if _OPEN[kind, label] > 0:
        _gauge(kind).labels(label).dec()
        return
    del _OPEN[kind, label]
    with suppress(KeyError):
        _gauge(kind).remove(label)


def tenant_counters(redis_url: str | None) -> TenantCounters:
    if not redis_url:
        return MemoryTenantCounters()
    from instantly_mcp.upstream.redis_conn import connect

    return RedisTenantCounters(connect(redis_url))
