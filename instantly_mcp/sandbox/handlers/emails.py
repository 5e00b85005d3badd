"""Unibox emails: filtering, replying and forwarding within threads, read state, test sends."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any, cast

from instantly_mcp.sandbox import crud
from instantly_mcp.sandbox.context import ACCOUNTS, EMAILS, LEADS, Context
from instantly_mcp.sandbox.errors import SandboxHttpError, bad_request, not_found
from instantly_mcp.sandbox.handlers.registry import handles
from instantly_mcp.sandbox.resources import Resource
from instantly_mcp.sandbox.store import Entity
from instantly_mcp.sandbox.synth import new_id, now_iso, render

SENT_FROM_CAMPAIGN, RECEIVED, SENT, SCHEDULED = 1, 2, 3, 4
_EMAIL_TYPES = {"received": (RECEIVED,), "sent": (SENT_FROM_CAMPAIGN, SENT), "manual": (SENT,)}
_MODES = {"emode_focused": 1, "emode_others": 0}


def _resource(ctx: Context) -> Resource:
    return ctx.resource("/api/v2/emails")


def _csv(value: str | None) -> list[str]:
    return [part.strip().lower() for part in (value or "").split(",") if part.strip()]


def _text_of(body: dict[str, Any]) -> str:
    if body.get("text"):
        return cast(str, body["text"])
    return html.unescape(re.sub(r"<br\s*/?>", "\n", re.sub(r"<(?!br)[^>]+>", "", body.get("html", ""))))


_CHECKS: dict[str, Callable[[Entity, Any], bool]] = {  # query parameter -> does an email pass it, given its value
    "campaign_id": lambda e, v: e.get("campaign_id") == v,
    "list_id": lambda e, v: e.get("list_id") == v,
    "i_status": lambda e, v: e.get("i_status") == v,
    "eaccount": lambda e, v: (e.get("eaccount") or "").lower() in _csv(v),
    "is_unread": lambda e, v: bool(e.get("is_unread")) == v,
    "has_reminder": lambda e, v: (e.get("reminder_ts") is not None) == v,
    "mode": lambda e, v: v not in _MODES or (e.get("is_focused") or 0) == _MODES[v],
    "scheduled_only": lambda e, v: not v or e.get("ue_type") == SCHEDULED,
    "assigned_to": lambda e, v: e.get("_assigned_to") == v,
    "lead": lambda e, v: (e.get("lead") or "").lower() == v.lower(),
    "company_domain": lambda e, v: (e.get("lead") or "").lower().endswith("@" + v.lower()),
    "marked_as_done": lambda e, v: bool(e.get("_done")) == v,
    "email_type": lambda e, v: e.get("ue_type") in _EMAIL_TYPES[v],
    "min_timestamp_created": lambda e, v: e["timestamp_created"] >= v,
    "max_timestamp_created": lambda e, v: e["timestamp_created"] <= v,
}


def _filtered(ctx: Context) -> list[Entity]:
    q = ctx.query
    emails = _searched(ctx.store.all(EMAILS), (q.get("search") or "").strip())
    for name, check in _CHECKS.items():
        if q.get(name) is not None:
            emails = [e for e in emails if check(e, q[name])]
    return _latest_of_thread(emails) if q.get("latest_of_thread") else emails


def _searched(emails: list[Entity], search: str) -> list[Entity]:
    """`thread:<id>` keeps one thread; other text searches the lead, subject, addresses and preview."""
    if search.startswith("thread:"):
        return [e for e in emails if e.get("thread_id") == search[len("thread:") :]]
    if search:
        return crud.search(
            emails, search, ("lead", "subject", "from_address_email", "to_address_email_list", "content_preview")
        )
    return emails


def _latest_of_thread(emails: list[Entity]) -> list[Entity]:
    latest: dict[str, Entity] = {}
    for email in emails:
        latest[email.get("thread_id") or email["id"]] = email
    return [e for e in emails if latest.get(e.get("thread_id") or e["id"]) is e]


@handles("listEmail")
def list_emails(ctx: Context) -> Any:
    return crud.respond_list(ctx, _resource(ctx), _filtered(ctx), descending=ctx.query.get("sort_order") != "asc")


def _sending_account(ctx: Context, eaccount: str) -> Entity:
    account = ctx.store.get(ACCOUNTS, eaccount.strip().lower())
    if account is None:
        raise bad_request(f"Email account {eaccount} is not connected to this workspace")
    return account


def _touch_lead(ctx: Context, original: Entity) -> None:
    lead = ctx.store.get(LEADS, original.get("lead_id") or "")
    if lead is not None:
        crud.update(ctx.store, ctx.resource("/api/v2/leads"), lead, {"timestamp_last_contact": now_iso()})


def _outgoing(ctx: Context, original: Entity, recipients: str, thread_id: str, body: dict[str, Any]) -> Entity:
    account = _sending_account(ctx, ctx.data["eaccount"])
    now = now_iso()
    text = _text_of(body)
    fields = {
        "id": new_id(),
        "timestamp_email": now,
        "message_id": f"<{new_id()}@mail.sandbox.instantly.ai>",
        "subject": ctx.data["subject"],
        "from_address_email": account["email"],
        "to_address_email_list": recipients,
        "cc_address_email_list": ctx.data.get("cc_address_email_list"),
        "bcc_address_email_list": ctx.data.get("bcc_address_email_list"),
        "reply_to": ctx.data.get("reply_to"),
        "body": {k: v for k, v in {"html": body.get("html"), "text": text}.items() if v},
        "campaign_id": original.get("campaign_id"),
        "list_id": original.get("list_id"),
        "lead": original.get("lead"),
        "lead_id": original.get("lead_id"),
        "eaccount": account["email"],
        "ue_type": SENT,
        "is_unread": 0,
        "is_focused": 1,
        "i_status": original.get("i_status"),
        "thread_id": thread_id,
        "content_preview": text[:100],
        "reminder_ts": ctx.data.get("reminder_ts"),
    }
    if ctx.data.get("assigned_to"):
        fields["_assigned_to"] = ctx.data["assigned_to"]
    return crud.create(ctx.store, _resource(ctx), fields, ctx.workspace_id)


def _original(ctx: Context) -> Entity:
    email = ctx.store.get(EMAILS, ctx.data["reply_to_uuid"])
    if email is None:
        raise not_found("Email not found")
    return email


@handles("replyToEmail")
def reply(ctx: Context) -> Any:
    original = _original(ctx)
    body = ctx.data["body"]
    if not (body.get("html") or body.get("text")):
        raise bad_request("body/body must have property 'html' or 'text'")
    counterpart = (
        original["from_address_email"] if original.get("ue_type") == RECEIVED else original["to_address_email_list"]
    )
    recipients = ",".join([counterpart, *ctx.data.get("additional_recipients", [])])
    email = _outgoing(ctx, original, recipients, original.get("thread_id") or original["id"], body)
    _touch_lead(ctx, original)
    return render(email, ctx.op.success_schema)


@handles("forwardEmail")
def forward(ctx: Context) -> Any:
    original = _original(ctx)
    body = dict(ctx.data.get("body") or {})
    if ctx.data.get("include_original_body"):
        quoted = original.get("body", {}).get("html") or html.escape(original.get("body", {}).get("text", ""))
        header = (
            f"---------- Forwarded message ---------<br/>From: {original.get('from_address_email')}"
            f"<br/>Subject: {original.get('subject')}<br/><br/>"
        )
        body["html"] = (body.get("html") or html.escape(body.get("text", ""))) + "<br/><br/>" + header + quoted
    email = _outgoing(ctx, original, ctx.data["to_address_email_list"], new_id(), body)
    return render(email, ctx.op.success_schema)


@handles("countUnreadEmails")
def count_unread(ctx: Context) -> Any:
    return {"count": sum(1 for e in ctx.store.all(EMAILS) if e.get("is_unread"))}


@handles("markThreadAsRead")
def mark_thread_read(ctx: Context) -> Any:
    thread = [e for e in ctx.store.all(EMAILS) if e.get("thread_id") == ctx.params["thread_id"]]
    if not thread:
        raise not_found("Thread not found")
    for email in thread:
        if email.get("is_unread"):
            ctx.store.put(EMAILS, email["id"], {**email, "is_unread": 0})
    return {"success": True}


@handles("sendTestEmail")
def send_test(ctx: Context) -> Any:
    account = ctx.store.get(ACCOUNTS, ctx.data["eaccount"].strip().lower())
    if account is None:
        return {"error": "ACC_NOT_FOUND"}
    if account.get("status", 1) < 0:
        return {"error": "ACC_AUTH_ERROR"}
    if not _csv(ctx.data["to_address_email_list"]):
        raise SandboxHttpError(400, "body/to_address_email_list must contain at least one recipient")
    return {"status": "success"}
