"""Issue 13's observability and shared counts: OpenTelemetry spans per tool call and upstream request
(the SDK's in-memory exporter), --log-format json lines, and TenantCounters in memory and on a real
Redis. No key, token or argument value in a span attribute or a log line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from instantly_mcp.config import Settings
from instantly_mcp.errors import ConfigError
from instantly_mcp.metrics import tenant_label
from instantly_mcp.transport.tenant_caps import MemoryTenantCounters, RedisTenantCounters, TenantCounters
from instantly_mcp.upstream.client import key_fingerprint
from instantly_mcp.upstream.redis_conn import connect

from support.http_server import mcp_http_server
from support.redis_server import RedisServer
from support.replicas import call, metric, scrape
from support.servers import TEST_KEY, policy_server, text

pytestmark = pytest.mark.anyio
EXPORTER = InMemorySpanExporter()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def spans() -> InMemorySpanExporter:
    if not isinstance(trace.get_tracer_provider(), TracerProvider):  # the global provider can be set once
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
        trace.set_tracer_provider(provider)
    EXPORTER.clear()
    return EXPORTER


async def test_a_span_per_tool_call_and_per_upstream_request_without_values(spans: InMemorySpanExporter) -> None:
    async with policy_server(confirm="token") as mcp:
        lead = (await mcp.data("list_leads", {"limit": 2}))["items"][0]
        asked = await mcp.call("delete_lead", {"id": lead["id"]})
        token = json.loads(text(asked))["confirm_token"]
    finished = spans.get_finished_spans()
    calls = [s for s in finished if s.name == "instantly.tool_call"]
    requests = [s for s in finished if s.name == "instantly.request"]
    assert [(s.attributes or {}).get("tool") for s in calls] == ["list_leads", "delete_lead"]
    assert [(s.attributes or {}).get("outcome") for s in calls] == ["sent", "confirmation_required"]
    assert (requests[0].attributes or {}).get("operation") == "POST /api/v2/leads/list"
    assert (requests[0].attributes or {}).get("http.status_code") == 200
    assert requests[0].parent is not None and requests[0].parent.span_id == calls[0].context.span_id
    dumped = json.dumps([dict(s.attributes or {}) for s in finished])
    for secret in (TEST_KEY, lead["id"], lead["email"], token):
        assert secret not in dumped


def test_json_log_lines_say_redis_is_unreachable_and_serving_goes_on(tmp_path: Path, sandbox: Any) -> None:
    dead = "redis://127.0.0.1:1/0"
    args = (
        "--transport",
        "http",
        "--stateless",
        "--base-url",
        sandbox.url,
        "--redis-url",
        dead,
        "--replicas",
        "2",
        "--log-format",
        "json",
        "--confirm",
        "token",
    )
    with mcp_http_server(tmp_path, *args, INSTANTLY_API_KEY=TEST_KEY) as server:
        read = anyio.run(call, server.url, "list_campaigns", {"limit": 1})
        campaign = json.loads(text(read))["items"][0]["id"]
        gated = anyio.run(call, server.url, "delete_campaign", {"id": campaign})
        asked = json.loads(text(gated))
        refused = anyio.run(
            call, server.url, "delete_campaign", {"id": campaign, "confirm_token": asked["confirm_token"]}
        )
        log = server.log()
    assert not read.is_error
    assert refused.is_error and "Redis is unreachable" in text(refused)
    assert [r for r in sandbox.requests() if r["method"] == "DELETE"] == []
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    loud = [line for line in lines if "REDIS UNREACHABLE" in line["message"]]
    assert loud and loud[0]["level"] == "error" and "1/2 share" in loud[0]["message"]
    assert {"time", "level", "logger", "message"} <= set(loud[0])
    assert TEST_KEY not in log and asked["confirm_token"] not in log


def test_redis_and_log_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="--redis-url must start with redis://"):
        Settings(redis_url="localhost:6379")
    with pytest.raises(ConfigError, match="--log-format"):
        Settings(log_format="xml")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="--replicas"):
        Settings(replicas=0)
    assert Settings(transport="http", stateless=True, workers=2, redis_url="redis://x/0").serves_approvals
    assert not Settings(transport="http", stateless=True, workers=2).serves_approvals


async def exercise_counters(first: TenantCounters, second: TenantCounters) -> None:
    """`second` is another replica's view (the same object when there is only one process)."""
    one = await first.acquire("call", "tenant:a", cap=2)
    two = await second.acquire("call", "tenant:a", cap=2)
    assert one and two
    assert await second.acquire("call", "tenant:a", cap=2) is None
    assert await first.acquire("call", "tenant:b", cap=2) is not None
    assert await first.acquire("session", "tenant:a", cap=1) is not None
    assert await second.count("call", "tenant:a") == 2
    await first.release("call", "tenant:a", one)
    assert await second.count("call", "tenant:a") == 1
    assert await second.acquire("call", "tenant:a", cap=2) is not None


async def test_tenant_counters_in_memory() -> None:
    counters = MemoryTenantCounters()
    await exercise_counters(counters, counters)


async def test_tenant_counters_are_shared_through_redis(redis: RedisServer) -> None:
    first, second = RedisTenantCounters(connect(redis.url)), RedisTenantCounters(connect(redis.url))
    try:
        await exercise_counters(first, second)
    finally:
        await first.redis.aclose()
        await second.redis.aclose()


def test_open_sessions_are_counted_per_tenant_in_redis_and_in_metrics(
    tmp_path: Path, redis: RedisServer, sandbox: Any
) -> None:
    """A stateful session of one tenant: counted (hashed label, shared count in Redis) while open, not after."""
    key = "sk-tenant-counted-41"
    tenant = f"tenant:{key_fingerprint(key)}"
    args = ("--transport", "http", "--per-request-key", "--base-url", sandbox.url, "--redis-url", redis.url)

    async def during_and_after(server: Any) -> tuple[float, int, float, int]:
        counters = RedisTenantCounters(connect(redis.url))
        headers = {"X-Instantly-Api-Key": key}
        async with (
            create_mcp_http_client(headers=headers) as http,
            Client(streamable_http_client(server.url, http_client=http), mode="legacy") as client,
        ):
            await client.call_tool("list_campaigns", {"limit": 1})
            during = (
                metric(scrape(server), "instantly_mcp_sessions", tenant=tenant_label(tenant)),
                await counters.count("session", tenant),
            )
        with anyio.move_on_after(10):  # the session's DELETE is answered before its task has ended
            while await counters.count("session", tenant):
                await anyio.sleep(0.05)
        after = (
            metric(scrape(server), "instantly_mcp_sessions", tenant=tenant_label(tenant)),
            await counters.count("session", tenant),
        )
        await counters.redis.aclose()
        return (*during, *after)

    with mcp_http_server(tmp_path, *args) as server:
        during_gauge, during_count, after_gauge, after_count = anyio.run(during_and_after, server)
        scraped = scrape(server)
    assert (during_gauge, during_count) == (1, 1)
    assert (after_gauge, after_count) == (0, 0)
    assert key not in scraped and key_fingerprint(key) not in scraped
