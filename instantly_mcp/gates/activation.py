"""What an activation sends, and what changed since the campaign or subsequence last ran.

An agent can pause a campaign, change its bcc, sequences and leads while it is paused (none of which
emails anyone), then ask to activate it. So the activation question shows the content that goes out
(senders, cc/bcc, every step's subject and body start, the lead count, the schedule) and the parts
that differ from the content a person last approved or that was live when this server paused it.
That content is kept per workspace in the approvals store (memory, or Redis shared by replicas).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Literal

from instantly_mcp.gates.confirm import canonical_json
from instantly_mcp.gates.memory import WorkspaceMemory
from instantly_mcp.gates.summaries import (
    Lookup,
    addresses,
    campaign_lead_count,
    clean,
    listed,
    quoted,
    schedule_text,
    steps,
    text_field,
)

Kind = Literal["campaign", "subsequence"]
ACTIVATIONS: dict[str, Kind] = {"activate_campaign": "campaign", "resume_subsequence": "subsequence"}
# Kept before these run: the content that was live until this server paused it.
PAUSES: dict[str, Kind] = {"pause_campaign": "campaign", "pause_subsequence": "subsequence"}
LOOKUPS: dict[Kind, str] = {"campaign": "get_campaign", "subsequence": "get_campaign_subsequence"}
Content = dict[str, str]  # part -> what it says, as a person reads it
CONTENT = "_content_sha256"  # in an activation's confirmation binding only, never sent
NO_SENDERS = (
    "WARNING: it has no sending accounts (email_list is empty), so Instantly will refuse it; "
    "attach accounts with update_campaign(email_list=[...]) first."
)


async def content(kind: Kind, target_id: str, lookup: Lookup) -> Content | None:
    """What the campaign or subsequence sends, part by part, as a person reads it; None when unknown."""
    found = await lookup(LOOKUPS[kind], {"id": target_id})
    if not isinstance(found, dict):
        return None
    campaign = found
    if kind == "subsequence" and found.get("parent_campaign"):
        parent = await lookup("get_campaign", {"id": found["parent_campaign"]})
        campaign = parent if isinstance(parent, dict) else {}
    parts: Content = {
        "senders": listed(addresses(campaign.get("email_list"))),
        "cc": listed(addresses(campaign.get("cc_list"))),
        "bcc": listed(addresses(campaign.get("bcc_list"))),
    }
    parts |= steps(found.get("sequences"))
    schedule = found.get("campaign_schedule") if kind == "campaign" else found.get("subsequence_schedule")
    parts["schedule"] = schedule_text(schedule)
    if kind == "campaign":
        leads = await campaign_lead_count(target_id, lookup)
        parts["leads"] = f"{leads:,}" if leads is not None else "unknown"
    else:
        parts["conditions"] = clean(json.dumps(found.get("conditions") or {}, ensure_ascii=False))
    return parts


async def digest(tool: str, arguments: Mapping[str, Any], lookup: Lookup) -> str:
    """The sha256 of what the activation sends now ("unknown" when it cannot be read)."""
    now = await content(ACTIVATIONS[tool], str(arguments["id"]), lookup)
    return hashlib.sha256(canonical_json(now).encode()).hexdigest() if now is not None else "unknown"


async def question(tool: str, arguments: Mapping[str, Any], lookup: Lookup, seen: WorkspaceMemory | None) -> str:
    """The activation as a question: the target, everything that goes out, and what changed."""
    kind = ACTIVATIONS[tool]
    target_id = str(arguments["id"])
    now = await content(kind, target_id, lookup)
    name = text_field(await lookup(LOOKUPS[kind], {"id": target_id}), "name")
    target = f"{kind} {quoted(name)} (id {target_id})" if name else f"{kind} {target_id}"
    verb = "Activate" if kind == "campaign" else "Resume"
    if now is None:
        return f"{verb} {target}? Its content could not be read, so it cannot be shown."
    audience = f"its {now['leads']} leads" if kind == "campaign" and now["leads"] != "unknown" else "its leads"
    shown = "; ".join(f"{part}: {value}" for part, value in now.items())
    warning = f" {NO_SENDERS}" if kind == "campaign" and now["senders"] == "none" else ""
    return (
        f"{verb} {target}? It starts emailing {audience}. {shown}. {await changes(kind, target_id, now, seen)}{warning}"
    )


async def remember(
    tool: str, arguments: Mapping[str, Any], lookup: Lookup, seen: WorkspaceMemory, *, sent: bool
) -> None:
    """Before a pause (sent=False) the content that was live; after an approved activation ran (sent=True)
    the content now live. Either is what the next activation's question compares against."""
    kind = (ACTIVATIONS if sent else PAUSES).get(tool)
    if kind is not None and arguments.get("id"):
        now = await content(kind, str(arguments["id"]), lookup)
        if now is not None:
            await seen.keep(kind, str(arguments["id"]), now)


async def changes(kind: Kind, target_id: str, now: Content, seen: WorkspaceMemory | None) -> str:
    before = await seen.recall(kind, target_id) if seen is not None else None
    if before is None:
        return "This server has no record of it running before, so changes cannot be shown."
    changed = [f"{part} (was {before.get(part, 'absent')})" for part in now if before.get(part) != now[part]]
    changed += [f"{part} removed (was {value})" for part, value in before.items() if part not in now]
    if not changed:
        return "Nothing changed since it last ran."
    return "CHANGED since it last ran: " + "; ".join(changed) + "."
