"""Values a request quotes (an address, an id, a name in quotes) are not words of it:
"sales@acme.io" names no sales flow, a campaign called 'webhook test' is no webhook. Requests of our
own, not from the evaluation sets."""

from __future__ import annotations

import pytest

from instantly_mcp.catalog.search import steps, tasks
from instantly_mcp.catalog.words import without_values

from support.search_index import WITHOUT_EXAMPLES, search_index


@pytest.mark.parametrize(
    ("request_", "tool"),
    [
        ("show the replies from ceo@webhook.io", "list_emails"),
        ("rename the campaign 'Sales Q3 webhook test'", "update_campaign"),
        ("what is the warmup status of sales@acme.io", "get_warmup_analytics"),
        ("get lead 0190e9a1-0000-7000-8000-000000000001", "get_lead"),
    ],
)
def test_a_quoted_value_does_not_pick_the_tool(request_: str, tool: str) -> None:
    assert search_index().search(request_, limit=1)[0].name == tool


@pytest.mark.parametrize(
    ("request_", "read"),
    [
        ("pause sales@acme.io", "pause"),
        ("tag “VIP” leads", "tag leads"),
        ("tag 'VIP' leads", "tag leads"),
        ("the lead's status", "the lead's status"),  # an apostrophe opens no quote
        ("get lead 0190e9a1-0000-7000-8000-000000000001", "get lead"),
        ("block acme.com", "block acme.com"),  # a domain stays: it is often what the request is about
    ],
)
def test_what_a_request_says_without_its_values(request_: str, read: str) -> None:
    assert " ".join(without_values(request_).split()) == read


@pytest.mark.parametrize(
    ("request_", "named"),
    [
        ("rename the campaign 'Intro; then follow up' to Q4", ["rename the campaign 'Intro; then follow up' to Q4"]),
        (
            'tag "met, and liked it" leads then export them',
            ['tag "met, and liked it" leads', 'export "met, and liked it" leads'],
        ),
        ("pause 'A then B'; delete the webhook", ["pause 'A then B'", "delete the webhook"]),
    ],
)
def test_a_step_break_inside_a_value_does_not_split_the_request(request_: str, named: list[str]) -> None:
    assert steps(request_) == named


def test_a_two_step_request_gets_all_five_matches() -> None:
    found = search_index().search_steps("pause the campaign then delete the webhook")
    assert [len(ops) for ops in found.values()] == [3, 2]  # 5 // 2 each left a slot unused
    three = search_index().search_steps("pause the campaign then delete the webhook then list the leads")
    assert [len(ops) for ops in three.values()] == [2, 2, 2]  # every step gets at least two


def test_the_whole_request_keeps_each_steps_matches_when_one_step_has_fewer() -> None:
    index = search_index()
    request = "pause the campaign then zzqx"  # the second step matches nothing
    assert index.search_steps(request)["zzqx"] == []
    assert [op.name for op in index.search(request)] == [
        op.name for op in index.search_step("pause the campaign", limit=5)
    ]


def test_a_semicolon_inside_a_value_does_not_split_a_scripts_tasks() -> None:
    assert tasks("pause 'A; B'; list leads of ann;x@acme.io ;") == ["pause 'A; B'", "list leads of ann", "x@acme.io"]
    assert tasks("tag “VIP; hot” leads; export them") == ["tag “VIP; hot” leads", "export them"]


@pytest.mark.parametrize(
    ("request_", "tool"),
    [
        ("status of the mailbox joe@brightmail.co", "get_account"),  # its path takes the address
        ("which campaigns does ops@acme.co send for", "list_account_campaign_mappings"),
        ("details of the lead kate@northwind.io", "list_leads"),  # get_lead needs an id: list and search
        ("details of the lead 0b9e6a4c-1f2d-4e5a-9b8c-7d6e5f4a3b2c", "get_lead"),
    ],
)
def test_a_record_named_by_its_address_goes_to_a_tool_that_takes_the_address(request_: str, tool: str) -> None:
    assert search_index(WITHOUT_EXAMPLES).search(request_, limit=1)[0].name == tool
