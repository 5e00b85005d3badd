"""Issue 21, item 8: code mode does not let one tenant starve the others, and --code-max-calls
counts calls as they start. Real server processes, SDK clients per tenant (--per-request-key)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
import pytest

from support.http_server import fake_instantly
from support.security import http_client, http_mcp, text

pytestmark = pytest.mark.e2e  # every test starts a server process

GUARD_S = 60  # hang guard only: every wait below ends on a condition


async def run_code(url: str, key: str, code: str) -> types.CallToolResult:
    async with http_client(url, {"X-Instantly-Api-Key": key}) as client:
        return await client.call_tool("run_code", {"code": code})


def test_code_max_calls_counts_calls_as_they_start(tmp_path: Path, sandbox: Any) -> None:
    code = (
        "import asyncio\n"
        "pages = await asyncio.gather(*[instantly.list_campaigns(limit=1) for _ in range(20)])\n"
        "len(pages)"
    )
    env = {"INSTANTLY_API_KEY": "sk-code-max-calls-key-8d", "INSTANTLY_BASE_URL": sandbox.url + "/api/v2/"}
    with http_mcp(tmp_path, "--tools", "code", "--code-max-calls", "5", **env) as server:
        result = anyio.run(run_code, server.url, "", code)
    sent = [r for r in sandbox.requests() if r["path"] == "/api/v2/campaigns"]
    assert result.is_error and "API call limit (5" in text(result)
    assert len(sent) <= 5


def test_one_tenants_waiting_scripts_leave_a_worker_for_another(tmp_path: Path) -> None:
    """With two workers, tenant A starts two scripts that wait (on an upstream answer held back until the
    end); tenant B's `1+1` is answered while both are still running (A holds at most one worker, so its
    second script waits behind its first)."""
    hold = threading.Event()
    waiter = "await instantly.list_block_list_entries(limit=1)\n'{tag}'"
    finished: list[str] = []

    async def scenario(url: str, fake: Any) -> None:
        async def tenant_a(tag: str) -> None:
            await run_code(url, "sk-tenant-A-code-key-01", waiter.format(tag=tag))
            finished.append(tag)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(tenant_a, "A1")
            tasks.start_soon(tenant_a, "A2")
            try:
                with anyio.fail_after(GUARD_S):  # one of A's scripts holds a worker; B's needs the other
                    while not any(seen[0] == "sk-tenant-A-code-key-01" for seen in list(fake.seen)):
                        await anyio.sleep(0.05)
                    result = await run_code(url, "sk-tenant-B-code-key-02", "1 + 1")
                finished.append("B:" + text(result))
            finally:
                hold.set()

    with (
        fake_instantly(hold=hold) as fake,
        http_mcp(
            tmp_path, "--per-request-key", "--tools", "code", "--code-workers", "2", INSTANTLY_BASE_URL=fake.url
        ) as server,
    ):
        anyio.run(scenario, server.url, fake)
    assert finished[0] == "B:2" and sorted(finished[1:]) == ["A1", "A2"]


def test_a_script_cannot_take_every_upstream_connection(tmp_path: Path) -> None:
    """Tenant A's `asyncio.gather` of 60 reads holds at most its share of the 50 pooled connections
    (--max-calls-per-tenant, 8), so tenant B's call reaches Instantly while A's are all held there."""
    hold = threading.Event()
    script = (
        "import asyncio\nawait asyncio.gather(*[instantly.list_block_list_entries(limit=1) for _ in range(60)])\n'done'"
    )

    async def scenario(url: str, fake: Any) -> tuple[int, int]:
        def count(key: str) -> int:
            return sum(1 for seen in list(fake.seen) if seen[0] == key)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(run_code, url, "sk-greedy-tenant-A-key-01", script)
            with anyio.fail_after(GUARD_S):
                while count("sk-greedy-tenant-A-key-01") < 8:
                    await anyio.sleep(0.05)

            one_read = "await instantly.list_block_list_entries(limit=1)"
            tasks.start_soon(run_code, url, "sk-other-tenant-B-key-02", one_read)
            try:
                with anyio.fail_after(GUARD_S):
                    while count("sk-other-tenant-B-key-02") == 0:
                        await anyio.sleep(0.05)
                return count("sk-greedy-tenant-A-key-01"), count("sk-other-tenant-B-key-02")
            finally:
                hold.set()

    with (
        fake_instantly(hold=hold) as fake,
        http_mcp(tmp_path, "--per-request-key", "--tools", "code", INSTANTLY_BASE_URL=fake.url) as server,
    ):
        a_held, b_seen = anyio.run(scenario, server.url, fake)
    assert b_seen == 1 and a_held <= 8
