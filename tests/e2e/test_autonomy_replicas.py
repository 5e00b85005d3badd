"""Issue 27: three stateless `instantly-mcp --transport http --redis-url --policy` replicas on one real
redis-server share the policy's counters: 100 concurrent allowed add_leads calls of 5 leads against a
200-a-day limit run exactly 40 unattended, the rest ask, and nothing is counted twice."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import redis as redis_client

from instantly_mcp.upstream.client import key_fingerprint

from support.http_server import McpHttpServer, clean_env
from support.redis_server import RedisServer
from support.replicas import call, metric, scrape
from support.servers import text

KEY = "sk-autonomy-replicas-51c0"
SECRET = "shared-secret-of-the-autonomy-replicas-9d"
POLICY = """
[[rule]]
name = "list-leads"
tools = ["add_leads"]
decision = "allow"
limits.leads_added = { per_day = 200 }

[[rule]]
name = "everything-else"
decision = "ask"
"""


@pytest.fixture
def replicas(tmp_path: Path, redis: RedisServer, sandbox: Any) -> Iterator[list[McpHttpServer]]:
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY)
    args = [
        *("--transport", "http", "--stateless", "--redis-url", redis.url, "--replicas", "3"),
        *("--base-url", sandbox.url, "--shutdown-timeout", "1", "--confirm", "auto", "--policy", str(policy)),
    ]
    env = clean_env(INSTANTLY_API_KEY=KEY, INSTANTLY_MCP_SECRET=SECRET)
    servers = [McpHttpServer(args, env, tmp_path / f"replica-{i}.log").start() for i in range(3)]
    yield servers
    for server in servers:
        server.stop()


def lead_list_id(sandbox: Any) -> str:
    listed = sandbox.admin.get("/api/v2/lead-lists", params={"limit": 1}, headers={"Authorization": "Bearer x"})
    return str(listed.json()["items"][0]["id"])


def counted_in_redis(redis: RedisServer) -> list[int]:
    """The amount of every call recorded in the rule's counter, as the Lua step stored them."""
    client = redis_client.Redis.from_url(redis.url, decode_responses=True)
    key = f"instantly-mcp:autonomy:{{{key_fingerprint(KEY)}}}:list-leads/leads_added"
    try:
        return [int(member.rpartition(":")[2]) for member in client.zrange(key, 0, -1)]
    finally:
        client.close()


def test_three_replicas_share_one_budget(replicas: list[McpHttpServer], redis: RedisServer, sandbox: Any) -> None:
    list_id = lead_list_id(sandbox)
    results: list[Any] = [None] * 100

    async def one(index: int) -> None:
        leads = [{"email": f"r{index}-{i}@example.org"} for i in range(5)]
        results[index] = await call(replicas[index % 3].url, "add_leads", {"list_id": list_id, "leads": leads})

    async def run_all() -> None:
        async with anyio.create_task_group() as tg:
            for index in range(100):
                tg.start_soon(one, index)

    anyio.run(run_all)
    asked = [
        r for r in results if not r.is_error and json.loads(r.content[0].text).get("status") == "approval_required"
    ]
    ran = [r for r in results if not r.is_error and r not in asked]
    assert len(ran) == 40 and len(asked) == 60, [text(r) for r in results if r.is_error][:3]
    assert all("(Asked because this adds 5 leads; 200 of 200 already today.)" in text(r) for r in asked)
    added = [r for r in sandbox.requests() if r["method"] == "POST" and r["path"] == "/api/v2/leads/add"]
    assert len(added) == 40
    assert counted_in_redis(redis) == [5] * 40
    decisions = [scrape(server) for server in replicas]
    allowed = sum(
        metric(s, "instantly_mcp_policy_decisions_total", rule="list-leads", decision="allow") for s in decisions
    )
    assert allowed == 40
    for server in replicas:
        assert "its counters are shared by every replica through Redis" in server.log()
