"""Learning search_tools' ranking weights (instantly_mcp/catalog/search.py's `Weights`) from the
evaluation sets' tune parts, and measuring honestly whether what is learnt generalises.

Coordinate ascent (after a small seeded random search over the shape terms) maximises recall@1 on
the tune parts of old, fresh and fourth, ties broken by MRR: pooled (every request counts once) or
balanced (every set counts once, so the fourth set's different phrasing weighs as much as the
others). Then leave-one-set-out: for each of old, fresh and fourth, weights learnt on the other two
sets' tune parts, measured on that set's held-out part; and weights learnt on all three tune parts,
measured on every held-out part and on the third set. Only totals of held-out parts and of the third
set are printed, never their requests.

Fast: the shape terms (coverage ... setting) enter a tool's score linearly, so each request's
candidates are read once per setting of the BM25 terms (field weights, k1, b, synonym) as a feature
row, and a setting of the shape terms is a dot product. `--check` confirms that the features rank
exactly as SearchIndex does. Deterministic: a fixed seed and a fixed order of moves.

    PYTHONPATH=$PWD python bench/search_tune.py [--objective pooled|balanced] [--terms all|shape] [--trials N]
        [--strict] [--check] [--on sets|examples] [--share N]

About 8 minutes with every term (each BM25 move re-reads the requests), under a minute with
`--terms shape`. What it found on 2026-12-07 (requests right at 1, defaults -> learnt, pooled, every
term): on all three tune parts 243 -> 249 of 308, and then held-out old 53 -> 54 of 64, fresh
68 -> 66 of 79, fourth 75 -> 73 of 122, third 135 -> 140 of 186; leave one set out, held-out old
53 -> 54, fresh 68 -> 66, fourth 75 -> 71. Balanced was alike (held-out 196 -> 188, third +6);
shape terms only with only recall@1 moves found the defaults a local optimum (covers 2.0 -> 2.2,
one tune request). The held-out parts fall, so Weights keeps its hand-set defaults.

`--on examples` learns the shape terms ("likely", the examples' own, left out) on one in three of
the example requests instead, each read by an index that leaves its fold out (about 17 minutes), and
measures every set, none of which it reads. On 2026-12-07 the examples' recall@1 rose 0.731 -> 0.765
and every set fell: old 170 -> 163 of 193, fresh 144 -> 139 of 156, fourth 174 -> 160 of 224, third
170 -> 164 of 186. The examples share their writers (tests/support/search_eval.py), so what they
teach is partly their own phrasing: another reason the defaults stay.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from instantly_mcp.catalog.operations import load_operations
from instantly_mcp.catalog.search import (
    HEDGE_POOL,
    Request,
    SearchIndex,
    Weights,
    interleaved,
    shape_weight,
    shared,
    steps,
)

from support.search_eval import Case, cases, example_folds, example_hash, figures, left_out, ranker

TUNED_SETS = ("old", "fresh", "fourth")
LIMIT = 25  # the depth the evaluation ranks to (support.search_eval.ranker)
# The terms read through BM25 (a change re-reads every request) and the shape terms (a dot product).
BM25_TERMS = (
    "name",
    "summary",
    "description",
    "tag",
    "arguments",
    "response",
    "concept",
    "examples",
    "k1",
    "b",
    "synonym",
)
SHAPE_TERMS = (
    "coverage",
    "covers",
    "head",
    "uncovered",
    "verb",
    "read_default",
    "question",
    "bigram",
    "niche",
    "bulk",
    "records",
    "setting",
    "broad",
    "state",
    "address",
    "keyed",
    "likely",
)
# Coordinate ascent's moves: each term times these (b, a fraction, plus these steps within [0, 1]).
FACTORS = (0.0, 0.5, 0.75, 0.9, 1.1, 1.25, 1.5, 2.0)
B_STEPS = (-0.25, -0.1, 0.1, 0.25)
RANDOM_TRIALS = 300
SEED = 20261207
MAX_PASSES = 4
EXAMPLE_TERMS = tuple(term for term in SHAPE_TERMS if term != "likely")  # "likely" is the examples' own

Score = tuple[float, float]


@dataclass(frozen=True)
class Step:
    """One step of a request: its candidates (index positions, BM25 > 0) with BM25 and shape features."""

    positions: tuple[int, ...]
    bm25: tuple[float, ...]
    features: tuple[tuple[float, ...], ...]  # SHAPE_TERMS order; "records" is read_default x records
    request: Request  # what SearchIndex.hedge reads to order the answer's later slots


@dataclass(frozen=True)
class Read:
    """A request read under one setting of the BM25 terms: its steps and the positions it accepts."""

    steps: tuple[Step, ...]
    acceptable: frozenset[int]
    set: str
    index: SearchIndex = field(compare=False, repr=False)


def features(index: SearchIndex, position: int, request: Request) -> tuple[float, ...]:
    """SearchIndex.amounts in SHAPE_TERMS order: each shape term's raw amount, its weight left out."""
    amounts = index.amounts(position, request)
    return tuple(amounts[term] for term in SHAPE_TERMS)


def read_all(index: SearchIndex, every: Sequence[Case]) -> list[Read]:
    """Every request's candidates and features under the index's BM25 terms."""
    names = {op.name: i for i, op in enumerate(index.operations)}
    found = []
    for case in every:
        parts = []
        for step in steps(case.request):
            request = index.parse(step)
            scored = [(p, index.bm25(p, request.weights)) for p in range(len(index.operations))]
            kept = [(p, s) for p, s in scored if s > 0]
            parts.append(
                Step(
                    tuple(p for p, _ in kept),
                    tuple(s for _, s in kept),
                    tuple(features(index, p, request) for p, _ in kept),
                    request,
                )
            )
        acceptable = frozenset(names[t] for t in case.tools if t in names)
        found.append(Read(tuple(parts), acceptable, case.set, index))
    return found


def coefficients(w: Weights) -> tuple[float, ...]:
    """The multiplier of each feature (SHAPE_TERMS order), the records product included."""
    return tuple(shape_weight(w, term) for term in SHAPE_TERMS)


def ranked(read: Read, c: tuple[float, ...]) -> list[int]:
    """The positions search ranks first, as SearchIndex.search does (hedged, steps' bests interleaved)."""
    tops = {}
    for number, step in enumerate(read.steps):
        scores = [
            (-(b + sum(x * y for x, y in zip(f, c, strict=True))), p)
            for p, b, f in zip(step.positions, step.bm25, step.features, strict=True)
        ]
        best = sorted(scores)
        hedged = read.index.hedge([(-score, p) for score, p in best[:HEDGE_POOL]], step.request)
        tops[number] = (hedged + [p for _, p in best[HEDGE_POOL:]])[:LIMIT]
    found = shared(tops, LIMIT) if len(tops) > 1 else tops
    return list(dict.fromkeys(interleaved(found.values())))[:LIMIT]


def reciprocal(read: Read, c: tuple[float, ...]) -> float:
    """1 / the rank of the first acceptable tool (0 when it is not in the first LIMIT)."""
    return next((1 / (i + 1) for i, p in enumerate(ranked(read, c)) if p in read.acceptable), 0.0)


def objective(reads: Sequence[Read], c: tuple[float, ...], balanced: bool) -> Score:
    """(recall@1, MRR): over every request (pooled) or the mean over sets (balanced)."""
    by_set: dict[str, list[float]] = {}
    for read in reads:
        by_set.setdefault(read.set, []).append(reciprocal(read, c))
    if not balanced:
        every = [r for rs in by_set.values() for r in rs]
        return sum(r == 1.0 for r in every) / len(every), sum(every) / len(every)
    hits = [sum(r == 1.0 for r in rs) / len(rs) for rs in by_set.values()]
    return sum(hits) / len(hits), sum(sum(rs) / len(rs) for rs in by_set.values()) / len(by_set)


class Tuner:
    """Coordinate ascent over Weights on some tune requests; BM25 readings cached per setting."""

    def __init__(self, tune: Sequence[Case], balanced: bool, terms: Sequence[str], trials: int, strict: bool) -> None:
        self.operations = list(load_operations().values())
        self.tune, self.balanced, self.terms, self.trials, self.strict = tune, balanced, terms, trials, strict
        self.cache: dict[tuple[float, ...], list[Read]] = {}

    def reads(self, w: Weights) -> list[Read]:
        key = tuple(getattr(w, t) for t in BM25_TERMS)
        if key not in self.cache:
            self.cache[key] = read_all(SearchIndex(self.operations, weights=w), self.tune)
        return self.cache[key]

    def score(self, w: Weights) -> Score:
        return objective(self.reads(w), coefficients(w), self.balanced)

    def better(self, new: Score, old: Score) -> bool:
        """A gain; `strict`: at recall@1 only, as MRR alone moves the weights for ranks past the first."""
        return new[0] > old[0] + 1e-9 if self.strict else new > old

    def random_search(self, start: Weights, rng: random.Random) -> Weights:
        """The best of `trials` shape-term settings, each term times a log-uniform factor in [1/2, 2]."""
        best, best_score = start, self.score(start)
        for _ in range(self.trials):
            trial = dataclasses.replace(
                start, **{t: round(getattr(start, t) * 2 ** rng.uniform(-1, 1), 3) for t in SHAPE_TERMS}
            )
            if self.better(s := self.score(trial), best_score):
                best, best_score = trial, s
        return best

    def ascend(self, start: Weights, log: Callable[[str], None]) -> Weights:
        """Each term in turn moved to its best candidate value while that strictly improves the score."""
        best, best_score = start, self.score(start)
        for n in range(MAX_PASSES):
            moved = False
            for term in self.terms:
                for value in candidates(term, getattr(best, term)):
                    trial = dataclasses.replace(best, **{term: value})
                    if self.better(s := self.score(trial), best_score):
                        best, best_score, moved = trial, s, True
            log(f"    pass {n + 1}: recall@1 {best_score[0]:.3f} MRR {best_score[1]:.3f}")
            if not moved:
                break
        return best

    def tune_from(self, start: Weights, log: Callable[[str], None]) -> Weights:
        log(f"    start: recall@1 {self.score(start)[0]:.3f} MRR {self.score(start)[1]:.3f}")
        return self.ascend(self.random_search(start, random.Random(SEED)), log)


def example_reads(share: int) -> list[Read]:
    """One in `share` of the example requests (by a hash), each read by an index that leaves its
    fold out of the examples field, as bench/search_eval.py's example figure does."""

    def chosen(case: Case) -> bool:
        return example_hash(next(iter(case.tools)), case.request)[1] % share == 0

    return [
        read
        for index, held_out in left_out(example_folds())
        for read in read_all(index, list(filter(chosen, held_out)))
    ]


class ExampleTuner(Tuner):
    """The Tuner on the example requests: shape terms only, read once under the default BM25 terms."""

    def __init__(self, share: int, trials: int, strict: bool) -> None:
        super().__init__([], False, EXAMPLE_TERMS, trials, strict)
        self.examples = example_reads(share)

    def reads(self, w: Weights) -> list[Read]:
        return self.examples


def on_examples(every: dict[str, list[Case]], share: int, trials: int, strict: bool) -> None:
    """Weights learnt on the example requests, measured on every evaluation set, none of which the
    tuning reads: whether what users' phrasing in the examples teaches carries over."""
    tuner = ExampleTuner(share, trials, strict)
    print(f"tuned on {len(tuner.examples)} example requests (one in {share}), each fold left out of the index")
    learnt = tuner.tune_from(Weights(), print)
    print(f"  learnt: {changed(learnt)}")
    for name, part in every.items():
        print(f"  {name:<7} (all) defaults {measure(Weights(), part)}  learnt {measure(learnt, part)}")


def candidates(term: str, value: float) -> list[float]:
    """The values coordinate ascent tries for a term: b within [0, 1], the others by FACTORS."""
    if term == "b":
        return sorted({round(min(1.0, max(0.0, value + d)), 3) for d in B_STEPS} - {value})
    found = {round(value * f, 3) for f in FACTORS} - {value}
    return sorted(v for v in found if v > 0 or term in SHAPE_TERMS)


def measure(w: Weights, part: Iterable[Case]) -> str:
    """recall@1 and MRR of the real SearchIndex with these weights: totals only."""
    f = figures(ranker(SearchIndex(list(load_operations().values()), weights=w)), list(part))
    return f"n {f.n:>3} recall@1 {f.recall_at_1:.3f} ({round(f.recall_at_1 * f.n):>3}) MRR {f.mrr:.3f}"


def changed(w: Weights) -> dict[str, float]:
    """The terms that differ from the defaults."""
    default = Weights()
    return {t: v for t, v in dataclasses.asdict(w).items() if v != getattr(default, t)}


def check(every: dict[str, list[Case]]) -> None:
    """The features rank as SearchIndex does (defaults), on every tune request."""
    tune = [c for name in TUNED_SETS for c in every[name] if c.part == "tune"]
    index = SearchIndex(list(load_operations().values()))
    real = ranker(index)
    names = [op.name for op in index.operations]
    differ = sum(
        [names[p] for p in ranked(read, coefficients(Weights()))] != real(case.request)
        for case, read in zip(tune, read_all(index, tune), strict=True)
    )
    print(f"check: {len(tune) - differ} of {len(tune)} tune requests ranked as SearchIndex ranks them")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objective", choices=("pooled", "balanced"), default="pooled")
    parser.add_argument(
        "--terms", choices=("all", "shape"), default="all", help="shape: leave BM25's terms as they are"
    )
    parser.add_argument(
        "--trials", type=int, help=f"random shape settings tried first (0: none; {RANDOM_TRIALS}, or 0 --on examples)"
    )
    parser.add_argument("--strict", action="store_true", help="keep only moves that gain recall@1 (not MRR alone)")
    parser.add_argument("--check", action="store_true", help="only confirm the features rank as SearchIndex")
    parser.add_argument(
        "--on", choices=("sets", "examples"), default="sets", help="examples: learn on the example requests instead"
    )
    parser.add_argument("--share", type=int, default=3, help="--on examples: one in this many of them")
    args = parser.parse_args()
    every = {name: cases(name) for name in (*TUNED_SETS, "third")}
    if args.check:
        return check(every)
    if args.on == "examples":
        return on_examples(every, args.share, args.trials or 0, args.strict)
    trials = RANDOM_TRIALS if args.trials is None else args.trials
    terms = SHAPE_TERMS if args.terms == "shape" else (*SHAPE_TERMS, *BM25_TERMS)

    def learn(part: list[Case]) -> Weights:
        return Tuner(part, args.objective == "balanced", terms, trials, args.strict).tune_from(Weights(), print)

    tune = {name: [c for c in every[name] if c.part == "tune"] for name in TUNED_SETS}
    heldout = {name: [c for c in every[name] if c.part == "heldout"] for name in TUNED_SETS}
    print(f"objective: {args.objective} recall@1, ties by MRR; terms: {args.terms}; random trials: {args.trials}")
    print("moves kept: those gaining recall@1" + ("" if args.strict else ", or MRR at equal recall@1"))
    print("\nleave one set out (held-out part):")
    for left in TUNED_SETS:
        print(f"  tuned on the tune parts of {', '.join(n for n in TUNED_SETS if n != left)}:")
        learnt = learn([c for n in TUNED_SETS if n != left for c in tune[n]])
        print(f"    {left} held-out, defaults: {measure(Weights(), heldout[left])}")
        print(f"    {left} held-out, learnt:   {measure(learnt, heldout[left])}   {changed(learnt)}")
    print("\ntuned on all three tune parts:")
    learnt = learn([c for n in TUNED_SETS for c in tune[n]])
    print(f"  learnt: {changed(learnt)}")
    for name, part in (
        *((f"{n} tune", tune[n]) for n in TUNED_SETS),
        *((f"{n} held-out", heldout[n]) for n in TUNED_SETS),
    ):
        print(f"  {name:<16} defaults {measure(Weights(), part)}  learnt {measure(learnt, part)}")
    print(f"  {'third':<16} defaults {measure(Weights(), every['third'])}  learnt {measure(learnt, every['third'])}")


if __name__ == "__main__":
    main()
