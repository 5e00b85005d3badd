"""The server as users run it: `instantly-mcp` over stdio, driven by the SDK client in both protocol modes."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from instantly_mcp.catalog.operations import load_operations

ROOT = Path(__file__).resolve().parents[2]
MODES = ["legacy", "auto"]


def server_params(**env: str) -> StdioServerParameters:
    base = {k: v for k, v in os.environ.items() if not k.startswith("INSTANTLY_")}
    return StdioServerParameters(
        command=sys.executable, args=["-m", "instantly_mcp.cli"], env={**base, **env}, cwd=str(ROOT)
    )


@pytest.mark.parametrize("mode", MODES)
def test_lists_all_255_tools_and_calls_the_sandbox_without_a_key(mode: str) -> None:
    async def run():
        async with Client(server_params(), mode=mode) as client:
            expected_version = "2025-11-25" if mode == "legacy" else "2026-07-28"
            assert client.protocol_version == expected_version
            tools = (await client.list_tools()).tools
            result = await client.call_tool("list_block_list_entries", {"limit": 2})
            return tools, result

    tools, result = anyio.run(run)
    assert len(tools) == 255
    assert {t.name for t in tools} == set(load_operations())
    assert all(t.title and t.annotations for t in tools)
    assert not result.is_error, result.content[0].text
    page = json.loads(result.content[0].text)
    assert len(page["items"]) == 2 and page["next_starting_after"]
    assert "starting_after" in page["hint"]


def test_every_seed_entity_is_served() -> None:
    seed_tags = {
        "Analytics",
        "Account",
        "Campaign",
        "Email",
        "EmailVerification",
        "LeadList",
        "InboxPlacementTest",
        "InboxPlacementAnalytics",
        "InboxPlacementBlacklistAndSpamAssassinReport",
        "APIKey",
        "AccountCampaignMapping",
        "Lead",
        "BackgroundJob",
        "CustomTag",
        "BlockListEntry",
        "LeadLabel",
        "Workspace",
        "WorkspaceGroupMember",
        "WorkspaceMember",
        "CampaignSubsequence",
    }
    spec = json.loads((ROOT / "tool_specs" / "source" / "openapi.json").read_text())
    wanted = Counter()
    endpoints_by_tag: dict[str, set[str]] = {}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            for tag in set(op["tags"]) & seed_tags:
                endpoints_by_tag.setdefault(tag, set()).add(f"{method.upper()} {path}")
                wanted[tag] += 1

    async def run():
        async with Client(server_params(), mode="legacy") as client:
            return {t.name for t in (await client.list_tools()).tools}

    listed = anyio.run(run)
    by_endpoint = {op.endpoint: op.name for op in load_operations().values()}
    assert set(endpoints_by_tag) == seed_tags
    for tag, endpoints in endpoints_by_tag.items():
        names = {by_endpoint[e] for e in endpoints}
        assert names <= listed, (tag, names - listed)
    assert sum(wanted.values()) == 142


def test_with_a_key_it_uses_the_configured_api_and_says_so(tmp_path, sandbox) -> None:
    key = "sk-test-do-not-leak-5f3a9c"

    async def run():
        params = server_params(INSTANTLY_API_KEY=key, INSTANTLY_BASE_URL=sandbox.url + "/api/v2/")
        async with Client(stdio_client(params, errlog=errlog), mode="auto") as client:
            ok = await client.call_tool("list_campaigns", {"limit": 1})
            missing = await client.call_tool("get_campaign", {"id": "0190c0de-0000-7000-8000-0000000000ff"})
            return ok, missing

    with (tmp_path / "stderr.txt").open("w+") as errlog:
        ok, missing = anyio.run(run)
        errlog.seek(0)
        stderr = errlog.read()
    assert "using the Instantly API at" in stderr and "SANDBOX" not in stderr
    assert not ok.is_error, ok.content[0].text
    assert missing.is_error and "404" in missing.content[0].text
    received = sandbox.requests()
    assert [r["path"] for r in received] == [
        "/api/v2/campaigns",
        "/api/v2/campaigns/0190c0de-0000-7000-8000-0000000000ff",
    ]
    assert key not in stderr and key not in ok.content[0].text and key not in missing.content[0].text


def test_without_a_key_it_announces_the_sandbox(tmp_path) -> None:
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-m", "instantly_mcp.cli"],
        input="",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("INSTANTLY_")},
        timeout=60,
    )
    assert "SANDBOX" in proc.stderr and "INSTANTLY_API_KEY is not set" in proc.stderr
