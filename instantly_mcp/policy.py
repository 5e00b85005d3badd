"""The gates in front of every call: filter, validate, dry_run, confirm, send, audit.

`Policy.call` refuses tools the filter hides (tool_filter.py), validates the arguments, answers
dry_run without sending, asks for confirmation of destructive and outbound calls (confirm.py) and
only then sends; every non-read call leaves one audit line (audit.py).
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

from .audit import AuditLog, Decision
from .client import ApiError, InstantlyClient, TransportError, encode_query
from .config import Settings
from .confirm import (
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
from .registry import RISK_CLASSES, Operation
from .summaries import Lookup, summarize
from .tool_filter import build_filter
from .tools import InvalidArguments, PreparedCall, compact_json, error_result, prepare, send, to_mcp_tool

GATED_RISKS = frozenset({"destructive", "outbound"})
DRY_RUN = "dry_run"
CONFIRM_TOKEN = "confirm_token"
LOOKUP_TIMEOUT_S = 10.0

DRY_RUN_PROPERTY = {
    "type": "boolean",
    "description": "true: validate and return the request that would be sent, without sending it.",
}
CONFIRM_TOKEN_PROPERTY = {
    "type": "string",
    "description": "From this tool's confirmation_required answer; pass it only after the user agreed.",
}


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

    def visible_operations(self) -> list[Operation]:
        return [op for op in self.operations.values() if self.filter.visible(op)]

    def is_gated(self, op: Operation) -> bool:
        return op.risk in GATED_RISKS and self.confirm_mode != "off"

    def accepts_token(self, op: Operation) -> bool:
        return self.is_gated(op) and self.confirm_mode in ("auto", "token")

    def tool(self, op: Operation) -> types.Tool:
        return to_mcp_tool(op, input_schema=self.input_schema(op))

    def input_schema(self, op: Operation) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if op.risk != "read":
            extra[DRY_RUN] = DRY_RUN_PROPERTY
        if self.accepts_token(op):
            extra[CONFIRM_TOKEN] = CONFIRM_TOKEN_PROPERTY
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
            tool_arguments, dry_run, token = self.split_controls(op, arguments or {})
            call = prepare(op, tool_arguments)
        except InvalidArguments as exc:
            return Outcome(error_result(str(exc)), "invalid")
        if dry_run:
            return Outcome(dry_run_result(call, gated=self.is_gated(op)), "dry_run")
        if self.is_gated(op):
            stop = await self.confirm(caller, call, token, client, fingerprint)
            if stop is not None:
                return stop
        result, status = await send(call, client)
        return Outcome(result, "sent", status)

    def split_controls(self, op: Operation, arguments: dict[str, Any]) -> tuple[dict[str, Any], bool, str | None]:
        """Take dry_run and confirm_token out before the model sees them; on tools without them
        they stay in and the model reports them as unknown arguments."""
        rest = dict(arguments)
        dry_run = rest.pop(DRY_RUN, False) if op.risk != "read" else False
        token = rest.pop(CONFIRM_TOKEN, None) if self.accepts_token(op) else None
        if not isinstance(dry_run, bool):
            raise InvalidArguments(f"Invalid arguments for {op.name}; nothing was sent. dry_run: expected boolean")
        if token is not None and not isinstance(token, str):
            raise InvalidArguments(f"Invalid arguments for {op.name}; nothing was sent. confirm_token: expected string")
        return rest, dry_run, token

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
        """Read-only calls for the summary, only where the granted scopes allow them, so a summary
        never shows the agent what it could not read itself."""

        async def run(name: str, arguments: dict[str, Any]) -> Any:
            op = self.operations.get(name)
            if op is None or op.risk != "read" or not self.filter.granted(op):
                return None
            try:
                with anyio.fail_after(LOOKUP_TIMEOUT_S):
                    response = await client.request(prepare(op, arguments).request)
            except (InvalidArguments, ApiError, TransportError, TimeoutError):
                return None
            return response.data

        return run


def dry_run_result(call: PreparedCall, *, gated: bool) -> types.CallToolResult:
    query = urlencode(encode_query(call.request.query), quote_via=quote)
    after = " (it will ask for confirmation first)" if gated else ""
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
