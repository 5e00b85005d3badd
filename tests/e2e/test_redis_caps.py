"""Issue 13 with sec-gates' caps: with --redis-url, one tenant's calls in flight and open sessions
are capped across replicas (TenantCounters in a real redis-server), not per replica."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import anyio
import httpx2

from support.http_server import McpHttpServer, fake_instantly, mcp_http_server
from support.redis_server import RedisServer
from support.replicas import call
from support.security import ACCEPT, INIT
from support.servers import text

BUSY = {"X-Instantly-Api-Key": "busy-tenant-key-4411"}
CALM = {"X-Instantly-Api-Key": "calm-tenant-key-9920"}


@contextmanager
def two_replicas(tmp_path: Path, redis: RedisServer, *flags: str, **env: str) -> Iterator[list[McpHttpServer]]:
    args = ("--transport", "http", "--per-request-key", "--redis-url", redis.url, "--replicas", "2", *flags)
    with ExitStack() as stack:
        yield [stack.enter_context(mcp_http_server(tmp_path, *args, **env)) for _ in range(2)]


def test_two_replicas_together_respect_one_tenants_call_cap(tmp_path: Path, redis: RedisServer) -> None:
    """Cap 2: two calls held upstream on replica A leave the tenant no call on replica B (refused,
    nothing sent), while another tenant's call on B goes through; once they end, B admits again."""

    async def run(a: McpHttpServer, b: McpHttpServer, fake) -> dict[str, str]:
        outcome: dict[str, str] = {}

        async def held(name: str) -> None:
            result = await call(a.url, "list_block_list_entries", {"limit": 1}, BUSY)
            outcome[name] = text(result)

        async with anyio.create_task_group() as group:
            group.start_soon(held, "a1")
            group.start_soon(held, "a2")
            with anyio.fail_after(20):  # both calls are in flight: their requests reached "Instantly"
                while len(fake.seen) < 2:
                    await anyio.sleep(0.02)
            refused = await call(b.url, "list_block_list_entries", {"limit": 1}, BUSY)
            outcome["b_busy"] = ("refused: " if refused.is_error else "ok: ") + text(refused)
            outcome["sent_while_capped"] = str(len(fake.seen))
            group.start_soon(lambda: calm_call(b, outcome))
            with anyio.fail_after(20):
                while len(fake.seen) < 3:
                    await anyio.sleep(0.02)
            fake.hold.set()
        again = await call(b.url, "list_block_list_entries", {"limit": 1}, BUSY)
        outcome["b_after"] = "error" if again.is_error else "ok"
        return outcome

    async def calm_call(b: McpHttpServer, outcome: dict[str, str]) -> None:
        result = await call(b.url, "list_block_list_entries", {"limit": 1}, CALM)
        outcome["b_calm"] = "error" if result.is_error else "ok"

    with (
        fake_instantly(hold=threading.Event()) as fake,
        two_replicas(tmp_path, redis, "--max-calls-per-tenant", "2", INSTANTLY_BASE_URL=fake.url) as (a, b),
    ):
        outcome = anyio.run(run, a, b, fake)
        busy_requests = [p for k, _, p in fake.seen if k == BUSY["X-Instantly-Api-Key"]]
    assert outcome["b_busy"].startswith("refused: Too many calls in flight for this tenant (at most 2)"), outcome
    assert outcome["sent_while_capped"] == "2"  # the refused call sent nothing
    assert outcome["b_calm"] == "ok" and outcome["b_after"] == "ok", outcome
    assert "error" not in (outcome["a1"] + outcome["a2"]).lower()
    assert len(busy_requests) == 3  # a1, a2 and b_after


def test_two_replicas_together_respect_one_tenants_session_cap(tmp_path: Path, redis: RedisServer) -> None:
    """Cap 2: a session on each replica fills the tenant's cap; a third is refused on either replica,
    another tenant still opens one, and ending a session on A lets the tenant open one on B."""

    def open_session(server: McpHttpServer, headers: dict[str, str]) -> httpx2.Response:
        return httpx2.post(server.url, json=INIT, headers={**ACCEPT, **headers}, timeout=10)

    with two_replicas(tmp_path, redis, "--sandbox", "--max-sessions-per-tenant", "2") as (a, b):
        first, second = open_session(a, BUSY), open_session(b, BUSY)
        third_on_a, third_on_b = open_session(a, BUSY), open_session(b, BUSY)
        calm = open_session(b, CALM)
        session = {"mcp-session-id": first.headers["mcp-session-id"], "mcp-protocol-version": "2025-11-25"}
        ended = httpx2.delete(a.url, headers={**ACCEPT, **BUSY, **session}, timeout=10)
        after = open_session(b, BUSY)
        for _ in range(100):  # A releases the session in Redis just after answering the DELETE
            if after.status_code != 503:
                break
            time.sleep(0.05)
            after = open_session(b, BUSY)
    assert [r.status_code for r in (first, second, third_on_a, third_on_b, calm)] == [200, 200, 503, 503, 200]
    assert "Too many open sessions" in third_on_b.text
    assert ended.status_code == 200
    assert after.status_code == 200, after.text


def test_with_redis_down_the_caps_fall_back_to_each_replica(tmp_path: Path, redis: RedisServer) -> None:
    """Redis unreachable: a tenant's session and call are not refused for it (each replica's own caps hold)."""
    with two_replicas(tmp_path, redis, "--sandbox", "--max-calls-per-tenant", "1") as (a, _):
        redis.stop()
        result = anyio.run(call, a.url, "list_campaigns", {"limit": 1}, BUSY)
    assert not result.is_error, text(result)
