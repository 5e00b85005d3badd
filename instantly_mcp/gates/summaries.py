"""What a gated call will do, in words a human can judge: names and counts, not bare ids.

Built from the validated arguments plus a few read-only lookups through the same client. A lookup
that fails or is not allowed only makes the sentence plainer; one that finds no such object (404)
raises TargetNotFound, since nobody should be asked to approve a call that cannot succeed.
What the agent wrote is shown cleaned (no control or bidi characters) and, where it decides who is
reached, in full: every recipient, the subject, the start of the body, the number of leads.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Awaitable, Callable
from typing import Any

from instantly_mcp.calls.undocumented import shown as undocumented_summary
from instantly_mcp.catalog.operations import Operation

Lookup = Callable[[str, dict[str, Any]], Awaitable[Any]]


Writer = Callable[[dict[str, Any], Lookup], Awaitable[str]]

CONSEQUENCES = {
    "destructive": "This cannot be undone.",
    "outbound": "This reaches people or spends money or credits outside the workspace; it cannot be taken back.",
    "privileged": "This hands out access to the workspace or sends its data outside it.",
}
LIVE_OR_UNKNOWN = "live, or its state could not be checked"
# Where the risk class's sentence would overstate or misstate what follows.
TOOL_CONSEQUENCES = {
    "schedule_workspace_removal": "Until the removal date, cancel_workspace_removal can still stop it.",
    "change_workspace_owner": "Only the new owner can hand ownership back.",
    "move_leads": "Check the selection first: it changes where every matching lead lives.",
    "add_leads": f"The campaign is {LIVE_OR_UNKNOWN}: these leads start getting its emails.",
    "create_lead": f"The campaign is {LIVE_OR_UNKNOWN}: the lead starts getting its emails.",
    "move_lead_to_subsequence": f"The subsequence is {LIVE_OR_UNKNOWN}: the lead starts getting its emails.",
    "update_campaign": f"The campaign is {LIVE_OR_UNKNOWN}: the change applies to the emails it sends from now on.",
    "update_campaign_subsequence": (
        f"The subsequence is {LIVE_OR_UNKNOWN}: the change applies to what it sends from now on."
    ),
    "create_campaign_subsequence": (
        f"The campaign is {LIVE_OR_UNKNOWN}: its leads that match the conditions start getting these emails."
    ),
}
MAX_VALUE_CHARS = 60
MAX_GENERIC_ARGUMENTS = 6
BODY_CHARS = 160
MAX_LISTED = 10
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
ADDRESS_SEPARATORS = re.compile(r"[,;\s]+")
TAG = re.compile(r"<[^<>]*>")  # [^<>]: each scan stops at the next "<", so the pass stays linear

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


async def summarize(
    op: Operation, arguments: dict[str, Any], lookup: Lookup, *, undocumented: tuple[str, ...] = ()
) -> str:
    """One or two sentences: the concrete action as a question, then why it needs a human; then any
    field sent that the spec does not document, with its value, since the person approves it too."""
    writer = WRITERS.get(op.name)
    if writer is not None:
        action = await writer(arguments, lookup)
    elif op.name in NAMED_TARGETS:
        action = await named_target(op, arguments, lookup)
    else:
        action = generic(op, arguments)
    consequence = TOOL_CONSEQUENCES.get(op.name) or CONSEQUENCES.get(op.risk, "")
    extra = undocumented_summary(undocumented, arguments, short) if undocumented else ""
    return clean(" ".join(part for part in (action, extra, consequence) if part))


async def delete_campaign(arguments: dict[str, Any], lookup: Lookup) -> str:
    return f"Delete {await campaign_phrase(arguments['id'], lookup, with_leads=True)}?"


async def activate_campaign(arguments: dict[str, Any], lookup: Lookup) -> str:
    campaign_id = arguments["id"]
    phrase = await campaign_phrase(campaign_id, lookup, with_leads=False)
    leads = await campaign_lead_count(campaign_id, lookup)
    audience = f"its {leads:,} leads" if leads is not None else "its leads"
    warning = await no_senders(campaign_id, lookup)
    return f"Activate {phrase}? It starts emailing {audience} on the campaign schedule.{warning}"


async def no_senders(campaign_id: str, lookup: Lookup) -> str:
    """A warning when the campaign has no sending account: Instantly refuses to activate it."""
    campaign = await lookup("get_campaign", {"id": campaign_id})
    if isinstance(campaign, dict) and "email_list" in campaign and not campaign["email_list"]:
        return (
            " WARNING: it has no sending accounts (email_list is empty), so Instantly will refuse it; "
            "attach accounts with update_campaign(email_list=[...]) first."
        )
    return ""


async def reply_to_email(arguments: dict[str, Any], lookup: Lookup) -> str:
    original = await lookup("get_email", {"id": arguments["reply_to_uuid"]})
    recipient = text_field(original, "lead", "from_address_email")
    sender = recipient or f"the sender of email {arguments['reply_to_uuid']}"
    to = [sender, *addresses(arguments.get("additional_recipients"))]
    return f"Send a reply from {arguments['eaccount']} {email_parts(to, arguments)}?"


async def forward_email(arguments: dict[str, Any], lookup: Lookup) -> str:
    original = await lookup("get_email", {"id": arguments["reply_to_uuid"]})
    subject = text_field(original, "subject")
    what = f"the email {quoted(subject)}" if subject else f"email {arguments['reply_to_uuid']}"
    to = addresses(arguments.get("to_address_email_list"))
    return f"Forward {what} from {arguments['eaccount']} {email_parts(to, arguments)}?"


async def send_test_email(arguments: dict[str, Any], lookup: Lookup) -> str:
    to = addresses(arguments.get("to_address_email_list"))
    return f"Send a test email from {arguments['eaccount']} {email_parts(to, arguments)}?"


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


async def add_leads(arguments: dict[str, Any], lookup: Lookup) -> str:
    leads = [lead for lead in arguments.get("leads") or [] if isinstance(lead, dict)]
    emails = [str(lead.get("email")) for lead in leads if lead.get("email")]
    return f"Add {count(len(leads), 'lead')}{listing(emails)} to {await destination(arguments, 'campaign_id', lookup)}?"


async def create_lead(arguments: dict[str, Any], lookup: Lookup) -> str:
    who = arguments.get("email") or "a lead without an email address"
    return f"Add the lead {who} to {await destination(arguments, 'campaign', lookup)}?"


async def move_lead_to_subsequence(arguments: dict[str, Any], lookup: Lookup) -> str:
    subsequence_id = arguments["subsequence_id"]
    name = text_field(await lookup("get_campaign_subsequence", {"id": subsequence_id}), "name")
    target = f"subsequence {quoted(name)} (id {subsequence_id})" if name else f"subsequence {subsequence_id}"
    return f"Move {await lead_phrase(arguments['id'], lookup)} into {target}?"


async def update_campaign(arguments: dict[str, Any], lookup: Lookup) -> str:
    changes = [key for key in arguments if key != "id"]
    copied = [f"{key} {audience(addresses(arguments[key]))}" for key in ("cc_list", "bcc_list") if key in arguments]
    extra = f"; {'; '.join(copied)}" if copied else ""
    return f"Change {', '.join(changes)} of {await campaign_phrase(arguments['id'], lookup, with_leads=True)}{extra}?"


async def destination(arguments: dict[str, Any], campaign_key: str, lookup: Lookup) -> str:
    if arguments.get(campaign_key):
        return await campaign_phrase(arguments[campaign_key], lookup, with_leads=False)
    if arguments.get("list_id"):
        return await list_phrase(arguments["list_id"], lookup)
    return "the workspace"


def count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'s' if n != 1 else ''}"


def listing(items: list[str]) -> str:
    shown = ", ".join(clean(item) for item in items[:MAX_LISTED])
    more = f" and {len(items) - MAX_LISTED:,} more" if len(items) > MAX_LISTED else ""
    return f" ({shown}{more})" if items else ""


WRITERS: dict[str, Writer] = {
    "add_leads": add_leads,
    "create_lead": create_lead,
    "move_lead_to_subsequence": move_lead_to_subsequence,
    "update_campaign": update_campaign,
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


def email_parts(to: list[str], arguments: dict[str, Any]) -> str:
    """Every recipient in full (To, cc, bcc, reply-to), the subject and the start of the body."""
    parts = [f"to {audience(to)}"]
    for key, label in (("cc_address_email_list", "cc"), ("bcc_address_email_list", "bcc"), ("reply_to", "replies to")):
        found = addresses(arguments.get(key))
        if found:
            parts.append(f"{label} {audience(found)}")
    parts.append(f"subject {quoted(str(arguments.get('subject') or ''))}")
    body = body_start(arguments.get("body"))
    if body:
        parts.append(f"body starting {body}")
    return ", ".join(parts)


def addresses(value: Any) -> list[str]:
    """Each address of a comma-separated string or a list, cleaned; nothing is cut."""
    items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
    found = [clean(part) for item in items if isinstance(item, str) for part in ADDRESS_SEPARATORS.split(item)]
    return [part for part in found if part]


def audience(recipients: list[str]) -> str:
    count = f"{len(recipients):,} recipient{'s' if len(recipients) != 1 else ''}"
    return f"{count} ({', '.join(recipients)})" if recipients else "no recipients"


def body_start(body: Any) -> str | None:
    """The text of the body (HTML tags dropped), quoted up to BODY_CHARS."""
    if not isinstance(body, dict):
        return None
    text = body.get("text") if isinstance(body.get("text"), str) else body.get("html")
    if not isinstance(text, str):
        return None
    plain = clean(html.unescape(TAG.sub(" ", text)))
    if not plain:
        return None
    return "'" + (plain if len(plain) <= BODY_CHARS else plain[: BODY_CHARS - 1] + "…") + "'"


def clean(text: str) -> str:
    """Control, format (bidi overrides, zero-width) and line/paragraph separator characters become
    spaces, and runs of spaces one, so a value cannot hide what follows it or reorder what is shown."""
    shown = "".join(" " if unicodedata.category(ch) in HIDDEN_CATEGORIES else ch for ch in text)
    return " ".join(shown.split())


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
    text = clean(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":")))
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
