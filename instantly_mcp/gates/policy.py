"""The gates in front of every call, in one fixed order: visible, valid, dry run, a person, send, audit.

`Policy.decide` is the safety contract and reads top to bottom: a tool the filter hides (filter.py)
is refused; the arguments are validated; dry_run answers without sending; a call that is gated by
its risk, or by its live target (live.py), waits for a person (human.py); only then is it sent.
`Policy.call` wraps it with the metrics, the span and one audit line per non-read call (audit.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import mcp_types as types

from instantly_mcp import metrics
from instantly_mcp.calls.paging import Shape
from instantly_mcp.calls.pipeline import PreparedCall, error_result, prepare_call, send
from instantly_mcp.catalog.listing import to_mcp_tool
from instantly_mcp.catalog.operations import Operation
from instantly_mcp.catalog.shapes import share_shapes
from instantly_mcp.config import Settings
from instantly_mcp.errors import InvalidArguments
from instantly_mcp.gates.approvals import ApprovalDesk, ApprovalStore
from instantly_mcp.gates.audit import AuditLog, Decision
from instantly_mcp.gates.confirm import Caller
from instantly_mcp.gates.controls import Controls, ServerArguments, dry_run_result, gated_names
from instantly_mcp.gates.filter import build_filter
from instantly_mcp.gates.human import HumanChannel, Outcome
from instantly_mcp.gates.live import goes_live
from instantly_mcp.gates.lookups import Lookups
from instantly_mcp.gates.recall import REMEMBERED, Recall
from instantly_mcp.tracing import span
from instantly_mcp.upstream.client import Requester

if TYPE_CHECKING:
    from instantly_mcp.drift.log import DriftLog
    from instantly_mcp.gates.autonomy import Autonomy, Ruling

SCRIPT_RESULT_CHARS = 2_000_000  # a script reads whole results; only its own output is cut for the agent


class Policy:
    """The filter plus the call pipeline; one per server, shared by every session."""

    def __init__(
        self,
        settings: Settings,
        operations: Mapping[str, Operation],
        *,
        human: HumanChannel,
        lookups: Lookups,
        store: ApprovalStore,
        audit: AuditLog | None = None,
        drift: DriftLog | None = None,
        autonomy: Autonomy | None = None,
        clock: Callable[[], float] = time.time,
        hint: Callable[[str, Policy], str] | None = None,
    ) -> None:
        """Built by transport/runtime.py. `hint(name, policy)` is the " Did you mean ...?" an unknown
        tool name gets (discovery.near_names); a hidden tool's refusal carries the same."""
        self.operations = operations
        self.filter = build_filter(settings, operations)
        # The filter is fixed for the policy's life: decide what is visible once, not on every call.
        self._visible = tuple(op for op in operations.values() if self.filter.visible(op))
        self._visible_names = frozenset(op.name for op in self._visible)
        self.hint = hint
        self.server_arguments = ServerArguments(self.accepts_token, self.accepts_approval, self.lists_approval)
        self.confirm_mode = settings.confirm
        self._asks, self._asks_when_live = gated_names(operations.values(), settings.confirm)
        self.human = human
        self.lookup = lookups.bind(self.is_visible)
        self.recall = Recall(store, self.lookup, clock)  # what the workspace was; what a person is asked
        human.lookup, human.summary = self.lookup, self.recall.summary
        self.audit = audit
        self.drift = drift
        self.autonomy = autonomy
        self.max_result_chars = settings.max_result_chars
        self.raw_csv = settings.raw_csv

    @property
    def desk(self) -> ApprovalDesk | None:
        return self.human.desk

    @desk.setter
    def desk(self, desk: ApprovalDesk | None) -> None:
        self.human.desk = desk
        self.server_arguments.clear()  # approval_id comes and goes with the desk

    def refusal(self, op: Operation) -> str | None:
        """None for a visible tool; for a hidden one exactly what an unknown name gets (filter.unknown_tool)."""
        if op.name in self._visible_names:
            return None
        hint = self.hint
        return self.filter.refusal(op, None if hint is None else lambda name: hint(name, self))

    def is_visible(self, op: Operation) -> bool:
        return op.name in self._visible_names

    def visible_operations(self) -> list[Operation]:
        return list(self._visible)

    def is_gated(self, op: Operation) -> bool:
        """Asks a person on every call: a gated risk class, or an effect the table says always asks."""
        return op.name in self._asks

    def may_be_gated(self, op: Operation) -> bool:
        """Gated always, when live.py finds an effect in the call or its target, or when the policy may ask."""
        return op.name in self._asks or op.name in self._asks_when_live or self.policy_may_ask(op)

    def policy_may_ask(self, op: Operation) -> bool:
        return self.autonomy is not None and self.autonomy.may_ask(op)

    def accepts_token(self, op: Operation) -> bool:
        return self.may_be_gated(op) and self.confirm_mode in ("auto", "token")

    async def gated_call(self, call: PreparedCall, client: Requester) -> bool:
        """Whether this call, with these arguments, waits for a person (a lookup decides live targets)."""
        if self.is_gated(call.op):
            return True
        return self.may_be_gated(call.op) and await goes_live(call.op.name, call.arguments, self.lookup(client))

    def accepts_approval(self, op: Operation) -> bool:
        return self.may_be_gated(op) and self.desk is not None

    def input_schema(self, op: Operation) -> dict[str, Any]:
        return self.server_arguments.schema(op)

    def lists_approval(self, op: Operation) -> bool:  # not where only a live target asks: tools/list's budget
        return (self.is_gated(op) or self.policy_may_ask(op)) and self.desk is not None

    def split_controls(self, op: Operation, arguments: dict[str, Any]) -> tuple[dict[str, Any], Controls]:
        return self.server_arguments.split(op, arguments)

    def tool(self, op: Operation) -> types.Tool:
        return to_mcp_tool(op, input_schema=self.input_schema(op))

    def tools(self) -> list[types.Tool]:
        """The visible tools as listed: each nested shape spelled out once (listing.py)."""
        visible = self.visible_operations()
        schemas = share_shapes((op.name, self.input_schema(op)) for op in visible)
        return [to_mcp_tool(op, input_schema=schema) for op, schema in zip(visible, schemas, strict=True)]

    async def call(
        self,
        caller: Caller,
        op: Operation,
        arguments: dict[str, Any] | None,
        client: Requester,
        fingerprint: str,
        *,
        script: str | None = None,
        approved: bool = False,
    ) -> types.CallToolResult | types.InputRequiredResult:
        """`script` is the sha256 of the run_code script making the call: its gated calls ask a
        person through `approve`, never through a token, and its audit lines carry the hash.
        `approved`: a person already approved this exact call in the script's plan (`approve`)."""
        started = time.perf_counter()
        decision: Decision = "failed"
        status: int | None = None
        ruling: Ruling | None = None
        try:
            with span("instantly.tool_call", tool=op.name, risk=op.risk) as current:
                outcome = await self.decide(
                    caller, op, arguments, client, fingerprint, script=script, approved=approved
                )
                decision, status, ruling = outcome.decision, outcome.status, outcome.ruling
                current.set_attribute("outcome", decision)
        finally:  # a call that ends in an unexpected error is audited (and counted) too
            metrics.tool_call(op.name, decision, time.perf_counter() - started)
            if self.audit is not None and (op.risk != "read" or script is not None):
                self.audit.record(
                    tool=op.name,
                    risk=op.risk,
                    arguments=arguments,
                    decision=decision,
                    status=status,
                    duration_ms=(time.perf_counter() - started) * 1000,
                    script=script,
                    policy=ruling.audit() if ruling is not None else None,
                )
        return outcome.result

    async def decide(
        self,
        caller: Caller,
        op: Operation,
        arguments: dict[str, Any] | None,
        client: Requester,
        fingerprint: str,
        *,
        script: str | None = None,
        approved: bool = False,
    ) -> Outcome:
        refusal = self.refusal(op)
        if refusal is not None:
            return Outcome(error_result(refusal), "refused")
        try:
            tool_arguments, controls = self.split_controls(op, arguments or {})
            call = await prepare_call(op, tool_arguments)
        except InvalidArguments as exc:
            return Outcome(error_result(str(exc)), "invalid")
        max_chars = SCRIPT_RESULT_CHARS if script is not None else self.max_result_chars
        if controls.dry_run:
            answer = dry_run_result(call, gated=self.is_gated(op), maybe=self.may_be_gated(op), max_chars=max_chars)
            return Outcome(answer, "dry_run")
        ruling = await self.rule(call, client, fingerprint)  # the operator's --policy; None without one
        if ruling is not None and ruling.verdict == "deny":
            return Outcome(error_result(ruling.why), "refused", ruling=ruling)
        asks = ruling.verdict == "ask" if ruling is not None else await self.gated_call(call, client)
        if asks and not approved:
            if script is not None:
                stop = await self.human.approve(caller, [call], client, why=ruling.why if ruling else "")
            else:
                bound = await self.recall.bound(call, client)
                why = ruling.why if ruling else ""
                stop = await self.human.confirm(caller, bound, controls, client, fingerprint, why)
            if stop is not None:
                return Outcome(stop.result, stop.decision, stop.status, ruling)
        if asks and ruling is not None and self.autonomy is not None:
            await self.autonomy.record(ruling, fingerprint)
        shape = Shape(fields=controls.fields, max_items=controls.max_items, max_chars=max_chars, raw_csv=self.raw_csv)
        result, status = await self.send_remembering(call, client, shape, fingerprint, caller.tenant)
        return self.sent(result, status, ruling)

    async def send_remembering(
        self, call: PreparedCall, client: Requester, shape: Shape, fingerprint: str, tenant: str
    ) -> tuple[types.CallToolResult, int | None]:
        """Sends; around an activation, pause or rename, keeps what the workspace was, unless nobody is ever asked."""
        if call.op.name not in REMEMBERED or (self.confirm_mode == "off" and self.autonomy is None):
            return await send(call, client, shape=shape, watch=self.drift)
        memory = self.recall.memory(fingerprint, tenant)
        await self.recall.remember(call, client, memory, sent=False)
        result, status = await send(call, client, shape=shape, watch=self.drift)
        if not result.is_error:
            await self.recall.remember(call, client, memory, sent=True)
        return result, status

    def sent(self, result: types.CallToolResult, status: int | None, ruling: Ruling | None) -> Outcome:
        """A sent call's answer; under a policy, with the budget an allowed call leaves."""
        if ruling is not None and self.autonomy is not None:
            result = self.autonomy.annotate(result, ruling)
        return Outcome(result, "sent", status, ruling)

    async def rule(self, call: PreparedCall, client: Requester, fingerprint: str) -> Ruling | None:
        if self.autonomy is None:
            return None
        return await self.autonomy.rule(call, self.lookup(client), fingerprint, lambda: self.gated_call(call, client))
