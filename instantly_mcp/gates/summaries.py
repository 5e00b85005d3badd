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
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from instantly_mcp.calls.undocumented import shown as undocumented_summary
from instantly_mcp.catalog.effects import row_of
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
MAX_VALUE_CHARS = 60  # a looked-up name; what the call itself sends is shown by in_full
MAX_NESTED_CHARS = 400
DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
DAY_NUMBERS = frozenset("0123456")
BODY_CHARS = 160
MAX_LISTED = 10
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
ADDRESS_SEPARATORS = re.compile(r"[,;\s]+")
CAMPAIGN_RECIPIENTS = ("email_list", "cc_list", "bcc_list")
ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
TAG = re.compile(r"<[^<>]*>")  # [^<>]: each scan stops at the next "<", so the pass stays linear

# tool -> (lookup tool, noun, fields that name the object); the id argument is the lookup's path parameter.
NAMED_TARGETS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "delete_lead": ("get_lead", "lead", ("email", "first_name")),
    "delete_lead_label": ("get_lead_label", "lead label", ("label",)),
    "delete_ai_agent": ("get_ai_agent", "AI agent", ("name",)),
    "delete_webhook": ("get_webhook", "webhook", ("name", "target_hook_url")),
    "delete_campaign_subsequence": ("get_campaign_subsequence", "subsequence", ("name",)),
    "delete_custom_tag": ("get_custom_tag", "custom tag", ("label",)),
    "delete_workspace_member": ("get_workspace_member", "workspace member", ("email", "user_email", "name")),
    "delete_email": ("get_email", "email", ("subject",)),
    "delete_block_list_entry": ("get_block_list_entry", "block list entry", ("bl_value",)),
    "delete_inbox_placement_test": ("get_inbox_placement_test", "inbox placement test", ("name",)),
}


async def summarize(
    op: Operation,
    arguments: dict[str, Any],
    lookup: Lookup,
    *,
    undocumented: tuple[str, ...] = (),
    action: str | None = None,
    renamed_at: float | None = None,
    now: float = 0.0,
) -> str:
    """One or two sentences: the concrete action as a question (`action` when the caller built it, as
    activation.py does), then why it needs a human; then any field sent that the spec does not
    document, with its value, since the person approves it too. `renamed_at`: when this server
    renamed the lead list a delete_lead_list removes (memory.py)."""
    if action is None:
        action = await action_of(op, arguments, lookup, renamed_at, now)
    consequence = TOOL_CONSEQUENCES.get(op.name) or CONSEQUENCES.get(op.risk) or effect_why(op.name)
    extra = undocumented_summary(undocumented, arguments, short) if undocumented else ""
    return clean(" ".join(part for part in (action, extra, consequence) if part))


async def action_of(
    op: Operation, arguments: dict[str, Any], lookup: Lookup, renamed_at: float | None, now: float
) -> str:
    if op.name == "delete_lead_list":
        return await delete_lead_list(arguments, lookup, renamed_at, now)
    writer = WRITERS.get(op.name)
    if writer is not None:
        return await writer(arguments, lookup)
    if op.name in NAMED_TARGETS:
        return await named_target(op, arguments, lookup)
    return generic(op, arguments)


def effect_why(tool: str) -> str:
    """For a write the effects table gates (no risk-class sentence): the table's reviewed reason."""
    row = row_of(tool)
    return row.why if row is not None and row.effects else ""


async def delete_campaign(arguments: dict[str, Any], lookup: Lookup) -> str:
    return f"Delete {await campaign_phrase(arguments['id'], lookup, with_leads=True)}?"


async def delete_lead_list(arguments: dict[str, Any], lookup: Lookup, renamed_at: float | None, now: float) -> str:
    """The count comes from the workspace, and a rename this server made is named: a list's name is the
    agent's to choose ("empty scratch copy - safe to delete")."""
    list_id = arguments["id"]
    target = await list_phrase(list_id, lookup)  # first: a wrong id is refused naming list_lead_lists
    stats = await lookup("get_lead_list_verification_stats", {"id": list_id})
    total = stats.get("total_leads") if isinstance(stats, dict) else None
    holding = f" holding {count(total, 'lead')}" if isinstance(total, int) else " (its lead count could not be read)"
    renamed = ""
    if renamed_at is not None:
        minutes = max(0, int((now - renamed_at) // 60))
        renamed = f", renamed {count(minutes, 'minute')} ago through this server"
    return f"Delete {target}{holding}{renamed}, with its leads?"


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
    target = await campaign_phrase(arguments["id"], lookup, with_leads=True)
    return f"Change {', '.join(k for k in arguments if k != 'id')} of {target}{content_changes(arguments)}?"


async def update_campaign_subsequence(arguments: dict[str, Any], lookup: Lookup) -> str:
    name = text_field(await lookup("get_campaign_subsequence", {"id": arguments["id"]}), "name")
    target = f"subsequence {quoted(name)} (id {arguments['id']})" if name else f"subsequence {arguments['id']}"
    return f"Change {', '.join(k for k in arguments if k != 'id')} of {target}{content_changes(arguments)}?"


def content_changes(arguments: dict[str, Any]) -> str:
    """What the change makes the campaign send, in full: recipients, every step, the schedule, the rest."""
    shown = [f"{key} {audience(addresses(arguments[key]))}" for key in CAMPAIGN_RECIPIENTS if key in arguments]
    shown += [f"{label}: {text}" for label, text in steps(arguments.get("sequences")).items()]
    for key in ("campaign_schedule", "subsequence_schedule"):
        if key in arguments:
            shown.append(f"schedule: {schedule_text(arguments[key])}")
    handled = {"id", "sequences", "campaign_schedule", "subsequence_schedule", *CAMPAIGN_RECIPIENTS}
    shown += [f"{key}={in_full(value)}" for key, value in arguments.items() if key not in handled]
    return f"; {'; '.join(shown)}" if shown else ""


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
    "update_campaign_subsequence": update_campaign_subsequence,
    "delete_campaign": delete_campaign,
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
    """The title plus every argument (path parameters first, then required ones, then the rest), none cut
    where it decides: a URL's host, each item of a list, the text the call writes."""
    required = op.input_schema.get("required") or []
    order = [*op.path_params, *required, *arguments]
    keys = list(dict.fromkeys(k for k in order if k in arguments))
    shown = ", ".join(f"{k}={in_full(arguments[k])}" for k in keys)
    return f"{op.title}: {shown}?" if shown else f"{op.title}?"


def in_full(value: Any) -> str:
    """Text and lists of plain values whole; a nested object up to MAX_NESTED_CHARS, then every URL host and
    address inside it, so a cut never hides where data goes or who is reached."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list) and not any(isinstance(v, (dict, list)) for v in value):
        return "[" + ", ".join(in_full(v) for v in value) + "]"
    text = clean(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    if len(text) <= MAX_NESTED_CHARS:
        return text
    return text[: MAX_NESTED_CHARS - 1] + "…" + deciding_parts(value)


def deciding_parts(value: Any) -> str:
    strings = list(leaf_strings(value))
    hosts = sorted({host for host in (url_host(s) for s in strings) if host})
    found = sorted({clean(s) for s in strings if ADDRESS.fullmatch(s.strip())})
    parts = [f"links to {', '.join(hosts)}"] * bool(hosts) + [f"addresses {', '.join(found)}"] * bool(found)
    return f" ({'; '.join(parts)})" if parts else ""


def leaf_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from leaf_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from leaf_strings(item)


def url_host(text: str) -> str | None:
    if "://" not in text:
        return None
    try:
        return clean(urlsplit(text.strip()).hostname or "") or None
    except ValueError:
        return clean(text)


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


def steps(sequences: Any) -> dict[str, str]:
    """Every step's subject and body start: one entry per step, "step 2 variant B" for further variants."""
    found: dict[str, str] = {}
    first = sequences[0] if isinstance(sequences, list) and sequences and isinstance(sequences[0], dict) else {}
    for number, step in enumerate(first.get("steps") or [], start=1):
        variants = step.get("variants") if isinstance(step, dict) else None
        for index, variant in enumerate(variants or []):
            if not isinstance(variant, dict):
                continue
            label = f"step {number}" + (f" variant {chr(65 + index)}" if index else "")
            subject = quoted(str(variant.get("subject") or ""))
            body = variant.get("body")
            body = body_start(body if isinstance(body, dict) else {"text": body})
            found[label] = f"subject {subject}" + (f", body starting {body}" if body else "")
    return found


def schedule_text(schedule: Any) -> str:
    items = schedule.get("schedules") if isinstance(schedule, dict) else None
    shown = [one_schedule(item) for item in items if isinstance(item, dict)] if isinstance(items, list) else []
    return "; ".join(shown) or "not set"


def one_schedule(item: dict[str, Any]) -> str:
    """ "Mon,Tue 09:00-17:00 Europe/Berlin" """
    days = item.get("days")
    on = (
        [DAYS[int(d)] for d, enabled in sorted(days.items()) if enabled and str(d) in DAY_NUMBERS]
        if isinstance(days, dict)
        else []
    )
    timing = item.get("timing")
    hours = f"{timing.get('from', '?')}-{timing.get('to', '?')}" if isinstance(timing, dict) else "?"
    return clean(f"{','.join(on) or 'no days'} {hours} {item.get('timezone', '')}")


def listed(items: list[str]) -> str:
    return ", ".join(items) if items else "none"
