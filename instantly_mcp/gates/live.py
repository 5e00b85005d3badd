"""Writes that become outbound when their target is live.

Adding a lead to an active campaign, moving one into a running subsequence, changing an active
campaign's sequence or recipients, or giving an active campaign a new subsequence (its leads whose
status matches the conditions start getting its emails) makes email go out; the same call on a draft or paused campaign
only edits the workspace. A read-only lookup of the target decides; when its state cannot be known
(the lookup is hidden from the agent, fails, or answers an unknown status) the call is gated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from instantly_mcp.gates.summaries import Lookup

# Draft, paused and completed send nothing; every other status (active, running subsequences, and
# the automatic pauses that lift on their own) may.
IDLE_STATUSES = frozenset({0, 2, 3})


@dataclass(frozen=True)
class LiveTarget:
    """The argument naming the campaign or subsequence, and the read tool that tells its status."""

    argument: str
    lookup_tool: str
    noun: str


LIVE_TARGETS: dict[str, LiveTarget] = {
    "add_leads": LiveTarget("campaign_id", "get_campaign", "campaign"),
    "create_lead": LiveTarget("campaign", "get_campaign", "campaign"),
    "move_lead_to_subsequence": LiveTarget("subsequence_id", "get_campaign_subsequence", "subsequence"),
    "update_campaign": LiveTarget("id", "get_campaign", "campaign"),
    "update_campaign_subsequence": LiveTarget("id", "get_campaign_subsequence", "subsequence"),
    "create_campaign_subsequence": LiveTarget("parent_campaign", "get_campaign", "campaign"),
}


def may_go_live(name: str) -> bool:
    return name in LIVE_TARGETS


async def goes_live(name: str, arguments: dict[str, Any], lookup: Lookup) -> bool:
    """True when the call's target sends email now, or when that cannot be known."""
    target = LIVE_TARGETS.get(name)
    if target is None or not arguments.get(target.argument):
        return False
    found = await lookup(target.lookup_tool, {"id": arguments[target.argument]})
    status = found.get("status") if isinstance(found, dict) else None
    if isinstance(status, bool) or not isinstance(status, (int, float)):
        return True
    return int(status) not in IDLE_STATUSES
