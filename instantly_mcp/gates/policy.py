"""The gates in front of every call: filter, validate, dry_run, confirm, send, audit.

`Policy.call` refuses tools the filter hides (tool_filter.py), validates the arguments, answers
dry_run without sending, asks for confirmation of every call with an effect outside the workspace
(the effects table, catalog/effects.py: always, or when live.py finds its arguments or its target
carry the effect) through confirm.py, and only then sends; every non-read call leaves one audit
line (audit.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import anyio
import mcp_types as types
from mcp.shared.exceptions import MCPError

from instantly_mcp import metrics
from instantly_mcp.calls.pipeline import (
    CURSOR_PAGINATION,
    PreparedCall,
    error_result,
    invalid,
    prepare,
    send,
)
from instantly_mcp.calls.results import MAX_ITEMS_LIMIT, Shape, compact_json, cut_text, selectable_fields
from instantly_mcp.catalog.effects import gate_of, when_it_asks
from instantly_mcp.catalog.listing import to_mcp_tool
from instantly_mcp.catalog.operations import RISK_CLASSES, Operation
from instantly_mcp.catalog.shapes import share_shapes
from instantly_mcp.config import Settings
from instantly_mcp.drift.log import DriftLog
from instantly_mcp.errors import ConfirmationError, InvalidArguments, StoreUnavailable, UpstreamError
from instantly_mcp.gates import activation
from instantly_mcp.gates.approval_items import approval_item, reply_recipient
from instantly_mcp.gates.approvals import (
    Approval,
    ApprovalDesk,
    ApprovalItem,
    ApprovalRefused,
    ApprovalStore,
    MemoryApprovalStore,
)
from instantly_mcp.gates.audit import AuditLog, Decision
from instantly_mcp.gates.confirm import (
    ELICIT_KEY,
    Answer,
    Caller,
    Purpose,
    TokenSigner,
    answer_from_responses,
    answer_of,
    channel_for,
    confirmation_required,
    elicit_request,
    process_secret,
)
from instantly_mcp.gates.filter import build_filter
from instantly_mcp.gates.live import goes_live, may_go_live
from instantly_mcp.gates.memory import RENAMED, WorkspaceMemory
from instantly_mcp.gates.redis_stores import RedisApprovalStore, RedisUsedTokens
from instantly_mcp.gates.summaries import Lookup, TargetNotFound, summarize
from instantly_mcp.redaction import scrub_text
from instantly_mcp.tracing import span
from instantly_mcp.upstream.client import ApiError, Requester, encode_query
from instantly_mcp.upstream.redis_conn import connect

if TYPE_CHECKING:
    from instantly_mcp.gates.autonomy import Autonomy, Ruling

GATED_RISKS = frozenset({"destructive", "outbound", "privileged"})
# Calls after (or before) which the workspace memory is updated: activations, pauses, list renames.
REMEMBERED = frozenset({*activation.ACTIVATIONS, *activation.PAUSES, "update_lead_list"})
DRY_RUN = "dry_run"
CONFIRM_TOKEN = "confirm_token"
APPROVAL_ID = "approval_id"
FIELDS = "fields"
MAX_ITEMS = "max_items"
LOOKUP_TIMEOUT_S = 10.0
SCRIPT_RESULT_CHARS = 2_000_000  # a script reads whole results; only its own output is cut for the agent

# The arguments the server adds to tools. They recur in up to 125 tool definitions, so their
# meaning is stated once, in the server instructions (SERVER_ARGUMENTS), and the schemas carry
# only types and bounds; confirm_token keeps the one phrase that must never be missed.
DRY_RUN_PROPERTY = {"type": "boolean"}
CONFIRM_TOKEN_PROPERTY = {"type": "string", "description": "Only once the user agreed"}
APPROVAL_ID_PROPERTY = {"type": "string"}
FIELDS_PROPERTY = {
    "type": "string"
}  # comma-separated names (a JSON array of names is accepted too): 6 tokens less than an array schema
MAX_ITEMS_PROPERTY = {"type": "integer", "minimum": 1, "maximum": MAX_ITEMS_LIMIT}
SERVER_ARGUMENTS = (
    "dry_run=true validates and returns the request without sending it. "
    'fields="id,name" keeps only those top-level fields of the result (of each item, for lists). '
    f"max_items=N (up to {MAX_ITEMS_LIMIT}) follows next_starting_after until N items "
    "and returns the cursor to resume. "
    "confirm_token comes from a confirmation_required answer; pass it only after the user agreed. "
    "approval_id comes from an approval_required answer: show its URL to the user, then repeat the same call with it. "
    "Long results are cut, with the cursor to continue. "
    'A field described "One of N values" takes a fixed list; a wrong value is answered with the whole list.'
)


@dataclass(frozen=True)
class Controls:
    """The server's own arguments, taken out before the tool's model sees the rest."""

    dry_run: bool = False
    token: str | None = None
    approval_id: str | None = None
    fields: tuple[str, ...] | None = None
    max_items: int | None = None


@dataclass(frozen=True)
class Outcome:
    result: types.CallToolResult | types.InputRequiredResult
    decision: Decision
    status: int | None = None
    ruling: Ruling | None = None  # the autonomy policy's, for the audit line


def shared_stores(
    settings: Settings, secret: bytes, clock: Callable[[], float]
) -> tuple[ApprovalStore, RedisUsedTokens | None]:
    """Approvals and used tokens in Redis when replicas share them (--redis-url; the records sealed with
    the server secret), else in this process."""
    if not settings.redis_url:
        return MemoryApprovalStore(clock), None
    redis = connect(settings.redis_url)
    return RedisApprovalStore(redis, secret, clock), RedisUsedTokens(redis, clock)


def load_autonomy(
    settings: Settings, operations: Mapping[str, Operation], clock: Callable[[], float]
) -> Autonomy | None:
    """The operator's --policy file, imported and read only when one is given."""
    if not settings.policy:
        return None
    from instantly_mcp.gates.autonomy import load_autonomy as load

    return load(settings.policy, operations, clock, settings.redis_url)


def confirmation_event(stop: Outcome | None) -> str:
    """What a confirmation step amounted to, for the metrics: asked, approved, denied, expired or refused."""
    if stop is None:
        return "approved"
    if stop.decision in ("confirmation_required", "declined"):
        return "asked" if stop.decision == "confirmation_required" else "denied"
    texts = [c.text for c in getattr(stop.result, "content", []) if isinstance(c, types.TextContent)]
    return "expired" if any("because it expired" in text for text in texts) else "refused"


def store_unavailable(name: str, exc: StoreUnavailable) -> Outcome:
    message = (
        f"{name} refused: confirmations cannot be checked right now, because {exc}, and this server's replicas "
        "share their confirmations and approvals there. Nothing was sent. Try again once the operator has Redis back."
    )
    return Outcome(error_result(message), "refused")


class Policy:
    """The filter plus the call pipeline; one per server, shared by every session."""

    def __init__(
        self,
        settings: Settings,
        operations: Mapping[str, Operation],
        *,
        clock: Callable[[], float] = time.time,
        hint: Callable[[str, Policy], str] | None = None,
    ) -> None:
        """`hint(name, policy)` is the " Did you mean ...?" an unknown tool name gets (discovery.near_names);
        a hidden tool's refusal carries the same, so the two read alike."""
        self.operations = operations
        self.filter = build_filter(settings, operations)
        # The filter is fixed for the policy's life: decide what is visible once, not on every call.
        self._visible = tuple(op for op in operations.values() if self.filter.visible(op))
        self._visible_names = frozenset(op.name for op in self._visible)
        self.hint = hint
        self.confirm_mode = settings.confirm
        # How an answer names the repeat of a call: in discover mode only call_tool reaches the tool.
        self.spelled: Callable[[str], str] = call_tool_spelling if settings.discover else str
        self._asks, self._asks_when_live = gated_names(operations.values(), settings.confirm)
        secret = settings.secret.encode() if settings.secret else process_secret()
        self.tokens = TokenSigner(secret, clock=clock)
        self.confirm_timeout_s = settings.confirm_timeout_s
        self.clock = clock
        self.store, self.used_tokens = shared_stores(settings, secret, clock)
        self.desk = (
            ApprovalDesk(self.store, clock=clock, per_tenant=settings.per_request_key)
            if settings.serves_approvals
            else None
        )
        secrets = [s for s in (settings.api_key, settings.secret, settings.auth_token) if s]
        self.audit = (
            AuditLog(
                settings.audit_log,
                secrets=secrets,
                max_bytes=settings.audit_log_max_bytes,
                backups=settings.audit_log_backups,
            )
            if settings.audit_log
            else None
        )
        self.max_result_chars = settings.max_result_chars
        self.drift = DriftLog() if settings.log_drift else None
        self.raw_csv = settings.raw_csv
        self.autonomy = load_autonomy(settings, operations, clock)

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
        """Gated always, or (live.py) when the call's arguments or its target's state carry an effect,
        or when the operator's policy may ask."""
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
        """Every tool that may ask a person (the live-gated writes and the operator's policy too): the
        page answers them all, so each takes the approval_id its question hands out."""
        return self.may_be_gated(op) and self.desk is not None

    def lists_approval(self, op: Operation) -> bool:
        """Where approval_id is in the schema: the tools that always ask, or may by the policy. The
        rest take it unlisted (the question names it), which keeps tools/list within its budget."""
        return (self.is_gated(op) or self.policy_may_ask(op)) and self.desk is not None

    def tool(self, op: Operation) -> types.Tool:
        return to_mcp_tool(op, input_schema=self.input_schema(op))

    def tools(self) -> list[types.Tool]:
        """The visible tools as listed: each nested shape spelled out once (listing.py)."""
        visible = self.visible_operations()
        schemas = share_shapes((op.name, self.input_schema(op)) for op in visible)
        return [to_mcp_tool(op, input_schema=schema) for op, schema in zip(visible, schemas, strict=True)]

    def input_schema(self, op: Operation) -> dict[str, Any]:
        """The tool's own arguments plus the server's: dry_run and confirm_token where they apply,
        fields on reads with named result fields, max_items on cursor-paginated lists."""
        extra: dict[str, Any] = {}
        if op.risk != "read":
            extra[DRY_RUN] = DRY_RUN_PROPERTY
        if self.accepts_token(op):
            extra[CONFIRM_TOKEN] = CONFIRM_TOKEN_PROPERTY
        if self.lists_approval(op):
            extra[APPROVAL_ID] = APPROVAL_ID_PROPERTY
        if selectable_fields(op):
            extra[FIELDS] = FIELDS_PROPERTY
        if op.pagination in CURSOR_PAGINATION:
            extra[MAX_ITEMS] = MAX_ITEMS_PROPERTY
        if not extra:
            return op.input_schema
        return {**op.input_schema, "properties": {**op.input_schema.get("properties", {}), **extra}}

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
            metrics.TOOL_CALLS.labels(op.name, decision).inc()
            metrics.TOOL_CALL_SECONDS.labels(op.name).observe(time.perf_counter() - started)
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
            call = await prepare_off_loop(op, tool_arguments)
        except InvalidArguments as exc:
            return Outcome(error_result(str(exc)), "invalid")
        if controls.dry_run:
            answer = dry_run_result(call, gated=self.is_gated(op), maybe=self.may_be_gated(op))
            return Outcome(answer if script is not None else cut_result(answer, self.max_result_chars), "dry_run")
        ruling = await self.rule(call, client, fingerprint)  # the operator's --policy; None without one
        if ruling is not None and ruling.verdict == "deny":
            return Outcome(error_result(ruling.why), "refused", ruling=ruling)
        asks = ruling.verdict == "ask" if ruling is not None else await self.gated_call(call, client)
        if asks and not approved:
            if script is not None:
                stop = await self.approve(caller, [call], client, why=ruling.why if ruling else "")
            else:
                bound = await self.bound(call, client)
                stop = await self.confirm(caller, bound, controls, client, fingerprint, ruling.why if ruling else "")
            if stop is not None:
                return Outcome(stop.result, stop.decision, stop.status, ruling)
        if asks and ruling is not None and self.autonomy is not None:
            await self.autonomy.record(ruling, fingerprint)
        max_chars = SCRIPT_RESULT_CHARS if script is not None else self.max_result_chars
        shape = Shape(fields=controls.fields, max_items=controls.max_items, max_chars=max_chars, raw_csv=self.raw_csv)
        if op.name not in REMEMBERED:
            result, status = await send(call, client, shape=shape, watch=self.drift)
            return self.sent(result, status, ruling)
        memory = self.workspace_memory(fingerprint, caller.tenant)
        await self.remember(call, client, memory, sent=False)
        result, status = await send(call, client, shape=shape, watch=self.drift)
        if not result.is_error:
            await self.remember(call, client, memory, sent=True)
        return self.sent(result, status, ruling)

    def sent(self, result: types.CallToolResult, status: int | None, ruling: Ruling | None) -> Outcome:
        """A sent call's answer; under a policy, with the budget an allowed call leaves."""
        if ruling is not None and self.autonomy is not None:
            result = self.autonomy.annotate(result, ruling)
        return Outcome(result, "sent", status, ruling)

    async def rule(self, call: PreparedCall, client: Requester, fingerprint: str) -> Ruling | None:
        if self.autonomy is None:
            return None
        return await self.autonomy.rule(call, self.lookup(client), fingerprint, lambda: self.gated_call(call, client))

    def split_controls(self, op: Operation, arguments: dict[str, Any]) -> tuple[dict[str, Any], Controls]:
        """Take the server's own arguments out before the model sees the rest; on tools without
        them they stay in and the model reports them as unknown arguments."""
        rest = dict(arguments)
        dry_run = rest.pop(DRY_RUN, False) if op.risk != "read" else False
        token = rest.pop(CONFIRM_TOKEN, None) if self.accepts_token(op) else None
        approval_id = rest.pop(APPROVAL_ID, None) if self.accepts_approval(op) else None
        selectable = selectable_fields(op)
        fields = rest.pop(FIELDS, None) if selectable else None
        max_items = rest.pop(MAX_ITEMS, None) if op.pagination in CURSOR_PAGINATION else None
        if not isinstance(dry_run, bool):
            raise invalid(op, "dry_run: expected boolean")
        if token is not None and not isinstance(token, str):
            raise invalid(op, "confirm_token: expected string")
        if approval_id is not None and not isinstance(approval_id, str):
            raise invalid(op, "approval_id: expected string")
        if max_items is not None and (
            isinstance(max_items, bool) or not isinstance(max_items, int) or not 1 <= max_items <= MAX_ITEMS_LIMIT
        ):
            raise invalid(op, f"max_items: expected integer (>= 1, <= {MAX_ITEMS_LIMIT}), got {max_items!r}")
        return rest, Controls(dry_run, token, approval_id, self.checked_fields(op, fields, selectable), max_items)

    @staticmethod
    def checked_fields(op: Operation, fields: Any, valid: tuple[str, ...]) -> tuple[str, ...] | None:
        """`fields` as comma-separated names (a list of names is accepted too), each a top-level
        field of the tool's result records."""
        if fields is None:
            return None
        if isinstance(fields, str):
            fields = [name.strip() for name in fields.split(",") if name.strip()]
        if not isinstance(fields, list) or not all(isinstance(name, str) for name in fields):
            raise invalid(op, f"fields: expected comma-separated field names, any of: {', '.join(valid)}")
        unknown = [name for name in fields if name not in valid]
        if unknown:
            raise invalid(
                op,
                f"fields: unknown field{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                f"{op.name} results have: {', '.join(valid)}",
            )
        return tuple(dict.fromkeys(fields)) or None

    async def confirm(
        self,
        caller: Caller,
        call: PreparedCall,
        controls: Controls,
        client: Requester,
        fingerprint: str,
        why: str = "",
    ) -> Outcome | None:
        """None lets the call through; an Outcome stops it (asked, declined or refused). Refused,
        too, when the shared store that must check the confirmation is unreachable (fail closed).
        `why`: the policy's reason for asking (a counter), added to what the person reads."""
        try:
            stop = await self.ask_or_redeem(caller, call, controls, client, fingerprint, why)
        except StoreUnavailable as exc:
            stop = store_unavailable(call.op.name, exc)
        metrics.CONFIRMATIONS.labels(confirmation_event(stop)).inc()
        return stop

    async def ask_or_redeem(
        self, caller: Caller, call: PreparedCall, controls: Controls, client: Requester, fingerprint: str, why: str
    ) -> Outcome | None:
        op = call.op
        if controls.token is not None:
            return await self.redeem(controls.token, "token", call, fingerprint)
        if controls.approval_id is not None:
            return await self.redeem_approval(controls.approval_id, caller, call, fingerprint)
        if caller.request_state is not None:
            refused = await self.redeem(caller.request_state, "elicit", call, fingerprint)
            return refused or self.answered(call, answer_from_responses(caller.input_responses))
        channel = channel_for(self.confirm_mode, caller, pages=self.desk is not None and self.desk.base_url is not None)
        if channel is None:
            return Outcome(error_result(no_channel_message(op.name, self.confirm_mode)), "refused")
        try:
            summary = scrub_text(await self.summary(call, client, fingerprint, caller.tenant))
            summary += f" (Asked because {why}.)" if why else ""
        except TargetNotFound as exc:
            return Outcome(
                error_result(f"{op.name} cannot succeed, so nobody was asked: {exc} Nothing was sent."), "refused"
            )
        if channel == "token":
            minted = self.tokens.mint("token", op.name, call.arguments, fingerprint)
            body = confirmation_required(self.spelled(op.name), summary, minted, self.tokens.ttl_s)
            return Outcome(json_result(body), "confirmation_required")
        if channel == "input_required":
            state = self.tokens.mint("elicit", op.name, call.arguments, fingerprint)
            asked = types.InputRequiredResult(input_requests={ELICIT_KEY: elicit_request(summary)}, request_state=state)
            return Outcome(asked, "confirmation_required")
        if channel == "inline":
            return await self.elicit_inline(caller, call, summary)
        assert self.desk is not None
        approval = await self.desk.open([await self.item_for(call, summary, client)], fingerprint, caller.tenant)
        if channel == "url":
            return await self.elicit_url(caller, call, approval, summary)
        return Outcome(
            json_result(approval_required(self.spelled(op.name), summary, self.desk.url(approval), approval)),
            "confirmation_required",
        )

    async def elicit_inline(self, caller: Caller, call: PreparedCall, summary: str) -> Outcome | None:
        """elicitation/create in the call, answered within --confirm-timeout or refused."""
        name = call.op.name
        try:
            with anyio.fail_after(self.confirm_timeout_s):
                answer = answer_of(await caller.elicit(summary))
        except MCPError as exc:
            return Outcome(
                error_result(f"Could not ask the user to confirm {name} ({exc}). Nothing was sent."), "refused"
            )
        except TimeoutError:
            message = f"No answer to the confirmation of {name} within {self.confirm_timeout_s:g} s. Nothing was sent."
            return Outcome(error_result(message), "refused")
        return self.answered(call, answer)

    async def approve(
        self,
        caller: Caller,
        calls: Sequence[PreparedCall],
        client: Requester,
        *,
        fingerprint: str = "",
        plan: str | None = None,
        approval_id: str | None = None,
        why: str = "",
    ) -> Outcome | None:
        """`ask_approval`, refused (fail closed) when the shared store is unreachable. `why`: the
        autonomy policy's reason for asking about a script's one call, added to the question."""
        try:
            stop = await self.ask_approval(caller, calls, client, fingerprint, plan, approval_id, why)
        except StoreUnavailable as exc:
            stop = store_unavailable("run_code", exc)
        metrics.CONFIRMATIONS.labels(confirmation_event(stop)).inc()
        return stop

    async def ask_approval(
        self,
        caller: Caller,
        calls: Sequence[PreparedCall],
        client: Requester,
        fingerprint: str,
        plan: str | None,
        approval_id: str | None,
        why: str = "",
    ) -> Outcome | None:
        """Get a person's approval for these gated calls, each named: the one way code mode asks.

        None lets them through. A client that elicits while the request waits is asked at once (a
        script pauses at the call). Otherwise the whole `plan` (the script's sha256 and its gated
        calls) is put to a person once: a 2026-07-28 client by InputRequiredResult, whose
        request_state binds the script, the exact calls and the key; a client without elicitation on
        the approval page, redeemed call by call with `approval_id` on the retry. Tokens are never
        offered to scripts: the agent would hold them.
        """
        names = ", ".join(c.op.name for c in calls)
        channel = channel_for("elicit", caller, pages=False)
        if channel == "input_required" and plan is not None:
            binding = {"script": plan, "calls": [[c.op.name, c.arguments] for c in calls]}
            if caller.request_state is not None:
                try:
                    await self.claim(caller.request_state, "elicit", "run_code", binding, fingerprint)
                except ConfirmationError as exc:
                    message = f"run_code refused: the answer does not approve these calls ({exc}). Nothing was sent."
                    return Outcome(error_result(message), "refused")
                return self.answered(calls[0], answer_from_responses(caller.input_responses))
        elif channel != "inline":
            if plan is not None and self.desk is not None and self.desk.base_url is not None:
                return await self.approve_on_page(caller, calls, client, fingerprint, approval_id)
            message = (
                f"{names} needs a person's approval, and a script can ask only through MCP form elicitation "
                "or the approval pages, neither of which is available here. Nothing was sent."
            )
            return Outcome(error_result(message), "refused")
        try:
            summaries = [await self.summary(c, client, fingerprint, caller.tenant) for c in calls]
        except TargetNotFound as exc:
            message = f"{names} cannot succeed, so nobody was asked: {exc} Nothing was sent."
            return Outcome(error_result(message), "refused")
        question = summaries[0] if len(summaries) == 1 else "\n".join(["Approve all of these?", *summaries])
        question += f" (Asked because {why}.)" if why else ""
        if channel == "input_required":
            state = self.tokens.mint("elicit", "run_code", binding, fingerprint)
            asked = types.InputRequiredResult(
                input_requests={ELICIT_KEY: elicit_request(question)}, request_state=state
            )
            return Outcome(asked, "confirmation_required")
        try:
            answer = answer_of(await caller.elicit(question))
        except MCPError as exc:
            message = f"Could not ask the user to approve {names} ({exc}). Nothing was sent."
            return Outcome(error_result(message), "refused")
        return self.answered(calls[0], answer)

    async def approve_on_page(
        self,
        caller: Caller,
        calls: Sequence[PreparedCall],
        client: Requester,
        fingerprint: str,
        approval_id: str | None,
    ) -> Outcome | None:
        """A script's gated calls on one approval page; the retry with approval_id redeems each of them."""
        assert self.desk is not None
        if approval_id is not None:
            for call in calls:  # one status for the whole approval: all pass, or the first answer stops
                stop = await self.redeem_approval(approval_id, caller, call, fingerprint)
                if stop is not None:
                    return stop
            return None
        try:
            summaries = [await self.summary(c, client, fingerprint, caller.tenant) for c in calls]
            items = [await self.item_for(c, summary, client) for c, summary in zip(calls, summaries, strict=True)]
        except TargetNotFound as exc:
            message = f"A call cannot succeed, so nobody was asked: {exc} Nothing was sent."
            return Outcome(error_result(message), "refused")
        approval = await self.desk.open(items, fingerprint, caller.tenant)
        summary = "\n".join(item.summary for item in items)
        body = approval_required("run_code", summary, self.desk.url(approval), approval)
        body["next"] = (
            "Nothing was sent. Show the user this URL; a person approves or denies these calls there. Then call "
            "run_code again with the same code plus approval_id: it runs once approved."
        )
        return Outcome(json_result(body), "confirmation_required")

    async def elicit_url(self, caller: Caller, call: PreparedCall, approval: Approval, summary: str) -> Outcome | None:
        """Ask the client to open the approval page, then continue the same call once the person
        decided; without a decision in time, answer as the page channel does (the approval stays open)."""
        assert self.desk is not None and caller.elicit_url is not None
        url = self.desk.url(approval)
        body = approval_required(self.spelled(call.op.name), summary, url, approval)
        waiting = Outcome(json_result(body), "confirmation_required")
        try:
            with anyio.fail_after(self.confirm_timeout_s):
                opened = await caller.elicit_url(f"Approve or deny: {summary}", url, approval.id)
        except (MCPError, TimeoutError):
            return waiting
        if opened.action != "accept":
            await self.desk.store.decide(approval.id, "deny")
            return self.answered(call, "decline" if opened.action == "decline" else "cancel")
        decided = await self.desk.wait(approval, self.confirm_timeout_s)
        if decided.status == "pending":
            return waiting
        return await self.redeem_approval(approval.id, caller, call, approval.fingerprint)

    async def item_for(self, call: PreparedCall, summary: str, client: Requester) -> ApprovalItem:
        return approval_item(call, summary, dry_run_payload(call), await reply_recipient(call, self.lookup(client)))

    async def request_batch(
        self, caller: Caller, calls: Sequence[tuple[Operation, dict[str, Any]]], client: Requester, fingerprint: str
    ) -> types.CallToolResult:
        """One approval for several gated calls (bulk jobs, scripts), each listed on the page and each
        then made with the same approval_id; refused as a whole when any of them could not succeed."""
        if self.desk is None or self.desk.base_url is None:
            return error_result("A batch needs the approval pages, and this server serves none. Nothing was sent.")
        items: list[ApprovalItem] = []
        for op, arguments in calls:
            refusal = self.refusal(op)
            if refusal is None and not self.is_gated(op):
                refusal = f"{op.name} needs no approval; call it directly. Nothing was sent."
            if refusal is not None:  # a hidden tool's refusal already says that nothing was sent
                return error_result(refusal)
            try:
                call = prepare(op, arguments)
                summary = await self.summary(call, client, fingerprint, caller.tenant)
            except InvalidArguments as exc:
                return error_result(str(exc))
            except TargetNotFound as exc:
                return error_result(f"{op.name} cannot succeed, so nobody was asked: {exc} Nothing was sent.")
            items.append(await self.item_for(call, summary, client))
        approval = await self.desk.open(items, fingerprint, caller.tenant)
        body = approval_required("", "\n".join(item.summary for item in items), self.desk.url(approval), approval)
        body["next"] = (
            "Nothing was sent. Show the user this URL; a person approves or denies all of these calls there. Then make "
            "each call with its arguments plus approval_id: each proceeds once, after approval."
        )
        return json_result({**body, "calls": len(items)})

    async def redeem_approval(
        self, approval_id: str, caller: Caller, call: PreparedCall, fingerprint: str
    ) -> Outcome | None:
        name = call.op.name
        if self.desk is None:
            return Outcome(
                error_result(f"{name} refused: this server serves no approvals. Nothing was sent."), "refused"
            )
        try:
            redeemed = await self.desk.redeem(approval_id, name, call.arguments, fingerprint, caller.tenant)
        except ApprovalRefused as exc:
            message = (
                f"{name} refused: approval_id does not approve this call, because {exc}.{changed_since(call)} "
                "Nothing was sent. "
                f"Call {self.spelled(name)} again without approval_id to ask for a new approval."
            )
            return Outcome(error_result(message), "refused")
        if redeemed.status == "approved":
            return None
        if redeemed.status == "denied":
            return self.answered(call, "decline")
        body = approval_required(
            self.spelled(name), redeemed.approval.items[0].summary, self.desk.url(redeemed.approval), redeemed.approval
        )
        return Outcome(json_result({**body, "status": "approval_pending"}), "confirmation_required")

    async def redeem(self, token: str, purpose: Purpose, call: PreparedCall, fingerprint: str) -> Outcome | None:
        try:
            await self.claim(token, purpose, call.op.name, call.arguments, fingerprint)
        except ConfirmationError as exc:
            what = "confirm_token" if purpose == "token" else "the confirmation answer"
            message = (
                f"{call.op.name} refused: {what} does not confirm this call, because {exc}.{changed_since(call)} "
                f"Nothing was sent. Call {self.spelled(call.op.name)} again without confirm_token to get a new "
                "confirmation."
            )
            return Outcome(error_result(message), "refused")
        return None

    async def claim(self, token: str, purpose: Purpose, name: str, arguments: Any, fingerprint: str) -> None:
        """Check the token here, then mark it used in Redis too, so no other replica accepts it again."""
        self.tokens.redeem(token, purpose, name, arguments, fingerprint)
        if self.used_tokens is not None and not await self.used_tokens.claim(token, float(token.split(".")[1])):
            raise ConfirmationError("it was already used (on another replica); one confirmation covers one call")

    def answered(self, call: PreparedCall, answer: Answer | None) -> Outcome | None:
        if answer == "accept":
            return None
        if answer is None:
            return Outcome(
                error_result(
                    f"{call.op.name} refused: the retry carried no answer to the confirmation. Nothing was sent."
                ),
                "refused",
            )
        if answer == "unconfirmed":
            status = "not_confirmed"
            message = (
                f"The user submitted the form without ticking its confirm box, so {call.op.name} was not confirmed; "
                "nothing was sent to Instantly. Ask the user whether they want it; if so, call it again and they "
                "tick the box."
            )
        else:
            status = "declined" if answer == "decline" else "cancelled"
            message = (
                f"The user {status} {call.op.name}; nothing was sent to Instantly. Do not retry unless the user asks."
            )
        body = {"status": status, "sent": False, "message": message}
        return Outcome(json_result(body), "declined")

    async def summary(self, call: PreparedCall, client: Requester, fingerprint: str, tenant: str) -> str:
        """The question a person is asked: an activation shows what goes out and what changed
        (activation.py); a list's delete says when this server renamed it."""
        lookup, memory = self.lookup(client), self.workspace_memory(fingerprint, tenant)
        name, arguments = call.op.name, call.arguments
        action = await activation.question(name, arguments, lookup, memory) if name in activation.ACTIVATIONS else None
        renamed = await memory.recall(RENAMED, arguments["id"]) if name == "delete_lead_list" else None
        return await summarize(
            call.op,
            arguments,
            lookup,
            undocumented=call.undocumented,
            action=action,
            renamed_at=renamed,
            now=self.clock(),
        )

    async def bound(self, call: PreparedCall, client: Requester) -> PreparedCall:
        """The call as its confirmation binds it. An activation carries the digest of the content it sends
        (activation.CONTENT), so a token or approval given for what the person saw does not cover
        content the agent changed afterwards. Only the binding changes: the request sent is the same."""
        if call.op.name not in activation.ACTIVATIONS:
            return call
        digest = await activation.digest(call.op.name, call.arguments, self.lookup(client))
        return replace(call, arguments={**call.arguments, activation.CONTENT: digest})

    def workspace_memory(self, fingerprint: str, tenant: str) -> WorkspaceMemory:
        return WorkspaceMemory(self.store, f"{fingerprint}|{tenant}")

    async def remember(self, call: PreparedCall, client: Requester, memory: WorkspaceMemory, *, sent: bool) -> None:
        """Before a pause, the content that was live; after an activation or a rename, what it now is."""
        name = call.op.name
        try:
            if name in activation.PAUSES or name in activation.ACTIVATIONS:
                await activation.remember(name, call.arguments, self.lookup(client), memory, sent=sent)
            elif name == "update_lead_list" and sent and "name" in call.arguments:
                await memory.keep(RENAMED, call.arguments["id"], self.clock())
        except StoreUnavailable:
            pass  # a pause or rename is never held up by the store; the next question then knows less

    def lookup(self, client: Requester) -> Lookup:
        """Read-only calls for the summary and the live check, only through tools the agent could
        call itself (scopes, toolsets, --tools), so a summary never shows what it could not read."""

        async def run(name: str, arguments: dict[str, Any]) -> Any:
            op = self.operations.get(name)
            if op is None or op.risk != "read" or not self.is_visible(op):
                return None
            try:
                with anyio.fail_after(LOOKUP_TIMEOUT_S):
                    response = await client.request(prepare(op, arguments).request)
            except ApiError as exc:
                if exc.status == 404 and op.path_params:
                    raise TargetNotFound(op, arguments, self.list_tool_for(op)) from None
                return None
            except (InvalidArguments, UpstreamError, TimeoutError):
                return None
            return response.data

        return run

    def list_tool_for(self, op: Operation) -> str | None:
        """The visible list tool that finds ids for a get_<noun> lookup
        (get_block_list_entry: list_block_list_entries)."""
        noun = op.name.removeprefix("get_")
        for name in (f"list_{noun}s", f"list_{noun[:-1]}ies", f"list_{noun}es"):
            found = self.operations.get(name)
            if found is not None and self.is_visible(found):
                return name
        return None


def gated_names(operations: Iterable[Operation], confirm: str) -> tuple[frozenset[str], frozenset[str]]:
    """(tools that always ask, tools that ask when live.py's triggers fire), decided once per policy."""
    if confirm == "off":
        return frozenset(), frozenset()
    asks = frozenset(op.name for op in operations if op.risk in GATED_RISKS or gate_of(op.name) == "asks")
    return asks, frozenset(op.name for op in operations if op.name not in asks and may_go_live(op.name))


def changed_since(call: PreparedCall) -> str:
    if activation.CONTENT not in call.arguments:
        return ""
    return " Its content may have changed since the person was asked: what they approved is not what it would send."


def no_channel_message(tool: str, mode: str) -> str:
    if mode == "human":
        return (
            f"{tool} needs a person's approval, and this server (--confirm human) found no channel to ask one: "
            "this client declared no elicitation and no approval pages are served. Nothing was sent. Serve them with "
            "--transport http (pages at /approvals) or --approvals-port N on stdio, or use a client with elicitation."
        )
    return (
        f"{tool} needs the user's confirmation, and this server asks through MCP elicitation "
        "(--confirm elicit), which this client did not declare. Nothing was sent. Use a client that "
        "supports elicitation, or start the server with --confirm token."
    )


def call_tool_spelling(tool: str) -> str:
    return f'call_tool(name="{tool}", arguments={{...}})'


def approval_required(tool: str, summary: str, url: str, approval: Approval) -> dict[str, Any]:
    return {
        "status": "approval_required",
        "summary": summary,
        "approval_url": url,
        "approval_id": approval.id,
        "expires_at": int(approval.expires),
        "next": (
            f"Nothing was sent. Show the user this URL; a person approves or denies there. Then call {tool} again "
            "with the same arguments plus approval_id: it proceeds once approved, "
            "and says so if it was denied or expired."
        ),
    }


def dry_run_payload(call: PreparedCall) -> dict[str, Any]:
    """The exact request, as a dry run shows it and an approval page lists it; undocumented fields named."""
    query = urlencode(encode_query(call.request.query), quote_via=quote)
    payload = {
        "method": call.request.method,
        "url": call.request.path + (f"?{query}" if query else ""),
        "body": call.request.body,
    }
    return payload | ({"undocumented": list(call.undocumented)} if call.undocumented else {})


async def prepare_off_loop(op: Operation, arguments: dict[str, Any]) -> PreparedCall:
    """Validation in a worker thread: a large argument costs that thread CPU, while the event loop
    (every other session, /healthz) gets the interpreter back at each GIL switch interval (5 ms)."""
    return await anyio.to_thread.run_sync(prepare, op, arguments)


def dry_run_result(call: PreparedCall, *, gated: bool, maybe: bool = False) -> types.CallToolResult:
    """Sends nothing at all, not even the lookup that decides whether a live target needs confirmation."""
    after = " (it will ask for confirmation first)" if gated else ""
    if maybe and not gated:
        after = f" (it will ask for confirmation first when {when_it_asks(call.op.name)})"
    note = f"Validated; nothing was sent. Call {call.op.name} without dry_run to send it{after}."
    return json_result({"dry_run": True, **dry_run_payload(call), "note": note})


def cut_result(result: types.CallToolResult, max_chars: int) -> types.CallToolResult:
    """A dry run's answer held to --max-result-chars like any other result (it echoes the arguments)."""
    text = result.content[0].text if isinstance(result.content[0], types.TextContent) else ""
    if len(text) <= max_chars:
        return result
    advice = "; the request is valid: call without dry_run to send it"
    return types.CallToolResult(content=[types.TextContent(type="text", text=cut_text(text, max_chars, advice=advice))])


def json_result(data: Any) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=compact_json(data))])


def risk_counts(operations: Iterable[Operation]) -> dict[str, int]:
    counts: dict[str, int] = dict.fromkeys(RISK_CLASSES, 0)
    for op in operations:
        counts[op.risk] += 1
    return counts


def risk_summary(operations: Iterable[Operation]) -> str:
    """ "115 read, 64 write, ..." for the start-up line and `instantly-mcp tools`."""
    return ", ".join(f"{n} {risk}" for risk, n in risk_counts(operations).items())
