"""Other cold-email tools' words (Smartlead's exclusion list and sub-sequences, an agency's
sub-accounts, list scrubbing, a drip, a step's variation) find the tool the spec names in its own
words. Requests of our own, not from the evaluation sets."""

from __future__ import annotations

import pytest

from instantly_mcp.catalog.paths import tool_specs_dir
from instantly_mcp.catalog.search import READ_VERBS
from instantly_mcp.catalog.vocabulary import ACTIONS, THINGS
from instantly_mcp.catalog.words import stem, terms

from support.search_index import search_index


@pytest.mark.parametrize(
    ("request_", "tool"),
    [
        ("add acme.com to the exclusion list", "create_block_list_entry"),
        # either deletes one entry; a bulk tool's example says "exclusion" (a client's exclusion period)
        ("delete acme.com from the exclusion list", "delete_block_list_entry bulk_delete_block_list_entries"),
        ("scrub my lead list", "get_lead_list_verification_stats"),
        ("list hygiene results for my lead list", "get_lead_list_verification_stats"),
        ("show my sub-accounts", "list_workspace_group_members"),
        ("pause the sub-sequence", "pause_subsequence"),
        ("create a new drip", "create_campaign"),
        ("add a variation to the first step of my campaign", "update_campaign"),
        ("remove the second touchpoint from my campaign", "update_campaign"),
        ("set a daily cap on how many emails my campaign sends", "update_campaign"),
    ],
)
def test_a_glossary_word_finds_the_tool_named_in_the_specs_words(request_: str, tool: str) -> None:
    assert search_index().search(request_, limit=1)[0].name in tool.split()


def test_every_synonym_is_a_word_of_the_spec() -> None:
    corpus = set(terms((tool_specs_dir() / "search" / "corpus.json").read_text()))
    assert {stem(alias) for aliases in THINGS.values() for alias in aliases} <= corpus


def test_every_action_word_names_an_action_a_tool_performs() -> None:
    """Its first meaning is a tool's verb ("buy" places an order, as no tool is named order_x): an
    action search cannot match reads the request as a question."""
    verbs = search_index().verbs | READ_VERBS.keys()
    assert [word for word, means in ACTIONS.items() if stem(means[0]) not in verbs] == []


def test_buying_places_an_order() -> None:
    assert (
        search_index().search("buy five more prewarmed mailboxes", limit=1)[0].name == "place_dfy_email_account_order"
    )


@pytest.mark.parametrize(
    ("request_", "tool"),
    [
        ("show the most recent replies in the unibox", "list_emails"),
        ("the most recent emails from this lead", "list_emails"),
        ("which campaign got the most replies", "get_campaign_analytics"),  # "most" alone still asks for numbers
        ("wipe the lead list called Old", "delete_lead_list"),
        ("subscribe my CRM to lead status changes", "create_webhook"),
        ("trash that tag", "delete_custom_tag"),
        ("which hooks fire on replies", "list_webhooks"),
        # to upload is to add, and to add is to create where no tool adds
        ("import our DNC list", "create_block_list_entry bulk_create_block_list_entries"),
        ("upload our suppression list", "create_block_list_entry bulk_create_block_list_entries"),
        # to blacklist is to block, to whitelist to take off the block list
        ("blacklist spammy-domain.com for good", "create_block_list_entry"),
        ("whitelist jane@acme.com again", "delete_block_list_entry"),
    ],
)
def test_everyday_words_read_as_what_they_mean(request_: str, tool: str) -> None:
    """Everyday words: "most recent" is an order (it counts nothing); to wipe or trash is to delete;
    to subscribe to events is to make a webhook, and a hook is one."""
    assert search_index().search(request_, limit=1)[0].name in tool.split()
