"""A lead's new interest status starts a running subsequence whose conditions.crm_status lists it.

Instantly moves the lead into that subsequence and its first step goes out; the sandbox records the
email at once (ue_type 1, sent from a campaign), so a test sees in the Unibox what the change sent.
"""

from __future__ import annotations

from typing import Any

from instantly_mcp.sandbox import crud
from instantly_mcp.sandbox.context import ACCOUNTS, CAMPAIGNS, SUBSEQUENCES, Context
from instantly_mcp.sandbox.store import Entity
from instantly_mcp.sandbox.synth import new_id, now_iso

SENDING_CAMPAIGN = frozenset({1, 4})  # active, or running its subsequences
RUNNING = 1
SENT_FROM_CAMPAIGN = 1


def enter_matching_subsequence(ctx: Context, lead: Entity) -> Entity:
    """The lead as it now is: moved into the first running subsequence its status matches, emailed its first step."""
    campaign = ctx.store.get(CAMPAIGNS, lead.get("campaign") or "")
    status = lead.get("lt_interest_status")
    if campaign is None or campaign.get("status") not in SENDING_CAMPAIGN or status is None:
        return lead
    for subsequence in ctx.store.all(SUBSEQUENCES):
        if _starts(subsequence, campaign["id"], status) and lead.get("subsequence_id") != subsequence["id"]:
            entered = {"subsequence_id": subsequence["id"], "timestamp_added_subsequence": now_iso()}
            lead = crud.update(ctx.store, ctx.resource("/api/v2/leads"), lead, entered)
            _send_first_step(ctx, campaign, subsequence, lead)
            break
    return lead


def _starts(subsequence: Entity, campaign_id: str, status: Any) -> bool:
    conditions = subsequence.get("conditions") or {}
    return (
        subsequence.get("parent_campaign") == campaign_id
        and subsequence.get("status") == RUNNING
        and status in (conditions.get("crm_status") or [])
    )


def _send_first_step(ctx: Context, campaign: Entity, subsequence: Entity, lead: Entity) -> None:
    steps = [step for sequence in subsequence.get("sequences") or [] for step in sequence.get("steps") or []]
    variant = next((v for step in steps for v in step.get("variants") or []), None)
    if variant is None:
        return
    senders = [a for a in campaign.get("email_list") or [] if ctx.store.get(ACCOUNTS, a.lower()) is not None]
    sender = senders[0] if senders else ctx.store.all(ACCOUNTS)[0]["email"]
    text = str(variant.get("body") or "")
    email = {
        "id": new_id(),
        "timestamp_email": now_iso(),
        "message_id": f"<{new_id()}@mail.sandbox.instantly.ai>",
        "subject": variant.get("subject"),
        "from_address_email": sender,
        "to_address_email_list": lead["email"],
        "body": {"text": text},
        "campaign_id": campaign["id"],
        "subsequence_id": subsequence["id"],
        "lead": lead["email"],
        "lead_id": lead["id"],
        "eaccount": sender,
        "ue_type": SENT_FROM_CAMPAIGN,
        "step": 0,
        "is_unread": 0,
        "is_focused": 1,
        "thread_id": new_id(),
        "content_preview": text[:100],
    }
    crud.create(ctx.store, ctx.resource("/api/v2/emails"), email, ctx.workspace_id)
