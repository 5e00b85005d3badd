"""Search reads a typo as the tool word meant, and a real word as itself. Words of our own, not from
the evaluation sets."""

from __future__ import annotations

import pytest

from instantly_mcp.catalog.words import stem

from support.search_index import WITHOUT_EXAMPLES, search_index


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("campaing", "campaign"),  # two neighbours swapped
        ("acount", "account"),  # a letter left out
        ("webhoook", "webhook"),  # a letter typed twice
        ("verufy", "verify"),  # a neighbouring key (u for i)
        ("varify", "verify"),  # one vowel for another
    ],
)
def test_a_typo_is_read_as_the_tool_word_meant(typed: str, meant: str) -> None:
    assert search_index().spelled(typed) == stem(meant)


@pytest.mark.parametrize(
    "word",
    [
        "leak",  # k and d are far apart: no typo of "lead"
        "caus",  # "what caused the bounces" asks no pause
        "remot",  # nor "remote" a removal
        "head",
        "best",  # no typo of "test"
        "mask",  # no typo of "mark"
        "unabl",  # the first letter is seldom the typo: no "enable"
        "lock",  # nor "block"
        "deactivat",  # "activate" with a prefix that reverses it
        "stag",  # "stage", a word of search's vocabulary (a lead's status), no typo of "stat"
        "regenerat",
    ],
)
def test_a_real_word_is_not_read_as_a_tool_word(word: str) -> None:
    assert search_index().spelled(word) == word


def test_a_real_word_one_letter_from_a_tool_word_keeps_its_meaning() -> None:
    assert search_index(WITHOUT_EXAMPLES).search("remove the key that leaked on github")[0].name == "delete_api_key"


def test_a_prefix_that_reverses_a_verb_is_not_dropped_as_a_typo() -> None:
    """Read as a typo of "activate", "deactivate the campaign" ranked activate_campaign first."""
    assert search_index().search("deactivate the campaign")[0].name == "pause_campaign"
