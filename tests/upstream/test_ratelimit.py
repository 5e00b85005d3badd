"""RateLimiter: sliding-window limits never exceeded, FIFO under concurrency, separate budgets per key."""

from __future__ import annotations

import asyncio
import bisect
import time

import pytest

from instantly_mcp.catalog.operations import Limit
from instantly_mcp.upstream.ratelimit import GLOBAL_LIMITS, RateLimiter, RateLimiters

from support.fake_time import FakeTime

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def max_in_window(times: list[float], period: float) -> int:
    """Most admissions inside any half-open window (t - period, t]."""
    ordered = sorted(times)
    return max(i + 1 - bisect.bisect_right(ordered, t - period) for i, t in enumerate(ordered))


def limiter_with(fake: FakeTime, limits=GLOBAL_LIMITS) -> RateLimiter:
    return RateLimiter(limits, clock=fake.clock, sleep=fake.sleep)


async def admit(limiter: RateLimiter, fake: FakeTime, n: int, endpoint: str = "GET /x", limits=()) -> list[float]:
    times = []
    for _ in range(n):
        (await limiter.acquire(endpoint, limits)).release()
        times.append(fake.now)
    return times


def test_limit_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        Limit(0, 1.0)
    with pytest.raises(ValueError):
        Limit(10, 0)


async def test_burst_of_250_stays_within_100_per_second_without_overthrottling() -> None:
    fake = FakeTime()
    times = await admit(limiter_with(fake), fake, 250)
    assert max_in_window(times, 1.0) == 100
    assert times.count(0.0) == 100 and times.count(1.0) == 100 and times.count(2.0) == 50
    assert len(fake.sleeps) == 2


async def test_6000_per_minute_holds_across_a_long_burst() -> None:
    fake = FakeTime()
    times = await admit(limiter_with(fake), fake, 6150)
    assert max_in_window(times, 1.0) <= 100
    assert max_in_window(times, 60.0) == 6000
    assert times[5999] == pytest.approx(59.0)
    assert times[6000] == pytest.approx(60.0)


async def test_window_slides_rather_than_resetting_on_the_second() -> None:
    fake = FakeTime()
    limiter = limiter_with(fake, (Limit(100, 1.0),))
    fake.now = 0.5
    await admit(limiter, fake, 100)
    fake.now = 1.0
    await limiter.acquire("GET /x")
    assert fake.now == pytest.approx(1.5)


async def test_per_endpoint_limit_is_enforced_and_spares_other_endpoints() -> None:
    fake = FakeTime()
    limiter = limiter_with(fake)
    per_minute_20 = (Limit(20, 60.0),)
    emails = await admit(limiter, fake, 20, "GET /api/v2/emails", per_minute_20)
    assert emails == [0.0] * 20
    await admit(limiter, fake, 50, "GET /api/v2/campaigns")
    assert fake.now == 0.0
    emails += await admit(limiter, fake, 25, "GET /api/v2/emails", per_minute_20)
    assert max_in_window(emails, 60.0) == 20
    assert emails[20] == 60.0 and emails[40] == 120.0


async def test_endpoint_limit_counts_against_the_global_budget_too() -> None:
    fake = FakeTime()
    limiter = limiter_with(fake, (Limit(10, 1.0),))
    await admit(limiter, fake, 10, "POST /api/v2/emails/test", (Limit(10, 60.0),))
    await limiter.acquire("GET /api/v2/campaigns")
    assert fake.now == 1.0


async def test_request_waiting_on_its_endpoint_does_not_block_others() -> None:
    fake = FakeTime()
    one_minute_passes = asyncio.Event()

    async def sleep_until_released(delay: float) -> None:
        await one_minute_passes.wait()
        await fake.sleep(delay)

    limiter = RateLimiter(GLOBAL_LIMITS, clock=fake.clock, sleep=sleep_until_released)
    one_per_minute = (Limit(1, 60.0),)
    (await limiter.acquire("GET /api/v2/emails", one_per_minute)).release()
    parked = asyncio.create_task(limiter.acquire("GET /api/v2/emails", one_per_minute))
    await asyncio.sleep(0)

    await asyncio.wait_for(limiter.acquire("GET /api/v2/campaigns"), timeout=30)  # a hang guard
    assert not parked.done() and fake.now == 0.0

    one_minute_passes.set()
    await parked
    assert fake.sleeps == [60.0]


async def test_50_concurrent_tasks_are_admitted_fifo_without_overadmission_or_herd() -> None:
    fake = FakeTime()
    limiter = limiter_with(fake, (Limit(10, 1.0),))
    admitted: list[tuple[int, float]] = []

    async def call(i: int) -> None:
        slot = await limiter.acquire("GET /x")
        admitted.append((i, fake.now))
        slot.release()

    async with asyncio.TaskGroup() as tasks:
        for i in range(50):
            tasks.create_task(call(i))
    assert [i for i, _ in admitted] == list(range(50))
    assert max_in_window([t for _, t in admitted], 1.0) == 10
    assert admitted[-1][1] == 4.0
    assert len(fake.sleeps) == 4


async def test_cancelled_waiter_gives_up_its_place_without_using_a_slot() -> None:
    fake = FakeTime()
    limiter = limiter_with(fake, (Limit(1, 1.0),))
    (await limiter.acquire("GET /x")).release()
    gate_open = asyncio.Event()

    async def blocked_sleep(delay: float) -> None:
        await gate_open.wait()

    limiter._sleep = blocked_sleep
    waiter = asyncio.create_task(limiter.acquire("GET /x"))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    limiter._sleep = fake.sleep
    fake.now = 1.0
    await limiter.acquire("GET /x")
    assert fake.sleeps == []


async def test_separate_buckets_per_key_fingerprint() -> None:
    fake = FakeTime()
    limiters = RateLimiters((Limit(5, 1.0),), clock=fake.clock, sleep=fake.sleep)
    tenant_a, tenant_b = limiters.for_key("aaaa"), limiters.for_key("bbbb")
    assert limiters.for_key("aaaa") is tenant_a and tenant_a is not tenant_b
    await admit(tenant_a, fake, 5)
    await admit(tenant_b, fake, 5)
    assert fake.now == 0.0
    await tenant_a.acquire("GET /x")
    assert fake.now == 1.0


async def test_wait_estimate_reports_when_a_slot_frees() -> None:
    fake = FakeTime()
    limiter = limiter_with(fake)
    per_minute_20 = (Limit(20, 60.0),)
    assert limiter.wait_estimate("GET /api/v2/emails", per_minute_20) == 0.0
    await admit(limiter, fake, 20, "GET /api/v2/emails", per_minute_20)
    fake.now = 15.0
    assert limiter.wait_estimate("GET /api/v2/emails", per_minute_20) == 45.0
    assert limiter.wait_estimate("GET /api/v2/campaigns") == 0.0


async def test_real_clock_and_sleep() -> None:
    limiter = RateLimiter((Limit(5, 0.1),))
    started = time.monotonic()
    stamps = []
    for _ in range(15):
        (await limiter.acquire("GET /x")).release()
        stamps.append(time.monotonic())
    assert max_in_window(stamps, 0.1) <= 5
    assert time.monotonic() - started >= 0.2  # two full windows waited out (a busy machine only adds to it)


async def test_a_request_counts_until_a_period_after_it_ended() -> None:
    """Instantly counts a request when it arrives, somewhere between sending and the answer: the
    window holds it from admission until period_s after release, whatever the network did."""
    fake = FakeTime()
    limiter = limiter_with(fake, (Limit(2, 1.0),))
    first, second = await limiter.acquire("GET /x"), await limiter.acquire("GET /x")
    assert limiter.wait_estimate("GET /x") == 1.0  # both in flight: at least a period more
    third = asyncio.create_task(limiter.acquire("GET /x"))
    await asyncio.sleep(0)
    assert not third.done()
    fake.now = 5.0  # a slow answer
    first.release()
    first.release()  # releasing twice changes nothing
    slot = await third
    assert fake.now == 6.0 and fake.sleeps == [1.0]
    second.release()
    slot.release()


async def test_a_slot_that_opens_after_the_deadline_is_refused_at_once_and_one_before_it_waits() -> None:
    fake = FakeTime()
    limiter = limiter_with(fake, (Limit(2, 1.0), Limit(3, 60.0)))
    await admit(limiter, fake, 2)
    (await limiter.acquire("GET /x", within_s=1.5)).release()  # the 1 s window opens in time
    assert fake.now == 1.0 and fake.sleeps == [1.0]
    with pytest.raises(TimeoutError):
        await limiter.acquire("GET /x", within_s=30)  # the minute window opens at 60 s
    assert fake.now == 1.0 and fake.sleeps == [1.0]
    assert limiter.in_flight == 0
    (await limiter.acquire("GET /x", within_s=60)).release()
    assert fake.now == 60.0
