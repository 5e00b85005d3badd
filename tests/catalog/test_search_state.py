"""A question about a record's state ("is my webhook working", "the mailbox isn't connected") reads
that record: get over list when said in the singular, never the write its verb names. Requests of
our own, not from the evaluation sets."""

from __future__ import annotations

import pytest

from support.search_index import WITHOUT_EXAMPLES, position, search_index


def first(request: str) -> str:
    """The first match by these rules, with the example requests left out: users' words, measured on
    the evaluation sets, which can outvote a rule on a request sharing their words ("is the mailbox
    connected" ranks list_accounts over get_account with them)."""
    return search_index(WITHOUT_EXAMPLES).search(request, limit=1)[0].name


@pytest.mark.parametrize(
    ("request_", "tool"),
    [
        ("is my webhook working", "get_webhook"),
        ("is the mailbox connected", "get_account"),
        ("has my background job finished", "get_background_job"),
        ("my sender account isn't working", "get_account"),
        ("did the placement test complete", "get_inbox_placement_test"),
    ],
)
def test_a_question_about_one_records_state_reads_that_record(request_: str, tool: str) -> None:
    assert search_index().parse(request_).state
    assert first(request_) == tool


@pytest.mark.parametrize(
    ("request_", "tool"),
    [("are my accounts healthy", "list_accounts"), ("which campaigns are paused", "list_campaigns")],
)
def test_a_state_asked_of_many_records_lists_them(request_: str, tool: str) -> None:
    assert first(request_) == tool


@pytest.mark.parametrize("request_", ["how do I stop the campaign", "pause the campaign", "which campaigns are paused"])
def test_an_action_or_a_which_question_is_no_state_question(request_: str) -> None:
    assert not search_index().parse(request_).state


def state(tool: str, request: str) -> float:
    """The state term of `tool` for `request`: 1 for a state field of what the request names, 0.5 for
    the record's own status, 0 for a tool that answers no state."""
    search = search_index()
    return search.amounts(position(tool), search.parse(request))["state"]


def test_a_state_question_prefers_the_reads_whose_response_holds_that_state() -> None:
    assert state("get_account", "why did warmup stop on my mailbox") == 1.0  # warmup_status
    assert state("get_warmup_analytics", "why did warmup stop on my mailbox") == 0.0  # numbers, no state
    assert state("get_campaign", "is my campaign paused") == 0.5  # its own status
    assert state("update_campaign", "is my campaign paused") == 0.0  # a write answers no state
    assert state("get_account", "pause warmup on my mailbox") == 0.0  # no question


def test_a_state_field_brings_its_record_into_the_answer() -> None:
    found = [op.name for op in search_index().search("is the lead verified", limit=3)]
    assert "get_lead" in found  # verification_status


@pytest.mark.parametrize(
    ("request_", "tool"),
    [("the campaign stopped sending", "get_campaign_sending_status"), ("my mailbox disconnected", "get_account")],
)
def test_a_report_of_what_a_record_did_reads_it_rather_than_doing_it(request_: str, tool: str) -> None:
    request = search_index().parse(request_)
    assert request.state and not request.asked  # "stopped" is no pause, "disconnected" no delete
    assert first(request_) == tool
