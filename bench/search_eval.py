"""Search quality: recall@1, recall@5 and MRR of discover mode's search_tools over both evaluation
sets (tests/fixtures/search_eval.json "old", tests/fixtures/search_eval_fresh.json "fresh"), tune and
held-out parts side by side with plain BM25 over name+title+description.

    PYTHONPATH=$PWD python bench/search_eval.py [--misses]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from instantly_mcp.catalog.operations import load_operations
from instantly_mcp.config import Settings
from instantly_mcp.gates.discovery import Discovery
from instantly_mcp.transport.runtime import build_policy

from support.search_eval import PARTS, SETS, PlainBM25, Ranker, cases, figures, misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--misses", action="store_true", help="list the tune parts' misses (never the held-out's)")
    args = parser.parse_args()
    operations = load_operations()
    index = Discovery(build_policy(Settings(tools=("discover",)), dict(operations))).index
    rankers: dict[str, Ranker] = {
        "search_tools": lambda q: [op.name for op in index.search(q, limit=25)],
        "plain BM25": PlainBM25(operations.values()),
    }
    every = [case for name in SETS for case in cases(name)]
    print(f"{'ranker':<14}{'set':<7}{'part':<9}{'n':>4}{'recall@1':>10}{'recall@5':>10}{'MRR':>7}")
    for label, ranker in rankers.items():
        for name in SETS:
            for part in PARTS:
                f = figures(ranker, [c for c in every if c.set == name and c.part == part])
                print(f"{label:<14}{name:<7}{part:<9}{f.n:>4}{f.recall_at_1:>10.3f}{f.recall_at_5:>10.3f}{f.mrr:>7.3f}")
    if args.misses:
        for case, top in misses(rankers["search_tools"], [c for c in every if c.part == "tune"]):
            print(f"- [{case.set}] {case.request!r}: want {sorted(case.tools)}; got {top}")


if __name__ == "__main__":
    main()
