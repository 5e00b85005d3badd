"""A question about a record's state ("is my webhook working", "the mailbox isn't connected") reads
that record: get over list when said in the singular, never the write its verb names. Requests of
our own, not from the evaluation sets."""

from __future__ import annotations

from functools import cache

import pytest

from instantly_mcp.catalog.operations import load_operations
from instantly_mcp.catalog.search import SearchIndex


@cache
def index() -> SearchIndex:
    return SearchIndex(list(load_operations().values()))


def first(request: str) -> str:
    return index().search(request, limit=1)[0].name


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
    assert index().parse(request_).state
    assert first(request_) == tool


@pytest.mark.parametrize(
    ("request_", "tool"),
    [("are my accounts healthy", "list_accounts"), ("which campaigns are paused", "list_campaigns")],
)
def test_a_state_asked_of_many_records_lists_them(request_: str, tool: str) -> None:
    assert first(request_) == tool


@pytest.mark.parametrize("request_", ["how do I stop the campaign", "pause the campaign", "which campaigns are paused"])
def test_an_action_or_a_which_question_is_no_state_question(request_: str) -> None:
    assert not index().parse(request_).state
