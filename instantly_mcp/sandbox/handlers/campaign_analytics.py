"""Campaign analytics computed from the stored leads and unibox emails."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from instantly_mcp.sandbox.context import CAMPAIGNS, EMAILS, LEADS, Context
from instantly_mcp.sandbox.errors import SandboxHttpError
from instantly_mcp.sandbox.handlers.registry import handles
from instantly_mcp.sandbox.store import Entity

SENT_TYPES = (1, 3)
RECEIVED = 2
_INTEREST = {"total_interested": 1, "total_meeting_booked": 2, "total_meeting_completed": 3, "total_closed": 4}


def _parse(value: str) -> datetime:
    text = value if "T" in value else f"{value}T00:00:00Z"
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _date_range(ctx: Context) -> tuple[datetime | None, datetime | None]:
    try:
        start = _parse(ctx.query["start_date"]) if ctx.query.get("start_date") else None
        end = _parse(ctx.query["end_date"]) if ctx.query.get("end_date") else None
    except ValueError as exc:
        raise SandboxHttpError(400, "Invalid date", body={"message": f"Invalid date: {exc}"}) from exc
    if start and end and start > end:
        message = "Start Date must be earlier than End Date"
        raise SandboxHttpError(400, message, body={"message": message})
    return start, end


def _in_range(email: Entity, start: datetime | None, end: datetime | None) -> bool:
    if start is None and end is None:
        return True
    moment = _parse(email["timestamp_email"])
    return (start is None or moment >= start) and (end is None or moment <= end)


def _selected_campaigns(ctx: Context, single: str, status_param: str | None = None) -> list[Entity]:
    ids = [ctx.query[single]] if ctx.query.get(single) else list(ctx.query.get("ids") or [])
    campaigns = [c for c in ctx.store.all(CAMPAIGNS) if not ids or c["id"] in ids]
    if status_param and ctx.query.get(status_param) is not None:
        campaigns = [c for c in campaigns if c.get("status") == ctx.query[status_param]]
    return campaigns


def _emails(ctx: Context, campaign_ids: set[str], start: datetime | None, end: datetime | None) -> list[Entity]:
    return [e for e in ctx.store.all(EMAILS) if e.get("campaign_id") in campaign_ids and _in_range(e, start, end)]


def _counts(leads: list[Entity], emails: list[Entity], pl_values: dict[str, float]) -> dict[str, Any]:
    """Totals over the given leads and emails; an opportunity is worth its campaign's `pl_value`."""
    sent = [e for e in emails if e.get("ue_type") in SENT_TYPES]
    received = [e for e in emails if e.get("ue_type") == RECEIVED]
    contacted = len({e.get("lead") for e in sent})
    return {
        "leads_count": len(leads),
        "contacted_count": contacted,
        "new_leads_contacted_count": contacted,
        "emails_sent_count": len(sent),
        **_lead_activity(leads, "email_open_count", "open_count"),
        **_reply_counts([e for e in received if not e.get("is_auto_reply")], "reply_count"),
        **_reply_counts([e for e in received if e.get("is_auto_reply")], "reply_count_automatic"),
        **_lead_activity(leads, "email_click_count", "link_click_count"),
        **{name: _with(leads, "status", value) for name, value in _STATUSES.items()},
        **_opportunities(leads, pl_values),
        **{name: _with(leads, "lt_interest_status", value) for name, value in _INTEREST.items()},
    }


_STATUSES = {"bounced_count": -1, "unsubscribed_count": -2, "completed_count": 3}


def _with(leads: list[Entity], field: str, value: Any) -> int:
    return sum(1 for lead in leads if lead.get(field) == value)


def _lead_activity(leads: list[Entity], field: str, name: str) -> dict[str, int]:
    """A per-lead counter summed, and the leads with any (per step too: the sandbox keeps no steps)."""
    unique = sum(1 for lead in leads if lead.get(field, 0) > 0)
    return {name: sum(lead.get(field, 0) for lead in leads), f"{name}_unique": unique, f"{name}_unique_by_step": unique}


def _reply_counts(replies: list[Entity], name: str) -> dict[str, int]:
    return {
        name: len(replies),
        f"{name}_unique": len({e.get("lead") for e in replies}),
        f"{name}_unique_by_step": len({(e.get("lead"), e.get("step")) for e in replies}),
    }


def _opportunities(leads: list[Entity], pl_values: dict[str, float]) -> dict[str, Any]:
    opportunities = [lead for lead in leads if lead.get("lt_interest_status") in (1, 2, 3, 4)]
    return {
        "total_opportunities": len(opportunities),
        "total_opportunity_value": sum(pl_values.get(str(lead.get("campaign")), 0) for lead in opportunities),
    }


def _engagement(sent: list[Entity]) -> dict[str, int]:
    """Opens and clicks recorded on sent emails (`_opens`/`_clicks`, set when the sandbox seeds activity)."""
    return {
        "opened": sum(e.get("_opens", 0) for e in sent),
        "unique_opened": len({e.get("lead") for e in sent if e.get("_opens", 0) > 0}),
        "clicks": sum(e.get("_clicks", 0) for e in sent),
        "unique_clicks": len({e.get("lead") for e in sent if e.get("_clicks", 0) > 0}),
    }


def _pl_values(campaigns: list[Entity]) -> dict[str, float]:
    return {c["id"]: c.get("pl_value") or 0 for c in campaigns}


def _leads_of(ctx: Context, campaign_ids: set[str]) -> list[Entity]:
    return [lead for lead in ctx.store.all(LEADS) if lead.get("campaign") in campaign_ids]


def _grouped(entities: list[Entity], field: str) -> defaultdict[str, list[Entity]]:
    """One pass over a large workspace instead of one per campaign."""
    groups: defaultdict[str, list[Entity]] = defaultdict(list)
    for entity in entities:
        groups[entity.get(field) or ""].append(entity)
    return groups


def _keep_declared(row: dict[str, Any], item_schema: dict[str, Any]) -> dict[str, Any]:
    declared = item_schema.get("properties", {})
    return {k: v for k, v in row.items() if k in declared}


@handles("getCampaignAnalytics")
def campaign_analytics(ctx: Context) -> Any:
    start, end = _date_range(ctx)
    item_schema = ctx.item_schema
    campaigns = _selected_campaigns(ctx, "id")
    ids = {c["id"] for c in campaigns}
    leads, emails = _grouped(_leads_of(ctx, ids), "campaign"), _grouped(_emails(ctx, ids, start, end), "campaign_id")
    rows = []
    for campaign in campaigns:
        counts = _counts(leads[campaign["id"]], emails[campaign["id"]], _pl_values([campaign]))
        if ctx.query.get("exclude_total_leads_count"):
            counts["leads_count"] = 0
        row = {
            "campaign_name": campaign["name"],
            "campaign_id": campaign["id"],
            "campaign_status": campaign["status"],
            "campaign_is_evergreen": bool(campaign.get("is_evergreen")),
            **counts,
        }
        rows.append(_keep_declared(row, item_schema))
    return rows


@handles("getCampaignAnalyticsOverview")
def campaign_analytics_overview(ctx: Context) -> Any:
    start, end = _date_range(ctx)
    campaigns = _selected_campaigns(ctx, "id", "campaign_status")
    ids = {c["id"] for c in campaigns}
    counts = _counts(_leads_of(ctx, ids), _emails(ctx, ids, start, end), _pl_values(campaigns))
    return _keep_declared(counts, ctx.schema)


@handles("getDailyCampaignAnalytics")
def daily_campaign_analytics(ctx: Context) -> Any:
    start, end = _date_range(ctx)
    ids = {c["id"] for c in _selected_campaigns(ctx, "campaign_id", "campaign_status")}
    days: dict[str, list[Entity]] = defaultdict(list)
    for email in _emails(ctx, ids, start, end):
        days[email["timestamp_email"][:10]].append(email)
    rows = []
    for day in sorted(days):
        emails = days[day]
        sent = [e for e in emails if e.get("ue_type") in SENT_TYPES]
        replies = [e for e in emails if e.get("ue_type") == RECEIVED and not e.get("is_auto_reply")]
        auto = [e for e in emails if e.get("ue_type") == RECEIVED and e.get("is_auto_reply")]
        rows.append(
            {
                "date": day,
                "sent": len(sent),
                "contacted": len({e.get("lead") for e in sent}),
                "new_leads_contacted": len({e.get("lead") for e in sent if e.get("step") in (None, "0")}),
                **_engagement(sent),
                "replies": len(replies),
                "unique_replies": len({e.get("lead") for e in replies}),
                "replies_automatic": len(auto),
                "unique_replies_automatic": len({e.get("lead") for e in auto}),
                "opportunities": 0,
                "unique_opportunities": 0,
            }
        )
    return rows


@handles("getCampaignStepsAnalytics")
def campaign_steps_analytics(ctx: Context) -> Any:
    start, end = _date_range(ctx)
    ids = {c["id"] for c in _selected_campaigns(ctx, "campaign_id")}
    steps: dict[tuple[str | None, str | None], list[Entity]] = defaultdict(list)
    for email in _emails(ctx, ids, start, end):
        steps[(email.get("step"), email.get("_variant", "0") if email.get("step") is not None else None)].append(email)
    rows = []
    for (step, variant), emails in sorted(steps.items(), key=lambda kv: (kv[0][0] or "", kv[0][1] or "")):
        replies = [e for e in emails if e.get("ue_type") == RECEIVED and not e.get("is_auto_reply")]
        auto = [e for e in emails if e.get("ue_type") == RECEIVED and e.get("is_auto_reply")]
        row = {
            "step": step,
            "variant": variant,
            "sent": sum(1 for e in emails if e.get("ue_type") in SENT_TYPES),
            **_engagement([e for e in emails if e.get("ue_type") in SENT_TYPES]),
            "replies": len(replies),
            "unique_replies": len({e.get("lead") for e in replies}),
            "replies_automatic": len(auto),
            "unique_replies_automatic": len({e.get("lead") for e in auto}),
        }
        if ctx.query.get("include_opportunities_count"):
            row.update(opportunities=0, unique_opportunities=0, meetings_booked=0, won=0)
        rows.append(row)
    return rows
