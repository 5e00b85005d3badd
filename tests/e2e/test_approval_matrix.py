"""Done-when matrix of issue 11: under --confirm auto and human, no gated request reaches the sandbox
without a person's approval, over real stdio (with and without elicitation) and HTTP (stateful and
stateless), on both protocol generations. A person's "no" comes from the elicitation or the page;
a person's "yes" on the page lets exactly one request through."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from support.approvals import approver_secret
from support.http_server import ROOT, clean_env, mcp_http_server
from support.servers import Human, text

KEY = "sk-matrix-9f41c0"
GENERATIONS = ["legacy", "auto"]
CONFIRM = ["auto", "human"]


def writes(sandbox: Any) -> list[dict[str, Any]]:
    return [r for r in sandbox.requests() if r["method"] != "GET"]


def campaign_id(sandbox: Any) -> str:
    listed = sandbox.admin.get("/api/v2/campaigns", params={"limit": 1}, headers={"Authorization": "Bearer x"})
    return listed.json()["items"][0]["id"]


async def approve(url: str) -> None:
    """What the person does in the browser: open the page, press Approve (the form, with its CSRF token)."""
    base = url.split("/approvals/")[0]
    async with httpx2.AsyncClient(trust_env=False) as http:
        page = await http.get(url)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf, page.text
        form = {"csrf": csrf.group(1), "decision": "approve", "approver_token": approver_secret()}
        decided = await http.post(url, data=form, headers={"Origin": base})
        assert decided.status_code == 303


async def exercise(client: Client, human: Human | None, campaign: str, sandbox: Any) -> str:
    """First call: a person is asked or a page is offered, nothing sent. Then, where a page was offered,
    a forged token and a premature retry send nothing, and after the person approves one request goes."""
    first = await client.call_tool("delete_campaign", {"id": campaign})
    body = text(first)
    assert "confirm_token" not in body and writes(sandbox) == [], body
    if human is not None and human.questions:
        assert json.loads(body)["status"] == "declined"
        return "elicitation (declined)"
    asked = json.loads(body)
    assert asked["status"] == "approval_required", body
    forged = await client.call_tool("delete_campaign", {"id": campaign, "confirm_token": "v1.9999999999.AAAA"})
    assert forged.is_error and writes(sandbox) == []
    early = await client.call_tool("delete_campaign", {"id": campaign, "approval_id": asked["approval_id"]})
    assert json.loads(text(early))["status"] == "approval_pending" and writes(sandbox) == []
    await approve(asked["approval_url"])
    done = await client.call_tool("delete_campaign", {"id": campaign, "approval_id": asked["approval_id"]})
    assert not done.is_error, text(done)
    assert [r["method"] for r in writes(sandbox)] == ["DELETE"]
    return "approval page"


@pytest.mark.parametrize("confirm", CONFIRM)
@pytest.mark.parametrize("generation", GENERATIONS)
@pytest.mark.parametrize("elicits", [True, False], ids=["elicitation", "no-elicitation"])
def test_stdio(confirm: str, generation: str, elicits: bool, sandbox: Any) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "instantly_mcp.cli", "--base-url", sandbox.url, "--confirm", confirm],
        env=clean_env(INSTANTLY_API_KEY=KEY),
        cwd=str(ROOT),
    )
    human = Human(action="decline") if elicits else None

    async def run() -> str:
        async with Client(params, mode=generation, elicitation_callback=human) as client:
            return await exercise(client, human, campaign_id(sandbox), sandbox)

    channel = anyio.run(run)
    assert channel == ("elicitation (declined)" if elicits else "approval page")


async def over_http(url: str, generation: str, human: Human | None, sandbox: Any) -> str:
    async with create_mcp_http_client() as http:
        transport = streamable_http_client(url, http_client=http)
        async with Client(transport, mode=generation, elicitation_callback=human) as client:
            return await exercise(client, human, campaign_id(sandbox), sandbox)


@pytest.mark.parametrize("confirm", CONFIRM)
@pytest.mark.parametrize("stateless", [False, True], ids=["stateful", "stateless"])
def test_http(confirm: str, stateless: bool, sandbox: Any, tmp_path: Path) -> None:
    args = ["--transport", "http", "--base-url", sandbox.url, "--confirm", confirm] + (
        ["--stateless"] if stateless else []
    )
    seen: dict[tuple[str, bool], str] = {}
    with mcp_http_server(tmp_path, *args, INSTANTLY_API_KEY=KEY) as server:
        for generation in GENERATIONS:
            for elicits in (True, False):
                sandbox.reset()
                human = Human(action="decline") if elicits else None

                seen[(generation, elicits)] = anyio.run(over_http, server.url, generation, human, sandbox)
    page, asked = "approval page", "elicitation (declined)"
    # Stateless handshake-era sessions have no back channel for elicitation/create: the page serves them.
    assert seen == {
        ("legacy", True): page if stateless else asked,
        ("legacy", False): page,
        ("auto", True): asked,
        ("auto", False): page,
    }


def test_http_tenants_cannot_use_each_others_approvals(sandbox: Any, tmp_path: Path) -> None:
    args = ["--transport", "http", "--per-request-key", "--base-url", sandbox.url]

    async def as_tenant(url: str, key: str, arguments: dict[str, Any]) -> tuple[bool, str]:
        async with (
            create_mcp_http_client(headers={"X-Instantly-Api-Key": key}) as http,
            Client(streamable_http_client(url, http_client=http), mode="legacy") as client,
        ):
            result = await client.call_tool("delete_campaign", arguments)
            return bool(result.is_error), text(result)

    async def run(url: str) -> tuple[str, str, str]:
        campaign = campaign_id(sandbox)
        asked = json.loads((await as_tenant(url, "sk-tenant-alpha-1", {"id": campaign}))[1])
        await approve(asked["approval_url"])
        with_id = {"id": campaign, "approval_id": asked["approval_id"]}
        stolen = await as_tenant(url, "sk-tenant-beta-2", with_id)
        assert stolen[0] and writes(sandbox) == []
        used = await as_tenant(url, "sk-tenant-alpha-1", with_id)
        assert not used[0], used[1]
        return asked["status"], stolen[1], used[1]

    with mcp_http_server(tmp_path, *args) as server:
        status, stolen, _ = anyio.run(run, server.url)
    assert status == "approval_required" and "different call" in stolen
    assert [r["method"] for r in writes(sandbox)] == ["DELETE"]
