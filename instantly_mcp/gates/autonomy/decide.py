"""One call against the operator's policy: allow (runs unattended), ask (a person approves) or deny.

The order is fixed: the first rule that covers the tool and its campaign or lead list decides (no
rule: what the server does without a policy); a deny stands; the hard-block list turns anything
else into ask; an allow asks in quiet hours, when the call would pass a limit, when what it puts out
cannot be counted, and when the shared counters cannot be reached. An allow takes its counters in
the same step that checks them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import mcp_types as types

from instantly_mcp.calls.pipeline import PreparedCall
from instantly_mcp.catalog.operations import Operation
from instantly_mcp.errors import StoreUnavailable, TargetNotFound
from instantly_mcp.gates.autonomy import telemetry
from instantly_mcp.gates.autonomy.counters import CounterStore, Taken, Want
from instantly_mcp.gates.autonomy.counting import Amounts, amounts_of, campaign_of, lead_list_of
from instantly_mcp.gates.autonomy.rules import UUID, WINDOW_WORDS, Limit, PolicyFile, Rule, Targets
from instantly_mcp.gates.summaries import Lookup

Verdict = Literal["allow", "ask", "deny"]
NOUNS = {
    "leads_added": ("adds", "leads"),
    "emails": ("sends or schedules", "emails"),
    "campaigns_activated": ("activates", "campaigns"),
    "deletes": ("deletes", "objects"),
}
DEFAULT = "default"  # no rule matched: the server's behaviour without a policy
HARD_BLOCK = "hard_block"


@dataclass(frozen=True)
class Ruling:
    """The decision on one call, the rule that made it, why (for the person or the agent), and the
    counters: what the call counts, and what was counted before it."""

    verdict: Verdict
    rule: str
    why: str = ""
    amounts: dict[str, int] = field(default_factory=dict)
    wants: tuple[Want, ...] = ()  # the limited counters it takes ("rule/counter" for a rule's own)
    taken: Taken | None = None

    def audit(self) -> dict[str, Any]:
        """The rule, and per counter what this call adds and what was counted before it."""
        counters: dict[str, dict[str, int]] = {name: {"adds": n} for name, n in self.amounts.items()}
        if self.taken is not None:
            for (key, window_s), used in self.taken.used.items():
                entry = counters.setdefault(key, {"adds": self.amounts.get(counter_of(key), 0)})
                entry["before_" + WINDOW_WORDS[window_s].replace(" ", "_")] = used
        return {"rule": self.rule, "verdict": self.verdict, **({"counters": counters} if counters else {})}


class Autonomy:
    """The loaded policy; `rule` decides each call. The rules that could cover each tool are found
    once, at load time, so a call walks only those."""

    def __init__(
        self,
        policy: PolicyFile,
        operations: Mapping[str, Operation],
        store: CounterStore,
        clock: Callable[[], float],
        effects_of: Callable[[str], frozenset[str]],
    ) -> None:
        self.policy = policy
        self.store = store
        self.clock = clock
        self.effects = {name: effects_of(name) for name in operations}
        self.candidates = {
            op.name: tuple(r for r in policy.rules if r.covers(op.name, op.toolset, op.risk, self.effects[op.name]))
            for op in operations.values()
        }

    def may_ask(self, op: Operation) -> bool:
        """Whether some call of this tool may wait for a person (it then takes confirm_token and approval_id)."""
        if op.risk != "read" or self.policy.hard_blocked(op.name):
            return True
        return any(rule.decision == "ask" for rule in self.candidates[op.name])

    async def rule(
        self,
        call: PreparedCall,
        lookup: Lookup,
        workspace: str,
        today: Callable[[], Awaitable[bool]],
        *,
        take: bool = True,
    ) -> Ruling:
        """`today()`: whether the server would ask without a policy. `take=False` only looks (explain)."""
        ruling = await self.judge(call, unknown_when_missing(lookup), workspace, today, take)
        if take:
            telemetry.decided(ruling)
        return ruling

    async def judge(
        self, call: PreparedCall, lookup: Lookup, workspace: str, today: Callable[[], Awaitable[bool]], take: bool
    ) -> Ruling:
        name = call.op.name
        matched = await self.first_rule(call, lookup)
        if isinstance(matched, Ruling):
            return matched
        if matched is None:
            verdict: Verdict = "ask" if await today() else "allow"
            rule_name = DEFAULT
        else:
            verdict, rule_name = matched.decision, matched.name
        if verdict == "deny":
            assert matched is not None
            return Ruling("deny", rule_name, self.refusal(name, matched))
        limits = self.limits_for(matched)
        amounts = await amounts_of(call, frozenset(counter_of(key) for key, _ in limits), lookup)
        known = {k: v for k, v in amounts.items() if v is not None}
        wants = tuple(
            Want(key, known[counter_of(key)], limit.windows)
            for key, limit in limits
            if limit.windows and counter_of(key) in known
        )
        if self.policy.hard_blocked(name):
            why = "the operator's hard-block list: a person approves every such call"
            return Ruling("ask", HARD_BLOCK, why, known, wants)
        if verdict == "ask":
            return Ruling("ask", rule_name, f"policy rule {rule_name!r} asks a person", known, wants)
        quiet = self.policy.quiet_hours
        if quiet is not None and self.effects[name].intersection(quiet.effects) and quiet.holds(self.clock()):
            why = "quiet hours of the operator's policy: outbound calls ask a person"
            return Ruling("ask", rule_name, why, known, wants)
        over = self.past_per_call(amounts, limits)
        if over is not None:
            return Ruling("ask", rule_name, over, known, wants)
        return await self.take(Ruling("allow", rule_name, amounts=known, wants=wants), workspace, take)

    def limits_for(self, rule: Rule | None) -> list[tuple[str, Limit]]:
        """The workspace-wide limits, and the matched rule's own (keyed "rule/counter")."""
        found = list(self.policy.limits.items())
        return found + [(f"{rule.name}/{c}", limit) for c, limit in rule.limits.items()] if rule else found

    @staticmethod
    def past_per_call(amounts: Amounts, limits: list[tuple[str, Limit]]) -> str | None:
        for key, limit in limits:
            counter = counter_of(key)
            if counter not in amounts:
                continue
            verb, noun = NOUNS[counter]
            amount = amounts[counter]
            if amount is None:
                return f"how many {noun} this call {verb} cannot be known, and the policy limits {noun}"
            if limit.per_call is not None and amount > limit.per_call:
                return f"this {verb} {amount} {noun}; the policy allows at most {limit.per_call} per call"
        return None

    async def take(self, ruling: Ruling, workspace: str, take: bool) -> Ruling:
        """Check and take every window in one step of the store; past one, ask with the counter."""
        if not ruling.wants:
            return ruling
        try:
            taken = await self.store.take(workspace, ruling.wants, "check" if take else "peek")
        except StoreUnavailable as exc:
            return replace(ruling, verdict="ask", why=f"the policy's shared counters cannot be checked ({exc})")
        if taken.over is None:
            return replace(ruling, taken=taken)
        over = taken.over
        verb, noun = NOUNS[counter_of(over.counter)]
        amount = ruling.amounts[counter_of(over.counter)]
        why = f"this {verb} {amount} {noun}; {over.used} of {over.limit} already {WINDOW_WORDS[over.window_s]}"
        return replace(ruling, verdict="ask", why=why, taken=taken)

    async def first_rule(self, call: PreparedCall, lookup: Lookup) -> Rule | Ruling | None:
        """The first rule whose tool and target conditions hold; a Ruling (ask) when a target's name
        a rule depends on cannot be read."""
        names: dict[str, str | None] = {}
        for rule in self.candidates[call.op.name]:
            held = True
            for targets, target, tool in (
                (rule.campaigns, campaign_of(call), "get_campaign"),
                (rule.lead_lists, lead_list_of(call), "get_lead_list"),
            ):
                if not targets:
                    continue
                if target is None:
                    held = held and not targets.only
                    continue
                if tool not in names:
                    found = await lookup(tool, {"id": target})
                    names[tool] = found.get("name") if isinstance(found, dict) else None
                if names[tool] is None and by_name(targets):
                    why = f"policy rule {rule.name!r} depends on the name of {target}, which cannot be read"
                    return Ruling("ask", rule.name, why)
                held = held and targets.admits(target, names[tool])
            if held:
                return rule
        return None

    def refusal(self, tool: str, rule: Rule) -> str:
        who = self.policy.owner or "the operator who runs this server"
        reason = f": {rule.reason}" if rule.reason else ""
        return (
            f"{tool} refused by the operator's autonomy policy (rule {rule.name!r}{reason}). Nothing was sent. "
            f"No argument or retry changes this; {who} can, by changing the policy file the server was started with. "
            "Tell the user."
        )

    async def record(self, ruling: Ruling, workspace: str) -> None:
        """A call a person approved goes out: count it, past the limits if need be."""
        if ruling.wants:
            try:
                await self.store.take(workspace, ruling.wants, "force")
            except StoreUnavailable:
                telemetry.uncounted(ruling)
        telemetry.counted(ruling)

    def annotate(self, result: types.CallToolResult, ruling: Ruling) -> types.CallToolResult:
        """The result of an allowed call, plus the budget it leaves (when it took any)."""
        note = self.note(ruling) if ruling.verdict == "allow" and not result.is_error else None
        if note is None:
            return result
        return result.model_copy(update={"content": [*result.content, types.TextContent(type="text", text=note)]})

    def note(self, ruling: Ruling) -> str | None:
        """One short line for the result of an allowed call: the budget it leaves."""
        if ruling.taken is None or not ruling.taken.used:
            return None
        parts = []
        for want in ruling.wants:
            for window_s, limit in want.windows:
                left = max(0, limit - ruling.taken.used[(want.counter, window_s)] - want.amount)
                parts.append(f"{left} of {limit} {NOUNS[counter_of(want.counter)][1]} left {WINDOW_WORDS[window_s]}")
        return f"Autonomy policy (rule {ruling.rule}): " + "; ".join(parts) + "."


def unknown_when_missing(lookup: Lookup) -> Lookup:
    """A target that does not exist reads as unknown here (so the call asks); the question then says
    the call cannot succeed."""

    async def read(name: str, arguments: dict[str, Any]) -> Any:
        try:
            return await lookup(name, arguments)
        except TargetNotFound:
            return None

    return read


def counter_of(key: str) -> str:
    """ "q3-leads/leads_added" (a rule's own limit) and "leads_added" both count leads_added."""
    return key.rpartition("/")[2]


def by_name(targets: Targets) -> bool:
    """Whether any pattern names rather than identifies (a UUID is an id)."""
    return any(not UUID.match(p) for p in (*targets.only, *targets.never))
