"""Issue 14: the mistakes agents make are caught before anything is sent, each answered with what
to do; any IANA timezone maps to its Instantly twin. Through the SDK client against the sandbox
HTTP server, whose request log shows what reached it."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest

from instantly_mcp.config import Settings

from support.mcp_session import mcp_client, payload

CAMPAIGN = "0190c0de-0000-7000-8000-00000000c001"


def call(sandbox, name: str, args: dict[str, Any], **settings: Any):
    async def run():
        config = Settings(api_key="test-key", base_url=sandbox.url, confirm="off", **settings)
        async with mcp_client(sandbox.url, settings=config) as mcp:
            return await mcp.call_tool(name, args)

    return anyio.run(run)


def schedule(days: dict[str, bool], timezone: str = "America/Detroit") -> dict[str, Any]:
    timing = {"from": "09:00", "to": "17:00"}
    return {"schedules": [{"name": "Weekdays", "timing": timing, "days": days, "timezone": timezone}]}


MISTAKES = [
    (
        "pause_campaign",
        {"id": "Q3 SaaS Founders"},
        ["'Q3 SaaS Founders' is a name, not a campaign id", "list_campaigns(search=...) finds the id"],
    ),
    (
        "get_lead",
        {"id": "jane@acme.example"},
        ["'jane@acme.example' is an email, not a lead id", "list_leads(search=...)"],
    ),
    ("delete_campaign", {"id": "Q3 SaaS Founders"}, ["is a name, not a campaign id"]),
    ("get_campaign_analytics", {"start_date": "yesterday"}, ["start_date", "YYYY-MM-DD", "work out words like"]),
    ("get_campaign_analytics", {"start_date": "11/01/2026"}, ["start_date", "YYYY-MM-DD"]),
    ("list_emails", {"min_timestamp_created": "last week"}, ["min_timestamp_created", "ISO 8601 date-time"]),
    ("list_campaigns", {"starting_after": "2"}, ["page number, not a cursor", "next_starting_after"]),
    ("list_leads", {"starting_after": 3}, ["page number, not a cursor", "next_starting_after"]),
    ("list_campaigns", {"starting_after": "page-2"}, ["not a cursor", "next_starting_after"]),
    (
        "create_campaign",
        {"name": "Fintech", "campaign_schedule": schedule({"monday": True}), "sequences": []},
        ['"1" for monday', '"0"-"6" with 0 = Sunday'],
    ),
    ("update_campaign", {"id": CAMPAIGN, "campaign_schedule": schedule({"Sat": True})}, ['"0"-"6" with 0 = Sunday']),
    ("verify_email", {"email": "not-an-email"}, ["email: must be an email address"]),
    (
        "update_lead_interest_status",
        {"lead_email": "jane@acme.example", "interest_value": "interested"},
        ["did you mean 1 (Interested)", "-1 = Not Interested", "2 = Meeting Booked"],
    ),
    ("list_campaigns", {"status": "paused"}, ["did you mean 2 (Paused)", "0 = Draft"]),
    (
        "create_campaign",
        {"name": "West", "campaign_schedule": schedule({"1": True}, "America/Los_Angeles"), "sequences": []},
        [
            "no Instantly zone has the same rules as America/Los_Angeles",
            "the nearest are",
            "America/Dawson (UTC-07:00)",
        ],
    ),
]


@pytest.mark.parametrize(("name", "args", "phrases"), MISTAKES)
def test_each_mistake_reaches_nothing_upstream_and_says_what_to_do(
    sandbox, name: str, args: dict, phrases: list[str]
) -> None:
    result = call(sandbox, name, args)
    message = result.content[0].text
    assert result.is_error and "nothing was sent" in message, message
    for phrase in phrases:
        assert phrase in message, (phrase, message)
    assert sandbox.requests() == []


def test_a_wrong_value_and_a_mistake_are_reported_together(sandbox) -> None:
    result = call(sandbox, "pause_campaign", {"id": "Q3 SaaS Founders", "force": True})
    assert (
        "is a name, not a campaign id" in result.content[0].text and "force: unknown argument" in result.content[0].text
    )
    assert sandbox.requests() == []


def test_an_iana_zone_is_sent_as_its_instantly_twin_and_the_result_says_so(sandbox) -> None:
    result = call(
        sandbox,
        "create_campaign",
        {"name": "East", "campaign_schedule": schedule({"1": True}, "America/New_York"), "sequences": []},
    )
    assert not result.is_error, result.content[0].text
    note = result.content[-1].text
    assert "America/New_York is not one of Instantly's zones; sent America/Detroit" in note
    [sent] = sandbox.requests()
    created = json.loads(result.content[0].text)
    assert created["campaign_schedule"]["schedules"][0]["timezone"] == "America/Detroit"
    assert sent["path"] == "/api/v2/campaigns"


def test_valid_ids_dates_and_cursors_still_go_through(sandbox) -> None:
    first = payload(call(sandbox, "list_campaigns", {"limit": 1}))
    campaign = first["items"][0]
    assert not call(sandbox, "get_campaign", {"id": campaign["id"]}).is_error
    assert not call(sandbox, "list_campaigns", {"limit": 1, "starting_after": first["next_starting_after"]}).is_error
    assert not call(sandbox, "get_campaign_analytics", {"start_date": "2026-01-01", "end_date": "2026-01-31"}).is_error
    assert len(sandbox.requests()) == 4


@pytest.mark.parametrize("tools", [(), ("discover",)])
def test_unknown_tool_names_get_did_you_mean_in_every_mode(sandbox, tools: tuple[str, ...]) -> None:
    if tools:
        result = call(sandbox, "call_tool", {"name": "pause_campaigns", "arguments": {"id": CAMPAIGN}}, tools=tools)
    else:
        result = call(sandbox, "pause_campaigns", {"id": CAMPAIGN})
    assert result.is_error and "Did you mean pause_campaign" in result.content[0].text
    assert sandbox.requests() == []


# --- issue 24: what people mean ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "sent", "meant"),
    [("EST", "America/Detroit", "US Eastern time"), ("CET", "Europe/Belgrade", "Central European time")],
)
def test_a_zone_abbreviation_is_read_as_what_people_mean_and_the_note_says_so(
    sandbox, said: str, sent: str, meant: str
) -> None:
    result = call(
        sandbox, "create_campaign", {"name": "East", "campaign_schedule": schedule({"1": True}, said), "sequences": []}
    )
    assert not result.is_error, result.content[0].text
    note = result.content[-1].text
    assert f"{said} (read as {meant}" in note and f"sent {sent}" in note
    created = json.loads(result.content[0].text)
    assert created["campaign_schedule"]["schedules"][0]["timezone"] == sent
    assert [r["path"] for r in sandbox.requests()] == ["/api/v2/campaigns"]


def test_a_page_number_on_a_list_names_the_cursor(sandbox) -> None:
    refused = call(sandbox, "list_campaigns", {"page": 2})
    assert refused.is_error and "page: " in refused.content[0].text and "starting_after=" in refused.content[0].text
    assert sandbox.requests() == []
    sent = call(sandbox, "list_leads", {"page": 2, "limit": 1})  # an open body: sent, and the note names the cursor
    assert not sent.is_error
    assert "page is no Instantly page number" in sent.content[-1].text and "starting_after=" in sent.content[-1].text
    assert len(sandbox.requests()) == 1


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("create_block_list_entry", {"bl_value": "https://www.acme.com/"}),
        ("bulk_create_block_list_entries", {"bl_values": ["jane@ok.example", "www.acme.com/pricing"]}),
    ],
)
def test_a_url_as_a_block_list_value_is_refused_with_its_domain(sandbox, tool: str, arguments: dict[str, Any]) -> None:
    result = call(sandbox, tool, arguments)
    assert result.is_error and "is a URL" in result.content[0].text and "use 'acme.com'" in result.content[0].text
    assert sandbox.requests() == []
