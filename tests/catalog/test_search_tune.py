"""bench/search_tune.py learns the search weights from features read once per BM25 setting: its
ranking must be SearchIndex's own, for any weights, or what it learns would not be what ships."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from instantly_mcp.catalog.operations import load_operations
from instantly_mcp.catalog.search import SearchIndex, Weights

from support.search_eval import Case, left_out

# Requests of this test's own making, none from an evaluation set: a step break, a question about
# numbers, a "who did", a bulk request, a polite opening, a typo, a read without a verb, a setting
# named, an HTTP method, an edit of a part of a record, a question about a record's state, a record
# named by its address, the records one record lists.
REQUESTS = [
    "stop the spring campaign then show its leads",
    "how many emails bounced last week",
    "who deleted the webhook",
    "remove several domains from the block list at once",
    "could you make a new lead list",
    "archive the oldest campagin",
    "mailbox reputation",
    "what tags does this contact have",
    "lower the daily sending limit of my spring campaign",
    "PATCH the webhook's target url",
    "add two mailboxes to the spring campaign",
    "why did warmup stop on the sales mailbox",
    "warmup status of kim@brightmail.co",
    "which mailboxes does the spring campaign send from",
]


def tuner() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "bench" / "search_tune.py"
    spec = importlib.util.spec_from_file_location("search_tune", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["search_tune"] = module
    spec.loader.exec_module(module)
    return module


def test_the_tuners_features_rank_as_search_index_does_for_any_weights() -> None:
    tune = tuner()
    operations = list(load_operations().values())
    odd = dataclasses.replace(Weights(), coverage=2.5, verb=6.0, records=0.8, setting=0.4, name=2.0, b=0.5)
    for weights in (Weights(), odd):
        index = SearchIndex(operations, weights=weights)
        cases = [Case(request, frozenset(), "tune") for request in REQUESTS]
        for case, read in zip(cases, tune.read_all(index, cases), strict=True):
            ours = [index.operations[p].name for p in tune.ranked(read, tune.coefficients(weights))]
            assert ours == [op.name for op in index.search(case.request, limit=25)], case.request


def test_coordinate_ascent_keeps_b_a_fraction_and_bm25_weights_positive() -> None:
    tune = tuner()
    assert all(0.0 <= b <= 1.0 for b in tune.candidates("b", 0.9))
    assert 0.0 not in tune.candidates("name", 3.0)
    assert 0.0 in tune.candidates("niche", 2.0)  # a shape term may be switched off


def test_each_fold_of_example_requests_is_read_by_an_index_that_never_saw_it() -> None:
    """The examples' figure and `search_tune --on examples` measure a request with its own fold out
    of the index's examples field, and every other fold in it."""
    folded = {0: [("list_campaigns", "zorbly quxant campaigns")], 1: [("list_leads", "vexnor leads")]}
    indexes = dict(zip(folded, left_out(folded), strict=True))
    for fold, (index, held_out) in indexes.items():
        assert [case.request for case in held_out] == [request for _, request in folded[fold]]
        said = {word for fields in index.corpus.values() for word in fields["examples"].split()}
        own = {"zorbly", "quxant"} if fold == 0 else {"vexnor"}
        other = {"vexnor"} if fold == 0 else {"zorbly", "quxant"}
        assert not own & said and other <= said
