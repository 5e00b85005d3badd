"""Issue 21, item 7: what a client can make the server hold is bounded by bytes, not by counts.

Unapproved gated calls of maximal size, dry-run answers (echoing maximal arguments) and form
bodies posted to the approval pages, each against a real server process; the stores' own byte
bounds are asserted directly (the RSS figure is bench/approvals_memory.py's, never a test's)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import mcp_types as types
import pytest

from instantly_mcp.gates.approvals import Approval, ApprovalItem
from instantly_mcp.transport.events import MemoryEventLog

from support.security import http_client, http_mcp, text

BIG = 95_000  # characters per string, under the 100,000 input limit; two of them per call


def first_email(sandbox: Any) -> dict[str, Any]:
    answer = sandbox.admin.get("/api/v2/emails", params={"limit": 1}, headers={"Authorization": "Bearer x"})
    return answer.json()["items"][0]  # type: ignore[no-any-return]


def maximal_reply(email: dict[str, Any], n: int) -> dict[str, Any]:
    return {
        "eaccount": email["eaccount"],
        "reply_to_uuid": email["id"],
        "subject": f"Re: {n}",
        "body": {"text": f"{n} " + "x" * BIG, "html": "<p>" + "y" * BIG + "</p>"},
    }


def test_a_flood_of_maximal_unapproved_calls_is_held_by_bytes(tmp_path: Path, sandbox: Any) -> None:
    """40 unapproved replies of ~190 kB each: the oldest approvals go once the principal's bytes are
    spent (they were all kept, up to 10,000 of them, before), the newest stay; nothing is sent."""
    email = first_email(sandbox)
    env = {"INSTANTLY_API_KEY": "sk-flood-key-0b7e4d", "INSTANTLY_BASE_URL": sandbox.url + "/api/v2/"}

    async def flood(url: str) -> list[dict[str, Any]]:
        async with http_client(url) as client:
            answers = []
            for n in range(40):
                result = await client.call_tool("reply_to_email", maximal_reply(email, n))
                answers.append(json.loads(text(result)))
            return answers

    with http_mcp(tmp_path, **env) as server:
        asked = anyio.run(flood, server.url)
        first = httpx2.get(asked[0]["approval_url"])
        last = httpx2.get(asked[-1]["approval_url"])
    assert {a["status"] for a in asked} == {"approval_required"}
    assert first.status_code == 404 and last.status_code == 200
    assert [r for r in sandbox.requests() if r["method"] != "GET"] == []


def approval(n: int, owner: str, size: int) -> Approval:
    item = ApprovalItem("reply_to_email", "Reply", "Reply?", (("Body", "b" * 400),), "r" * size, f"digest-{n}")
    return Approval(f"id-{owner}-{n}", (item,), "fp", "", 0.0, 1e12, owner=owner)


def test_the_approval_store_never_holds_more_than_its_byte_bounds() -> None:
    """1,000 maximal approvals of one principal, then of many: the store stays within its bounds and
    a principal's flood drops its own approvals, not another's."""
    from instantly_mcp.gates.approvals import MAX_BYTES, MAX_OWNER_BYTES, MemoryApprovalStore

    async def fill() -> tuple[int, int, bool]:
        store = MemoryApprovalStore(clock=lambda: 0.0)
        await store.add(approval(0, "key:victim", 1_000))
        for n in range(1_000):
            await store.add(approval(n, "key:flood", 700_000))
        one_owner = store.bytes_held
        for n in range(1_000):
            await store.add(approval(n, f"key:made-up-{n}", 700_000))
        return one_owner, store.bytes_held, await store.get("id-key:victim-0") is not None

    one_owner, many_owners, victim_kept = anyio.run(fill)
    assert one_owner <= MAX_OWNER_BYTES + 1_000_000 and many_owners <= MAX_BYTES
    assert victim_kept


def test_dry_run_answers_are_cut_at_max_result_chars(tmp_path: Path, sandbox: Any) -> None:
    email = first_email(sandbox)
    env = {"INSTANTLY_API_KEY": "sk-dry-run-key-7ac21", "INSTANTLY_BASE_URL": sandbox.url + "/api/v2/"}

    async def dry_run(url: str) -> types.CallToolResult:
        async with http_client(url) as client:
            return await client.call_tool("reply_to_email", {**maximal_reply(email, 1), "dry_run": True})

    with http_mcp(tmp_path, "--max-result-chars", "5000", **env) as server:
        result = anyio.run(dry_run, server.url)
    shown = text(result)
    assert not result.is_error and len(shown) <= 5000 and "Truncated" in shown and "dry_run" in shown
    assert [r for r in sandbox.requests() if r["method"] != "GET"] == []


def test_the_resumable_event_log_is_bounded_by_bytes() -> None:
    log = MemoryEventLog(max_bytes=1_000_000)
    big = types.JSONRPCResponse(jsonrpc="2.0", id=1, result={"content": [{"type": "text", "text": "z" * 200_000}]})

    async def append() -> int:
        for _ in range(50):
            await log.append("session", "stream", big)
        return log.bytes_held

    assert anyio.run(append) <= 1_000_000


def chunks(total: int) -> Iterator[bytes]:
    """A body sent without Content-Length (chunked): refused after a few KB, never read whole."""
    sent = 0
    while sent < total:
        sent += 64 * 1024
        yield b"approver_token=" + b"a" * (64 * 1024)


@pytest.mark.e2e  # starts a process
def test_form_bodies_over_a_few_kb_get_413_before_being_read(tmp_path: Path) -> None:
    with http_mcp(tmp_path, "--sandbox") as server:
        login = server.base + "/approvals/login"
        declared = httpx2.post(login, content=b"approver_token=" + b"a" * 3_000_000, headers=FORM)
        streamed = httpx2.post(login, content=chunks(3_000_000), headers=FORM)
        decision = httpx2.post(server.base + "/approvals/some-id", content=b"csrf=" + b"c" * 200_000, headers=FORM)
        small = httpx2.post(login, data={"approver_token": "wrong"})
    assert (declared.status_code, streamed.status_code) == (413, 413)
    assert decision.status_code in (404, 413)  # an unknown id is refused before its form is read at all
    assert small.status_code == 401


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
