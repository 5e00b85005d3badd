"""Search reads a request's clauses: the clause that asks for an action decides, a question read and a
condition ("when a lead replies") only add what it is about. Requests of our own, not from the
evaluation sets."""

from __future__ import annotations

import pytest

from support.search_index import search_index


@pytest.mark.parametrize(
    ("request_", "tool"),
    [
        # a read joined to an action: the action is asked for
        ("What is the url of my webhook and how do I change it?", "update_webhook"),
        ("How many leads are in my campaign and how do I remove one?", "delete_leads"),
        # a condition opening the request is its trigger, not a question
        ("When a lead replies, pause the campaign", "pause_campaign"),
        ("When an account disconnects, delete the webhook", "delete_webhook"),
    ],
)
def test_the_clause_asking_for_an_action_decides(request_: str, tool: str) -> None:
    assert search_index().search(request_)[0].name == tool


@pytest.mark.parametrize(
    ("request_", "clause"),
    [
        ("my webhook is broken, where can I see it?", "where can I see it"),
        ("pause the campaign once a lead replies", "pause the campaign"),
        ("block many domains at once", "block many domains at once"),
        ("add leads, accounts and tags", "add leads, accounts and tags"),
    ],
)
def test_a_situation_or_a_condition_is_no_action_clause(request_: str, clause: str) -> None:
    assert search_index().action_clause(request_, frozenset()).strip() == clause


@pytest.mark.parametrize(
    ("request_", "tool"),
    [
        # an action on a condition is a rule the record keeps: its update sets it
        ("Disable the account when it bounces too much", "update_account"),
        # creating a record on a condition (a webhook that fires) stays a create
        ("Create a webhook that fires when a lead replies", "create_webhook"),
    ],
)
def test_an_action_on_a_condition_is_a_setting_unless_it_creates(request_: str, tool: str) -> None:
    assert search_index().search(request_)[0].name == tool
