"""Warmup analytics computed from the workspace's accounts: each account's warmup score and limit
give a week of daily warmup mail, inbox against spam in the score's proportion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from instantly_mcp.sandbox.context import ACCOUNTS, Context
from instantly_mcp.sandbox.handlers.registry import handles
from instantly_mcp.sandbox.store import Entity

DAYS = 7
DEFAULT_DAILY = 20


@handles("getWarmupAnalytics")
def warmup_analytics(ctx: Context) -> Any:
    """Accounts with no warmup score (never warmed) and emails outside the workspace are left out."""
    accounts = {a["email"]: a for a in ctx.store.all(ACCOUNTS)}
    wanted = [accounts[e] for e in ctx.data.get("emails") or [] if e in accounts]
    scored = [a for a in wanted if isinstance(a.get("stat_warmup_score"), (int, float))]
    daily = {a["email"]: days_of(a) for a in scored}
    return {
        "email_date_data": daily,
        "aggregate_data": {a["email"]: aggregate(daily[a["email"]], a["stat_warmup_score"]) for a in scored},
    }


def days_of(account: Entity) -> dict[str, dict[str, int]]:
    sent = int((account.get("warmup") or {}).get("limit") or DEFAULT_DAILY)
    inbox = round(sent * account["stat_warmup_score"] / 100)
    today = datetime.now(UTC).date()
    return {
        (today - timedelta(days=back)).isoformat(): {
            "sent": sent,
            "landed_inbox": inbox,
            "landed_spam": sent - inbox,
            "received": sent,
        }
        for back in range(DAYS - 1, -1, -1)
    }


def aggregate(days: dict[str, dict[str, int]], score: float) -> dict[str, Any]:
    totals = {
        key: sum(day[key] for day in days.values()) for key in ("sent", "received", "landed_inbox", "landed_spam")
    }
    return {**totals, "health_score": score, "health_score_label": f"{score:g}%"}
