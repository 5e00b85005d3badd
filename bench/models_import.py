#!/usr/bin/env python3
"""What the generated pydantic models cost to import: classes, milliseconds and megabytes.

A tool's model module is imported on the tool's first call (never at start-up), so this prints both
the whole package (every module once, as a long session ends up with) and the first call of a few
tools. Each figure is the median of fresh interpreters, with bytecode already cached.

python bench/models_import.py                       # this checkout
python bench/models_import.py --against ../main     # and another checkout, side by side
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import against_label, plain_env

ROOT = Path(__file__).resolve().parent.parent
FIRST_CALLS = ("campaign", "lead", "ai_lead_finder_agent", "account")

PROBE = """
import importlib, json, pkgutil, sys, time, tracemalloc
import pydantic, instantly_mcp.catalog.model_base
import instantly_mcp.catalog.models as package

def rss_kb():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))

trace = "--trace" in sys.argv
names = [n for n in sys.argv[1:] if n != "--trace"] or sorted(m.name for m in pkgutil.iter_modules(package.__path__))
if trace:
    tracemalloc.start()
before, start = rss_kb(), time.perf_counter()
modules = [importlib.import_module(f"{package.__name__}.{name}") for name in names]
elapsed = time.perf_counter() - start
classes = {id(v) for m in modules for v in vars(m).values() if isinstance(v, type) and issubclass(v, pydantic.BaseModel)
           and v.__module__.startswith(package.__name__)}
print(json.dumps({"ms": elapsed * 1000, "rss_mb": (rss_kb() - before) / 1024, "classes": len(classes),
                  "peak_mb": tracemalloc.get_traced_memory()[1] / 2**20 if trace else None}))
"""


def probe(root: Path, names: list[str], *, trace: bool = False) -> dict[str, float]:
    args = [sys.executable, "-c", PROBE, *names, *(["--trace"] if trace else [])]
    out = subprocess.run(args, cwd=root, env=plain_env(root), capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(out.stdout)
    return result


def median_of(root: Path, names: list[str], runs: int) -> dict[str, float]:
    samples = [probe(root, names) for _ in range(runs)]
    traced = probe(root, names, trace=True)
    return {
        "classes": samples[0]["classes"],
        "ms": statistics.median(s["ms"] for s in samples),
        "rss_mb": statistics.median(s["rss_mb"] for s in samples),
        "peak_mb": traced["peak_mb"],
    }


def report(label: str, root: Path, runs: int) -> None:
    probe(root, [])  # writes the bytecode cache
    whole = median_of(root, [], runs)
    print(
        f"{label:>12}  all modules: {whole['classes']:.0f} classes, {whole['ms']:.0f} ms, "
        f"RSS +{whole['rss_mb']:.1f} MB, tracemalloc peak {whole['peak_mb']:.1f} MB"
    )
    for name in FIRST_CALLS:
        first = median_of(root, [name], runs)
        print(f"{'':>12}  first call of a {name} tool: {first['classes']:.0f} classes, {first['ms']:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, help="another checkout to measure the same way")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if args.against:
        report(against_label(args.against), args.against.resolve(), args.runs)
    report("this checkout", ROOT, args.runs)


if __name__ == "__main__":
    main()
