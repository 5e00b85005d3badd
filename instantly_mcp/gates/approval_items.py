"""A gated call as an approval page shows it: who it reaches, what it says, how much it touches,
and the exact request the dry run would show."""

from __future__ import annotations

import json
from typing import Any

from instantly_mcp.calls.pipeline import PreparedCall
from instantly_mcp.gates.approvals import ApprovalItem, call_digest
from instantly_mcp.gates.summaries import Lookup, text_field

RECIPIENT_FIELDS = {
    "to_address_email_list": "To",
    "additional_recipients": "Also to",
    "cc_address_email_list": "Cc",
    "bcc_address_email_list": "Bcc",
    "email": "Address",
    "eaccount": "From account",
}
COUNTED_FIELDS = {"ids": "Listed items", "leads": "Leads", "emails": "Emails", "limit": "At most"}
BODY_START_CHARS = 400


def approval_item(
    call: PreparedCall, summary: str, request: dict[str, Any], looked_up: list[tuple[str, str]] | None = None
) -> ApprovalItem:
    return ApprovalItem(
        tool=call.op.name,
        title=call.op.title,
        summary=summary,
        details=tuple((looked_up or []) + details(call.arguments)),
        request=json.dumps(request, indent=2, ensure_ascii=False),
        digest=call_digest(call.op.name, call.arguments),
    )


async def reply_recipient(call: PreparedCall, lookup: Lookup) -> list[tuple[str, str]]:
    """A reply goes to the sender of the email it answers, which only a lookup names."""
    if call.op.name != "reply_to_email":
        return []
    original = await lookup("get_email", {"id": call.arguments["reply_to_uuid"]})
    recipient = text_field(original, "lead", "from_address_email")
    return [("To", recipient)] if recipient else []


def details(arguments: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [(label, as_text(arguments[key])) for key, label in RECIPIENT_FIELDS.items() if arguments.get(key)]
    if arguments.get("subject"):
        rows.append(("Subject", as_text(arguments["subject"])))
    body = body_text(arguments.get("body"))
    if body:
        cut = body if len(body) <= BODY_START_CHARS else body[:BODY_START_CHARS] + "…"
        rows.append(("Body (start)", cut))
    for key, label in COUNTED_FIELDS.items():
        value = arguments.get(key)
        if isinstance(value, list):
            rows.append((label, f"{len(value):,}"))
        elif isinstance(value, int) and not isinstance(value, bool):
            rows.append((label, f"{value:,}"))
    return rows


def body_text(body: Any) -> str:
    if isinstance(body, dict):
        body = body.get("text") or body.get("html")
    return body.strip() if isinstance(body, str) else ""


def as_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(as_text(v) for v in value)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
