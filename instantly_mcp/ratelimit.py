"""Client-side rate limits, so a busy server stays inside Instantly's budgets instead of collecting 429s.

Instantly allows 100 requests/s and 6000 requests/min per workspace, and a few endpoints have
stricter limits of their own (e.g. GET /api/v2/emails: 20/min). Each limit is enforced as a sliding
window over the last `requests` admissions rather than a refilling token bucket: a full bucket
plus its refill admits nearly twice the limit within one period, which Instantly answers with 429.

Waiters queue on an asyncio.Lock per limit set, which is FIFO: only the head of the queue sleeps,
so a freed slot wakes exactly one task (no thundering herd), and the slot is recorded in the same
step that checks it (no over-admission). Endpoint limits are passed before the global ones, so a
request parked on a slow endpoint never holds up requests to other endpoints.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class Limit:
    """At most `requests` requests in any window of `period_s` seconds."""

    requests: int
    period_s: float

    def __post_init__(self) -> None:
        if self.requests < 1 or not self.period_s > 0:
            raise ValueError(f"a limit needs requests >= 1 and period_s > 0, got {self}")


GLOBAL_LIMITS = (Limit(100, 1.0), Limit(6000, 60.0))


class _Window:
    """The admission times that still count against one limit (only the newest `requests` can matter)."""

    def __init__(self, limit: Limit) -> None:
        self.limit = limit
        self._admitted: deque[float] = deque(maxlen=limit.requests)

    def opens_at(self) -> float:
        """Earliest clock time at which one more admission keeps every window within the limit."""
        if len(self._admitted) < self.limit.requests:
            return -math.inf
        return self._admitted[0] + self.limit.period_s

    def record(self, at: float) -> None:
        self._admitted.append(at)


class _Gate:
    """A set of limits passed together, with the FIFO queue of tasks waiting for them."""

    def __init__(self, limits: Sequence[Limit]) -> None:
        self.windows = tuple(_Window(limit) for limit in limits)
        self.queue = asyncio.Lock()

    def opens_at(self) -> float:
        return max((window.opens_at() for window in self.windows), default=-math.inf)

    def record(self, at: float) -> None:
        for window in self.windows:
            window.record(at)


class RateLimiter:
    """Sliding-window limits for one workspace: the global limits plus per-endpoint limits."""

    def __init__(
        self,
        global_limits: Sequence[Limit] = GLOBAL_LIMITS,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._global = _Gate(global_limits)
        self._endpoints: dict[tuple[str, tuple[Limit, ...]], _Gate] = {}

    async def acquire(self, endpoint: str, endpoint_limits: Sequence[Limit] = ()) -> None:
        """Wait until every applicable limit allows one more request, then count it against all of them.

        Cancelling a waiting task gives its place up without using a slot.
        """
        if not endpoint_limits:
            async with self._global.queue:
                await self._wait_until_open(self._global)
                self._global.record(self._clock())
            return
        gate = self._endpoint_gate(endpoint, endpoint_limits)
        async with gate.queue:
            await self._wait_until_open(gate)
            async with self._global.queue:
                await self._wait_until_open(self._global)
                now = self._clock()
                gate.record(now)
                self._global.record(now)

    def wait_estimate(self, endpoint: str, endpoint_limits: Sequence[Limit] = ()) -> float:
        """Seconds until a request could be admitted, ignoring tasks already queued (a hint for Retry-After)."""
        opens_at = self._global.opens_at()
        if endpoint_limits:
            opens_at = max(opens_at, self._endpoint_gate(endpoint, endpoint_limits).opens_at())
        return max(0.0, opens_at - self._clock())

    def _endpoint_gate(self, endpoint: str, endpoint_limits: Sequence[Limit]) -> _Gate:
        key = (endpoint, tuple(endpoint_limits))
        gate = self._endpoints.get(key)
        if gate is None:
            gate = self._endpoints[key] = _Gate(key[1])
        return gate

    async def _wait_until_open(self, gate: _Gate) -> None:
        while (delay := gate.opens_at() - self._clock()) > 0:
            await self._sleep(delay)


class RateLimiters:
    """One RateLimiter per workspace (keyed by API-key fingerprint), so tenants never share budgets.

    Instantly counts its limits per workspace across all of a workspace's keys; two keys of one
    workspace get separate limiters here, since a key alone does not reveal its workspace.
    """

    def __init__(
        self,
        global_limits: Sequence[Limit] = GLOBAL_LIMITS,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._global_limits = tuple(global_limits)
        self._clock = clock
        self._sleep = sleep
        self._by_key: dict[str, RateLimiter] = {}

    def for_key(self, key_fingerprint: str) -> RateLimiter:
        limiter = self._by_key.get(key_fingerprint)
        if limiter is None:
            limiter = self._by_key[key_fingerprint] = RateLimiter(self._global_limits, self._clock, self._sleep)
        return limiter
