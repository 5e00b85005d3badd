"""Issue 14: search that finds the tool a person means, schemas that explain, and a sandbox that
behaves like Instantly where agents noticed the difference."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest

from instantly_mcp.catalog.answers import answer_names
from instantly_mcp.catalog.operations import load_operations
from instantly_mcp.catalog.paths import tool_specs_dir
from instantly_mcp.config import Settings
from instantly_mcp.transport.runtime import build_runtime

from support.mcp_session import mcp_client, payload
from support.search_eval import PlainBM25, cases, figures, leave_one_set_out

# Floors met today on every request of each set, through the SDK client (issue 24: no per-query
# aliases; the third set was never tuned on, the fourth and fifth only on their tune parts).
# ISSUE_24 holds the issue's targets, two not met yet: third's recall@1 (0.919 of 0.92) and
# fresh's recall@5 (0.962 of 0.97).
FLOORS = {
    "old": (0.89, 0.97),
    "fresh": (0.92, 0.96),
    "third": (0.91, 0.99),
    "fourth": (0.8, 0.94),
    "fifth": (0.85, 0.97),
}
ISSUE_24 = {"old": (0.88, 0.97), "fresh": (0.88, 0.97), "third": (0.92, 0.98)}
ISSUE_24_LEAVE_ONE_SET_OUT = 0.85


# --- search ------------------------------------------------------------------------------------


def search_tools_ranking(sandbox) -> Any:
    """search_tools through the SDK client in discover mode, as a ranker of tool names."""

    async def run(requests: list[str]) -> dict[str, list[str]]:
        settings = Settings(api_key="test-key", base_url=sandbox.url, tools=("discover",))
        ranked = {}
        async with mcp_client(sandbox.url, settings=settings) as mcp:
            for request in requests:
                result = await mcp.call_tool("search_tools", {"query": request, "limit": 5})
                ranked[request] = answer_names(result.content[0].text)
        return ranked

    return run


@pytest.fixture(scope="module")
def ranking(sandbox_process) -> tuple[dict[str, list[str]], list[dict]]:
    """Every set's requests ranked by search_tools through the SDK client, once for this module's
    tests, and what reached the sandbox meanwhile: a search sends nothing upstream."""
    sandbox_process.reset()
    every = [c.request for name in FLOORS for c in cases(name)]
    ranked = anyio.run(search_tools_ranking(sandbox_process), list(dict.fromkeys(every)))
    return ranked, sandbox_process.requests()


def test_search_tools_meets_its_floors_on_every_set_and_beats_plain_bm25(ranking) -> None:
    ranked, sent_upstream = ranking
    plain_bm25 = PlainBM25(load_operations().values())
    for name, (recall_at_1, recall_at_5) in FLOORS.items():
        ours, plain = figures(lambda q: ranked[q], cases(name)), figures(plain_bm25, cases(name))
        print(
            f"\n{name} n={ours.n}: recall@1 {ours.recall_at_1:.3f} (BM25 {plain.recall_at_1:.3f}), "
            f"recall@5 {ours.recall_at_5:.3f} (BM25 {plain.recall_at_5:.3f})"
        )
        assert ours.recall_at_1 >= recall_at_1 and ours.recall_at_5 >= recall_at_5, name
        assert ours.mrr > plain.mrr
    assert sent_upstream == []


@pytest.mark.xfail(strict=True, reason="issue 24's recall targets are not met yet (see bench/search_eval.py)")
def test_search_tools_meets_issue_24s_targets(ranking) -> None:
    ranked, _ = ranking
    for name, (recall_at_1, recall_at_5) in ISSUE_24.items():
        ours = figures(lambda q: ranked[q], cases(name))
        assert ours.recall_at_1 >= recall_at_1 and ours.recall_at_5 >= recall_at_5, name
    for _, recall_at_1 in leave_one_set_out({name: cases(name) for name in ISSUE_24}).values():
        assert recall_at_1 >= ISSUE_24_LEAVE_ONE_SET_OUT


def test_search_tools_reads_typos_prefers_core_tools_and_follows_the_verb(sandbox) -> None:
    requests = [
        "pasue my campain",
        "delte the webhok",
        "campaign analytics",
        "ai agent analytics",
        "create a lead list",
        "rename my lead list",
        "who changed my campaign",
        "set up a webhook",
        "how do I pause a campaign",
        "what is the warmup status of my accounts",
        "get one campaign's details",
        "Setting up a webhook",
        "is it possible to pause a campaign",
        "unsubscribe this person",
        "who clicked the link",
        "who is on my team",
        "block many domains at once",
        "edit the email copy of step 2",
        "Update the workspace settings",
    ]
    ranked = anyio.run(search_tools_ranking(sandbox), requests)
    assert ranked["pasue my campain"][0] == "pause_campaign"
    assert ranked["delte the webhok"][0] == "delete_webhook"
    assert not any("_ai_" in f"_{name}" for name in ranked["campaign analytics"])
    assert "_ai_" in f"_{ranked['ai agent analytics'][0]}"
    assert ranked["create a lead list"][0] == "create_lead_list"
    assert ranked["rename my lead list"][0] == "update_lead_list"
    assert "list_audit_logs" in ranked["who changed my campaign"]
    assert ranked["set up a webhook"][0] == "create_webhook"  # "set up" is one verb
    assert ranked["how do I pause a campaign"][0] == "pause_campaign"
    assert not ranked["what is the warmup status of my accounts"][0].startswith(("enable", "disable"))  # reads
    assert ranked["get one campaign's details"][0] == "get_campaign"
    assert ranked["Setting up a webhook"][0] == "create_webhook"  # a two-word verb in any form
    assert ranked["is it possible to pause a campaign"][0] == "pause_campaign"  # a polite opening asks to act
    assert ranked["unsubscribe this person"][0].endswith("create_block_list_entry")  # the verb names its thing
    assert ranked["who clicked the link"][0] == "list_leads"  # "who" did something: leads, not teammates
    assert ranked["who is on my team"][0] == "list_workspace_members"
    assert ranked["block many domains at once"][0].startswith("bulk_")  # many at once: the bulk tool
    assert not ranked["Setting up a webhook"][0].startswith("bulk_")
    assert ranked["edit the email copy of step 2"][0].startswith("update_")  # "copy" as a noun is no verb
    assert ranked["Update the workspace settings"][0] == "update_workspace"  # settings belong to the workspace
    assert sandbox.requests() == []


def test_search_answers_are_call_ready_and_a_job_gets_a_tool_per_step(sandbox) -> None:
    async def run() -> tuple[str, str, str]:
        found = []
        for tools in (("discover",), ("code",)):
            settings = Settings(api_key="test-key", base_url=sandbox.url, tools=tools)
            async with mcp_client(sandbox.url, settings=settings) as mcp:
                found += [
                    (await mcp.call_tool("search_tools", {"query": query})).content[0].text
                    for query in ("delete the webhook", "find leads then add them to a campaign")
                ]
        return found[0], found[1], found[2]

    single, job, in_code_mode = anyio.run(run)
    first = single.splitlines()[0]
    assert first.startswith("delete_webhook(id: str)") and first.endswith("[destructive]")  # and that it asks first
    assert in_code_mode.splitlines()[0] == first  # one format for both modes
    steps = job.split("# ")[1:]
    assert [s.splitlines()[0] for s in steps] == ["find leads", "add leads to a campaign"]
    assert "add_leads" in answer_names(steps[1]) and any("leads" in name for name in answer_names(steps[0]))
    assert "add_leads(" in job and sandbox.requests() == []
    from instantly_mcp.catalog.search import MAX_STEPS, steps

    assert len(steps(" then ".join(["pause campaign"] * 60))) == MAX_STEPS  # a long request costs a few passes, no more


def test_the_evaluation_split_is_fixed_by_a_hash_of_the_request() -> None:
    import hashlib

    def digest(text: str) -> int:
        return hashlib.sha256(text.encode()).digest()[0]

    old, fresh = cases("old"), cases("fresh")
    assert len(old) >= 150 and sum(c.part == "heldout" for c in old) >= len(old) // 4
    assert all((digest(c.request) % 3 == 0) == (c.part == "heldout") for c in old)
    assert len(fresh) >= 120 and sum(c.part == "heldout" for c in fresh) >= len(fresh) // 3
    assert all((digest("fresh:" + c.request) % 2 == 0) == (c.part == "heldout") for c in fresh)
    third = cases("third")
    assert len(third) >= 160 and all(c.part == "heldout" for c in third)  # never tuned on
    fourth = cases("fourth")
    assert len(fourth) >= 200 and sum(c.part == "heldout" for c in fourth) >= len(fourth) // 3
    assert all((digest("fourth:" + c.request) % 2 == 0) == (c.part == "heldout") for c in fourth)
    fifth = cases("fifth")
    assert len(fifth) >= 200 and sum(c.part == "heldout" for c in fifth) >= len(fifth) // 3
    assert all((digest("fifth:" + c.request) % 2 == 0) == (c.part == "heldout") for c in fifth)
    assert all(c.tools <= set(load_operations()) for c in old + fresh + third + fourth + fifth)


# --- schemas -----------------------------------------------------------------------------------


def served_schemas() -> dict[str, dict[str, Any]]:
    return {tool.name: tool.input_schema for tool in build_runtime(Settings(api_key="k")).tools}


def test_shared_shapes_point_at_the_natural_tool_and_core_tools_spell_them_out() -> None:
    schemas = served_schemas()
    assert "properties" in schemas["create_campaign"]["properties"]["campaign_schedule"]
    assert (
        schemas["update_campaign"]["properties"]["campaign_schedule"]["description"]
        == "Same shape as campaign_schedule of create_campaign"
    )
    pointers = json.dumps({k: v for k, v in schemas.items() if "_ai_" not in f"_{k}"})
    assert "Same shape as" in pointers and "_ai_" not in pointers.split("Same shape as", 1)[1].split('"')[0]
    assert not any(
        "of create_ai_" in json.dumps(s) or "of update_ai_" in json.dumps(s)
        for k, s in schemas.items()
        if "_ai_" not in f"_{k}"
    )


def test_dates_name_their_format_and_codes_their_meanings() -> None:
    ops = load_operations()
    for name in ("get_campaign_analytics", "get_daily_campaign_analytics", "get_campaign_steps_analytics"):
        # the spec accepts a date (read as UTC midnight) or a date-time here (issue 24)
        assert ops[name].input_schema["properties"]["start_date"]["anyOf"] == [
            {"format": "date"},
            {"format": "date-time"},
        ]
    assert ops["list_emails"].input_schema["properties"]["min_timestamp_created"]["format"] == "date-time"
    # A plain date where the spec shows a date-only example or live clients send one (issue 15's
    # tests/fixtures/real_world_requests.json: instantly-cli sends YYYY-MM-DD to both)
    for name in ("list_audit_logs", "get_daily_account_analytics"):
        assert ops[name].input_schema["properties"]["start_date"]["format"] == "date"
    assert ops["get_ai_agent_analytics"].input_schema["properties"]["start_date"]["format"] == "date-time"
    undated = [
        f"{op.name}.{field}"
        for op in ops.values()
        for field, prop in op.input_schema.get("properties", {}).items()
        if field.endswith(("_date", "date_from", "date_to"))
        and prop.get("type") == "string"
        and "format" not in prop
        and "anyOf" not in prop
    ]
    assert undated == []
    interest = ops["update_lead_interest_status"].input_schema["properties"]["interest_value"]["description"]
    assert "1=Interested" in interest and "-1=Not Interested" in interest and "null resets to Lead" in interest
    days = ops["create_campaign"].input_schema["properties"]["campaign_schedule"]["properties"]["schedules"]["items"][
        "properties"
    ]["days"]
    assert days["description"].startswith('Keys "0"-"6": 0 = Sunday')
    assert ops["verify_email"].input_schema["properties"]["email"]["format"] == "email"


# --- sandbox -----------------------------------------------------------------------------------


def run(sandbox, steps, **settings: Any) -> Any:
    async def go():
        config = Settings(api_key="test-key", base_url=sandbox.url, **{"confirm": "off", **settings})
        async with mcp_client(sandbox.url, settings=config) as mcp:
            return await steps(mcp)

    return anyio.run(go)


def test_warmup_analytics_come_from_the_seeded_accounts(sandbox) -> None:
    async def steps(mcp):
        accounts = payload(await mcp.call_tool("list_accounts", {"limit": 10}))["items"]
        emails = [a["email"] for a in accounts]
        return accounts, payload(await mcp.call_tool("get_warmup_analytics", {"emails": emails}))

    accounts, analytics = run(sandbox, steps)
    scored = {a["email"]: a["stat_warmup_score"] for a in accounts if a.get("stat_warmup_score") is not None}
    assert scored and set(analytics["aggregate_data"]) == set(scored)
    for email, score in scored.items():
        total = analytics["aggregate_data"][email]
        assert total["health_score"] == score and total["sent"] == total["landed_inbox"] + total["landed_spam"] > 0
        assert len(analytics["email_date_data"][email]) == 7


def test_every_webhook_event_type_the_spec_lists_is_listed(sandbox) -> None:
    spec = json.loads(_spec_path().read_text())
    listed = set(spec["components"]["schemas"]["Webhook"]["properties"]["event_type"]["enum"]) - {"all_events"}

    async def steps(mcp):
        return payload(await mcp.call_tool("list_webhook_event_types", {}))

    types = run(sandbox, steps)["event_types"]
    assert listed <= {t["id"] for t in types if t["type"] == "standard"}
    assert {"reply_received", "email_bounced", "lead_interested"} <= {t["id"] for t in types}


def _spec_path() -> Path:
    return tool_specs_dir() / "source" / "openapi.json"


def test_activating_a_campaign_without_sending_accounts_is_warned_then_refused(sandbox) -> None:
    schedule = {
        "schedules": [
            {
                "name": "w",
                "timing": {"from": "09:00", "to": "17:00"},
                "days": {"1": True},
                "timezone": "America/Detroit",
            }
        ]
    }

    async def steps(mcp):
        campaign = payload(
            await mcp.call_tool(
                "create_campaign", {"name": "No senders", "campaign_schedule": schedule, "sequences": []}
            )
        )
        asked = payload(await mcp.call_tool("activate_campaign", {"id": campaign["id"]}))
        done = await mcp.call_tool("activate_campaign", {"id": campaign["id"], "confirm_token": asked["confirm_token"]})
        after = payload(await mcp.call_tool("get_campaign", {"id": campaign["id"]}))
        return asked, done, after

    asked, done, after = run(sandbox, steps, confirm="token")
    assert "WARNING: it has no sending accounts" in asked["summary"]
    assert done.is_error and "no sending accounts" in done.content[0].text and "400" in done.content[0].text
    assert after["status"] == 0
    activations = [r for r in sandbox.requests() if r["path"].endswith("/activate")]
    assert [r["status"] for r in activations] == [400]
