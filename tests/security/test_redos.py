"""Finding 1: 100,000-character strings built to make a backtracking check quadratic, one per format
(and per spec pattern), are refused with an error naming the field while another session's calls
keep being answered. Speed figures are in bench/security_redos.py; nothing here is timed."""

from __future__ import annotations

from typing import Any

import anyio
from mcp import Client

from security.conftest import Target, audit_lines, text

N = 100_000
ID = "0b5c2f9e-6a1d-4c3b-9f1e-2d7a8b9c0d1e"

# (tool, arguments, the field the error must name); the string in each is N characters long.
ATTACKS: list[tuple[str, dict[str, Any], str]] = [
    ("get_email_verification", {"email": "a@" + "a." * ((N - 4) // 2) + "a "}, "email"),
    ("get_ai_inbox_manager_analytics_summary", {"id": ID, "from": "2026-" + "0" * (N - 5)}, "from"),
    ("update_email", {"id": ID, "reminder_ts": "2026-01-31T" + "0" * (N - 11)}, "reminder_ts"),
    ("create_webhook", {"target_hook_url": "a:" + "a" * (N - 3) + " "}, "target_hook_url"),
    ("count_leads_from_supersearch", {"search_filters": {"company_list_id": "a" * (N - 1) + "g"}}, "company_list_id"),
    ("create_custom_tag", {"label": " " * N}, "label"),
    ("get_domain_forwarding", {"domain": " " * (N // 2) + "a" * (N // 2 - 1) + "!"}, "domain"),
]
WRITES = {"update_email", "create_webhook", "create_custom_tag"}


async def bystander(client: Client, answered: list[str], stop: anyio.Event) -> None:
    """Another session's reads, one after another, until the attack is over."""
    while not stop.is_set():
        result = await client.call_tool("list_campaigns", {"limit": 1})
        assert not result.is_error, text(result)
        answered.append("list_campaigns")


async def attack(client: Client, refusals: dict[str, str]) -> None:
    async with anyio.create_task_group() as tg:
        for tool, arguments, _ in ATTACKS:

            async def one(tool: str = tool, arguments: dict[str, Any] = arguments) -> None:
                result = await client.call_tool(tool, arguments)
                assert result.is_error, f"{tool} accepted a {N}-character adversarial string"
                refusals[tool] = text(result)

            tg.start_soon(one)


def longest(value: Any) -> int:
    if isinstance(value, dict):
        return max(longest(v) for v in value.values())
    return len(value) if isinstance(value, str) else 0


def test_adversarial_format_strings_are_refused_while_others_are_served(target: Target) -> None:
    assert all(longest(arguments) == N for _, arguments, _ in ATTACKS)
    refusals: dict[str, str] = {}
    answered: list[str] = []

    async def run() -> None:
        with target.serve("--confirm", "token") as served:
            async with served.connect() as attacker, served.connect() as other:
                stop = anyio.Event()
                async with anyio.create_task_group() as tg:
                    tg.start_soon(bystander, other, answered, stop)
                    await attack(attacker, refusals)
                    stop.set()
                final = await other.call_tool("list_campaigns", {"limit": 1})
                assert not final.is_error, text(final)

    anyio.run(run)
    for tool, _, field in ATTACKS:
        assert field in refusals[tool] and "nothing was sent" in refusals[tool], refusals[tool][:300]
        assert len(refusals[tool]) < 2000, f"{tool}: the refusal echoes the input ({len(refusals[tool])} chars)"
    assert answered, "the other session got no answer while the attack ran"
    assert {r["path"] for r in target.sandbox.requests()} == {"/api/v2/campaigns"}
    lines = audit_lines(target.audit_path)
    assert sorted(line["tool"] for line in lines) == sorted(WRITES)
    assert all(line["decision"] == "invalid" for line in lines)
