"""Finding 4: one tenant cannot lock the others out. Per-tenant session and call caps, a global
session cap that evicts the busiest tenant's idlest session, and a short idle timeout.

These caps exist only over HTTP (stdio serves one client), so the attacks run over HTTP: raw
requests for the flood, the SDK client for the tenant that must keep working."""

from __future__ import annotations

import time
from typing import Any

import anyio
import httpx2
import pytest

from support.security import ACCEPT, INIT, body, http_client, http_mcp, text

pytestmark = pytest.mark.e2e  # every test starts a server process

PING = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}


def tenant(key: str) -> dict[str, str]:
    return {**ACCEPT, "X-Instantly-Api-Key": key}


def open_session(url: str, key: str) -> httpx2.Response:
    return httpx2.post(url, json=INIT, headers=tenant(key))


def use_session(url: str, key: str, session_id: str) -> int:
    headers = {**tenant(key), "mcp-session-id": session_id, "mcp-protocol-version": "2025-11-25"}
    return httpx2.post(url, json=PING, headers=headers).status_code


def test_a_flooding_tenant_is_capped_and_evicted_first(tmp_path) -> None:
    async def victim_calls(url: str, steps: list) -> list[bool]:
        async with http_client(url, {"X-Instantly-Api-Key": "victim-key-123456"}) as victim:
            ok = [not (await victim.call_tool("list_block_list_entries", {"limit": 1})).is_error]
            for step in steps:
                step()
            ok.append(not (await victim.call_tool("list_block_list_entries", {"limit": 1})).is_error)
            return ok

    flags = ("--per-request-key", "--sandbox", "--max-sessions-per-tenant", "2", "--max-sessions", "4")
    with http_mcp(tmp_path, *flags) as server:
        flood = [open_session(server.url, "flood-key-A") for _ in range(3)]
        ids = [r.headers.get("mcp-session-id") for r in flood[:2]]
        late = []

        def others_fill_the_server() -> None:
            late.append(open_session(server.url, "other-key-C"))
            late.append(open_session(server.url, "other-key-D"))

        victim_ok = anyio.run(victim_calls, server.url, [others_fill_the_server])
        first_flood_session, second_flood_session = (use_session(server.url, "flood-key-A", i) for i in ids)
    assert [r.status_code for r in flood] == [200, 200, 503]
    assert [r.status_code for r in late] == [200, 200]
    assert victim_ok == [True, True]
    assert (first_flood_session, second_flood_session) == (404, 200)  # the busiest tenant's idlest went first


def test_idle_sessions_expire(tmp_path) -> None:
    with http_mcp(tmp_path, "--per-request-key", "--sandbox", "--session-idle-timeout", "1") as server:
        session_id = open_session(server.url, "idle-key-0001").headers["mcp-session-id"]
        used = use_session(server.url, "idle-key-0001", session_id)
        time.sleep(3)  # three idle timeouts without a request: any use now must find the session gone
        expired = use_session(server.url, "idle-key-0001", session_id)
    assert (used, expired) == (200, 404)


@pytest.mark.parametrize("cap", [2])
def test_calls_in_flight_are_capped_per_tenant(cap: int, sandbox, tmp_path) -> None:
    sandbox.faults([{"path_prefix": "/api/v2/campaigns", "kind": "latency", "delay_s": 2.0}])

    async def run(url: str) -> tuple[list[str], Any]:
        results: list[str] = []
        async with (
            http_client(url, {"X-Instantly-Api-Key": "busy-key-000111"}) as busy,
            http_client(url, {"X-Instantly-Api-Key": "calm-key-222333"}) as calm,
        ):

            async def busy_call() -> None:
                result = await busy.call_tool("list_campaigns", {"limit": 1})
                results.append("refused" if result.is_error and "Too many calls in flight" in text(result) else "ok")

            calm_result: list[Any] = []

            async def calm_call() -> None:
                await anyio.sleep(0.5)
                calm_result.append(await calm.call_tool("list_campaigns", {"limit": 1}))

            async with anyio.create_task_group() as group:
                for _ in range(cap + 1):
                    group.start_soon(busy_call)
                group.start_soon(calm_call)
        return results, calm_result[0]

    with http_mcp(
        tmp_path, "--per-request-key", "--max-calls-per-tenant", str(cap), INSTANTLY_BASE_URL=sandbox.url + "/api/v2/"
    ) as server:
        results, calm = anyio.run(run, server.url)
    assert sorted(results) == ["ok"] * cap + ["refused"]
    assert len(body(calm)["items"]) == 1
    assert (
        len([r for r in sandbox.requests() if r["path"] == "/api/v2/campaigns"]) == cap + 1
    )  # the refused one never went out


def test_legacy_sse_connections_are_capped_per_tenant(tmp_path) -> None:
    """An SSE connection is a session too; over the tenant's cap a new one is refused, another tenant's is not."""
    with (
        http_mcp(tmp_path, "--per-request-key", "--sandbox", "--max-sessions-per-tenant", "1") as server,
        httpx2.Client(timeout=10) as http,
    ):

        def sse(key: str) -> int:
            with http.stream("GET", server.sse_url, headers={"X-Instantly-Api-Key": key}) as response:
                return response.status_code

        with http.stream("GET", server.sse_url, headers={"X-Instantly-Api-Key": "sse-flood-key-1"}) as held:
            statuses = (held.status_code, sse("sse-flood-key-1"), sse("sse-other-key-2"))
    assert statuses == (200, 503, 200)
