"""Between a tool and its narrower siblings (list_accounts, list_account_campaign_mappings) the words
the sibling's name adds decide: a request naming them ranks the sibling first, one that does not
keeps the broader tool. Requests of our own, not from the evaluation sets."""

from __future__ import annotations

import dataclasses

import pytest

from instantly_mcp.catalog.search import Weights

from support.search_index import WITHOUT_EXAMPLES, position, search_index


def first(request: str, broad: float = Weights.broad) -> str:
    """The first match by the rule, with the example requests left out: they often find the sibling
    on their own, and the test is whether the rule does."""
    return search_index(dataclasses.replace(WITHOUT_EXAMPLES, broad=broad)).search(request, limit=1)[0].name


def broad(tool: str, request: str) -> float:
    """The family term of `tool` for `request`: -1 when the request names a narrower sibling's words."""
    search = search_index()
    return search.amounts(position(tool), search.parse(request))["broad"]


@pytest.mark.parametrize(
    ("request_", "broader", "narrower"),
    [
        ("which campaigns does this sender account belong to", "list_accounts", "list_account_campaign_mappings"),
        ("campaigns linked to my mailbox", "list_campaigns", "list_account_campaign_mappings"),
    ],
)
def test_a_request_naming_the_siblings_added_words_finds_the_sibling(
    request_: str, broader: str, narrower: str
) -> None:
    assert first(request_, broad=0.0) == broader  # the rule decides: without it the broader tool wins
    assert first(request_) == narrower


@pytest.mark.parametrize(
    ("request_", "tool"),
    [
        ("show my webhooks", "list_webhooks"),
        ("get my campaign", "get_campaign"),
        ("show my email accounts", "list_accounts"),
    ],
)
def test_a_request_not_naming_them_keeps_the_broader_tool(request_: str, tool: str) -> None:
    assert first(request_) == tool
    assert broad(tool, request_) == 0.0


def test_get_and_list_are_one_family_other_verbs_are_not() -> None:
    assert broad("get_account", "which campaigns does this sender account belong to") == -1.0
    request = "the sending status of my campaign"
    assert broad("get_campaign", request) == -1.0  # get_campaign_sending_status
    assert broad("update_campaign", request) == 0.0  # updating is no reading


def test_a_word_naming_the_base_too_or_a_niche_or_list_tells_nothing_apart() -> None:
    assert broad("list_emails", "read my inbox") == 0.0  # inbox names email and account alike
    assert broad("list_accounts", "list my email accounts") == 0.0  # the dfy sibling is niche, unsaid
    assert broad("list_leads", "leads caught by the block list") == 0.0  # "list" of another thing's name


def test_a_record_listing_the_records_asked_for_is_no_broader_tool() -> None:
    """A campaign lists its sending accounts (email_list: "List of accounts to use for sending
    emails"), so a request for a campaign's accounts keeps get_campaign; a request for an account's
    campaigns still ranks list_accounts under the mappings, as accounts list no campaigns."""
    assert "account" in search_index().lists[position("get_campaign")]
    assert broad("get_campaign", "show the sender accounts of this campaign") == 0.0
    assert broad("get_campaign", "the sender account of this campaign") == -1.0  # one account: no list asked for
    assert broad("list_accounts", "which campaigns does this sender account belong to") == -1.0


def test_one_record_listing_the_records_asked_for_is_what_they_are_read_from() -> None:
    """ "the mailboxes assigned to the webinar campaign": one campaign, read with get_campaign
    (its email_list); not for many campaigns."""
    search = search_index()
    request = "show the mailboxes assigned to the webinar campaign"
    assert search.lists_asked(position("get_campaign"), search.parse(request)) == {"account"}
    assert search.search(request, limit=1)[0].name == "get_campaign"
    assert search.lists_asked(position("get_campaign"), search.parse("the mailboxes of my campaigns")) == frozenset()


def test_a_read_keyed_by_one_record_answers_no_request_for_many_of_them() -> None:
    """list_account_campaign_mappings takes one account (its address) and lists its campaigns."""
    search = search_index()
    mappings = position("list_account_campaign_mappings")
    assert search.keyed_by_asked(mappings, search.parse("the mailboxes assigned to the webinar campaign"))
    assert not search.keyed_by_asked(mappings, search.parse("which campaigns use this mailbox"))
    assert search.search("which campaigns use this mailbox", limit=1)[0].name == "list_account_campaign_mappings"
