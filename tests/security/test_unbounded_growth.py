"""Finding 10: per-key rate limiters are forgotten once idle (and beyond a cap), and the
search_tools query is bounded, so made-up keys or a huge query cannot grow memory or burn CPU.
(Half-sent HTTP requests: test_slow_clients.py.)"""

from __future__ import annotations

import asyncio

import anyio
import mcp_types as types
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from instantly_mcp.config import SANDBOX_BASE_URL, Settings
from instantly_mcp.gates.discovery import MAX_NAME_CHARS, MAX_QUERY_CHARS
from instantly_mcp.transport.http_app import create_app
from instantly_mcp.transport.runtime import build_runtime, sandbox_transport
from instantly_mcp.upstream.client import InstantlyClient, key_fingerprint
from instantly_mcp.upstream.ratelimit import RateLimiters
from security.conftest import Target, nothing_sent, text

from support.fake_time import FakeTime
from support.http_server import serve_app


def test_idle_limiters_are_forgotten_and_their_number_is_capped() -> None:
    async def run() -> tuple[int, int, int, bool]:
        time = FakeTime()
        limiters = RateLimiters(clock=time.clock, sleep=time.sleep, max_keys=100)
        busy = limiters.for_key("busy")
        held = await busy.acquire("GET /x")
        for i in range(5000):  # made-up keys, one request each
            slot = await limiters.for_key(key_fingerprint(f"made-up-{i}")).acquire("GET /x")
            slot.release()
        capped = len(limiters)
        await time.sleep(61)  # past the longest window (60 s): every idle limiter is empty
        limiters.for_key("new")
        after_idle = len(limiters)
        same = limiters.for_key("busy") is busy
        held.release()
        await time.sleep(61)
        limiters.for_key("newer")
        return capped, after_idle, len(limiters), same

    capped, after_idle, at_last, busy_kept = asyncio.run(run())
    assert capped == 100  # the cap, counting the one holding a slot, which is never dropped
    assert after_idle == 2 and busy_kept  # "busy" (still in flight) and "new"
    assert at_last == 1


def test_a_huge_search_query_or_tool_name_is_refused(target: Target) -> None:
    words = " ".join(f"word{i}" for i in range(80_000))

    async def run() -> list[types.CallToolResult]:
        async with target.connect("--tools", "discover") as client:
            return [
                await client.call_tool("search_tools", {"query": words}),
                await client.call_tool("search_tools", {"query": "pause", "toolset": words}),
                await client.call_tool("describe_tool", {"name": words}),
                await client.call_tool("call_tool", {"name": words, "arguments": {}}),
                await client.call_tool("search_tools", {"query": "pause a campaign"}),
            ]

    *refused, fine = anyio.run(run)
    assert all(r.is_error and len(text(r)) < 1000 for r in refused), [text(r)[:200] for r in refused]
    assert "query" in text(refused[0]) and str(MAX_QUERY_CHARS) in text(refused[0])
    assert "toolset" in text(refused[1])
    assert all(str(MAX_NAME_CHARS) in text(r) for r in refused[2:])
    assert "pause_campaign" in text(fine)
    assert nothing_sent(target.sandbox)


def test_search_reads_requests_built_against_its_grammar_and_keeps_answering(target: Target) -> None:
    """Queries at the length cap built to make the request readings backtrack or loop: a wish with
    no participle ("user wants the a a a ..."), endless clauses after commas, switches with no end.
    Each gets an answer, and the search after them still finds its tool."""
    hostile = [
        "user wants the " + "ab " * 200,
        "user wants the " + "aed " * 200 + "x!",
        "x, block it, " * 60,
        "turn x on " * 60,
        "un-" * 200,
    ]

    async def run() -> list[types.CallToolResult]:
        async with target.connect("--tools", "discover") as client:
            answers = [await client.call_tool("search_tools", {"query": q[:MAX_QUERY_CHARS]}) for q in hostile]
            return [*answers, await client.call_tool("search_tools", {"query": "pause a campaign"})]

    *answered, fine = anyio.run(run)
    assert not any(r.is_error for r in answered), [text(r)[:200] for r in answered]
    assert "pause_campaign" in text(fine)
    assert nothing_sent(target.sandbox)


@pytest.mark.e2e  # thousands of tenants (about 20 s)
def test_made_up_tenant_keys_do_not_pile_up_limiters() -> None:
    """Over HTTP with --per-request-key, 60 tenants with made-up keys each make a call; the server
    (in a thread here, so that its limiters can be counted) keeps no more than its cap."""
    settings = Settings(transport="http", per_request_key=True, sandbox=True)
    runtime = build_runtime(settings)
    limiters = RateLimiters(max_keys=20)
    runtime.client = InstantlyClient(
        base_url=SANDBOX_BASE_URL, api_key=None, transport=sandbox_transport(settings), limiters=limiters
    )
    answered: list[bool] = []

    async def tenants(url: str) -> None:
        for i in range(60):
            headers = {"X-Instantly-Api-Key": f"made-up-tenant-key-{i:04d}"}
            async with (
                create_mcp_http_client(headers=headers) as http,
                Client(streamable_http_client(url + "/mcp", http_client=http), mode="legacy") as client,
            ):
                answered.append(not (await client.call_tool("list_campaigns", {"limit": 1})).is_error)

    with serve_app(create_app(settings, runtime), lifespan="on") as url:
        anyio.run(tenants, url)
    assert answered == [True] * 60
    assert len(limiters) == 20
