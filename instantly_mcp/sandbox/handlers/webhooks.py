"""Webhook delivery statistics computed from the stored webhook events."""

from __future__ import annotations

from typing import Any

from instantly_mcp.sandbox.context import Context
from instantly_mcp.sandbox.handlers.registry import handles
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
