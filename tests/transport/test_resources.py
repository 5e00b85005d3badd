"""The workspace as MCP resources, through the SDK client against the in-process sandbox: templates,
the paginated resources/list, reads that are the read tools' calls (checked in the sandbox's own
request log), and the gates: what a policy hides is neither listed nor read, and nothing is sent."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError

from instantly_mcp.transport import resources

from support.http_server import clean_env
from support.servers import Harness, policy_server


async def all_pages(h: Harness) -> tuple[list[str], int]:
    uris, pages, cursor = [], 0, None
    while True:
        page = await h.client.list_resources(cursor=cursor)
        uris += [r.uri for r in page.resources]
        pages += 1
        cursor = page.next_cursor
        if not cursor:
            return uris, pages


def test_resources_list_pages_through_every_campaign_lead_list_and_account(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resources, "PAGE_SIZE", 2)  # several pages within each kind

    async def run() -> tuple[list[str], int, set[str], Any]:
        async with policy_server() as h:
            expected = {"instantly://block-list.csv"}
            for tool, key, template in (
                ("list_campaigns", "id", "campaigns"),
                ("list_lead_lists", "id", "lead-lists"),
                ("list_accounts", "email", "accounts"),
            ):
                items = (await h.data(tool, {"max_items": 1000}))["items"]
                expected |= {f"instantly://{template}/{item[key]}" for item in items}
            uris, pages = await all_pages(h)
            templates = (await h.client.list_resource_templates()).resource_templates
            return uris, pages, expected, templates

    uris, pages, expected, templates = anyio.run(run)
    assert len(uris) == len(set(uris)) and set(uris) == expected
    assert pages > len(expected) // 2  # it did paginate
    assert {t.uri_template for t in templates} == {
        "instantly://campaigns/{id}",
        "instantly://lead-lists/{id}",
        "instantly://accounts/{email}",
    }


def test_reading_a_campaign_is_its_read_tools_calls() -> None:
    async def run() -> tuple[Any, Any, Any, list[dict[str, Any]]]:
        async with policy_server() as h:
            campaign = (await h.data("list_campaigns", {"limit": 1}))["items"][0]
            expected = await h.data("get_campaign", {"id": campaign["id"]})
            read = await h.client.read_resource(f"instantly://campaigns/{campaign['id']}")
            return read, expected, campaign, list(h.received)

    read, expected, campaign, received = anyio.run(run)
    content = read.contents[0]
    assert content.uri == f"instantly://campaigns/{campaign['id']}" and content.mime_type == "application/json"
    body = json.loads(content.text)
    assert body["campaign"] == expected and body["campaign"]["sequences"] and "analytics" in body
    assert [(r["method"], r["path"]) for r in received] == [
        ("GET", f"/api/v2/campaigns/{campaign['id']}"),
        ("GET", "/api/v2/campaigns/analytics"),
    ]


def test_account_lead_list_and_block_list_reads() -> None:
    async def run() -> tuple[Any, Any, Any]:
        async with policy_server() as h:
            email = (await h.data("list_accounts", {"limit": 1}))["items"][0]["email"]
            list_id = (await h.data("list_lead_lists", {"limit": 1}))["items"][0]["id"]
            account = await h.client.read_resource(f"instantly://accounts/{email}")
            lead_list = await h.client.read_resource(f"instantly://lead-lists/{list_id}")
            block_list = await h.client.read_resource("instantly://block-list.csv")
            return account, lead_list, block_list

    account, lead_list, block_list = anyio.run(run)
    body = json.loads(account.contents[0].text)
    assert "warmup_status" in body["account"] and body["warmup"] is not None
    assert json.loads(lead_list.contents[0].text)["id"]
    assert block_list.contents[0].mime_type == "text/csv" and block_list.contents[0].text.startswith("Blocked Email")


def test_what_the_policy_hides_is_neither_listed_nor_read_and_nothing_is_sent() -> None:
    async def run() -> tuple[list[str], list[str], str, bool]:
        async with policy_server(toolsets=("leads",)) as h:
            uris, _ = await all_pages(h)
            templates = [t.uri_template for t in (await h.client.list_resource_templates()).resource_templates]
            h.sent.clear()
            h.received.clear()
            with pytest.raises(MCPError) as refused:
                await h.client.read_resource("instantly://campaigns/anything")
            return uris, templates, refused.value.error.message, h.nothing_sent()

    uris, templates, message, nothing_sent = anyio.run(run)
    assert (
        not [u for u in uris if "/campaigns/" in u or "/accounts/" in u]
        and "instantly://campaigns/{id}" not in templates
    )
    assert "not available" in message and nothing_sent


def test_unknown_resources_and_bad_cursors_are_errors() -> None:
    async def run() -> tuple[MCPError, MCPError]:
        async with policy_server() as h:
            with pytest.raises(MCPError) as unknown:
                await h.client.read_resource("instantly://nothing/here")
            with pytest.raises(MCPError) as cursor:
                await h.client.list_resources(cursor="not-a-cursor")
            return unknown.value, cursor.value

    unknown, cursor = anyio.run(run)
    assert unknown.error.code == resources.RESOURCE_NOT_FOUND and "resources/templates/list" in unknown.error.message
    assert "Invalid cursor" in cursor.error.message


@pytest.mark.e2e  # starts a process
def test_resources_over_stdio() -> None:
    async def run() -> tuple[int, str]:
        params = StdioServerParameters(command=sys.executable, args=["-m", "instantly_mcp.cli"], env=clean_env())
        async with Client(params) as client:
            listed = (await client.list_resources()).resources
            read = await client.read_resource(listed[1].uri)
            return len(listed), read.contents[0].text

    count, text = anyio.run(run)
    assert count > 1 and json.loads(text)["campaign"]["id"]


def test_the_conformance_fixtures_are_not_served_in_normal_runs() -> None:
    async def run() -> tuple[list[str], MCPError]:
        async with policy_server() as h:
            uris, _ = await all_pages(h)
            with pytest.raises(MCPError) as missing:
                await h.client.read_resource("test://static-text")
            return uris, missing.value

    uris, missing = anyio.run(run)
    assert not [u for u in uris if u.startswith("test://")] and missing.error.code == resources.RESOURCE_NOT_FOUND


@pytest.mark.e2e  # starts a process
def test_resources_through_the_inspector_cli() -> None:
    from support.node import NODE_DIR, NodeToolMissing, node22, node22_env, npx_bin

    def inspector(*args: str) -> Any:
        try:
            command = [
                str(node22()),
                str(npx_bin("mcp-inspector")),
                "--cli",
                "-e",
                f"PYTHONPATH={clean_env()['PYTHONPATH']}",
                sys.executable,
                "-m",
                "instantly_mcp.cli",
                *args,
            ]
        except NodeToolMissing as exc:
            pytest.fail(str(exc), pytrace=False)
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=node22_env(), cwd=NODE_DIR)
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads(done.stdout)

    listed = inspector("--method", "resources/list")["resources"]
    templates = inspector("--method", "resources/templates/list")["resourceTemplates"]
    campaign = next(r["uri"] for r in listed if r["uri"].startswith("instantly://campaigns/"))
    read = inspector("--method", "resources/read", "--uri", campaign)["contents"][0]
    assert listed[0]["uri"] == "instantly://block-list.csv" and len(templates) == 3
    assert (
        read["mimeType"] == "application/json"
        and json.loads(read["text"])["campaign"]["id"] == campaign.rsplit("/", 1)[1]
    )
