"""What a call puts out, counted from the request it would send and from the workspace.

Counted from the validated request body (what actually goes upstream), never from a number the
agent states: leads added, emails sent or scheduled (a reply, a test email to each address, and
each lead added to a live campaign times the steps of its sequence), campaigns activated, and
objects deleted. None means the amount cannot be known (a delete by filter, a campaign whose
status cannot be read): a limit on it then asks a person.
"""

from __future__ import annotations

from typing import Any

from instantly_mcp.calls.pipeline import PreparedCall
from instantly_mcp.catalog.effects import IDLE_STATUSES
from instantly_mcp.gates.summaries import Lookup

Amounts = dict[str, int | None]
# Where a call names its campaign or lead list (the argument), for the rules' where-lists.
CAMPAIGN_ARGUMENTS = ("campaign_id", "campaign", "parent_campaign", "to_campaign_id")
LIST_ARGUMENTS = ("list_id", "to_list_id")
CAMPAIGN_TOOLS = frozenset(
    {"get_campaign", "activate_campaign", "pause_campaign", "update_campaign", "delete_campaign"}
)
LIST_TOOLS = frozenset({"update_lead_list", "delete_lead_list"})


def counters_of(name: str, risk: str) -> tuple[str, ...]:
    """The counters a tool can take, for `policy check`."""
    found = []
    if name in ("add_leads", "create_lead"):
        found += ["leads_added", "emails"]
    if name in ("reply_to_email", "forward_email", "send_test_email"):
        found.append("emails")
    if name == "activate_campaign":
        found.append("campaigns_activated")
    if risk == "destructive" and name.startswith(("delete_", "bulk_delete_")):
        found.append("deletes")
    return tuple(found)


def campaign_of(call: PreparedCall) -> str | None:
    arguments = call.arguments
    if call.op.name in CAMPAIGN_TOOLS or (call.op.path.startswith("/api/v2/campaigns/{id}") and "id" in arguments):
        return _text(arguments.get("id"))
    return next((_text(arguments[a]) for a in CAMPAIGN_ARGUMENTS if arguments.get(a)), None)


def lead_list_of(call: PreparedCall) -> str | None:
    if call.op.name in LIST_TOOLS:
        return _text(call.arguments.get("id"))
    return next((_text(call.arguments[a]) for a in LIST_ARGUMENTS if call.arguments.get(a)), None)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def leads_in(call: PreparedCall) -> int:
    body = call.request.body if isinstance(call.request.body, dict) else {}
    if call.op.name == "add_leads":
        leads = body.get("leads")
        return len(leads) if isinstance(leads, list) else 0
    return 1 if call.op.name == "create_lead" else 0


async def amounts_of(call: PreparedCall, counted: frozenset[str], lookup: Lookup) -> Amounts:
    """The amounts of the `counted` counters this call takes (zero ones left out)."""
    body = call.request.body if isinstance(call.request.body, dict) else {}
    name = call.op.name
    found: Amounts = {}
    leads = leads_in(call)
    if "leads_added" in counted and leads:
        found["leads_added"] = leads
    if "emails" in counted:
        emails = await emails_of(call, body, leads, lookup)
        if emails != 0:
            found["emails"] = emails
    if "campaigns_activated" in counted and name == "activate_campaign":
        found["campaigns_activated"] = 1
    if "deletes" in counted and call.op.risk == "destructive" and name.startswith(("delete_", "bulk_delete_")):
        found["deletes"] = deletes_of(body or dict(call.request.query))
    return found


async def emails_of(call: PreparedCall, body: dict[str, Any], leads: int, lookup: Lookup) -> int | None:
    name = call.op.name
    if name in ("reply_to_email", "forward_email"):
        return 1
    if name == "send_test_email":
        to = body.get("to_address_email_list")
        return len([a for a in str(to or "").split(",") if a.strip()]) or 1
    if leads and (campaign := campaign_of(call)) is not None:
        return await scheduled_by_leads(campaign, leads, lookup)
    return 0


async def scheduled_by_leads(campaign_id: str, leads: int, lookup: Lookup) -> int | None:
    """Each lead added to a live campaign gets every step of its sequence; none on an idle one."""
    found = await lookup("get_campaign", {"id": campaign_id})
    status = found.get("status") if isinstance(found, dict) else None
    if isinstance(status, bool) or not isinstance(status, (int, float)):
        return None
    if int(status) in IDLE_STATUSES:
        return 0
    sequences = found.get("sequences") if isinstance(found, dict) else None
    steps = (
        sequences[0].get("steps")
        if isinstance(sequences, list) and sequences and isinstance(sequences[0], dict)
        else None
    )
    return leads * len(steps) if isinstance(steps, list) and steps else None


def deletes_of(source: dict[str, Any]) -> int | None:
    """One object per call, or as many as the ids it names; a delete by filter cannot be counted."""
    ids = source.get("ids")
    if isinstance(ids, list):
        return len(ids)
    if "limit" in source or any(key in source for key in ("campaign_id", "list_id", "status")):
        limit = source.get("limit")
        return limit if isinstance(limit, int) and not isinstance(limit, bool) else None
    return 1
