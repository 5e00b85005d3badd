"""Webhook delivery statistics computed from the stored webhook events, and the event types."""

from __future__ import annotations

from typing import Any

from instantly_mcp.sandbox.context import LEAD_LABELS, Context
from instantly_mcp.sandbox.handlers.registry import handles
from instantly_mcp.sandbox.spec import component
from instantly_mcp.sandbox.store import Entity


def _events_in_range(ctx: Context) -> list[Entity]:
    start, end = ctx.query.get("from"), ctx.query.get("to")
    return [
        e
        for e in ctx.store.all("webhook-events")
        if (not start or e["timestamp_created"][:10] >= start[:10])
        and (not end or e["timestamp_created"][:10] <= end[:10])
    ]


@handles("getWebhookEventsSummary")
def webhook_events_summary(ctx: Context) -> Any:
    events = _events_in_range(ctx)
    successful = sum(1 for e in events if e.get("success"))
    total = len(events)
    return {
        "total_events": total,
        "successful_events": successful,
        "failed_events": total - successful,
        "success_rate": round(100 * successful / total, 2) if total else 0,
        "failure_rate": round(100 * (total - successful) / total, 2) if total else 0,
    }


@handles("listWebhookEventTypes")
def webhook_event_types(ctx: Context) -> Any:
    """Every event type the spec lists for a webhook's event_type, then the workspace's custom lead
    labels (which webhooks can subscribe to as well)."""
    listed = component("Webhook")["properties"]["event_type"]["enum"]
    standard = [
        {"id": e, "label": e.replace("_", " ").title(), "type": "standard"} for e in listed if e and e != "all_events"
    ]
    custom = [
        {"id": label["id"], "label": label.get("label", ""), "type": "custom"} for label in ctx.store.all(LEAD_LABELS)
    ]
    return {"event_types": standard + custom}
