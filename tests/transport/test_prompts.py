"""Issue 14: prompts for the five jobs, their arguments completed with names from the workspace,
through the SDK client against the sandbox HTTP server."""

from __future__ import annotations

from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp.shared.exceptions import MCPError

from instantly_mcp.config import Settings

from support.mcp_session import mcp_client, payload

JOBS = {
    "campaign_health_report",
    "reply_triage",
    "list_hygiene",
    "new_campaign_launch_checklist",
    "deliverability_check",
}


def session(sandbox, steps, **settings: Any) -> Any:
    async def go():
        config = Settings(api_key="test-key", base_url=sandbox.url, **settings)
        async with mcp_client(sandbox.url, settings=config) as mcp:
            return await steps(mcp)

    return anyio.run(go)


def test_the_five_prompts_are_listed_with_their_arguments(sandbox) -> None:
    async def steps(mcp):
        return (await mcp.list_prompts()).prompts

    listed = {p.name: p for p in session(sandbox, steps)}
    assert set(listed) == JOBS
    assert [(a.name, a.required) for a in listed["campaign_health_report"].arguments] == [("campaign", True)]
    assert {a.name for a in listed["list_hygiene"].arguments} == {"list", "campaign"}
    assert all(p.title and p.description for p in listed.values())
    assert sandbox.requests() == []


def test_a_prompt_is_a_plan_naming_the_tools_and_the_argument(sandbox) -> None:
    async def steps(mcp):
        report = await mcp.get_prompt("campaign_health_report", {"campaign": "Q3 SaaS Founders"})
        hygiene = await mcp.get_prompt("list_hygiene", {"list": "Fintech CFOs"})
        with pytest.raises(MCPError) as missing:
            await mcp.get_prompt("campaign_health_report", {})
        return report, hygiene, missing.value

    report, hygiene, missing = session(sandbox, steps)
    text = report.messages[0].content.text
    assert (
        "'Q3 SaaS Founders'" in text and "list_campaigns(search=" in text and "get_campaign_analytics_overview" in text
    )
    assert (
        "lead list 'Fintech CFOs'" in hygiene.messages[0].content.text and "bounced" in hygiene.messages[0].content.text
    )
    assert "campaign_health_report needs campaign" in str(missing)
    assert sandbox.requests() == []


def test_discover_mode_prompts_say_to_use_call_tool(sandbox) -> None:
    async def steps(mcp):
        return await mcp.get_prompt("deliverability_check", {})

    text = session(sandbox, steps, tools=("discover",)).messages[0].content.text
    assert "all sending accounts" in text and "call_tool(name=" in text


def test_campaign_list_and_account_arguments_complete_with_workspace_names(sandbox) -> None:
    async def steps(mcp):
        campaigns = payload(await mcp.call_tool("list_campaigns", {"limit": 100}))["items"]
        lists = payload(await mcp.call_tool("list_lead_lists", {"limit": 100}))["items"]
        sandbox.reset()
        name = campaigns[0]["name"]
        typed = name[:3]
        by_campaign = await mcp.complete(
            types.PromptReference(type="ref/prompt", name="campaign_health_report"),
            {"name": "campaign", "value": typed},
        )
        by_list = await mcp.complete(
            types.PromptReference(type="ref/prompt", name="list_hygiene"), {"name": "list", "value": ""}
        )
        by_account = await mcp.complete(
            types.PromptReference(type="ref/prompt", name="deliverability_check"), {"name": "account", "value": ""}
        )
        unknown = await mcp.complete(
            types.PromptReference(type="ref/prompt", name="reply_triage"), {"name": "list", "value": ""}
        )
        return name, typed, [entry["name"] for entry in lists], by_campaign, by_list, by_account, unknown

    name, typed, lists, by_campaign, by_list, by_account, unknown = session(sandbox, steps, confirm="off")
    assert name in by_campaign.completion.values and all(
        typed.lower() in v.lower() for v in by_campaign.completion.values
    )
    assert set(by_list.completion.values) == set(lists)
    assert by_account.completion.values and all("@" in v for v in by_account.completion.values)
    assert unknown.completion.values == []
    reads = [(r["method"], r["path"]) for r in sandbox.requests()]
    assert reads == [("GET", "/api/v2/campaigns"), ("GET", "/api/v2/lead-lists"), ("GET", "/api/v2/accounts")]


def test_completions_go_through_the_gates(sandbox) -> None:
    async def steps(mcp):
        ref = types.PromptReference(type="ref/prompt", name="campaign_health_report")
        return await mcp.complete(ref, {"name": "campaign", "value": ""})

    hidden = session(sandbox, steps, toolsets=("leads",))
    assert hidden.completion.values == [] and sandbox.requests() == []
