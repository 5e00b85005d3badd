"""Search meets a word's family: a request's "available" finds the spec's "availability", and a
write named for an action noun (run_enrichment) performs that action. Requests of our own, not
from the evaluation sets."""

from __future__ import annotations

import pytest

from instantly_mcp.catalog.words import derived, stem

from support.search_index import position, search_index


@pytest.mark.parametrize(
    ("word", "relative"),
    [
        ("deletion", "delete"),
        ("verification", "verify"),
        ("availability", "available"),
        ("removal", "remove"),
        ("subscription", "subscribe"),
        ("customization", "customize"),
        ("delivery", "deliver"),
    ],
)
def test_a_derived_word_has_its_verbs_root(word: str, relative: str) -> None:
    assert derived(stem(word)) == derived(stem(relative))


@pytest.mark.parametrize("word", ["sender", "option", "variables", "placement", "active", "activity"])
def test_agent_nouns_short_roots_and_kept_words_stay_whole(word: str) -> None:
    assert derived(stem(word)) == stem(word)


def test_a_words_family_never_adds_a_tool_verb() -> None:
    assert "enrichment" in search_index().families["enrich"]
    assert "enrich" not in search_index().families.get("enrichment", ())


def test_a_request_word_finds_its_relative_in_the_spec() -> None:
    assert search_index().search("is the domain available")[0].name == "check_domains_availability"


def test_a_write_named_for_an_action_noun_performs_it() -> None:
    acts = search_index().acts
    assert acts[position("run_enrichment")] == {"run", "enrich"}
    assert acts[position("get_email_verification")] == {"get"}  # a read of the result, not the act
    assert acts[position("update_enrichment_settings")] == {stem("update")}  # the last name word is no action
