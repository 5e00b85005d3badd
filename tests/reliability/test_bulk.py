"""Bulk operations: the result passes through what Instantly says about each item, and a bulk call
whose answer is lost says that the outcome is unknown and how to find it out: no invented success."""

from __future__ import annotations

import time

import anyio

from .harness import Sleeps, data, served, text


def call(sandbox, steps):
    async def go():
        async with served(sandbox.url, timeout=1.5, max_retries=2, sleep=Sleeps()) as s:
            return [await s.client.call_tool(name, args) for name, args in steps]

    return anyio.run(go)


def first_id(sandbox, tool: str) -> str:
    return data(call(sandbox, [(tool, {"limit": 1})])[0])["items"][0]["id"]


def test_add_leads_reports_each_lead(sandbox) -> None:
    campaign = first_id(sandbox, "list_campaigns")
    leads = [
        {"email": "ada@bulk.example", "first_name": "Ada"},
        {"email": "not-an-email"},
        {"email": "grace@bulk.example"},
        {"email": "ada@bulk.example"},
        {"email": "blocked@blocked-bulk.example"},
    ]
    block, added = call(
        sandbox,
        [
            ("create_block_list_entry", {"bl_value": "blocked-bulk.example"}),
            ("add_leads", {"campaign_id": campaign, "leads": leads}),
        ],
    )
    assert not block.is_error, text(block)
    answer = data(added)
    assert [(lead["index"], lead["email"]) for lead in answer["created_leads"]] == [
        (0, "ada@bulk.example"),
        (2, "grace@bulk.example"),
    ]
    assert (answer["total_sent"], answer["leads_uploaded"]) == (5, 2)
    assert (answer["invalid_email_count"], answer["duplicate_email_count"], answer["in_blocklist"]) == (1, 1, 1)


def test_bulk_block_list_create_and_delete_report_their_items(sandbox) -> None:
    (created,) = call(
        sandbox,
        [("bulk_create_block_list_entries", {"bl_values": ["a.bulk.example", "b.bulk.example", "not a domain"]})],
    )
    answer = data(created)
    assert sorted(item["bl_value"] for item in answer["items"]) == ["a.bulk.example", "b.bulk.example"]
    assert (answer["valid_count"], answer["invalid_count"]) == (2, 1)
    ids = [item["id"] for item in answer["items"]]
    (deleted,) = call(
        sandbox, [("bulk_delete_block_list_entries", {"ids": [*ids, "0b5c2f9e-6a1d-4c3b-9f1e-2d7a8b9c0d1e"]})]
    )
    assert sorted(item["id"] for item in data(deleted)) == sorted(
        ids
    )  # the entries deleted; the unknown id is not among them


def wait_for_log(sandbox, method: str, path: str) -> None:
    deadline = time.monotonic() + 10
    while not any(r["method"] == method and r["path"] == path for r in sandbox.requests()):
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_add_leads_whose_answer_is_lost_says_the_outcome_is_unknown_and_how_to_check(sandbox) -> None:
    campaign = first_id(sandbox, "list_campaigns")
    emails = ["lost1@bulk.example", "lost2@bulk.example", "lost3@bulk.example"]
    sandbox.faults([{"path_prefix": "/api/v2/leads/add", "kind": "latency", "delay_s": 4}])
    (lost,) = call(sandbox, [("add_leads", {"campaign_id": campaign, "leads": [{"email": e} for e in emails]})])
    message = text(lost)
    assert lost.is_error
    assert "Outcome unknown: this bulk call carried 3 leads" in message
    assert "list_leads with campaign (or list_id) and contacts" in message
    assert "created_leads" not in message and "success" not in message
    wait_for_log(sandbox, "POST", "/api/v2/leads/add")
    # The check the message names finds out what happened: here the sandbox did add them all.
    (check,) = call(sandbox, [("list_leads", {"campaign": campaign, "contacts": emails})])
    assert sorted(lead["email"] for lead in data(check)["items"]) == emails
    assert len([r for r in sandbox.requests() if r["path"] == "/api/v2/leads/add"]) == 1


def test_bulk_calls_failing_midway_never_claim_success(sandbox) -> None:
    cases = {
        "drop": ("the connection closed before a complete answer", "get_block_list_entry for each id"),
        "malformed": ("answered HTTP 200 with malformed JSON", "get_block_list_entry for each id"),
        "status": ("HTTP 500", "get_block_list_entry for each id"),
    }
    for kind, (reason, check) in cases.items():
        sandbox.faults([{"path_prefix": "/api/v2/block-lists-entries/bulk-delete", "kind": kind, "times": 1}])
        (result,) = call(sandbox, [("bulk_delete_block_list_entries", {"ids": ["x1", "x2"]})])
        message = text(result)
        assert result.is_error, message
        assert reason in message and "Outcome unknown: this bulk call carried 2 ids" in message and check in message, (
            message
        )
    posts = [r for r in sandbox.requests() if r["path"] == "/api/v2/block-lists-entries/bulk-delete"]
    assert len(posts) == 3


def test_delete_leads_with_a_limit_is_not_repeated_after_a_lost_answer(sandbox) -> None:
    campaign = first_id(sandbox, "list_campaigns")
    sandbox.faults([{"path_prefix": "/api/v2/leads", "method": "DELETE", "kind": "status", "status": 503, "times": 1}])
    (result,) = call(sandbox, [("delete_leads", {"campaign_id": campaign, "limit": 1})])
    assert result.is_error and "Outcome unknown" in text(result) and "list_leads" in text(result)
    assert len([r for r in sandbox.requests() if r["method"] == "DELETE"]) == 1
