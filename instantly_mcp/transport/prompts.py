"""MCP prompts for the five jobs users ask for most, shown by Claude Desktop as slash commands.

Each prompt is a short plan naming the tools to call and what to report. Its arguments (a
campaign, a lead list, a sending account) are completed through completion/complete with names
from the workspace, read through the same gates and client as a tool call (`Reader`), so a key
or a --scopes setting that may not list campaigns completes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import mcp_types as types

from instantly_mcp.errors import PromptError

MAX_COMPLETIONS = 20

Reader = Callable[[str, dict[str, Any]], Awaitable[Any]]
"""Runs a read tool by name through the policy; the parsed result, or None when refused or failed."""


@dataclass(frozen=True)
class Source:
    """Where an argument's values come from: a list tool, its search argument, the field to offer."""

    tool: str
    field: str
    search: str = "search"


CAMPAIGN = Source("list_campaigns", "name")
LIST = Source("list_lead_lists", "name")
ACCOUNT = Source("list_accounts", "email")
SOURCES = {"campaign": CAMPAIGN, "list": LIST, "account": ACCOUNT}
DESCRIPTIONS = {
    "campaign": "Campaign name (or id)",
    "list": "Lead list name (or id)",
    "account": "Sending account email; all accounts when left out",
}


@dataclass(frozen=True)
class Job:
    name: str
    title: str
    description: str
    arguments: tuple[tuple[str, bool], ...]  # (argument, required)
    plan: str


JOBS = (
    Job(
        "campaign_health_report",
        "Campaign health report",
        "How a campaign is doing: sending status, opens, replies, bounces, opportunities, and what to fix.",
        (("campaign", True),),
        "Report on the health of campaign {campaign}. Find its id with list_campaigns(search=the name). Then "
        "get_campaign (status, schedule, sending accounts in email_list), get_campaign_sending_status (why it may "
        "not send), get_campaign_analytics_overview and get_daily_campaign_analytics for the last 14 days "
        "(dates as YYYY-MM-DD), and get_campaign_steps_analytics for the weakest step. Report: status, emails sent, "
        "open, reply and bounce rates, opportunities, the best and worst step, and up to three concrete fixes.",
    ),
    Job(
        "reply_triage",
        "Reply triage",
        "Sort the latest replies into interested, not interested, out of office and the rest, and draft next steps.",
        (("campaign", False),),
        "Triage the latest replies{in_campaign}. Use list_emails with email_type received (and the campaign id from "
        "list_campaigns(search=...) if a campaign is given), newest first. For each reply give the lead, a one-line "
        "summary and a category: interested, meeting request, not interested, out of office, wrong person, "
        "unsubscribe. Propose update_lead_interest_status codes (1=Interested, 2=Meeting Booked, -1=Not "
        "Interested, 0=Out of Office, -2=Wrong Person) and draft replies, but send or change nothing until I agree.",
    ),
    Job(
        "list_hygiene",
        "List hygiene",
        "Find bounced and unsubscribed leads in a list or campaign and propose what to remove or block.",
        (("list", False), ("campaign", False)),
        "Clean up {target}. Find the id with list_lead_lists(search=...) or list_campaigns(search=...). Use "
        "list_leads on it and collect the leads that bounced, unsubscribed or are marked wrong person, plus "
        "duplicates by email; get_lead_list_verification_stats shows invalid emails of a list. Report the counts "
        "and the leads, then propose delete_leads for them and create_block_list_entry for unsubscribed "
        "addresses. Delete or block nothing until I agree.",
    ),
    Job(
        "new_campaign_launch_checklist",
        "New-campaign launch checklist",
        "Check a campaign before it goes live: accounts, warmup, schedule, sequence, leads, tracking.",
        (("campaign", True),),
        "Run the launch checklist for campaign {campaign} (find its id with list_campaigns(search=...)). With "
        "get_campaign check: at least one sending account in email_list (Instantly refuses to activate without "
        "one); each account's warmup score with get_warmup_analytics (flag under 80); a schedule with days "
        '("0"-"6", 0 = Sunday), hours and an Instantly timezone; every sequence step has a subject and body and '
        "no unfilled {{variables}}; daily_limit and stop_on_reply. With list_leads count its leads and spot "
        "bounced ones. Report each item as pass or fail with the fix; call activate_campaign only if I ask.",
    ),
    Job(
        "deliverability_check",
        "Deliverability check",
        "Sending accounts' health: warmup scores, errors, DNS and blacklist signals, with fixes.",
        (("account", False),),
        "Check deliverability for {accounts}. Use list_accounts (status and warmup status), get_warmup_analytics "
        "for their warmup scores and inbox/spam split, test_account_vitals for SMTP/IMAP/DNS (SPF, DKIM, DMARC), "
        "get_daily_account_analytics for the last 14 days (YYYY-MM-DD), and list_inbox_placement_tests with "
        "list_inbox_placement_reports for spam placement and blacklists. Report each account as healthy, at risk "
        "or failing with the reason and the fix (pause, mark_account_fixed, more warmup, DNS records).",
    ),
)
BY_NAME = {job.name: job for job in JOBS}


def list_prompts() -> list[types.Prompt]:
    return [
        types.Prompt(
            name=job.name,
            title=job.title,
            description=job.description,
            arguments=[types.PromptArgument(name=a, description=DESCRIPTIONS[a], required=r) for a, r in job.arguments],
        )
        for job in JOBS
    ]


def get_prompt(name: str, arguments: dict[str, str] | None, *, discover: bool) -> types.GetPromptResult:
    job = BY_NAME.get(name)
    if job is None:
        raise PromptError(f"Unknown prompt {name!r}; the prompts are {', '.join(BY_NAME)}.")
    given = {k: v.strip() for k, v in (arguments or {}).items() if isinstance(v, str) and v.strip()}
    missing = [a for a, required in job.arguments if required and a not in given]
    if missing:
        raise PromptError(f"{name} needs {', '.join(missing)}: {'; '.join(DESCRIPTIONS[a] for a in missing)}.")
    text = job.plan.format(**placeholders(given))
    if discover:
        text += " This server is in discover mode: run each of these tools with call_tool(name=..., arguments=...)."
    return types.GetPromptResult(
        description=job.description,
        messages=[types.PromptMessage(role="user", content=types.TextContent(type="text", text=text))],
    )


def placeholders(given: dict[str, str]) -> dict[str, str]:
    """The plans' placeholders from the arguments, with wording for the ones left out."""
    campaign, lead_list, account = given.get("campaign"), given.get("list"), given.get("account")
    targets = [f"lead list '{lead_list}'" if lead_list else "", f"campaign '{campaign}'" if campaign else ""]
    return {
        "campaign": f"'{campaign}'" if campaign else "",
        "in_campaign": f" of campaign '{campaign}'" if campaign else " across all campaigns",
        "target": " and ".join(t for t in targets if t) or "every lead list (list_lead_lists)",
        "accounts": f"sending account {account}" if account else "all sending accounts",
    }


async def complete(params: types.CompleteRequestParams, read: Reader) -> types.CompleteResult:
    """Workspace names for a prompt's campaign, list or account argument that start with (or
    contain) what has been typed."""
    ref, argument = params.ref, params.argument
    source = SOURCES.get(argument.name)
    if not isinstance(ref, types.PromptReference) or ref.name not in BY_NAME or source is None:
        return empty()
    if argument.name not in dict(BY_NAME[ref.name].arguments):
        return empty()
    typed = argument.value.strip()
    found = await read(source.tool, {source.search: typed, "limit": 100} if typed else {"limit": 100})
    items = found.get("items") if isinstance(found, dict) else found if isinstance(found, list) else None
    names = [str(item[source.field]) for item in items or [] if isinstance(item, dict) and item.get(source.field)]
    ranked = sorted(dict.fromkeys(names), key=lambda n: (not n.lower().startswith(typed.lower()), n.lower()))
    matching = [n for n in ranked if typed.lower() in n.lower()]
    return types.CompleteResult(
        completion=types.Completion(
            values=matching[:MAX_COMPLETIONS], total=len(matching), has_more=len(matching) > MAX_COMPLETIONS
        )
    )


def empty() -> types.CompleteResult:
    return types.CompleteResult(completion=types.Completion(values=[], total=0, has_more=False))


def parsed(result: types.CallToolResult | types.InputRequiredResult) -> Any:
    """A tool result's JSON, or None when it is an error or not JSON."""
    if not isinstance(result, types.CallToolResult) or result.is_error or not result.content:
        return None
    block = result.content[0]
    try:
        return json.loads(block.text) if isinstance(block, types.TextContent) else None
    except ValueError:
        return None
