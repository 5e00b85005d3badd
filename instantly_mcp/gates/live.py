"""Writes that take effect outside the workspace only with some arguments, or only on a live target.

The effects table (tool_specs/effects.toml) names, for each `asks_when_live` tool, the triggers: a
value (`status=1` re-activates an agent), any value (a signature, feedback text), a URL outside
Instantly (an automation's webhook), a live target (adding a lead to an active campaign, pointing a
lead finder at one), or an interest status that a running subsequence's conditions match. A
read-only lookup decides the target's state; when it cannot be known (the lookup is hidden from the
agent, fails, or answers an unknown status) the call asks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from instantly_mcp.catalog.effects import Trigger, load_effects
from instantly_mcp.gates.summaries import Lookup

INSTANTLY_HOST = re.compile(r"(?:^|\.)instantly\.ai\.?$")
SUBSEQUENCE_PAGE = 100


def may_go_live(name: str) -> bool:
    row = load_effects().get(name)
    return row is not None and row.gate == "asks_when_live"


async def goes_live(name: str, arguments: dict[str, Any], lookup: Lookup) -> bool:
    """True when one of the tool's triggers fires for these arguments, or when that cannot be known."""
    row = load_effects().get(name)
    if row is None:
        return False
    for trigger in row.when:
        if await fires(trigger, arguments, lookup):
            return True
    return False


async def fires(trigger: Trigger, arguments: dict[str, Any], lookup: Lookup) -> bool:
    value = arguments.get(trigger.argument)
    if value is None:
        return trigger.absent
    if trigger.equals:
        return any(same(value, wanted) for wanted in trigger.equals)
    if trigger.present:
        return value not in ("", [], {})
    if trigger.outside_url:
        return any(outside_instantly(url) for url in urls(value))
    if trigger.subsequence:
        return await starts_subsequence(trigger, value, arguments, lookup)
    return await target_is_live(trigger, arguments, lookup)


def same(value: Any, wanted: Any) -> bool:
    """Equal and of the same kind: True is not the status 1."""
    return isinstance(value, bool) == isinstance(wanted, bool) and value == wanted


async def target_is_live(trigger: Trigger, arguments: dict[str, Any], lookup: Lookup) -> bool:
    target = arguments.get(trigger.target_argument)
    if not target or trigger.lookup is None:
        return True
    found = await lookup(trigger.lookup, {"id": target})
    return trigger.is_live(found.get("status") if isinstance(found, dict) else None)


async def starts_subsequence(trigger: Trigger, status: Any, arguments: dict[str, Any], lookup: Lookup) -> bool:
    """Whether a running subsequence of the lead's campaign (of any campaign, when that is not named)
    lists this interest status in conditions.crm_status."""
    campaign = arguments.get(trigger.campaign) if trigger.campaign else None
    if trigger.lead and arguments.get(trigger.lead):
        lead = await lookup("get_lead", {"id": arguments[trigger.lead]})
        if not isinstance(lead, dict):
            return True
        campaign = lead.get("campaign")
        if not campaign:
            return False  # a lead in no campaign is in no subsequence's reach
    query: dict[str, Any] = {"limit": SUBSEQUENCE_PAGE} | ({"parent_campaign": campaign} if campaign else {})
    found = await lookup("list_campaign_subsequences", query)
    items = found.get("items") if isinstance(found, dict) else None
    if not isinstance(items, list) or found.get("next_starting_after"):
        return True  # unknown, or more than one page: cannot tell that none matches
    return any(matches(subsequence, status, trigger) for subsequence in items)


def matches(subsequence: Any, status: Any, trigger: Trigger) -> bool:
    if not isinstance(subsequence, dict):
        return True
    conditions = subsequence.get("conditions")
    crm = conditions.get("crm_status") if isinstance(conditions, dict) else None
    if not isinstance(crm, list):
        return False  # no interest-status condition: a status change does not start it
    return any(same(status, wanted) for wanted in crm) and trigger.is_live(subsequence.get("status"))


def urls(value: Any) -> Iterator[str]:
    """Every string inside `value` that is, or is held under a key that names, a URL."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and "url" in str(key).lower():
                yield item
            else:
                yield from urls(item)
    elif isinstance(value, list):
        for item in value:
            yield from urls(item)
    elif isinstance(value, str) and "://" in value:
        yield value


def outside_instantly(url: str) -> bool:
    """A host that is not instantly.ai or one of its subdomains; one that cannot be parsed counts as outside."""
    try:
        host = urlsplit(url if "://" in url else f"//{url}").hostname
    except ValueError:
        return True
    return host is None or INSTANTLY_HOST.search(host) is None
