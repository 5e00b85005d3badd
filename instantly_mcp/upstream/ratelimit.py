"""Client-side rate limits, so a busy server stays inside Instantly's budgets instead of collecting 429s.

Instantly allows 100 requests/s and 6000 requests/min per workspace, and a few endpoints have
stricter limits of their own (e.g. GET /api/v2/emails: 20/min). Instantly counts requests when
they arrive, which is some time after we send them and before their answer comes back. So a
request counts against each window from the moment it is admitted until `period_s` after it
ended (`Slot.release()`): then no window of Instantly's can see more than the limit, however the
network delays each request. (Counting from the moment of sending is not enough: two requests
sent 1.0 s apart can arrive 0.9 s apart.) A plain sliding window rather than a refilling token
bucket, since a full bucket plus its refill admits nearly twice the limit within one period.

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
from typing import Protocol, TypeVar

from instantly_mcp.catalog.operations import Limit

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


GLOBAL_LIMITS = (Limit(100, 1.0), Limit(6000, 60.0))
MAX_KEYS = 1024  # limiters kept beyond those still counting requests (about 3 KB each)


def per_worker_limits(workers: int, limits: Sequence[Limit] = GLOBAL_LIMITS) -> tuple[Limit, ...]:
    """Each of `workers` processes keeps its own windows, so each gets an equal share of the budget."""
    return tuple(Limit(max(1, limit.requests // max(1, workers)), limit.period_s) for limit in limits)


class Admitted(Protocol):
    def release(self) -> None: ...


class Limiter(Protocol):
    """What the client needs from one workspace's limiter, local (RateLimiter) or shared (shared_limiter.py)."""

    async def acquire(
        self, endpoint: str, endpoint_limits: Sequence[Limit] = (), *, within_s: float = math.inf
    ) -> Admitted: ...

    def wait_estimate(self, endpoint: str, endpoint_limits: Sequence[Limit] = ()) -> float: ...

    def hold_off(self, seconds: float) -> None:
        """Instantly answered 429 with Retry-After: `seconds` before the workspace's next request."""


class LimiterSource(Protocol):
    def for_key(self, key_fingerprint: str) -> Limiter: ...


class _Window:
    """The requests that still count against one limit: those in flight, and those that ended
    less than `period_s` ago (end times arrive in clock order, so the oldest is on the left)."""

    def __init__(self, limit: Limit) -> None:
        self.limit = limit
        self.in_flight = 0
        self._ended: deque[float] = deque()

    def opens_at(self, now: float) -> float:
        """Earliest clock time at which one more request keeps the window within its limit
        (infinity while only a request still in flight ending can make room)."""
        while self._ended and self._ended[0] <= now - self.limit.period_s:
            self._ended.popleft()
        excess = self.in_flight + len(self._ended) - self.limit.requests
        if excess < 0:
            return -math.inf
        if excess >= len(self._ended):
            return math.inf
        return self._ended[excess] + self.limit.period_s

    def end(self, at: float) -> None:
        self.in_flight -= 1
        self._ended.append(at)


class _Gate:
    """A set of limits passed together, with the FIFO queue of tasks waiting for them."""

    def __init__(self, limits: Sequence[Limit]) -> None:
        self.windows = tuple(_Window(limit) for limit in limits)
        self.queue = asyncio.Lock()

    def opens_at(self, now: float) -> float:
        return max((window.opens_at(now) for window in self.windows), default=-math.inf)


class Slot:
    """One admitted request; `release()` when it has ended (answered, failed or cancelled)."""

    def __init__(self, limiter: RateLimiter, windows: Sequence[_Window]) -> None:
        self._limiter = limiter
        self._windows = windows
        limiter.last_active = limiter._clock()
        for window in windows:
            window.in_flight += 1

    def release(self) -> None:
        windows, self._windows = self._windows, ()
        if windows:
            now = self._limiter._clock()
            self._limiter.last_active = now
            for window in windows:
                window.end(now)
            self._limiter._ended.set()


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
        self._ended = asyncio.Event()
        self.last_active = clock()

    async def acquire(
        self, endpoint: str, endpoint_limits: Sequence[Limit] = (), *, within_s: float = math.inf
    ) -> Slot:
        """Wait until every applicable limit allows one more request, then count it against all of them
        until `period_s` after the returned slot is released.

        Raises TimeoutError at once when the limits say the slot opens more than `within_s` seconds
        from now: waiting for a refusal that is already certain only costs the caller time (and made
        the outcome depend on how busy the machine was). Cancelling a waiting task gives its place up
        without using a slot.
        """
        deadline = self._clock() + within_s
        if not endpoint_limits:
            async with self._global.queue:
                await self._wait_until_open(self._global, deadline)
                return Slot(self, self._global.windows)
        gate = self._endpoint_gate(endpoint, endpoint_limits)
        async with gate.queue:
            await self._wait_until_open(gate, deadline)
            async with self._global.queue:
                await self._wait_until_open(self._global, deadline)
                return Slot(self, gate.windows + self._global.windows)

    def hold_off(self, seconds: float) -> None:
        """In one process the retrying call already waits the Retry-After; nothing to share."""

    def idle_since(self) -> float | None:
        """When this limiter last admitted or released a request; None while one is in flight or waiting."""
        gates = [self._global, *self._endpoints.values()]
        if self.in_flight or any(gate.queue.locked() for gate in gates):
            return None
        return self.last_active

    @property
    def in_flight(self) -> int:
        """Requests admitted and not yet released (the global windows see every one)."""
        return max((window.in_flight for window in self._global.windows), default=0)

    def wait_estimate(self, endpoint: str, endpoint_limits: Sequence[Limit] = ()) -> float:
        """Seconds until a request could be admitted, ignoring tasks already queued (a hint for Retry-After)."""
        now = self._clock()
        gates = [self._global] + ([self._endpoint_gate(endpoint, endpoint_limits)] if endpoint_limits else [])
        opens_at = max(gate.opens_at(now) for gate in gates)
        if opens_at == math.inf:  # every slot is held by a request in flight: at least one period more
            return max(w.limit.period_s for gate in gates for w in gate.windows)
        return max(0.0, opens_at - now)

    def _endpoint_gate(self, endpoint: str, endpoint_limits: Sequence[Limit]) -> _Gate:
        key = (endpoint, tuple(endpoint_limits))
        gate = self._endpoints.get(key)
        if gate is None:
            gate = self._endpoints[key] = _Gate(key[1])
        return gate

    async def _wait_until_open(self, gate: _Gate, deadline: float = math.inf) -> None:
        while (opens_at := gate.opens_at(now := self._clock())) > now:
            if deadline < opens_at < math.inf:
                raise TimeoutError(f"the next slot opens in {opens_at - now:.3g} s, after the deadline")
            if opens_at == math.inf:
                self._ended.clear()
                await self._ended.wait()
            else:
                await self._sleep(opens_at - now)


class RateLimiters:
    """One RateLimiter per workspace (keyed by API-key fingerprint), so tenants never share budgets.

    Instantly counts its limits per workspace across all of a workspace's keys; two keys of one
    workspace get separate limiters here, since a key alone does not reveal its workspace.

    Made-up keys must not grow memory without bound: a limiter idle for longer than its longest
    period (its windows are empty, so forgetting it changes nothing) is dropped, and beyond
    `max_keys` the least recently used idle limiters go first.
    """

    def __init__(
        self,
        global_limits: Sequence[Limit] = GLOBAL_LIMITS,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        max_keys: int = MAX_KEYS,
    ) -> None:
        self._global_limits = tuple(global_limits)
        self._clock = clock
        self._sleep = sleep
        self.max_keys = max_keys
        self._by_key: dict[str, RateLimiter] = {}  # least recently used first

    def __len__(self) -> int:
        return len(self._by_key)

    def for_key(self, key_fingerprint: str) -> RateLimiter:
        limiter = self._by_key.pop(key_fingerprint, None)
        if limiter is None:
            limiter = RateLimiter(self._global_limits, self._clock, self._sleep)
        self._by_key[key_fingerprint] = limiter
        self._evict(keep=key_fingerprint)
        return limiter

    def _evict(self, keep: str) -> None:
        forget_after = max((limit.period_s for limit in self._global_limits), default=0.0)
        evict_idle(self._by_key, keep, now=self._clock(), forget_after=forget_after, max_keys=self.max_keys)


class Forgettable(Protocol):
    def idle_since(self) -> float | None: ...


F = TypeVar("F", bound=Forgettable)


def evict_idle(by_key: dict[str, F], keep: str, *, now: float, forget_after: float, max_keys: int) -> None:
    """Drop idle limiters (`Forgettable`) from the least recently used end of `by_key`: all that are
    past `forget_after`, and more while there are over `max_keys`. Busy ones stay, whatever the count."""
    doomed: list[str] = []
    for fingerprint, limiter in by_key.items():
        if fingerprint == keep:
            break
        idle = limiter.idle_since()
        expired = idle is not None and now - idle > forget_after
        if not expired and len(by_key) - len(doomed) <= max_keys:
            break
        if idle is not None:
            doomed.append(fingerprint)
    for fingerprint in doomed:
        del by_key[fingerprint]
