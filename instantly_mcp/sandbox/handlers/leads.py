"""Leads: creation in campaigns or lists, the POST /leads/list search, bulk add/delete, move, merge."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from operator import itemgetter
from typing import Any

from instantly_mcp.sandbox import crud
from instantly_mcp.sandbox.context import CAMPAIGNS, EMAILS, LEAD_LISTS, LEADS, SUBSEQUENCES, Context
from instantly_mcp.sandbox.errors import SandboxHttpError, bad_request, not_found
from instantly_mcp.sandbox.handlers.block_list import is_blocked
from instantly_mcp.sandbox.handlers.jobs import start_job
from instantly_mcp.sandbox.handlers.registry import handles
from instantly_mcp.sandbox.handlers.subsequence_trigger import enter_matching_subsequence
from instantly_mcp.sandbox.resources import Resource
from instantly_mcp.sandbox.store import Entity
from instantly_mcp.sandbox.synth import now_iso, render

ACTIVE = 1
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PAYLOAD_NAMES = {
    "first_name": "firstName",
    "last_name": "lastName",
    "company_name": "companyName",
    "job_title": "jobTitle",
    "website": "website",
    "phone": "phone",
    "personalization": "personalization",
}
# Lead filters of POST /leads/list (and the bulk operations sharing its selection).
_FILTERS: dict[str, Callable[[Entity], bool]] = {
    "FILTER_VAL_CONTACTED": lambda lead: lead.get("timestamp_last_contact") is not None,
    "FILTER_VAL_NOT_CONTACTED": lambda lead: lead.get("timestamp_last_contact") is None,
    "FILTER_VAL_ACTIVE": lambda lead: lead.get("status") == 1,
    "FILTER_VAL_PAUSED": lambda lead: lead.get("status") == 2,
    "FILTER_VAL_COMPLETED": lambda lead: lead.get("status") == 3,
    "FILTER_VAL_BOUNCED": lambda lead: lead.get("status") == -1,
    "FILTER_VAL_UNSUBSCRIBED": lambda lead: lead.get("status") == -2,
    "FILTER_VAL_SKIPPED": lambda lead: lead.get("status") == -3,
    "FILTER_VAL_OPENED": lambda lead: lead.get("email_open_count", 0) > 0,
    "FILTER_VAL_CLICKED": lambda lead: lead.get("email_click_count", 0) > 0,
    "FILTER_VAL_REPLIED": lambda lead: lead.get("email_reply_count", 0) > 0,
    "FILTER_LEAD_INTERESTED": lambda lead: lead.get("lt_interest_status") == 1,
    "FILTER_LEAD_MEETING_BOOKED": lambda lead: lead.get("lt_interest_status") == 2,
    "FILTER_LEAD_MEETING_COMPLETED": lambda lead: lead.get("lt_interest_status") == 3,
    "FILTER_LEAD_CLOSED": lambda lead: lead.get("lt_interest_status") == 4,
    "FILTER_LEAD_NOT_INTERESTED": lambda lead: lead.get("lt_interest_status") == -1,
}


def _resource(ctx: Context) -> Resource:
    return ctx.resource("/api/v2/leads")


def _require(ctx: Context, collection: str, key: str | None, title: str) -> None:
    if key is not None and ctx.store.get(collection, key) is None:
        raise not_found(f"{title} not found")


def _destination(ctx: Context, campaign_id: str | None, list_id: str | None) -> None:
    if campaign_id and list_id:
        raise bad_request("Provide either a campaign or a list_id, not both")
    _require(ctx, CAMPAIGNS, campaign_id, "Campaign")
    _require(ctx, LEAD_LISTS, list_id, "Lead list")


def lead_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Entity fields for a lead from a create/add payload (profile fields mirrored into `payload`)."""
    email = (data.get("email") or "").strip().lower() or None
    website = data.get("website")
    domain = email.rpartition("@")[2] if email else re.sub(r"^https?://(www\.)?", "", website or "").split("/")[0]
    payload = {_PAYLOAD_NAMES[k]: v for k, v in data.items() if k in _PAYLOAD_NAMES and v is not None}
    payload.update(data.get("custom_variables") or {})
    profile = {k: data[k] for k in (*_PAYLOAD_NAMES, "lt_interest_status", "pl_value_lead") if k in data}
    return {
        **profile,
        "email": email,
        "company_domain": domain,
        "payload": payload,
        "status": ACTIVE,
        "email_open_count": 0,
        "email_reply_count": 0,
        "email_click_count": 0,
        "status_summary": {},
    }


def _add(ctx: Context, data: dict[str, Any], campaign_id: str | None, list_id: str | None) -> Entity:
    fields = {**lead_fields(data), "campaign": campaign_id, "_list_id": list_id}
    if data.get("assigned_to"):
        fields["_assigned_to"] = data["assigned_to"]
    return crud.create(ctx.store, _resource(ctx), fields, ctx.workspace_id)


def _in_scope(lead: Entity, campaign_id: str | None, list_id: str | None) -> bool:
    return (campaign_id is None or lead.get("campaign") == campaign_id) and (
        list_id is None or lead.get("_list_id") == list_id
    )


def _find_by_email(
    ctx: Context, email: str | None, campaign_id: str | None = None, list_id: str | None = None
) -> list[Entity]:
    if not email:
        return []
    address = email.strip().lower()
    return [
        lead for lead in ctx.store.all(LEADS) if lead.get("email") == address and _in_scope(lead, campaign_id, list_id)
    ]


def _skip_reason(
    ctx: Context, email: str | None, options: dict[str, Any], campaign_id: str | None, list_id: str | None
) -> str | None:
    existing = _find_by_email(ctx, email)
    if not existing:
        return None
    if options.get("skip_if_in_workspace"):
        return "skipped"
    if options.get("skip_if_in_campaign") and any(lead.get("campaign") for lead in existing):
        return "skipped"
    if options.get("skip_if_in_list") and any(lead.get("_list_id") for lead in existing):
        return "skipped"
    if any(_in_scope(lead, campaign_id, list_id) for lead in existing):
        return "duplicate"
    return None


@handles("createLead")
def create_lead(ctx: Context) -> Any:
    data = ctx.data
    campaign_id, list_id = data.get("campaign"), data.get("list_id")
    if campaign_id and not data.get("email"):
        raise bad_request("body/email is required when adding a lead to a campaign")
    if not any(data.get(k) for k in ("email", "first_name", "last_name")):
        raise bad_request("body must have at least one of the properties 'email', 'first_name' or 'last_name'")
    _destination(ctx, campaign_id, list_id)
    if _skip_reason(ctx, data.get("email"), data, campaign_id, list_id):
        lead = _find_by_email(ctx, data.get("email"))[0]
    else:
        lead = enter_matching_subsequence(ctx, _add(ctx, data, campaign_id, list_id))
    return render(lead, ctx.op.success_schema)


@handles("patchLead")
def patch_lead(ctx: Context) -> Any:
    resource = _resource(ctx)
    lead = crud.find(ctx.store, resource, ctx.params["id"])
    changes = crud.project(resource, ctx.data)
    payload = dict(lead.get("payload") or {})
    payload.update({_PAYLOAD_NAMES[k]: v for k, v in ctx.data.items() if k in _PAYLOAD_NAMES and v is not None})
    payload.update(ctx.data.get("custom_variables") or {})
    changes["payload"] = payload
    if "lt_interest_status" in changes:
        changes["timestamp_last_interest_change"] = now_iso()
    if "assigned_to" in ctx.data:
        changes["_assigned_to"] = ctx.data["assigned_to"]
    lead = crud.update(ctx.store, resource, lead, changes)
    if "lt_interest_status" in changes:
        lead = enter_matching_subsequence(ctx, lead)
    return render(lead, ctx.op.success_schema)


def select(ctx: Context, data: dict[str, Any]) -> list[Entity]:
    """Leads matching the shared selection body of /leads/list, /leads/move and /leads/bulk-assign."""
    tests = _where_tests(data) + _which_tests(data)
    leads = [lead for lead in ctx.store.all(LEADS) if all(test(lead) for test in tests)]
    return crud.search(leads, data.get("search"), ("first_name", "last_name", "email"))


LeadTest = Callable[[Entity], bool]


def _where_tests(data: dict[str, Any]) -> list[LeadTest]:
    """The selection by where the leads are: campaign, list, in any campaign or list."""
    tests: list[LeadTest] = []
    if data.get("campaign"):
        tests.append(lambda lead: lead.get("campaign") == data["campaign"])
    if data.get("list_id"):
        tests.append(lambda lead: lead.get("_list_id") == data["list_id"])
    if "in_campaign" in data:
        tests.append(lambda lead: bool(lead.get("campaign")) == data["in_campaign"])
    if "in_list" in data:
        tests.append(lambda lead: bool(lead.get("_list_id")) == data["in_list"])
    return tests


def _which_tests(data: dict[str, Any]) -> list[LeadTest]:
    """The selection by which leads: ids in and out, email addresses, the named filter, the assignee."""
    tests: list[LeadTest] = []
    if data.get("ids"):
        ids = set(data["ids"])
        tests.append(lambda lead: lead["id"] in ids)
    if data.get("excluded_ids"):
        excluded = set(data["excluded_ids"])
        tests.append(lambda lead: lead["id"] not in excluded)
    if data.get("contacts"):
        wanted = {c.lower() for c in data["contacts"]}
        tests.append(lambda lead: lead.get("email") in wanted)
    if data.get("filter") in _FILTERS:
        tests.append(_FILTERS[data["filter"]])
    if data.get("assigned_to"):
        tests.append(lambda lead: lead.get("_assigned_to") == data["assigned_to"])
    return tests


@handles("listLeads")
def list_leads(ctx: Context) -> Any:
    data = ctx.data
    leads = sorted(select(ctx, data), key=itemgetter("id"))
    start = (
        bisect.bisect_right(leads, data["starting_after"], key=itemgetter("id")) if data.get("starting_after") else 0
    )
    limit = data.get("limit") or crud.DEFAULT_LIMIT
    page = leads[start : start + limit]
    return crud.list_body(ctx, page, page[-1]["id"] if len(leads) > start + limit else None)


@handles("bulkDeleteLeads")
def bulk_delete(ctx: Context) -> Any:
    data = ctx.data
    leads = [lead for lead in ctx.store.all(LEADS) if _in_scope(lead, data.get("campaign_id"), data.get("list_id"))]
    if "status" in data:
        leads = [lead for lead in leads if lead.get("status") == data["status"]]
    if data.get("ids"):
        leads = [lead for lead in leads if lead["id"] in set(data["ids"])]
    leads = leads[: data.get("limit") or len(leads)]
    for lead in leads:
        ctx.store.delete(LEADS, lead["id"])
    return {"count": len(leads)}


_BULK_SUMMARY = (
    "in_blocklist",
    "duplicated_leads",
    "skipped_count",
    "invalid_email_count",
    "incomplete_count",
    "duplicate_email_count",
)


@handles("bulkAddLeads")
def bulk_add(ctx: Context) -> Any:
    data = ctx.data
    campaign_id, list_id = data.get("campaign_id"), data.get("list_id")
    if not campaign_id and not list_id:
        raise bad_request("body must have either property 'campaign_id' or 'list_id'")
    _destination(ctx, campaign_id, list_id)
    summary = dict.fromkeys(_BULK_SUMMARY, 0)
    created: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, raw in enumerate(data["leads"]):
        email = (raw.get("email") or "").strip().lower()
        rejected = _rejection(ctx, data, raw, email, seen)
        if rejected:
            summary[rejected] += 1
        else:
            lead = _add(
                ctx, {**raw, "assigned_to": data.get("assigned_to") or raw.get("assigned_to")}, campaign_id, list_id
            )
            created.append(
                {
                    "index": index,
                    "id": lead["id"],
                    **{k: lead.get(k) for k in ("email", "first_name", "last_name", "phone")},
                }
            )
        if email:
            seen.add(email)
    return {
        "status": "success",
        "total_sent": len(data["leads"]),
        "leads_uploaded": len(created),
        **summary,
        "blocklist_used": data.get("blocklist_id") or ctx.workspace_id,
        "remaining_in_plan": 25000 - ctx.store.count(LEADS) if campaign_id else None,
        "created_leads": created,
    }


def _rejection(ctx: Context, data: dict[str, Any], raw: dict[str, Any], email: str, seen: set[str]) -> str | None:
    """The summary counter a lead of a bulk add goes to instead of being added, or None to add it."""
    campaign_id, list_id = data.get("campaign_id"), data.get("list_id")
    if (campaign_id and not email) or (email and not _EMAIL.match(email)):
        return "invalid_email_count"
    if list_id and not (email or raw.get("first_name") or raw.get("last_name")):
        return "incomplete_count"
    if email and email in seen:
        return "duplicate_email_count"
    if is_blocked(ctx.store, email):
        return "in_blocklist"
    reason = _skip_reason(ctx, email, data, campaign_id, list_id)
    if reason:
        return "duplicated_leads" if reason == "duplicate" else "skipped_count"
    return None


@handles("moveLeads")
def move_leads(ctx: Context) -> Any:
    data = ctx.data
    to_campaign, to_list = data.get("to_campaign_id"), data.get("to_list_id")
    if not to_campaign and not to_list:
        raise bad_request("body must have either property 'to_campaign_id' or 'to_list_id'")
    if data.get("ids") and not (data.get("campaign") or data.get("list_id")):
        raise bad_request("When using 'ids' you must also provide 'campaign' or 'list_id'")
    _destination(ctx, to_campaign, to_list)
    leads = select(ctx, data)
    if data.get("check_duplicates") or data.get("check_duplicates_in_campaigns"):
        leads = [lead for lead in leads if not _find_by_email(ctx, lead.get("email"), to_campaign, to_list)]
    if data.get("limit"):
        leads = leads[: int(data["limit"])]
    resource = _resource(ctx)
    moved = []
    for lead in leads:
        target = {"campaign": to_campaign, "_list_id": to_list}
        if data.get("reset_interest_status"):
            target["lt_interest_status"] = None
        if data.get("copy_leads"):
            copied = {k: v for k, v in lead.items() if k not in ("id", "timestamp_created", "timestamp_updated")}
            moved.append(crud.create(ctx.store, resource, {**copied, **target}, ctx.workspace_id))
        else:
            moved.append(crud.update(ctx.store, resource, lead, target))
    emails = [lead["email"] for lead in moved if lead.get("email")]
    job = start_job(
        ctx,
        "move-leads",
        "campaign" if to_campaign else "list",
        to_campaign or to_list,
        {
            "moved_leads": len(moved),
            "moved_lead_emails": emails[:10000],
            "total_to_process": len(moved),
            "success_count": len(moved),
            "failed_count": 0,
        },
    )
    return render(job, ctx.op.success_schema)


@handles("mergeLeads")
def merge_leads(ctx: Context) -> Any:
    resource = _resource(ctx)
    source = crud.find(ctx.store, resource, ctx.data["lead_id"])
    target = crud.find(ctx.store, resource, ctx.data["destination_lead_id"])
    if source["id"] == target["id"]:
        raise bad_request("A lead cannot be merged into itself")
    filled = {k: v for k, v in source.items() if not k.startswith("_") and target.get(k) in (None, "", {}, [])}
    counters = {
        k: target.get(k, 0) + source.get(k, 0) for k in ("email_open_count", "email_reply_count", "email_click_count")
    }
    payload = {**(source.get("payload") or {}), **(target.get("payload") or {})}
    merged = crud.update(ctx.store, resource, target, {**filled, **counters, "payload": payload, "id": target["id"]})
    for email in ctx.store.all(EMAILS):
        if email.get("lead_id") == source["id"]:
            ctx.store.put(EMAILS, email["id"], {**email, "lead_id": target["id"], "lead": target.get("email")})
    ctx.store.delete(LEADS, source["id"])
    return render(merged, ctx.op.success_schema)


@handles("updateLeadInterestStatus")
def update_interest_status(ctx: Context) -> Any:
    data = ctx.data
    leads = _find_by_email(ctx, data["lead_email"], data.get("campaign_id"), data.get("list_id"))
    if not leads:
        raise not_found("Lead not found")
    changes = {"lt_interest_status": data["interest_value"], "timestamp_last_interest_change": now_iso()}
    for lead in leads:
        enter_matching_subsequence(ctx, crud.update(ctx.store, _resource(ctx), lead, changes))
    return {"message": "Lead interest status update background job submitted"}


@handles("bulkAssignLeads")
def bulk_assign(ctx: Context) -> Any:
    members = {m.get("user_id") for m in ctx.store.all("workspace-members")} | {ctx.workspace["owner"]}
    user_ids = ctx.data["organization_user_ids"]
    if any(user_id not in members for user_id in user_ids):
        raise SandboxHttpError(400, "Invalid ID on `organization_user_ids` field")
    leads = select(ctx, {k: v for k, v in ctx.data.items() if k != "assigned_to"})
    if ctx.data.get("assigned_to"):
        leads = [lead for lead in leads if lead.get("_assigned_to") == ctx.data["assigned_to"]]
    if ctx.data.get("limit"):
        leads = leads[: ctx.data["limit"]]
    for index, lead in enumerate(leads):
        crud.update(ctx.store, _resource(ctx), lead, {"_assigned_to": user_ids[index % len(user_ids)]})
    return {"status": "accepted", "message": "Your request will be processed in a background job"}


@handles("moveLeadToSubsequence")
def move_to_subsequence(ctx: Context) -> Any:
    resource = _resource(ctx)
    lead = crud.find(ctx.store, resource, ctx.data["id"])
    _require(ctx, SUBSEQUENCES, ctx.data["subsequence_id"], "Subsequence")
    changes = {"subsequence_id": ctx.data["subsequence_id"], "timestamp_added_subsequence": now_iso()}
    return render(crud.update(ctx.store, resource, lead, changes), ctx.op.success_schema)


@handles("removeLeadFromSubsequence")
def remove_from_subsequence(ctx: Context) -> Any:
    resource = _resource(ctx)
    lead = crud.find(ctx.store, resource, ctx.data["id"])
    return render(crud.update(ctx.store, resource, lead, {"subsequence_id": None}), ctx.op.success_schema)


_VERIFICATION_BUCKETS = {
    1: "verified",
    -1: "invalid",
    -2: "risky",
    -3: "catch_all",
    -4: "job_change",
    11: "verification_job_pending_user",
    12: "verification_job_pending_leadfinder",
}


@handles("getVerificationStats")
def verification_stats(ctx: Context) -> Any:
    leads = [lead for lead in ctx.store.all(LEADS) if lead.get("_list_id") == ctx.params["id"]]
    stats = dict.fromkeys(_VERIFICATION_BUCKETS.values(), 0)
    for lead in leads:
        bucket = _VERIFICATION_BUCKETS.get(lead.get("verification_status") or 0)
        if bucket:
            stats[bucket] += 1
    return {"stats": stats, "total_leads": len(leads)}
