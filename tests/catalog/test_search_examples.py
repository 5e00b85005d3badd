"""Example requests per tool (tool_specs/examples.toml): users' words for a job find the tool although
the spec never says them, and the examples stay independent of the evaluation sets that measure
search. Requests here are of our own making, not from the evaluation sets."""

from __future__ import annotations

import re

import pytest

from instantly_mcp.catalog.operations import load_operations
from instantly_mcp.catalog.search import SearchIndex, Weights, load_corpus
from instantly_mcp.catalog.words import example_text, terms

from support.search_eval import SETS, cases, corpus_with_examples, example_requests
from support.search_index import DEFAULT, WITHOUT_EXAMPLES, search_index

TOO_CLOSE = 0.6  # Jaccard of two requests' word sets: above it, one is the other reworded


def words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9]+", text.lower()))


def top(request: str, weights: Weights = DEFAULT) -> str:
    return search_index(weights).search(request)[0].name


@pytest.mark.parametrize(
    ("request_", "tool"),
    [
        ("back up the campaign as a file", "export_campaign"),
        ("find lookalike domains for our brand", "generate_similar_domains"),
    ],
)
def test_a_users_words_that_the_spec_lacks_find_the_tool(request_: str, tool: str) -> None:
    assert top(request_, WITHOUT_EXAMPLES) != tool
    assert top(request_) == tool


def test_naive_bayes_finds_more_tools_for_examples_the_index_has_not_seen() -> None:
    """Each tool's last example left out of the index and asked as a request: naive Bayes over the
    rest (which tool's users say all of its words together) finds more of them first than BM25 alone."""
    written = example_requests()
    unseen = {name: requests[-1] for name, requests in written.items()}
    corpus = corpus_with_examples({name: requests[:-1] for name, requests in written.items()})
    operations = list(load_operations().values())

    def found(weights: Weights) -> int:
        index = SearchIndex(operations, corpus=corpus, weights=weights)
        return sum(index.search(request)[0].name == name for name, request in unseen.items())

    assert found(Weights()) > found(Weights(likely=0.0))


def test_naive_bayes_gives_a_probability_per_tool_and_nothing_for_unknown_words() -> None:
    index = search_index()
    likely = index.likelihoods(terms("snooze this reply until monday"))
    assert len(likely) == len(index.operations)
    assert sum(likely) == pytest.approx(1.0)
    best, second = sorted(range(len(likely)), key=likely.__getitem__, reverse=True)[:2]
    assert index.operations[best].name == "update_email"
    assert likely[best] > 2 * likely[second]  # not a tie, nor a flat answer
    assert index.likelihoods(["zzyzx"]) == ()


def test_names_addresses_and_domains_in_examples_are_values_not_words_of_the_tool() -> None:
    """Search reads "pause 'SaaS Founders Q3'" without the quoted name, so the index reads examples
    the same way: a writer's made-up campaign name would otherwise send "a campaign for SaaS
    founders" to the tool whose example launched one. A made-up domain is said as "domain"."""
    left_out = 0
    for name, requests in example_requests().items():
        kept = {word for request in requests for word in terms(example_text(request))}
        values = {word for request in requests for word in terms(request)} - kept
        indexed = set(load_corpus()[name]["examples"].split())
        assert not values & indexed, name
        left_out += len(values)
    assert left_out > 100
    assert terms(example_text("unblock acme.com for 'Q3 Dentists', ask bob@acme.io")) == terms("unblock domain for ask")


def test_a_typo_the_examples_hold_is_still_corrected() -> None:
    """Writers wrote typos on purpose; a word the examples hold is no reason to leave it as it is."""
    assert "campain" in {
        word for requests in example_requests().values() for request in requests for word in words(request)
    }
    assert search_index().spelled("campain") == "campaign"


def test_every_tool_has_examples_and_every_example_a_tool() -> None:
    written = example_requests()
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
        for name, requests in example_requests().items()
        for request in requests
        if rewords(words(request), evaluated)
    ]
    assert close == []


def rewords(said: frozenset[str], evaluated: list[frozenset[str]]) -> bool:
    """Whether a request's words are an evaluated request's reworded (their Jaccard at least TOO_CLOSE)."""
    return any(len(said & other) / len(said | other) >= TOO_CLOSE for other in evaluated)


def test_a_reworded_request_counts_as_too_close_and_another_does_not() -> None:
    assert rewords(words("pause my spring campaign now"), [words("pause the spring campaign now")])
    assert not rewords(words("pause my spring campaign"), [words("show the leads of a list")])
