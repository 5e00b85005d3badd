"""One workspace budget for every replica: the sliding-window limits of ratelimit.py, kept in Redis.

Each limit of a workspace (keyed by key fingerprint) is a sorted set of requests scored by the
time they stop counting against it, less the period: Redis's own clock, so replicas with skewed
clocks agree. A Lua script checks every applicable limit and the workspace's 429 hold, and
records the request in all of them, in one atomic step. An admitted request is scored with a
lease (its end at the latest) until it is released, so a replica that dies mid-request frees its
slots once the lease and the period have passed.

Waiters of one replica queue on a local lock per limit set (FIFO, as in ratelimit.py), and only
the head polls Redis. When Redis cannot be reached, requests are admitted by a local limiter
holding this replica's share of the budget (limits / replicas), with a loud log line; Redis is
tried again after `RETRY_S`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import random
import secrets
import time
from collections.abc import Sequence

from redis.asyncio import Redis
from redis.exceptions import RedisError

from instantly_mcp import metrics
from instantly_mcp.catalog.operations import Limit
from instantly_mcp.upstream.ratelimit import (
    GLOBAL_LIMITS,
    MAX_KEYS,
    Admitted,
    RateLimiter,
    evict_idle,
    per_worker_limits,
)

log = logging.getLogger(__name__)

PREFIX = "instantly-mcp"
LEASE_MS = 120_000  # longer than any request's deadline (60 s)
POLL_S = 0.02
RETRY_S = 1.0

_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local hold = redis.call('PTTL', KEYS[#KEYS])
if hold > 0 then return hold end
local lease = tonumber(ARGV[2])
local wait = 0
for i = 1, #KEYS - 1 do
  local limit, period = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - period)
  local count = redis.call('ZCARD', KEYS[i])
  if count >= limit then
    local oldest = redis.call('ZRANGE', KEYS[i], count - limit, count - limit, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + period - now)
  end
end
if wait > 0 then return wait end
for i = 1, #KEYS - 1 do
  redis.call('ZADD', KEYS[i], now + lease, ARGV[1])
  redis.call('PEXPIRE', KEYS[i], lease + tonumber(ARGV[2 + 2 * i]))
end
return 0
"""

_RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, #KEYS do redis.call('ZADD', KEYS[i], 'XX', now, ARGV[1]) end
return 0
"""


def _spec(limits: Sequence[Limit]) -> str:
    return ",".join(f"{limit.requests}/{limit.period_s:g}" for limit in limits)


class SharedSlot:
    """One admitted request; `release()` starts its period (in Redis, without blocking the caller)."""

    def __init__(self, limiter: SharedRateLimiter, keys: list[str], member: str) -> None:
        self._limiter = limiter
        self._keys: list[str] | None = keys
        self._member = member

    def release(self) -> None:
        keys, self._keys = self._keys, None
        if keys:
            self._limiter.release_later(keys, self._member)


class SharedRateLimiter:
    """The limits of one workspace in Redis, with a local share of the budget while Redis is down."""

    def __init__(self, owner: SharedRateLimiters, fingerprint: str) -> None:
        self._owner = owner
        self._base = f"{PREFIX}:rl:{{{fingerprint}}}"
        self._local = RateLimiter(per_worker_limits(owner.replicas, owner.global_limits))
        self._queues: dict[str, asyncio.Lock] = {}
        self._last_wait = 0.0
        self.used_at = time.monotonic()

    def idle_since(self) -> float | None:
        """Since its last request; None while one of this replica waits in its queue or holds a
        fallback slot."""
        local = self._local.idle_since()
        if local is None or any(queue.locked() for queue in self._queues.values()):
            return None
        return max(local, self.used_at)

    async def acquire(
        self, endpoint: str, endpoint_limits: Sequence[Limit] = (), *, within_s: float = math.inf
    ) -> Admitted:
        """Wait until every limit has room across all replicas, then count the request against them all.
        TimeoutError at once when Redis says the slot opens after `within_s` (like RateLimiter)."""
        deadline = time.monotonic() + within_s
        limits = [*endpoint_limits, *self._owner.global_limits]
        keys = [f"{self._base}:{endpoint}:{_spec(endpoint_limits)}:{i}" for i in range(len(endpoint_limits))]
        keys += [f"{self._base}:global:{_spec([limit])}" for limit in self._owner.global_limits]
        queue = self._queues.setdefault(keys[0], asyncio.Lock())
        if not queue.locked():  # nobody of this replica is waiting: one try without queueing
            slot = await self._try(keys, limits)
            if isinstance(slot, SharedSlot):
                return slot
        async with queue:
            while self._owner.reachable():
                slot = await self._try(keys, limits)
                if slot is None:
                    break
                if isinstance(slot, SharedSlot):
                    return slot
                if time.monotonic() + slot > deadline:
                    raise TimeoutError(f"the next slot opens in {slot:.3g} s, after the deadline")
                await asyncio.sleep(min(slot, POLL_S * (1 + random.random())))
        metrics.LIMITER_FALLBACKS.inc()
        remaining = deadline - time.monotonic()
        return await self._local.acquire(endpoint, _share(endpoint_limits, self._owner.replicas), within_s=remaining)

    async def _try(self, keys: list[str], limits: Sequence[Limit]) -> SharedSlot | float | None:
        """A slot, or the seconds until one may be free, or None when Redis cannot be reached."""
        if not self._owner.reachable():
            return None
        member = self._owner.member()
        try:
            wait_ms = await self._owner.acquire_script(
                keys=[*keys, f"{self._base}:hold"], args=self._args(member, limits)
            )
        except (RedisError, OSError) as exc:
            self._owner.went_down(exc)
            return None
        self._owner.answered()
        self._last_wait = max(0, int(wait_ms)) / 1000
        return SharedSlot(self, keys, member) if int(wait_ms) <= 0 else self._last_wait

    def wait_estimate(self, endpoint: str, endpoint_limits: Sequence[Limit] = ()) -> float:
        return max(self._last_wait, self._local.wait_estimate(endpoint, _share(endpoint_limits, self._owner.replicas)))

    def hold_off(self, seconds: float) -> None:
        """Every replica waits out a 429's Retry-After before this workspace's next request."""
        self._owner.spawn(self._hold(seconds))

    async def _hold(self, seconds: float) -> None:
        try:
            await self._owner.redis.set(f"{self._base}:hold", "1", px=max(1, int(seconds * 1000)))
        except (RedisError, OSError) as exc:
            self._owner.went_down(exc)

    def release_later(self, keys: list[str], member: str) -> None:
        self._owner.spawn(self._release(keys, member))

    async def _release(self, keys: list[str], member: str) -> None:
        try:
            await self._owner.release_script(keys=keys, args=[member])
        except (RedisError, OSError) as exc:  # the lease ends it instead
            self._owner.went_down(exc)

    @staticmethod
    def _args(member: str, limits: Sequence[Limit]) -> list[str | int]:
        args: list[str | int] = [member, LEASE_MS]
        for limit in limits:
            args += [limit.requests, int(limit.period_s * 1000)]
        return args


def _share(limits: Sequence[Limit], replicas: int) -> tuple[Limit, ...]:
    return per_worker_limits(replicas, limits) if limits else ()


class SharedRateLimiters:
    """One SharedRateLimiter per workspace; `replicas` sets each one's share while Redis is down."""

    def __init__(self, redis: Redis, replicas: int = 1, global_limits: Sequence[Limit] = GLOBAL_LIMITS) -> None:
        self.redis = redis
        self.replicas = replicas
        self.global_limits = tuple(global_limits)
        self.acquire_script = redis.register_script(_ACQUIRE)
        self.release_script = redis.register_script(_RELEASE)
        self._by_key: dict[str, SharedRateLimiter] = {}  # least recently used first
        self._ids = itertools.count()
        self._replica = secrets.token_hex(6)
        self._down_until = 0.0
        self._outage = False
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._by_key)

    def for_key(self, key_fingerprint: str) -> SharedRateLimiter:
        """As RateLimiters.for_key: made-up keys must not grow memory, so idle ones are forgotten
        (their counts live in Redis; only the outage fallback's recent history goes)."""
        now = time.monotonic()
        limiter = self._by_key.pop(key_fingerprint, None) or SharedRateLimiter(self, key_fingerprint)
        limiter.used_at = now
        self._by_key[key_fingerprint] = limiter
        forget_after = max((limit.period_s for limit in self.global_limits), default=0.0)
        evict_idle(self._by_key, key_fingerprint, now=now, forget_after=forget_after, max_keys=MAX_KEYS)
        return limiter

    def member(self) -> str:
        return f"{self._replica}:{next(self._ids)}"

    def reachable(self) -> bool:
        """False for RETRY_S after a failure, so a dead Redis costs one attempt a second, not one per request."""
        return time.monotonic() >= self._down_until

    def answered(self) -> None:
        if self._outage:
            self._outage = False
            log.warning("instantly-mcp: Redis is reachable again: the rate limit is shared between replicas again")

    def went_down(self, exc: Exception) -> None:
        if not self._outage:
            self._outage = True
            log.error(
                "instantly-mcp: REDIS UNREACHABLE (%s): the rate limit is no longer shared; this replica now keeps "
                "to its own 1/%d share of each workspace's budget until Redis answers again",
                type(exc).__name__,
                self.replicas,
            )
        self._down_until = time.monotonic() + RETRY_S

    def spawn(self, coro: object) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
