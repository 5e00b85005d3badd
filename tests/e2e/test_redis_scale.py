"""Issue 13: three `instantly-mcp --transport http --stateless --redis-url` replicas against one sandbox
and one real redis-server. One workspace budget (the sandbox's request log never shows more than 100
requests in a second, nor an endpoint over its own limit), a confirmation token and an approval
honoured once across replicas, an approval given on one replica's page unblocking the call on
another, the documented behaviour while Redis is down, and /metrics counting what was done."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest

from instantly_mcp.upstream.client import key_fingerprint

from support.approvals import approver_secret
from support.http_server import McpHttpServer, clean_env
from support.redis_server import RedisServer
from support.replicas import call, metric, scrape
from support.servers import text

KEY = "sk-redis-scale-7d21"
SECRET = "shared-secret-of-the-replicas-5b1e"
AUTH = "bearer-of-the-token-pair-0c9a"


def start_replicas(tmp: Path, redis: RedisServer, sandbox: Any, count: int, *extra: str) -> list[McpHttpServer]:
    args = [
        "--transport",
        "http",
        "--stateless",
        "--redis-url",
        redis.url,
        "--replicas",
        str(count),
        "--base-url",
        sandbox.url,
        "--shutdown-timeout",
        "1",
        *extra,
    ]
    env = clean_env(INSTANTLY_API_KEY=KEY, INSTANTLY_MCP_SECRET=SECRET)
    return [McpHttpServer(args, env, tmp / f"replica-{i}.log").start() for i in range(count)]


@pytest.fixture(scope="module")
def replicas(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer, sandbox_process: Any
) -> Iterator[list[McpHttpServer]]:
    """Three replicas under --confirm auto: gated calls go to the approval pages."""
    servers = start_replicas(tmp_path_factory.mktemp("replicas"), redis_server, sandbox_process, 3, "--confirm", "auto")
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture
def trio(replicas: list[McpHttpServer], redis: RedisServer, sandbox: Any) -> list[McpHttpServer]:
    """The replicas with Redis running and empty, and the sandbox reset."""
    return replicas


def writes(sandbox: Any) -> list[dict[str, Any]]:
    return [r for r in sandbox.requests() if r["method"] != "GET"]


def campaign_id(sandbox: Any) -> str:
    listed = sandbox.admin.get("/api/v2/campaigns", params={"limit": 1}, headers={"Authorization": "Bearer x"})
    return str(listed.json()["items"][0]["id"])


def most_in_window(times: list[float], window_s: float) -> int:
    """The most arrivals in any window of `window_s` seconds (closed at both ends: the strict reading)."""
    times = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] > window_s:
            start += 1
        best = max(best, end - start + 1)
    return best


async def approve_on(page_url: str, headers: dict[str, str] | None = None) -> httpx2.Response:
    """What a person does in the browser on the page at `page_url`: open it, press Approve."""
    base = page_url.split("/approvals/")[0]
    async with httpx2.AsyncClient(trust_env=False) as http:
        page = await http.get(page_url)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf, page.text
        named = re.search(r"It is in (\S+) on the machine", page.text)  # where the page sends the person
        assert named and Path(named.group(1)).read_text().strip() == approver_secret() != "", page.text
        form = {"csrf": csrf.group(1), "decision": "approve", "approver_token": approver_secret()}
        return await http.post(page_url, data=form, headers={"Origin": base})


def test_sixty_concurrent_calls_over_three_replicas_keep_one_budget(trio: list[McpHttpServer], sandbox: Any) -> None:
    """40 paginating list calls (5 requests each) and 20 list_emails calls, spread over the replicas: more
    than the workspace's 100/s, so the shared limiter must space them; list_emails has its own 20/min."""
    before = [scrape(server) for server in trio]
    jobs = [("list_campaigns", {"limit": 1, "max_items": 5})] * 40 + [("list_emails", {"limit": 1})] * 20
    results: list[Any] = [None] * len(jobs)

    async def run_one(index: int, tool: str, arguments: dict[str, Any]) -> None:
        results[index] = await call(trio[index % 3].url, tool, arguments)

    async def run_all() -> None:
        async with anyio.create_task_group() as tg:
            for index, (tool, arguments) in enumerate(jobs):
                tg.start_soon(run_one, index, tool, arguments)

    anyio.run(run_all)
    assert all(not r.is_error for r in results), [text(r) for r in results if r.is_error][:3]
    log = sandbox.requests()
    assert len(log) > 100, "the burst must exceed one second's budget to test the limiter"
    assert most_in_window([r["ts"] for r in log], 1.0) <= 100
    emails = [r["ts"] for r in log if r["path"] == "/api/v2/emails"]
    assert len(emails) == 20 and most_in_window(emails, 60.0) <= 20
    assert not [r for r in log if r.get("status") == 429]

    # /metrics on each replica counts exactly what it did: 20 calls each, and every request the sandbox saw.
    after = [scrape(server) for server in trio]
    calls = sum(
        metric(a, "instantly_mcp_tool_calls_total", tool="list_campaigns", outcome="sent")
        - metric(b, "instantly_mcp_tool_calls_total", tool="list_campaigns", outcome="sent")
        for a, b in zip(after, before, strict=True)
    )
    assert calls == 40
    for a, b in zip(after, before, strict=True):
        made = sum(
            metric(a, "instantly_mcp_tool_calls_total", tool=t, outcome="sent")
            - metric(b, "instantly_mcp_tool_calls_total", tool=t, outcome="sent")
            for t in ("list_campaigns", "list_emails")
        )
        assert made == 20
    sent = sum(
        metric(a, "instantly_mcp_upstream_requests_total", operation=op, status="200")
        - metric(b, "instantly_mcp_upstream_requests_total", operation=op, status="200")
        for a, b in zip(after, before, strict=True)
        for op in ("GET /api/v2/campaigns", "GET /api/v2/emails")
    )
    assert sent == len(log)
    assert KEY not in "".join(after) and "sk-" not in "".join(after)


def test_an_approval_given_on_one_replicas_page_unblocks_the_call_on_another(
    trio: list[McpHttpServer], sandbox: Any
) -> None:
    a, b, c = trio
    campaign = campaign_id(sandbox)

    async def run() -> tuple[Any, Any, Any, dict[str, Any]]:
        asked = json.loads(text(await call(a.url, "delete_campaign", {"id": campaign})))
        assert asked["status"] == "approval_required" and writes(sandbox) == []
        with_id = {"id": campaign, "approval_id": asked["approval_id"]}
        pending = await call(c.url, "delete_campaign", with_id)
        on_b = asked["approval_url"].replace(a.base, b.base)
        assert on_b != asked["approval_url"]
        assert (await approve_on(on_b)).status_code == 303
        done = await call(a.url, "delete_campaign", with_id)
        again = await call(c.url, "delete_campaign", with_id)
        return pending, done, again, asked

    pending, done, again, asked = anyio.run(run)
    assert json.loads(text(pending))["status"] == "approval_pending"
    assert not done.is_error, text(done)
    assert again.is_error and "already used" in text(again)
    assert [(r["method"], r["path"]) for r in writes(sandbox)] == [("DELETE", f"/api/v2/campaigns/{campaign}")]
    metrics = scrape(a)
    assert asked["approval_id"] not in metrics and campaign not in metrics


def test_a_token_used_on_one_replica_is_refused_on_another(tmp_path: Path, redis: RedisServer, sandbox: Any) -> None:
    a, b = start_replicas(tmp_path, redis, sandbox, 2, "--confirm", "token", "--auth-token", AUTH)
    headers = {"Authorization": f"Bearer {AUTH}"}
    try:
        campaign = campaign_id(sandbox)

        async def run() -> tuple[Any, Any]:
            asked = json.loads(text(await call(a.url, "delete_campaign", {"id": campaign}, headers)))
            confirmed = {"id": campaign, "confirm_token": asked["confirm_token"]}
            return await call(a.url, "delete_campaign", confirmed, headers), await call(
                b.url, "delete_campaign", confirmed, headers
            )

        used, replayed = anyio.run(run)
        assert not used.is_error, text(used)
        assert replayed.is_error and "already used" in text(replayed), text(replayed)
        assert len(writes(sandbox)) == 1
        assert httpx2.get(a.base + "/metrics", timeout=10).status_code == 401
        scraped = scrape(a, headers)
        assert metric(scraped, "instantly_mcp_confirmations_total", event="asked") == 1
        assert metric(scraped, "instantly_mcp_confirmations_total", event="approved") == 1
        assert metric(scrape(b, headers), "instantly_mcp_confirmations_total", event="refused") == 1
    finally:
        a.stop()
        b.stop()


def test_a_pause_on_one_replica_is_what_an_activation_on_another_compares_with(
    tmp_path: Path, redis: RedisServer, sandbox: Any
) -> None:
    """Issue 21: the content live when replica A paused the campaign sits in Redis, so the activation asked
    on replica B names the bcc added while it was paused."""
    a, b = start_replicas(tmp_path, redis, sandbox, 2, "--confirm", "token", "--auth-token", AUTH)
    headers = {"Authorization": f"Bearer {AUTH}"}
    try:
        campaign = campaign_id(sandbox)

        async def run() -> tuple[Any, Any, Any]:
            paused = await call(a.url, "pause_campaign", {"id": campaign}, headers)
            edit = {"id": campaign, "bcc_list": ["spy@attacker-owned.example"]}
            edited = await call(a.url, "update_campaign", edit, headers)
            return paused, edited, await call(b.url, "activate_campaign", {"id": campaign}, headers)

        paused, edited, asked = anyio.run(run)
        assert not paused.is_error and not edited.is_error, (text(paused), text(edited))
        summary = json.loads(text(asked))["summary"]
        assert "bcc: spy@attacker-owned.example" in summary and "CHANGED since it last ran: bcc (was none)" in summary
        assert [w["path"].rsplit("/", 1)[-1] for w in writes(sandbox)] == ["pause", campaign]
    finally:
        a.stop()
        b.stop()


def test_redis_stopped_mid_run(trio: list[McpHttpServer], redis: RedisServer, sandbox: Any) -> None:
    """Reads go on within each replica's share of the budget, with a loud log line; gated calls are refused
    saying why, nothing is sent; the approval pages answer 503; no replica crashes. Back to normal after."""
    a, b, _ = trio
    campaign = campaign_id(sandbox)
    asked = json.loads(text(anyio.run(call, a.url, "delete_campaign", {"id": campaign})))
    redis.stop()
    try:
        read = anyio.run(call, a.url, "list_campaigns", {"limit": 1})
        gated = anyio.run(call, b.url, "delete_campaign", {"id": campaign})
        redeemed = anyio.run(call, a.url, "delete_campaign", {"id": campaign, "approval_id": asked["approval_id"]})
        page = httpx2.get(asked["approval_url"].replace(a.base, b.base), timeout=10)
    finally:
        redis.start()
    assert not read.is_error, text(read)
    assert "REDIS UNREACHABLE" in a.log() and "1/3 share" in a.log()
    for refused in (gated, redeemed):
        assert refused.is_error and "Redis is unreachable" in text(refused) and "Nothing was sent" in text(refused)
    assert page.status_code == 503 and "unreachable" in page.text
    assert writes(sandbox) == []
    assert all(httpx2.get(s.base + "/healthz", timeout=5).status_code == 200 for s in trio)
    # Redis back, empty: the limiters share again (each says so once it tried Redis again) and gated calls
    # are asked again; the approval made before the outage is gone, so it is refused, not honoured.
    for server in (a, b):
        for _ in range(50):
            if "Redis is reachable again" in server.log():
                break
            assert not anyio.run(call, server.url, "list_campaigns", {"limit": 1}).is_error
    assert all("Redis is reachable again" in server.log() for server in (a, b))
    again = anyio.run(call, b.url, "delete_campaign", {"id": campaign})
    assert json.loads(text(again))["status"] == "approval_required"
    stale = anyio.run(call, a.url, "delete_campaign", {"id": campaign, "approval_id": asked["approval_id"]})
    assert stale.is_error and "knows no such approval" in text(stale)
    assert writes(sandbox) == []
    assert KEY not in a.log() + b.log()


def test_a_429_seen_by_one_replica_holds_back_the_others(
    trio: list[McpHttpServer], redis: RedisServer, sandbox: Any
) -> None:
    """Instantly's 429 with Retry-After 2 s to replica A: B's next request for the workspace waits it out too."""
    a, b, _ = trio
    sandbox.faults([{"path_prefix": "/api/v2/campaigns", "method": "GET", "status": 429, "retry_after": 2, "times": 1}])
    hold = f"instantly-mcp:rl:{{{key_fingerprint(KEY)}}}:hold"

    async def run() -> tuple[Any, Any]:
        async with anyio.create_task_group() as tg:
            first: list[Any] = []

            async def on_a() -> None:
                first.append(await call(a.url, "list_campaigns", {"limit": 1}))

            tg.start_soon(on_a)
            with anyio.fail_after(20):
                while b":1" not in redis.command("EXISTS", hold):
                    await anyio.sleep(0.01)
            second = await call(b.url, "list_accounts", {"limit": 1})
        return first[0], second

    on_a, on_b = anyio.run(run)
    assert not on_a.is_error and not on_b.is_error, (text(on_a), text(on_b))
    log = sandbox.requests()
    refused = [r["ts"] for r in log if r.get("status") == 429]
    accounts = [r["ts"] for r in log if r["path"] == "/api/v2/accounts"]
    assert len(refused) == 1 and len(accounts) == 1
    assert accounts[0] - refused[0] >= 1.5  # the 2 s hold, less the moments before A heard the 429


def test_workers_of_one_replica_share_approvals_through_redis(tmp_path: Path, redis: RedisServer, sandbox: Any) -> None:
    """--workers 2 serves the approval pages once Redis holds the approvals; whichever worker answers each
    request, the approval is found and honoured exactly once."""
    args = ["--transport", "http", "--stateless", "--workers", "2", "--redis-url", redis.url, "--base-url", sandbox.url]
    server = McpHttpServer(args, clean_env(INSTANTLY_API_KEY=KEY), tmp_path / "workers.log").start()
    try:
        campaigns = [campaign_id(sandbox)]

        async def run() -> list[Any]:
            asked = json.loads(text(await call(server.url, "delete_campaign", {"id": campaigns[0]})))
            assert asked["status"] == "approval_required", asked
            assert (await approve_on(asked["approval_url"])).status_code == 303
            with_id = {"id": campaigns[0], "approval_id": asked["approval_id"]}
            return [await call(server.url, "delete_campaign", with_id) for _ in range(4)]

        results = anyio.run(run)
    finally:
        server.stop()
    assert "approval pages" in server.log()
    assert not results[0].is_error, text(results[0])
    assert all(r.is_error and "already used" in text(r) for r in results[1:])
    assert len(writes(sandbox)) == 1
