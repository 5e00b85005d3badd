"""Concept notes from Instantly's help centre (tool_specs/concepts.toml): a request in the product's
words finds the tool that holds the feature. Requests of our own making, not from the evaluation sets."""

from __future__ import annotations

import json
import tomllib

from instantly_mcp.catalog.paths import tool_specs_dir
from instantly_mcp.catalog.search import Weights

from support.search_index import search_index


def top(request: str, concept: float = Weights().concept) -> str:
    return search_index(Weights(concept=concept)).search(request)[0].name


def test_the_help_centres_word_finds_the_tool_holding_the_feature() -> None:
    request = "does warmup count toward the campaign limit"  # the campaign limit note: a campaign's daily_limit
    assert top(request, concept=0.0) != "get_campaign"
    assert top(request) == "get_campaign"


def test_every_note_cites_an_instantly_page_and_stays_short() -> None:
    notes = tomllib.loads((tool_specs_dir() / "concepts.toml").read_text())["note"]
    for note in notes:
        assert note["source"].startswith(("https://help.instantly.ai/", "https://developer.instantly.ai/"))
        assert len(note["text"].split()) <= 55, note["name"]


def test_a_note_goes_to_the_tools_of_its_record_that_hold_its_fields() -> None:
    corpus = json.loads((tool_specs_dir() / "search" / "corpus.json").read_text())
    noted = {name for name, fields in corpus.items() if fields.get("concept")}
    assert {"update_campaign", "get_campaign", "update_account", "set_workspace_agency_domain"} <= noted
    assert not {"set_domain_forwarding", "activate_campaign", "list_leads"} & noted
