"""Many sessions, one client: 50 tool calls in flight at once share one connection pool and one
rate limiter per workspace, and what reaches the sandbox stays inside Instantly's limits, counted
in windows over the sandbox's own request timestamps. A call the client cancels gives back what it
held, and the server keeps serving."""

from __future__ import annotations

import anyio
import pytest

from instantly_mcp.catalog.operations import Limit
from instantly_mcp.upstream.client import key_fingerprint
from instantly_mcp.upstream.ratelimit import GLOBAL_LIMITS, RateLimiters

from .harness import KEY, CountingTransport, data, max_in_window, served, text
from support.fake_time import FakeTime

READS = [
    ("list_campaigns", {"limit": 2}),
    ("list_block_list_entries", {"limit": 2}),
    ("list_lead_lists", {"limit": 2}),
    ("list_accounts", {"limit": 2}),
    ("count_unread_emails", {}),
    ("list_custom_tags", {"limit": 2}),
]
SESSIONS, PER_SESSION, ROUNDS = 5, 10, 6  # 50 calls in flight, 300 in all


async def storm(s, rounds: int = ROUNDS) -> list:
    results: list = []

    async def worker(client, index: int) -> None:
        for round_ in range(rounds):
            name, args = READS[(index + round_) % len(READS)]
            results.append(await client.call_tool(name, args))

    with anyio.fail_after(60):
        async with anyio.create_task_group() as tg:
            for session, client in enumerate(s.clients):
                for i in range(PER_SESSION):
                    tg.start_soon(worker, client, session * PER_SESSION + i)
    return results


def timestamps(sandbox) -> list[float]:
    return [r["ts"] for r in sandbox.requests()]


def test_fifty_concurrent_calls_stay_within_the_workspace_limits(sandbox) -> None:
    async def go():
        async with served(sandbox.url, sessions=SESSIONS) as s:
            results = await storm(s)
            return results, len(s.transport.sent), s.http.in_flight

    results, sent, in_flight = anyio.run(go)
    errors = [text(r) for r in results if r.is_error]
    assert errors == [] and len(results) == SESSIONS * PER_SESSION * ROUNDS
    ts = timestamps(sandbox)
    # every call sent at least once; a safe read resent after a dropped keep-alive connection is fine
    assert len(ts) <= sent and sent >= len(results)
    for limit in GLOBAL_LIMITS:
        assert max_in_window(ts, limit.period_s) <= limit.requests
    assert in_flight == 0


def on_virtual_time(fake: FakeTime, limits=GLOBAL_LIMITS) -> dict:
    """Client options that put the limiter, the deadline and the send stamps on `fake`'s clock: what
    is admitted when depends only on the limits, never on how busy the machine is. The deadline is
    30 virtual seconds, and (as a hang guard) at most 30 real ones. One attempt per call, so each
    call takes one slot at most, even when a busy machine drops a keep-alive connection."""
    return {
        "limiters": RateLimiters(limits, clock=fake.clock, sleep=fake.sleep),
        "clock": fake.clock,
        "sleep": fake.sleep,
        "deadline_s": 30,
        "transport": CountingTransport(clock=fake.clock),
        "max_retries": 0,
    }


def rate_refused(texts: list[str]) -> list[str]:
    return [t for t in texts if "was not sent: client-side rate limit" in t and "retry after" in t]


def test_a_tight_shared_budget_queues_then_refuses_locally(sandbox) -> None:
    """Limits scaled down to 20/s and 30/min for the workspace. 100 calls from 50 concurrent callers:
    20 go out at once, 10 queue for the next second, and the other 70 are refused without sending
    (the minute's budget reopens only after their deadline), each with a Retry-After."""
    fake = FakeTime()

    async def go():
        tight = on_virtual_time(fake, (Limit(20, 1.0), Limit(30, 60.0)))
        async with served(sandbox.url, sessions=SESSIONS, **tight) as s:
            return await storm(s, rounds=2), s.transport

    results, transport = anyio.run(go)
    answered, errors = [r for r in results if not r.is_error], [text(r) for r in results if r.is_error]
    assert len(results) == 100  # every call answered
    assert len(transport.sent) == 30 and len(rate_refused(errors)) == 70  # the budget used up, never exceeded
    # the other 30 were sent once each: answered, or (a connection dropped) failed and said so
    assert len(answered) + len(errors) - 70 == 30 and len(sandbox.requests()) <= 30
    assert transport.stamps.count(0.0) == 20 and fake.sleeps  # the first second's budget at once, then a queue
    assert max_in_window(transport.stamps, 1.0) <= 20 and max_in_window(transport.stamps, 60.0) <= 30


def test_per_endpoint_limit_holds_under_concurrency(sandbox) -> None:
    """GET /api/v2/emails allows 20 requests a minute: of 25 concurrent list_emails calls, 20 are
    sent and 5 are refused before sending, while the list_campaigns calls beside them never wait."""
    fake = FakeTime()

    async def go():
        async with served(sandbox.url, sessions=SESSIONS, **on_virtual_time(fake)) as s:
            results: list = []

            async def one(client, name, args):
                results.append((name, await client.call_tool(name, args)))

            with anyio.fail_after(60):  # a hang guard, not a timing assertion
                async with anyio.create_task_group() as tg:
                    for i in range(25):
                        tg.start_soon(one, s.clients[i % SESSIONS], "list_emails", {"limit": 1})
                        tg.start_soon(one, s.clients[i % SESSIONS], "list_campaigns", {"limit": 1})
            return results, s.transport

    results, transport = anyio.run(go)
    assert len(results) == 50  # every call answered
    errors = {
        kind: [text(r) for name, r in results if name == kind and r.is_error]
        for kind in ("list_emails", "list_campaigns")
    }
    refused = rate_refused(errors["list_emails"])
    assert len(refused) == 5 and all("GET /api/v2/emails" in t for t in refused)
    assert rate_refused(errors["list_campaigns"]) == []
    received = [r["path"] for r in sandbox.requests()]
    assert transport.count("GET", "/api/v2/emails") == 20 and received.count("/api/v2/emails") <= 20
    assert transport.count("GET", "/api/v2/campaigns") == 25 and received.count("/api/v2/campaigns") <= 25
    assert max_in_window(transport.stamps_of("/api/v2/emails"), 60.0) <= 20
    assert fake.sleeps == []  # nobody waited for a slot: the 21st email would open after its deadline


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_a_cancelled_call_frees_its_slot_and_connection_and_the_server_keeps_serving(sandbox, mode: str) -> None:
    """One connection in the pool and a 30 s answer: if the cancelled call kept its connection, the
    next calls would wait for it until the hang guard fails the test."""
    sandbox.faults([{"path_prefix": "/api/v2/campaigns", "method": "GET", "kind": "latency", "delay_s": 30}])

    async def go():
        async with served(sandbox.url, sessions=2, mode=mode, max_connections=1) as s:
            limiter = s.http._limiters.for_key(key_fingerprint(KEY))
            with anyio.fail_after(20):  # a hang guard, not a timing assertion
                async with anyio.create_task_group() as tg:
                    tg.start_soon(s.clients[0].call_tool, "list_campaigns", {"limit": 1})
                    while s.http.in_flight == 0:
                        await anyio.sleep(0.01)
                    held = limiter.in_flight
                    tg.cancel_scope.cancel()
                while s.http.in_flight:
                    await anyio.sleep(0.01)
                after = [await s.clients[i].call_tool("list_block_list_entries", {"limit": 1}) for i in (0, 1)]
            return held, limiter.in_flight, after, s.transport.sent

    held, released, after, sent = anyio.run(go)
    assert (held, released) == (1, 0)
    assert all(data(r)["items"] for r in after)
    assert [path for _, path in sent] == [
        "/api/v2/campaigns",
        "/api/v2/block-lists-entries",
        "/api/v2/block-lists-entries",
    ]
