"""Issue 14: search that finds the tool a person means, schemas that explain, and a sandbox that
behaves like Instantly where agents noticed the difference."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio

from instantly_mcp.catalog.operations import load_operations
from instantly_mcp.catalog.paths import tool_specs_dir
from instantly_mcp.config import Settings
from instantly_mcp.transport.server import build_runtime

from support.mcp_session import mcp_client, payload
from support.search_eval import PlainBM25, cases, figures

# Issue 14's targets on the held-out parts, met on both sets: recall@1 >= 0.85, recall@5 >= 0.97 (the first
# set's part: 0.859 and 1.000 of 64; the fresh, independently written set's: 0.861 and 0.987 of 79).
HELD_OUT_FLOORS = {"fresh": (0.85, 0.97), "old": (0.85, 0.97)}


# --- search ------------------------------------------------------------------------------------


def search_tools_ranking(sandbox) -> Any:
    """search_tools through the SDK client in discover mode, as a ranker of tool names."""

    async def run(requests: list[str]) -> dict[str, list[str]]:
        settings = Settings(api_key="test-key", base_url=sandbox.url, tools=("discover",))
        ranked = {}
        async with mcp_client(sandbox.url, settings=settings) as mcp:
            for request in requests:
                result = await mcp.call_tool("search_tools", {"query": request, "limit": 5})
                ranked[request] = [line.split(":", 1)[0] for line in result.content[0].text.splitlines()]
        return ranked

    return run


def test_search_tools_meets_the_held_out_floors_and_beats_plain_bm25(sandbox) -> None:
    held_out = [c for name in HELD_OUT_FLOORS for c in cases(name) if c.part == "heldout"]
    ranked = anyio.run(search_tools_ranking(sandbox), [c.request for c in held_out])
    plain_bm25 = PlainBM25(load_operations().values())
    for name, (recall_at_1, recall_at_5) in HELD_OUT_FLOORS.items():
        part = [c for c in held_out if c.set == name]
        ours, plain = figures(lambda q: ranked[q], part), figures(plain_bm25, part)
        print(
            f"\n{name} held-out n={ours.n}: recall@1 {ours.recall_at_1:.3f} (BM25 {plain.recall_at_1:.3f}), "
            f"recall@5 {ours.recall_at_5:.3f} (BM25 {plain.recall_at_5:.3f})"
        )
        assert ours.recall_at_1 >= recall_at_1 and ours.recall_at_5 >= recall_at_5, name
        assert ours.mrr > plain.mrr
    assert sandbox.requests() == []


def test_search_tools_reads_typos_prefers_core_tools_and_follows_the_verb(sandbox) -> None:
    requests = [
        "pasue my campain",
        "delte the webhok",
        "campaign analytics",
        "ai agent analytics",
        "create a lead list",
        "rename my lead list",
        "who changed my campaign",
    ]
    ranked = anyio.run(search_tools_ranking(sandbox), requests)
    assert ranked["pasue my campain"][0] == "pause_campaign"
    assert ranked["delte the webhok"][0] == "delete_webhook"
    assert not any("_ai_" in f"_{name}" for name in ranked["campaign analytics"])
    assert "_ai_" in f"_{ranked['ai agent analytics'][0]}"
    assert ranked["create a lead list"][0] == "create_lead_list"
    assert ranked["rename my lead list"][0] == "update_lead_list"
    assert ranked["who changed my campaign"][0] == "list_audit_logs"
    assert sandbox.requests() == []


def test_the_evaluation_split_is_fixed_by_a_hash_of_the_request() -> None:
    import hashlib

    def digest(text: str) -> int:
        return hashlib.sha256(text.encode()).digest()[0]

    old, fresh = cases("old"), cases("fresh")
    assert len(old) >= 150 and sum(c.part == "heldout" for c in old) >= len(old) // 4
    assert all((digest(c.request) % 3 == 0) == (c.part == "heldout") for c in old)
    assert len(fresh) >= 120 and sum(c.part == "heldout" for c in fresh) >= len(fresh) // 3
    assert all((digest("fresh:" + c.request) % 2 == 0) == (c.part == "heldout") for c in fresh)
    assert all(c.tools <= set(load_operations()) for c in old + fresh)


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
        assert ops[name].input_schema["properties"]["start_date"]["format"] == "date"
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
        if field.endswith(("_date", "date_from", "date_to")) and prop.get("type") == "string" and "format" not in prop
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
