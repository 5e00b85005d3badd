"""Campaigns: creation defaults, listing filters, sending status, variables and lookups by contact."""

from __future__ import annotations

from typing import Any

from instantly_mcp.sandbox import crud
from instantly_mcp.sandbox.context import ACCOUNTS, CAMPAIGNS, EMAILS, LEADS, TAG_MAPPINGS, Context
from instantly_mcp.sandbox.errors import bad_request
from instantly_mcp.sandbox.handlers.registry import handles
from instantly_mcp.sandbox.resources import Resource
from instantly_mcp.sandbox.store import Entity
from instantly_mcp.sandbox.synth import now_iso, render, synthesize, today

DRAFT, ACTIVE, PAUSED, COMPLETED = 0, 1, 2, 3
_CREATE_DEFAULTS: dict[str, Any] = {
    "sequences": [],
    "email_list": [],
    "email_gap": 10,
    "random_wait_max": 10,
    "daily_limit": 100,
    "stop_on_reply": True,
    "stop_on_auto_reply": False,
    "link_tracking": False,
    "open_tracking": False,
    "text_only": False,
    "is_evergreen": False,
}
_SENDING_STATUS = {
    DRAFT: ("campaign_draft", "Campaign is a draft and has not been launched"),
    PAUSED: ("campaign_paused", "Campaign is paused"),
    COMPLETED: ("campaign_completed", "Campaign has completed"),
    4: ("campaign_running_subsequences", "Campaign has finished its main sequence and is running subsequences"),
    -1: ("campaign_accounts_unhealthy", "All sending accounts of the campaign are unhealthy"),
    -2: ("campaign_bounce_protect", "Campaign was paused by bounce protection"),
    -99: ("campaign_account_suspended", "The workspace account is suspended"),
}


NO_ACCOUNTS = "Campaign has no sending accounts: add at least one email account to email_list before activating it"


def _resource(ctx: Context) -> Resource:
    return ctx.resource("/api/v2/campaigns")


def campaign_leads(ctx: Context, campaign_id: str) -> list[Entity]:
    return [lead for lead in ctx.store.all(LEADS) if lead.get("campaign") == campaign_id]


def tagged_ids(ctx: Context, tag_ids: Any) -> set[str]:
    wanted = set(tag_ids.split(",") if isinstance(tag_ids, str) else tag_ids or [])
    return {m["resource_id"] for m in ctx.store.all(TAG_MAPPINGS) if m["tag_id"] in wanted}


@handles("createCampaign")
def create_campaign(ctx: Context) -> Any:
    resource = _resource(ctx)
    fields = {
        **_CREATE_DEFAULTS,
        "owned_by": ctx.workspace["owner"],
        **crud.project(resource, ctx.data),
        "status": DRAFT,
    }
    return render(crud.create(ctx.store, resource, fields, ctx.workspace_id), ctx.op.success_schema)


@handles("listCampaign")
def list_campaigns(ctx: Context) -> Any:
    resource = _resource(ctx)
    campaigns = crud.search(ctx.store.all(CAMPAIGNS), ctx.query.get("search"), ("name",))
    if ctx.query.get("tag_ids"):
        tagged = tagged_ids(ctx, ctx.query["tag_ids"])
        campaigns = [c for c in campaigns if c["id"] in tagged]
    if ctx.query.get("ai_sales_agent_id"):
        campaigns = [c for c in campaigns if c.get("ai_sdr_id") == ctx.query["ai_sales_agent_id"]]
    campaigns = crud.filter_by_query(resource, campaigns, ctx.query, skip=frozenset({"search", "tag_ids"}))
    return crud.respond_list(ctx, resource, campaigns)


@handles("deleteCampaign")
def delete_campaign(ctx: Context) -> Any:
    campaign = crud.find(ctx.store, _resource(ctx), ctx.params["id"])
    for lead in campaign_leads(ctx, campaign["id"]):
        ctx.store.delete(LEADS, lead["id"])
    ctx.store.delete(CAMPAIGNS, campaign["id"])
    return render(campaign, ctx.op.success_schema)


@handles("duplicate")
def duplicate_campaign(ctx: Context) -> Any:
    campaign = crud.find(ctx.store, _resource(ctx), ctx.params["id"])
    copy = crud.duplicate(ctx, _resource(ctx), campaign, default_name=f"{campaign['name']} (copy)")
    return render(copy, ctx.schema)


@handles("activateCampaign")
def activate_campaign(ctx: Context) -> Any:
    """Refused, as Instantly does, while no sending account is attached (email_list is empty)."""
    resource = _resource(ctx)
    campaign = crud.find(ctx.store, resource, ctx.params["id"])
    if not campaign.get("email_list"):
        raise bad_request(NO_ACCOUNTS)
    return render(crud.act(ctx, resource, campaign, "activate"), ctx.op.success_schema)


@handles("addVariables")
def add_variables(ctx: Context) -> Any:
    resource = _resource(ctx)
    campaign = crud.find(ctx.store, resource, ctx.params["id"])
    variables = {**(campaign.get("custom_variables") or {}), **dict.fromkeys(ctx.data["variables"], "")}
    return render(crud.update(ctx.store, resource, campaign, {"custom_variables": variables}), ctx.op.success_schema)


@handles("countLaunched")
def count_launched(ctx: Context) -> Any:
    return {"count": sum(1 for c in ctx.store.all(CAMPAIGNS) if c.get("status") != DRAFT)}


@handles("searchByContact")
def search_by_contact(ctx: Context) -> Any:
    email = (ctx.query.get("search") or "").strip().lower()
    ids = {lead.get("campaign") for lead in ctx.store.all(LEADS) if (lead.get("email") or "").lower() == email}
    campaigns = [c for c in ctx.store.all(CAMPAIGNS) if c["id"] in ids]
    column = ctx.query.get("sort_column") or "timestamp_created"
    campaigns.sort(key=lambda c: str(c.get(column, "")), reverse=ctx.query.get("sort_order") == "desc")
    item_schema = ctx.item_schema
    return {"items": [render(c, item_schema) for c in campaigns]}


def _sending_state(ctx: Context, campaign: Entity) -> tuple[str, str]:
    status = campaign.get("status")
    if status in _SENDING_STATUS:
        return _SENDING_STATUS[status]
    accounts = [ctx.store.get(ACCOUNTS, email) for email in campaign.get("email_list") or []]
    if not any(a is not None and a.get("status") == 1 for a in accounts):
        return "no_accounts_available", "No healthy sending account is attached to the campaign"
    if not any(lead.get("status") == 1 for lead in campaign_leads(ctx, campaign["id"])):
        return "waiting_for_leads", "Campaign is waiting for leads to contact"
    return "healthy", "Campaign is sending normally"


@handles("getCampaignSendingStatus")
def sending_status(ctx: Context) -> Any:
    campaign = crud.find(ctx.store, _resource(ctx), ctx.params["id"])
    code, message = _sending_state(ctx, campaign)
    emails = campaign.get("email_list") or []
    accounts = [ctx.store.get(ACCOUNTS, e) or {} for e in emails]
    available = sum(1 for a in accounts if a.get("status") == 1)
    sent_today = sum(
        1
        for e in ctx.store.all(EMAILS)
        if e.get("campaign_id") == campaign["id"]
        and e.get("ue_type") in (1, 3)
        and e["timestamp_email"][:10] == today()
    )
    body = synthesize(ctx.op.success_schema, full=True)
    diagnostics = body["diagnostics"]
    diagnostics.pop("subsequence_id", None)
    diagnostics.update(campaign_id=campaign["id"], last_updated=now_iso(), status=code)
    diagnostics["issue_tracking"]["current_status_code"] = code
    diagnostics["accounts_summary"] = {
        "total_connected": len(emails),
        "available": available,
        "unavailable": {
            "daily_limit_hit": 0,
            "slow_ramp_limit_hit": 0,
            "disconnected": len(emails) - available,
            "global_gap_not_met": 0,
        },
    }
    limit = campaign.get("daily_limit") or 0
    diagnostics["campaign_daily_limit"] = {
        "limit": limit,
        "sent": sent_today,
        "limit_hit": bool(limit) and sent_today >= limit,
    }
    diagnostics["schedule_status"]["in_schedule"] = campaign.get("status") == ACTIVE
    summary = body["summary"]
    summary.update(status=code, status_message=message)
    if ctx.query.get("with_ai_summary"):
        summary["ai_summary"] = f"{message}."
    else:
        summary.pop("ai_summary", None)
    return body


@handles("getAccountCampaignMapping")
def account_campaign_mappings(ctx: Context) -> Any:
    email = ctx.params["email"].lower()
    crud.find(ctx.store, ctx.resource("/api/v2/accounts"), email)
    items = [
        {
            "campaign_id": c["id"],
            "campaign_name": c["name"],
            "timestamp_created": c["timestamp_created"],
            "status": c["status"],
        }
        for c in ctx.store.all(CAMPAIGNS)
        if email in [e.lower() for e in c.get("email_list") or []]
    ]
    limit = int(ctx.query.get("limit") or crud.DEFAULT_LIMIT)
    item_schema = ctx.item_schema
    return {"items": [render(i, item_schema) for i in items[:limit]]}
