"""Many sessions, one client: 50 tool calls in flight at once share one connection pool and one
rate limiter per workspace, and what reaches the sandbox stays inside Instantly's limits, counted
in windows over the sandbox's own request timestamps. A call the client cancels gives back what it
held, and the server keeps serving."""

from __future__ import annotations

import anyio
import pytest

from instantly_mcp.upstream.client import key_fingerprint
from instantly_mcp.upstream.ratelimit import GLOBAL_LIMITS, Limit, RateLimiters

from .harness import KEY, data, max_in_window, served, text

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
    assert len(ts) == sent == len(results)
    for limit in GLOBAL_LIMITS:
        assert max_in_window(ts, limit.period_s) <= limit.requests
    assert in_flight == 0


def test_a_tight_shared_budget_queues_then_refuses_locally(sandbox) -> None:
    """Limits scaled down so that they bind within a second: 20/s and 30/min for the workspace.
    100 calls from 50 concurrent callers: 30 go out, never more than 20 in any second; the rest
    wait for a slot until the deadline and are refused without sending, with a Retry-After."""
    limits = (Limit(20, 1.0), Limit(30, 60.0))

    async def go():
        async with served(sandbox.url, sessions=SESSIONS, limiters=RateLimiters(limits), deadline_s=2) as s:
            return await storm(s, rounds=2), len(s.transport.sent)

    results, sent = anyio.run(go)
    ts = timestamps(sandbox)
    assert sent == len(ts) == 30
    assert max_in_window(ts, 1.0) <= 20
    refused = [text(r) for r in results if r.is_error]
    assert len(results) == 100 and len(refused) == 70
    assert all("was not sent: client-side rate limit" in t and "retry after" in t for t in refused), refused[:3]


def test_per_endpoint_limit_holds_under_concurrency(sandbox) -> None:
    """GET /api/v2/emails allows 20 requests a minute: of 25 concurrent list_emails calls, 20 are
    sent and 5 are refused before sending, while other endpoints are not held up."""

    async def go():
        async with served(sandbox.url, sessions=SESSIONS, deadline_s=2) as s:
            results: list = []

            async def one(client, name, args):
                results.append((name, await client.call_tool(name, args)))

            with anyio.fail_after(30):
                async with anyio.create_task_group() as tg:
                    for i in range(25):
                        tg.start_soon(one, s.clients[i % SESSIONS], "list_emails", {"limit": 1})
                        tg.start_soon(one, s.clients[i % SESSIONS], "list_campaigns", {"limit": 1})
            return results

    results = anyio.run(go)
    emails = [r for name, r in results if name == "list_emails"]
    assert sum(not r.is_error for r in emails) == 20
    assert all("client-side rate limit for GET /api/v2/emails" in text(r) for r in emails if r.is_error)
    assert all(not r.is_error for name, r in results if name == "list_campaigns")
    sent = [r["ts"] for r in sandbox.requests() if r["path"] == "/api/v2/emails"]
    assert len(sent) == 20 and max_in_window(sent, 60.0) <= 20


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
    assert [path for _, path in sent] == ["/api/v2/campaigns", "/api/v2/block-lists-entries", "/api/v2/block-lists-entries"]
