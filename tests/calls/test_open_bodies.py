"""Issue 15, item 1: where the spec leaves a request body open, undocumented top-level fields that real
clients send (delete_list on DELETE /leads, list_ids and esp_code on /leads/list) are accepted, sent,
shown in the dry run and the confirmation, and noted in the result; where the spec closes the body
they are refused with nothing sent. Through the SDK client over stdio, against the sandbox process."""

from __future__ import annotations

import json
from typing import Any

import anyio
from mcp import Client

from instantly_mcp.calls.undocumented import NOTE
from instantly_mcp.catalog.operations import load_operations

from support.real_clients import stdio
from support.sandbox_http import SandboxProcess

NOTE_START = NOTE.split("{", 1)[0]


def texts(result: Any) -> list[str]:
    return [content.text for content in result.content]


async def first_campaign(client: Client) -> str:
    page = json.loads((await client.call_tool("list_campaigns", {"limit": 1})).content[0].text)
    return page["items"][0]["id"]


def test_open_and_closed_bodies_follow_the_spec() -> None:
    ops = load_operations()
    assert ops["delete_leads"].body_open and ops["list_leads"].body_open
    assert not ops["create_lead_label"].body_open and not ops["create_campaign"].body_open
    assert ops["delete_leads"].input_schema.get("additionalProperties") is True
    assert ops["create_lead_label"].input_schema["additionalProperties"] is False


def test_undocumented_field_is_shown_confirmed_and_sent(sandbox: SandboxProcess) -> None:
    async def run() -> tuple[str, list[Any], list[dict], dict, list[str]]:
        async with stdio(sandbox.url, INSTANTLY_CONFIRM="token") as client:
            campaign = await first_campaign(client)
            arguments = {"campaign_id": campaign, "delete_list": ["gone@example.com"], "limit": 1}
            dry = json.loads((await client.call_tool("delete_leads", {**arguments, "dry_run": True})).content[0].text)
            asked = json.loads((await client.call_tool("delete_leads", arguments)).content[0].text)
            before = [r for r in sandbox.requests() if r["method"] != "GET"]
            done = await client.call_tool("delete_leads", {**arguments, "confirm_token": asked["confirm_token"]})
            return (
                campaign,
                [dry, asked],
                before,
                next(r for r in sandbox.requests() if r["method"] == "DELETE"),
                texts(done),
            )

    campaign, (dry, asked), before, sent, done = anyio.run(run)
    assert dry["body"] == {"campaign_id": campaign, "delete_list": ["gone@example.com"], "limit": 1}
    assert dry["undocumented"] == ["delete_list"]
    assert asked["status"] == "confirmation_required"
    assert 'delete_list=["gone@example.com"]' in asked["summary"] and "does not document" in asked["summary"]
    assert before == []
    assert sent["body"] == {"campaign_id": campaign, "delete_list": ["gone@example.com"], "limit": 1}
    assert len(done) == 2 and done[1].startswith(NOTE_START) and "delete_list" in done[1]


def test_read_with_undocumented_filters_is_sent(sandbox: SandboxProcess) -> None:
    async def run() -> list[str]:
        async with stdio(sandbox.url) as client:
            return texts(await client.call_tool("list_leads", {"list_ids": ["l-1"], "esp_code": 1, "limit": 2}))

    result = anyio.run(run)
    body = next(r for r in sandbox.requests() if r["path"] == "/api/v2/leads/list")["body"]
    assert body == {"list_ids": ["l-1"], "esp_code": 1, "limit": 2}
    assert "items" in json.loads(result[0]) and "list_ids, esp_code" in result[1]


def test_closed_body_refuses_unknown_fields_and_sends_nothing(sandbox: SandboxProcess) -> None:
    async def run() -> list[tuple[bool, str]]:
        async with stdio(sandbox.url, INSTANTLY_CONFIRM="off") as client:
            seen = []
            for arguments in (
                {"label": "Hot", "interest_status_label": "positive", "colour": "red"},
                {"label": "Hot", "interest_status_label": "positive", "colour": "red", "dry_run": True},
            ):
                result = await client.call_tool("create_lead_label", arguments)
                seen.append((bool(result.is_error), result.content[0].text))
            return seen

    for is_error, text in anyio.run(run):
        assert is_error and "colour: unknown argument" in text and "nothing was sent" in text
    assert sandbox.requests() == []


def test_undocumented_fields_stay_within_the_input_limits(sandbox: SandboxProcess) -> None:
    async def run() -> tuple[bool, str]:
        async with stdio(sandbox.url, INSTANTLY_MCP_MAX_STRING_CHARS="1000") as client:
            result = await client.call_tool("list_leads", {"esp_code": "x" * 1001})
            return bool(result.is_error), result.content[0].text

    is_error, text = anyio.run(run)
    assert is_error and "esp_code" in text and "nothing was sent" in text
    assert sandbox.requests() == []


def test_a_nested_object_the_spec_opens_sends_extras_and_shows_them(sandbox: SandboxProcess) -> None:
    """update_ai_agent's `config` is `additionalProperties: true` in the spec: an extra nested field is sent,
    and the dry run and the confirmation name it with its path."""

    async def run() -> dict[str, Any]:
        async with stdio(sandbox.url, INSTANTLY_CONFIRM="token") as client:
            agents = json.loads((await client.call_tool("list_ai_agents", {"limit": 1})).content[0].text)["items"]
            arguments = {"id": agents[0]["id"], "config": {"tone_hint": "warm"}, "dry_run": True}
            return dict(json.loads((await client.call_tool("update_ai_agent", arguments)).content[0].text))

    dry = anyio.run(run)
    assert dry["body"] == {"config": {"tone_hint": "warm"}} and dry["undocumented"] == ["config.tone_hint"]
    assert [r for r in sandbox.requests() if r["method"] != "GET"] == []
