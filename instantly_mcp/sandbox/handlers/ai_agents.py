"""AI Sales Agents: bulk approval of their activities, and guidance rules (a positional list on the agent)."""

from __future__ import annotations

from typing import Any

from instantly_mcp.sandbox import crud
from instantly_mcp.sandbox.context import Context
from instantly_mcp.sandbox.errors import SandboxHttpError, not_found
from instantly_mcp.sandbox.handlers.registry import handles
from instantly_mcp.sandbox.store import Entity
from instantly_mcp.sandbox.synth import now_iso

MAX_RULES = 10
RULES = "_guidance_rules"


def _agent(ctx: Context) -> Entity:
    return crud.find(ctx.store, ctx.resource("/api/v2/ai-agents/sales"), ctx.params["id"])


def _rules(agent: Entity) -> list[dict[str, str]]:
    return list(agent.get(RULES, []))


def _save(ctx: Context, agent: Entity, rules: list[dict[str, str]]) -> None:
    crud.update(ctx.store, ctx.resource("/api/v2/ai-agents/sales"), agent, {RULES: rules})


def _public(rules: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"id": f"rule-{index}", **rule} for index, rule in enumerate(rules)]


def _index(ctx: Context, rules: list[dict[str, str]]) -> int:
    index = int(ctx.params["rule_id"].removeprefix("rule-"))
    if index >= len(rules):
        raise not_found("Guidance rule not found")
    return index


def _decide(ctx: Context, action_status: str, counter: str) -> Any:
    agent = _agent(ctx)
    activities = ctx.resource("/api/v2/ai-agents/sales/{id}/activities")
    parent = {"id": agent["id"]}
    changes: dict[str, Any] = {"action_status": action_status, f"{action_status}_at": now_iso()}
    if "rejection_reason" in ctx.data:
        changes["rejection_reason"] = ctx.data["rejection_reason"]
    decided = 0
    for activity_id in dict.fromkeys(ctx.data["activity_ids"]):
        activity = ctx.store.get(activities.collection, activity_id)
        if (
            activity is not None
            and crud.visible(activities, activity, parent)
            and activity.get("action_status") == "pending"
        ):
            crud.update(ctx.store, activities, activity, changes)
            decided += 1
    return {counter: decided}


@handles("approveSalesAgentActivities")
def approve_activities(ctx: Context) -> Any:
    return _decide(ctx, "approved", "approved")


@handles("rejectSalesAgentActivities")
def reject_activities(ctx: Context) -> Any:
    return _decide(ctx, "rejected", "rejected")


@handles("listSalesAgentGuidanceRules")
def list_rules(ctx: Context) -> Any:
    return {"items": _public(_rules(_agent(ctx)))}


@handles("createSalesAgentGuidanceRule")
def create_rule(ctx: Context) -> Any:
    agent = _agent(ctx)
    rules = _rules(agent)
    if len(rules) >= MAX_RULES:
        raise SandboxHttpError(400, f"Maximum {MAX_RULES} guidance rules allowed")
    rules.append({"title": ctx.data.get("title") or f"Rule {len(rules) + 1}", "content": ctx.data["content"]})
    _save(ctx, agent, rules)
    return _public(rules)[-1]


@handles("patchSalesAgentGuidanceRule")
def patch_rule(ctx: Context) -> Any:
    agent = _agent(ctx)
    rules = _rules(agent)
    index = _index(ctx, rules)
    changes: dict[str, str] = {k: ctx.data[k] for k in ("title", "content") if k in ctx.data}
    rules[index] = {**rules[index], **changes}
    _save(ctx, agent, rules)
    return _public(rules)[index]


@handles("deleteSalesAgentGuidanceRule")
def delete_rule(ctx: Context) -> Any:
    agent = _agent(ctx)
    rules = _rules(agent)
    index = _index(ctx, rules)
    del rules[index]
    _save(ctx, agent, rules)
    return {"id": f"rule-{index}", "deleted": True}
