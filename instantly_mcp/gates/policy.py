"""The gates in front of every call: filter, validate, dry_run, confirm, send, audit.

`Policy.call` refuses tools the filter hides (tool_filter.py), validates the arguments, answers
dry_run without sending, asks for confirmation of destructive, outbound and privileged calls and of
writes whose target is live (live.py) through confirm.py, and only then sends; every non-read call
leaves one audit line (audit.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import anyio
import mcp_types as types
from mcp.shared.exceptions import MCPError

from instantly_mcp.gates.audit import AuditLog, Decision
from instantly_mcp.upstream.client import ApiError, InstantlyClient, TransportError, encode_query
from instantly_mcp.config import Settings
from instantly_mcp.gates.confirm import (
    ELICIT_KEY,
    Answer,
    Caller,
    Purpose,
    TokenError,
    TokenSigner,
    answer_from_responses,
    answer_of,
    channel_for,
    confirmation_required,
    elicit_request,
    process_secret,
)
from instantly_mcp.catalog.shapes import share_shapes
from instantly_mcp.catalog.operations import RISK_CLASSES, Operation
from instantly_mcp.calls.results import MAX_ITEMS_LIMIT, Shape, compact_json, selectable_fields
from instantly_mcp.gates.summaries import Lookup, summarize
from instantly_mcp.gates.filter import build_filter
from instantly_mcp.gates.live import goes_live, may_go_live
from instantly_mcp.calls.pipeline import CURSOR_PAGINATION, InvalidArguments, PreparedCall, error_result, invalid, prepare, send, to_mcp_tool

GATED_RISKS = frozenset({"destructive", "outbound", "privileged"})
DRY_RUN = "dry_run"
CONFIRM_TOKEN = "confirm_token"
FIELDS = "fields"
MAX_ITEMS = "max_items"
LOOKUP_TIMEOUT_S = 10.0

# The arguments the server adds to tools. They recur in up to 125 tool definitions, so their
# meaning is stated once, in the server instructions (SERVER_ARGUMENTS), and the schemas carry
# only types and bounds; confirm_token keeps the one phrase that must never be missed.
DRY_RUN_PROPERTY = {"type": "boolean"}
CONFIRM_TOKEN_PROPERTY = {"type": "string", "description": "Only once the user agreed"}
FIELDS_PROPERTY = {"type": "string"}  # comma-separated names (a JSON array of names is accepted too): 6 tokens less than an array schema
MAX_ITEMS_PROPERTY = {"type": "integer", "minimum": 1, "maximum": MAX_ITEMS_LIMIT}
SERVER_ARGUMENTS = (
    "dry_run=true validates and returns the request without sending it. "
    'fields="id,name" keeps only those top-level fields of the result (of each item, for lists). '
    f"max_items=N (up to {MAX_ITEMS_LIMIT}) follows next_starting_after until N items and returns the cursor to resume. "
    "confirm_token comes from a confirmation_required answer; pass it only after the user agreed. "
    "Long results are cut, with the cursor to continue. "
    'A field described "One of N values" takes a fixed list; a wrong value is answered with the whole list.'
)


@dataclass(frozen=True)
class Controls:
    """The server's own arguments, taken out before the tool's model sees the rest."""

    dry_run: bool = False
    token: str | None = None
    fields: tuple[str, ...] | None = None
    max_items: int | None = None


@dataclass(frozen=True)
class Outcome:
    result: types.CallToolResult | types.InputRequiredResult
    decision: Decision
    status: int | None = None


class Policy:
    """The filter plus the call pipeline; one per server, shared by every session."""

    def __init__(self, settings: Settings, operations: Mapping[str, Operation], *, clock: Callable[[], float] = time.time) -> None:
        self.operations = operations
        self.filter = build_filter(settings, operations)
        self.confirm_mode = settings.confirm
        secret = settings.secret.encode() if settings.secret else process_secret()
        self.tokens = TokenSigner(secret, clock=clock)
        secrets = [s for s in (settings.api_key, settings.secret) if s]
        self.audit = AuditLog(settings.audit_log, secrets=secrets) if settings.audit_log else None
        self.max_result_chars = settings.max_result_chars
        self.raw_csv = settings.raw_csv

    def visible_operations(self) -> list[Operation]:
        return [op for op in self.operations.values() if self.filter.visible(op)]

    def is_gated(self, op: Operation) -> bool:
        return op.risk in GATED_RISKS and self.confirm_mode != "off"

    def may_be_gated(self, op: Operation) -> bool:
        """Gated always, or (live.py) when the target of the call is live."""
        return self.is_gated(op) or (may_go_live(op.name) and self.confirm_mode != "off")

    def accepts_token(self, op: Operation) -> bool:
        return self.may_be_gated(op) and self.confirm_mode in ("auto", "token")

    async def gated_call(self, call: PreparedCall, client: InstantlyClient) -> bool:
        """Whether this call, with these arguments, waits for a person (a lookup decides live targets)."""
        if self.is_gated(call.op):
            return True
        return self.may_be_gated(call.op) and await goes_live(call.op.name, call.arguments, self.lookup(client))

    def tool(self, op: Operation) -> types.Tool:
        return to_mcp_tool(op, input_schema=self.input_schema(op))

    def tools(self) -> list[types.Tool]:
        """The visible tools as listed: each nested shape spelled out once (listing.py)."""
        visible = self.visible_operations()
        schemas = share_shapes((op.name, self.input_schema(op)) for op in visible)
        return [to_mcp_tool(op, input_schema=schema) for op, schema in zip(visible, schemas)]

    def input_schema(self, op: Operation) -> dict[str, Any]:
        """The tool's own arguments plus the server's: dry_run and confirm_token where they apply,
        fields on reads with named result fields, max_items on cursor-paginated lists."""
        extra: dict[str, Any] = {}
        if op.risk != "read":
            extra[DRY_RUN] = DRY_RUN_PROPERTY
        if self.accepts_token(op):
            extra[CONFIRM_TOKEN] = CONFIRM_TOKEN_PROPERTY
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
        client: InstantlyClient,
        fingerprint: str,
    ) -> types.CallToolResult | types.InputRequiredResult:
        started = time.perf_counter()
        outcome = await self.decide(caller, op, arguments, client, fingerprint)
        if self.audit is not None and op.risk != "read":
            self.audit.record(
                tool=op.name,
                risk=op.risk,
                arguments=arguments,
                decision=outcome.decision,
                status=outcome.status,
                duration_ms=(time.perf_counter() - started) * 1000,
            )
        return outcome.result

    async def decide(
        self,
        caller: Caller,
        op: Operation,
        arguments: dict[str, Any] | None,
        client: InstantlyClient,
        fingerprint: str,
    ) -> Outcome:
        refusal = self.filter.refusal(op)
        if refusal is not None:
            return Outcome(error_result(refusal), "refused")
        try:
            tool_arguments, controls = self.split_controls(op, arguments or {})
            call = prepare(op, tool_arguments)
        except InvalidArguments as exc:
            return Outcome(error_result(str(exc)), "invalid")
        if controls.dry_run:
            return Outcome(dry_run_result(call, gated=self.is_gated(op), maybe=self.may_be_gated(op)), "dry_run")
        if await self.gated_call(call, client):
            stop = await self.confirm(caller, call, controls.token, client, fingerprint)
            if stop is not None:
                return stop
        shape = Shape(fields=controls.fields, max_items=controls.max_items, max_chars=self.max_result_chars, raw_csv=self.raw_csv)
        result, status = await send(call, client, shape=shape)
        return Outcome(result, "sent", status)

    def split_controls(self, op: Operation, arguments: dict[str, Any]) -> tuple[dict[str, Any], Controls]:
        """Take the server's own arguments out before the model sees the rest; on tools without
        them they stay in and the model reports them as unknown arguments."""
        rest = dict(arguments)
        dry_run = rest.pop(DRY_RUN, False) if op.risk != "read" else False
        token = rest.pop(CONFIRM_TOKEN, None) if self.accepts_token(op) else None
        selectable = selectable_fields(op)
        fields = rest.pop(FIELDS, None) if selectable else None
        max_items = rest.pop(MAX_ITEMS, None) if op.pagination in CURSOR_PAGINATION else None
        if not isinstance(dry_run, bool):
            raise invalid(op, "dry_run: expected boolean")
        if token is not None and not isinstance(token, str):
            raise invalid(op, "confirm_token: expected string")
        if max_items is not None and (isinstance(max_items, bool) or not isinstance(max_items, int) or not 1 <= max_items <= MAX_ITEMS_LIMIT):
            raise invalid(op, f"max_items: expected integer (>= 1, <= {MAX_ITEMS_LIMIT}), got {max_items!r}")
        return rest, Controls(dry_run, token, self.checked_fields(op, fields, selectable), max_items)

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
        self, caller: Caller, call: PreparedCall, token: str | None, client: InstantlyClient, fingerprint: str
    ) -> Outcome | None:
        """None lets the call through; an Outcome stops it (asked, declined or refused)."""
        op = call.op
        if token is not None:
            return self.redeem(token, "token", call, fingerprint)
        if caller.request_state is not None:
            refused = self.redeem(caller.request_state, "elicit", call, fingerprint)
            return refused or self.answered(call, answer_from_responses(caller.input_responses))
        channel = channel_for(self.confirm_mode, caller)
        if channel is None:
            return Outcome(
                error_result(
                    f"{op.name} needs the user's confirmation, and this server asks through MCP elicitation "
                    "(--confirm elicit), which this client did not declare. Nothing was sent. Use a client that "
                    "supports elicitation, or start the server with --confirm token."
                ),
                "refused",
            )
        summary = await summarize(op, call.arguments, self.lookup(client))
        if channel == "token":
            minted = self.tokens.mint("token", op.name, call.arguments, fingerprint)
            body = confirmation_required(op.name, summary, minted, self.tokens.ttl_s)
            return Outcome(json_result(body), "confirmation_required")
        if channel == "input_required":
            state = self.tokens.mint("elicit", op.name, call.arguments, fingerprint)
            asked = types.InputRequiredResult(input_requests={ELICIT_KEY: elicit_request(summary)}, request_state=state)
            return Outcome(asked, "confirmation_required")
        try:
            answer = answer_of(await caller.elicit(summary))
        except MCPError as exc:
            return Outcome(error_result(f"Could not ask the user to confirm {op.name} ({exc}). Nothing was sent."), "refused")
        return self.answered(call, answer)

    def redeem(self, token: str, purpose: Purpose, call: PreparedCall, fingerprint: str) -> Outcome | None:
        try:
            self.tokens.redeem(token, purpose, call.op.name, call.arguments, fingerprint)
        except TokenError as exc:
            what = "confirm_token" if purpose == "token" else "the confirmation answer"
            message = (
                f"{call.op.name} refused: {what} does not confirm this call, because {exc}. Nothing was sent. "
                f"Call {call.op.name} again without confirm_token to get a new confirmation."
            )
            return Outcome(error_result(message), "refused")
        return None

    def answered(self, call: PreparedCall, answer: Answer | None) -> Outcome | None:
        if answer == "accept":
            return None
        if answer is None:
            return Outcome(error_result(f"{call.op.name} refused: the retry carried no answer to the confirmation. Nothing was sent."), "refused")
        status = "declined" if answer == "decline" else "cancelled"
        body = {
            "status": status,
            "sent": False,
            "message": f"The user {status} {call.op.name}; nothing was sent to Instantly. Do not retry unless the user asks.",
        }
        return Outcome(json_result(body), "declined")

    def lookup(self, client: InstantlyClient) -> Lookup:
        """Read-only calls for the summary and the live check, only through tools the agent could
        call itself (scopes, toolsets, --tools), so a summary never shows what it could not read."""

        async def run(name: str, arguments: dict[str, Any]) -> Any:
            op = self.operations.get(name)
            if op is None or op.risk != "read" or not self.filter.visible(op):
                return None
            try:
                with anyio.fail_after(LOOKUP_TIMEOUT_S):
                    response = await client.request(prepare(op, arguments).request)
            except (InvalidArguments, ApiError, TransportError, TimeoutError):
                return None
            return response.data

        return run


def dry_run_result(call: PreparedCall, *, gated: bool, maybe: bool = False) -> types.CallToolResult:
    """Sends nothing at all, not even the lookup that decides whether a live target needs confirmation."""
    query = urlencode(encode_query(call.request.query), quote_via=quote)
    after = " (it will ask for confirmation first)" if gated else ""
    if maybe and not gated:
        after = " (it will ask for confirmation first if its campaign or subsequence is live)"
    return json_result(
        {
            "dry_run": True,
            "method": call.request.method,
            "url": call.request.path + (f"?{query}" if query else ""),
            "body": call.request.body,
            "note": f"Validated; nothing was sent. Call {call.op.name} without dry_run to send it{after}.",
        }
    )


def json_result(data: Any) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=compact_json(data))])


def risk_counts(operations: Iterable[Operation]) -> dict[str, int]:
    counts = dict.fromkeys(RISK_CLASSES, 0)
    for op in operations:
        counts[op.risk] += 1
    return counts
