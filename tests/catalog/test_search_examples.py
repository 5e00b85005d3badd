"""Example requests per tool (tool_specs/examples.toml): users' words for a job find the tool although
the spec never says them, and the examples stay independent of the evaluation sets that measure
search. Requests here are of our own making, not from the evaluation sets."""

from __future__ import annotations

import re
import tomllib

import pytest

from instantly_mcp.catalog.operations import load_operations
from instantly_mcp.catalog.paths import tool_specs_dir
from instantly_mcp.catalog.search import Weights

from support.search_eval import SETS, cases
from support.search_index import search_index

TOO_CLOSE = 0.6  # Jaccard of two requests' word sets: above it, one is the other reworded


def examples() -> dict[str, list[str]]:
    return {
        name: tool["requests"] for name, tool in tomllib.loads((tool_specs_dir() / "examples.toml").read_text()).items()
    }


def words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9]+", text.lower()))


def top(request: str, weight: float = Weights().examples) -> str:
    return search_index(Weights(examples=weight)).search(request)[0].name


@pytest.mark.parametrize(
    ("request_", "tool"),
    [
        ("back up the campaign as a file", "export_campaign"),
        ("find lookalike domains for our brand", "generate_similar_domains"),
    ],
)
def test_a_users_words_that_the_spec_lacks_find_the_tool(request_: str, tool: str) -> None:
    assert top(request_, weight=0.0) != tool
    assert top(request_) == tool


def test_a_typo_the_examples_hold_is_still_corrected() -> None:
    """Writers wrote typos on purpose; a word the examples hold is no reason to leave it as it is."""
    assert "campain" in {word for requests in examples().values() for request in requests for word in words(request)}
    assert search_index().spelled("campain") == "campaign"


def test_every_tool_has_examples_and_every_example_a_tool() -> None:
    written = examples()
    assert written.keys() == load_operations().keys()
    for name, requests in written.items():
        assert len(requests) >= 5, name
        assert len(set(requests)) == len(requests), name
        assert all(len(request.split()) <= 20 for request in requests), name


def test_no_example_rewords_a_request_of_an_evaluation_set() -> None:
    """The sets measure search on text nobody tuned it on; an example that rewords one of their
    requests would carry it into the index."""
    evaluated = [words(case.request) for name in SETS for case in cases(name)]
    close = [
        (name, request)
        for name, requests in examples().items()
        for request in requests
        if any(len(words(request) & other) / len(words(request) | other) >= TOO_CLOSE for other in evaluated)
    ]
    assert close == []
