"""`instantly-mcp policy check FILE` and `instantly-mcp policy explain TOOL --args JSON`: what an
autonomy policy decides, for the person who writes it, before an agent runs under it."""

from __future__ import annotations

import argparse
import json
from typing import Any

from instantly_mcp.catalog.operations import Operation, load_operations
from instantly_mcp.config import Settings
from instantly_mcp.errors import ConfigError, InvalidArguments
from instantly_mcp.gates.autonomy import Autonomy, load_autonomy
from instantly_mcp.gates.autonomy.counting import counters_of
from instantly_mcp.gates.autonomy.rules import WINDOW_WORDS, Rule
from instantly_mcp.gates.controls import gated_names


def run_policy(args: argparse.Namespace, settings: Settings | None) -> int:
    if args.policy_action == "check":
        return check(args.file)
    assert settings is not None
    return explain(settings, args.tool, args.args)


def check(path: str) -> int:
    """Every tool, the rule that decides it and what can change that per call; exit 2 on a bad file."""
    operations = dict(load_operations())
    autonomy = load_autonomy(path, operations, lambda: 0.0, None)
    asks, asks_when_live = gated_names(operations.values(), "auto")
    rows = [(op.name, *decision_of(autonomy, op, asks, asks_when_live)) for op in operations.values()]
    width = max(len(row[0]) for row in rows)
    for name, decision, detail in sorted(rows, key=lambda row: (row[1], row[0])):
        print(f"{name.ljust(width)}  {decision.ljust(5)}  {detail}")
    counts = {d: sum(row[1] == d for row in rows) for d in ("allow", "ask", "deny")}
    print(f"\n{len(rows)} tools: {counts['allow']} allow, {counts['ask']} ask, {counts['deny']} deny ({path})")
    return 0


def decision_of(
    autonomy: Autonomy, op: Operation, asks: frozenset[str], asks_when_live: frozenset[str]
) -> tuple[str, str]:
    """The decision a call of `op` gets when no campaign, lead list, limit or clock changes it, and what may."""
    policy = autonomy.policy
    conditional = [r for r in autonomy.candidates[op.name] if r.campaigns or r.lead_lists]
    rule = next((r for r in autonomy.candidates[op.name] if not (r.campaigns or r.lead_lists)), None)
    decision, detail = (
        default_of(op, asks, asks_when_live)
        if rule is None
        else (rule.decision, f"rule {rule.name!r} (line {rule.line})")
    )
    notes = [f"{r.decision} by rule {r.name!r} where {where(r)}" for r in conditional]
    if policy.hard_blocked(op.name) and decision != "deny":
        decision, detail = "ask", "hard_block"
        notes = []
    if decision == "allow" or any(r.decision == "allow" for r in conditional):
        notes += allow_notes(autonomy, op, [r for r in (rule, *conditional) if r is not None and r.decision == "allow"])
    return decision, "; ".join([detail, *notes])


def allow_notes(autonomy: Autonomy, op: Operation, allowing: list[Rule]) -> list[str]:
    """When an allowed call asks after all: past a limit, or in quiet hours."""
    policy, notes = autonomy.policy, []
    limited = [c for c in counters_of(op.name, op.risk) if c in policy.limits or any(c in r.limits for r in allowing)]
    if limited:
        notes.append(f"asks past limits on {', '.join(limited)}")
    quiet = policy.quiet_hours
    if quiet is not None and autonomy.effects[op.name].intersection(quiet.effects):
        notes.append(f"asks in quiet hours {quiet.start:%H:%M}-{quiet.end:%H:%M} {quiet.zone.key}")
    return notes


def default_of(op: Operation, asks: frozenset[str], asks_when_live: frozenset[str]) -> tuple[str, str]:
    if op.name in asks:
        return "ask", "no rule: as without a policy"
    if op.name in asks_when_live:
        return "allow", "no rule: as without a policy (asks when its arguments or target carry an effect)"
    return "allow", "no rule: as without a policy"


def where(rule: Rule) -> str:
    parts = []
    for noun, targets in (("campaign", rule.campaigns), ("lead list", rule.lead_lists)):
        if targets.only:
            parts.append(f"{noun} in {', '.join(targets.only)}")
        if targets.never:
            parts.append(f"{noun} not in {', '.join(targets.never)}")
    return " and ".join(parts)


def explain(settings: Settings, tool: str, raw_arguments: str) -> int:
    """The deciding rule and the counters one call would take, looked up in the workspace; takes nothing."""
    import anyio

    from instantly_mcp.calls.pipeline import prepare
    from instantly_mcp.catalog.operations import resolve
    from instantly_mcp.transport.runtime import build_runtime, make_client

    if not settings.policy:
        raise ConfigError("policy explain needs the policy: --policy PATH (or INSTANTLY_MCP_POLICY)")
    try:
        arguments = json.loads(raw_arguments)
    except json.JSONDecodeError as exc:
        raise ConfigError(f'--args is not JSON ({exc.msg}); e.g. --args \'{{"campaign_id": "..."}}\'') from None
    runtime = build_runtime(settings)
    op = resolve(runtime.operations, tool)
    if op is None or not isinstance(arguments, dict):
        raise ConfigError(f"{tool}: no such tool" if op is None else "--args must be a JSON object")
    autonomy = runtime.policy.autonomy
    assert autonomy is not None
    try:
        call = prepare(op, arguments)
    except InvalidArguments as exc:
        raise ConfigError(str(exc)) from None
    client = make_client(settings)

    async def run() -> dict[str, Any]:
        try:
            ruling = await autonomy.rule(
                call,
                runtime.policy.lookup(client),
                runtime.key_fingerprint,
                lambda: runtime.policy.gated_call(call, client),
                take=False,
            )
        finally:
            await client.aclose()
        used = ruling.taken.used if ruling.taken else {}
        counters = [
            f"{want.counter}: {used[(want.counter, window_s)]} of {limit} {WINDOW_WORDS[window_s]}"
            for want in ruling.wants
            for window_s, limit in want.windows
            if (want.counter, window_s) in used
        ]
        return {
            "tool": op.name,
            "decision": ruling.verdict,
            "rule": ruling.rule,
            "why": ruling.why or None,
            "would_take": ruling.amounts,
            "counters": counters,
            "counted_in": "Redis (shared by every replica)" if autonomy.store.shared else "each server process",
        }

    print(json.dumps(anyio.run(run), indent=1))
    return 0
