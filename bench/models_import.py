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
FIRST_CALLS = ("create_campaign", "get_lead", "get_campaign", "create_ai_lead_finder_agent", "list_accounts")

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
before, start, cpu = rss_kb(), time.perf_counter(), time.process_time()
modules = [importlib.import_module(f"{package.__name__}.{name}") for name in names]
elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
classes = {id(v) for m in modules for v in vars(m).values() if isinstance(v, type) and issubclass(v, pydantic.BaseModel)
           and v.__module__.startswith(package.__name__)}
print(json.dumps({"ms": elapsed * 1000, "cpu_ms": cpu * 1000, "rss_mb": (rss_kb() - before) / 1024,
                  "classes": len(classes), "peak_mb": tracemalloc.get_traced_memory()[1] / 2**20 if trace else None}))
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
        "cpu_ms": statistics.median(s["cpu_ms"] for s in samples),
        "rss_mb": statistics.median(s["rss_mb"] for s in samples),
        "peak_mb": traced["peak_mb"],
    }


def report(label: str, root: Path, runs: int) -> None:
    probe(root, [])  # writes the bytecode cache
    whole = median_of(root, [], runs)
    print(
        f"{label:>12}  all modules: {whole['classes']:.0f} classes, "
        f"{whole['ms']:.0f} ms ({whole['cpu_ms']:.0f} ms CPU), "
        f"RSS +{whole['rss_mb']:.1f} MB, tracemalloc peak {whole['peak_mb']:.1f} MB"
    )
    for tool in FIRST_CALLS:
        module = model_module(root, tool)
        first = median_of(root, [module], runs)
        print(f"{'':>12}  first call of {tool} ({module}): {first['ms']:.0f} ms ({first['cpu_ms']:.0f} ms CPU)")


def model_module(root: Path, tool: str) -> str:
    """The generated module a tool's first call imports, as that checkout's tool_specs name it."""
    for path in sorted((root / "tool_specs").glob("*.json")):
        for entry in json.loads(path.read_text())["operations"]:
            if entry["name"] == tool:
                return str(entry["model"]).split(":")[0].rsplit(".", 1)[1]
    raise SystemExit(f"no tool {tool} in {root}/tool_specs")


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
