"""What a gated call will do, in words a human can judge: names and counts, not bare ids.

Built from the validated arguments plus a few read-only lookups through the same client. A lookup
that fails or is not allowed only makes the sentence plainer; it never blocks the confirmation.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from instantly_mcp.catalog.operations import Operation

Lookup = Callable[[str, dict[str, Any]], Awaitable[Any]]
Writer = Callable[[dict[str, Any], Lookup], Awaitable[str]]

CONSEQUENCES = {
    "destructive": "This cannot be undone.",
    "outbound": "This reaches people or spends money or credits outside the workspace; it cannot be taken back.",
}
# Where the risk class's sentence would overstate or misstate what follows.
TOOL_CONSEQUENCES = {
    "schedule_workspace_removal": "Until the removal date, cancel_workspace_removal can still stop it.",
    "change_workspace_owner": "Only the new owner can hand ownership back.",
    "move_leads": "Check the selection first: it changes where every matching lead lives.",
}
MAX_VALUE_CHARS = 60
MAX_GENERIC_ARGUMENTS = 6

# tool -> (lookup tool, noun, fields that name the object); the id argument is the lookup's path parameter.
NAMED_TARGETS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "delete_lead": ("get_lead", "lead", ("email", "first_name")),
    "delete_lead_list": ("get_lead_list", "lead list", ("name",)),
    "delete_lead_label": ("get_lead_label", "lead label", ("label",)),
    "delete_ai_agent": ("get_ai_agent", "AI agent", ("name",)),
    "delete_webhook": ("get_webhook", "webhook", ("name", "target_hook_url")),
    "delete_campaign_subsequence": ("get_campaign_subsequence", "subsequence", ("name",)),
    "resume_subsequence": ("get_campaign_subsequence", "subsequence", ("name",)),
    "delete_custom_tag": ("get_custom_tag", "custom tag", ("label",)),
    "delete_workspace_member": ("get_workspace_member", "workspace member", ("email", "user_email", "name")),
    "delete_email": ("get_email", "email", ("subject",)),
    "delete_block_list_entry": ("get_block_list_entry", "block list entry", ("bl_value",)),
    "delete_inbox_placement_test": ("get_inbox_placement_test", "inbox placement test", ("name",)),
}


async def summarize(op: Operation, arguments: dict[str, Any], lookup: Lookup) -> str:
    """One or two sentences: the concrete action as a question, then why it needs a human."""
    writer = WRITERS.get(op.name)
    if writer is not None:
        action = await writer(arguments, lookup)
    elif op.name in NAMED_TARGETS:
        action = await named_target(op, arguments, lookup)
    else:
        action = generic(op, arguments)
    consequence = TOOL_CONSEQUENCES.get(op.name) or CONSEQUENCES.get(op.risk, "")
    return f"{action} {consequence}".strip()


async def delete_campaign(arguments: dict[str, Any], lookup: Lookup) -> str:
    return f"Delete {await campaign_phrase(arguments['id'], lookup, with_leads=True)}?"


async def activate_campaign(arguments: dict[str, Any], lookup: Lookup) -> str:
    campaign_id = arguments["id"]
    phrase = await campaign_phrase(campaign_id, lookup, with_leads=False)
    leads = await campaign_lead_count(campaign_id, lookup)
    audience = f"its {leads:,} leads" if leads is not None else "its leads"
    return f"Activate {phrase}? It starts emailing {audience} on the campaign schedule.{await no_senders(campaign_id, lookup)}"


async def no_senders(campaign_id: str, lookup: Lookup) -> str:
    """A warning when the campaign has no sending account: Instantly refuses to activate it."""
    campaign = await lookup("get_campaign", {"id": campaign_id})
    if isinstance(campaign, dict) and "email_list" in campaign and not campaign["email_list"]:
        return (" WARNING: it has no sending accounts (email_list is empty), so Instantly will refuse it; "
                "attach accounts with update_campaign(email_list=[...]) first.")
    return ""


async def reply_to_email(arguments: dict[str, Any], lookup: Lookup) -> str:
    original = await lookup("get_email", {"id": arguments["reply_to_uuid"]})
    recipient = text_field(original, "lead", "from_address_email")
    recipients = [recipient or f"the sender of email {arguments['reply_to_uuid']}"]
    recipients += [str(r) for r in arguments.get("additional_recipients") or []]
    return (
        f"Send a reply from {arguments['eaccount']} to {', '.join(recipients)}{copies(arguments)} "
        f"with subject {quoted(arguments['subject'])}?"
    )


async def forward_email(arguments: dict[str, Any], lookup: Lookup) -> str:
    original = await lookup("get_email", {"id": arguments["reply_to_uuid"]})
    subject = text_field(original, "subject")
    what = f"the email {quoted(subject)}" if subject else f"email {arguments['reply_to_uuid']}"
    return (
        f"Forward {what} from {arguments['eaccount']} to {arguments['to_address_email_list']}{copies(arguments)} "
        f"with subject {quoted(arguments['subject'])}?"
    )


async def send_test_email(arguments: dict[str, Any], lookup: Lookup) -> str:
    return (
        f"Send a test email from {arguments['eaccount']} to {arguments['to_address_email_list']} "
        f"with subject {quoted(arguments['subject'])}?"
    )


async def verify_email(arguments: dict[str, Any], lookup: Lookup) -> str:
    return f"Verify the address {arguments['email']}, spending one email verification credit?"


async def merge_leads(arguments: dict[str, Any], lookup: Lookup) -> str:
    source = await lead_phrase(arguments["lead_id"], lookup)
    destination = await lead_phrase(arguments["destination_lead_id"], lookup)
    return f"Merge {source} into {destination}? The first lead is folded into the second and removed."


async def delete_leads(arguments: dict[str, Any], lookup: Lookup) -> str:
    limit = arguments.get("limit")
    ids = arguments.get("ids") or []
    how_many = f"up to {limit:,} leads" if isinstance(limit, int) else "all matching leads"
    if ids:
        how_many = f"{len(ids):,} listed leads"
    where = []
    if arguments.get("campaign_id"):
        where.append(f"in {await campaign_phrase(arguments['campaign_id'], lookup, with_leads=True)}")
    if arguments.get("list_id"):
        where.append(f"in {await list_phrase(arguments['list_id'], lookup)}")
    if "status" in arguments:
        where.append(f"with status {arguments['status']}")
    return f"Delete {how_many} {' '.join(where)}".rstrip() + "?"


async def move_leads(arguments: dict[str, Any], lookup: Lookup) -> str:
    verb = "Copy" if arguments.get("copy_leads") else "Move"
    ids = arguments.get("ids") or []
    what = f"{len(ids):,} listed leads" if ids else "the leads matching the given filters"
    source = []
    if arguments.get("campaign"):
        source.append(f"from {await campaign_phrase(arguments['campaign'], lookup, with_leads=False)}")
    if arguments.get("list_id"):
        source.append(f"from {await list_phrase(arguments['list_id'], lookup)}")
    destinations = []
    if arguments.get("to_campaign_id"):
        destinations.append(await campaign_phrase(arguments["to_campaign_id"], lookup, with_leads=False))
    if arguments.get("to_list_id"):
        destinations.append(await list_phrase(arguments["to_list_id"], lookup))
    target = " and ".join(destinations) or "another campaign or list"
    limit = f" (at most {arguments['limit']:,})" if isinstance(arguments.get("limit"), int) else ""
    return f"{verb} {what}{limit} {' '.join(source)} to {target}?".replace("  ", " ")


async def schedule_workspace_removal(arguments: dict[str, Any], lookup: Lookup) -> str:
    return f"Schedule {await workspace_phrase(lookup)} for removal, with all its campaigns, leads and accounts?"


async def change_workspace_owner(arguments: dict[str, Any], lookup: Lookup) -> str:
    return f"Make {arguments['email']} the owner of {await workspace_phrase(lookup)}?"


WRITERS: dict[str, Writer] = {
    "delete_campaign": delete_campaign,
    "activate_campaign": activate_campaign,
    "reply_to_email": reply_to_email,
    "forward_email": forward_email,
    "send_test_email": send_test_email,
    "verify_email": verify_email,
    "merge_leads": merge_leads,
    "delete_leads": delete_leads,
    "move_leads": move_leads,
    "schedule_workspace_removal": schedule_workspace_removal,
    "change_workspace_owner": change_workspace_owner,
}


async def named_target(op: Operation, arguments: dict[str, Any], lookup: Lookup) -> str:
    lookup_tool, noun, name_fields = NAMED_TARGETS[op.name]
    id_name = op.path_params[-1]
    target_id = arguments[id_name]
    name = text_field(await lookup(lookup_tool, {id_name: target_id}), *name_fields)
    verb = op.title.split(" ", 1)[0]
    target = f"{noun} {quoted(name)} ({id_name} {target_id})" if name else f"{noun} {target_id}"
    return f"{verb} {target}?"


async def campaign_phrase(campaign_id: str, lookup: Lookup, *, with_leads: bool) -> str:
    name = text_field(await lookup("get_campaign", {"id": campaign_id}), "name")
    phrase = f"campaign {quoted(name)} (id {campaign_id})" if name else f"campaign {campaign_id}"
    if with_leads:
        leads = await campaign_lead_count(campaign_id, lookup)
        if leads is not None:
            phrase += f" with {leads:,} leads"
    return phrase


async def campaign_lead_count(campaign_id: str, lookup: Lookup) -> int | None:
    rows = await lookup("get_campaign_analytics", {"id": campaign_id})
    row = rows[0] if isinstance(rows, list) and rows and isinstance(rows[0], dict) else rows
    count = row.get("leads_count") if isinstance(row, dict) else None
    return count if isinstance(count, int) else None


async def list_phrase(list_id: str, lookup: Lookup) -> str:
    name = text_field(await lookup("get_lead_list", {"id": list_id}), "name")
    return f"lead list {quoted(name)} (id {list_id})" if name else f"lead list {list_id}"


async def lead_phrase(lead_id: str, lookup: Lookup) -> str:
    email = text_field(await lookup("get_lead", {"id": lead_id}), "email")
    return f"lead {email} (id {lead_id})" if email else f"lead {lead_id}"


async def workspace_phrase(lookup: Lookup) -> str:
    workspace = await lookup("get_workspace", {})
    name = text_field(workspace, "name")
    return f"workspace {quoted(name)}" if name else "the current workspace"


def copies(arguments: dict[str, Any]) -> str:
    parts = [f"{label} {arguments[key]}" for key, label in (("cc_address_email_list", "cc"), ("bcc_address_email_list", "bcc")) if arguments.get(key)]
    return f" ({', '.join(parts)})" if parts else ""


def generic(op: Operation, arguments: dict[str, Any]) -> str:
    """The title plus the arguments that identify what is hit: path parameters, then required ones, then the rest."""
    required = op.input_schema.get("required") or []
    order = [*op.path_params, *required, *arguments]
    keys = list(dict.fromkeys(k for k in order if k in arguments))[:MAX_GENERIC_ARGUMENTS]
    shown = ", ".join(f"{k}={short(arguments[k])}" for k in keys)
    return f"{op.title}: {shown}?" if shown else f"{op.title}?"


def short(value: Any) -> str:
    if isinstance(value, list) and len(value) > 3:
        return f"[{len(value):,} items]"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def quoted(text: str) -> str:
    return "'" + short(text) + "'"


def text_field(data: Any, *names: str) -> str | None:
    if not isinstance(data, dict):
        return None
    for name in names:
        value = data.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None
