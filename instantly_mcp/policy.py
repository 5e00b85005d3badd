"""Who may see and do what, and the gates in front of every call that changes something.

The scope filter, --toolsets, the --tools allow-list and --read-only decide which tools exist for
the agent; a hidden tool called anyway is refused with the reason. For a visible tool,
`Policy.call` runs: validate -> dry_run -> confirm (destructive, outbound) -> send, and writes the
audit line for every non-read call.
"""

from __future__ import annotations

import difflib
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
from .config import ConfigError, Settings
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
from .tools import InvalidArguments, PreparedCall, compact_json, error_result, prepare, send, to_mcp_tool

WILDCARD = "all"
SCOPE_ACTIONS = ("read", "create", "update", "delete", WILDCARD)
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


@dataclass(frozen=True, order=True)
class Scope:
    """An Instantly API key scope, `resource:action`; `all` in either place is a wildcard."""

    resource: str
    action: str

    @classmethod
    def parse(cls, text: str) -> Scope:
        resource, separator, action = text.strip().partition(":")
        if not separator or not resource or not action or ":" in action:
            raise ValueError(f"{text!r} is not resource:action")
        return cls(resource, action)

    def covers(self, required: Scope) -> bool:
        return self.resource in (required.resource, WILDCARD) and self.action in (required.action, WILDCARD)

    def __str__(self) -> str:
        return f"{self.resource}:{self.action}"


def required_scopes(op: Operation) -> tuple[Scope, ...]:
    """Any one of these grants the tool; a tool that states none needs all:all."""
    return tuple(Scope.parse(s) for s in op.scopes) or (Scope(WILDCARD, WILDCARD),)


@dataclass(frozen=True)
class ToolFilter:
    """What the key owner lets the agent see; the same rules refuse a call to a hidden tool."""

    grants: tuple[Scope, ...] = (Scope(WILDCARD, WILDCARD),)
    toolsets: frozenset[str] | None = None
    tools: frozenset[str] | None = None
    read_only: bool = False

    def granted(self, op: Operation) -> bool:
        return any(grant.covers(required) for grant in self.grants for required in required_scopes(op))

    def reasons(self, op: Operation) -> list[str]:
        reasons = []
        if not self.granted(op):
            needed = ", ".join(str(s) for s in required_scopes(op))
            granted = ", ".join(str(s) for s in self.grants)
            reasons.append(f"it needs one of the scopes {needed}, and only {granted} are granted")
        if self.read_only and op.risk != "read":
            reasons.append(f"--read-only hides it (risk class {op.risk})")
        if self.toolsets is not None and op.toolset not in self.toolsets:
            reasons.append(f"its toolset {op.toolset} is not in --toolsets {','.join(sorted(self.toolsets))}")
        if self.tools is not None and op.name not in self.tools:
            reasons.append("it is not in the --tools allow-list")
        return reasons

    def visible(self, op: Operation) -> bool:
        return not self.reasons(op)

    def refusal(self, op: Operation) -> str | None:
        reasons = self.reasons(op)
        if not reasons:
            return None
        return f"{op.name} is not available to this agent: {'; '.join(reasons)}. Nothing was sent."


def build_filter(settings: Settings, operations: Mapping[str, Operation]) -> ToolFilter:
    """The filter for these settings; unknown names and contradictions stop the start-up."""
    if not settings.scopes:
        raise ConfigError("--scopes is empty; give at least one scope, e.g. all:read (the default is all:all)")
    tool_filter = ToolFilter(
        grants=parse_grants(settings.scopes, operations),
        toolsets=known_names("--toolsets", settings.toolsets, sorted({op.toolset for op in operations.values()})),
        tools=known_names("--tools", settings.tools, list(operations)),
        read_only=settings.read_only,
    )
    hidden = [f"{name} ({'; '.join(tool_filter.reasons(operations[name]))})" for name in settings.tools if not tool_filter.visible(operations[name])]
    if hidden:
        raise ConfigError(f"--tools names tools that the other flags hide: {', '.join(hidden)}")
    if not any(tool_filter.visible(op) for op in operations.values()):
        raise ConfigError("these flags leave no tool at all; check --scopes, --toolsets, --tools and --read-only together")
    return tool_filter


def parse_grants(texts: Iterable[str], operations: Mapping[str, Operation]) -> tuple[Scope, ...]:
    resources = known_scope_resources(operations)
    grants, unknown = [], []
    for text in texts:
        try:
            scope = Scope.parse(text)
        except ValueError:
            unknown.append(text)
            continue
        if scope.resource in resources and scope.action in SCOPE_ACTIONS:
            grants.append(scope)
        else:
            unknown.append(text)
    if unknown:
        raise ConfigError(
            f"unknown scopes in --scopes / INSTANTLY_SCOPES: {', '.join(unknown)}. Scopes are resource:action with "
            f"action one of {', '.join(SCOPE_ACTIONS)} and resource one of {', '.join(sorted(resources))} "
            "(all is the wildcard)"
        )
    return tuple(dict.fromkeys(grants))


def known_scope_resources(operations: Mapping[str, Operation]) -> frozenset[str]:
    """Resources the tools require plus those Instantly offers when creating a key (create_api_key's enum)."""
    names = {s for op in operations.values() for s in op.scopes}
    for op in operations.values():
        items = op.input_schema.get("properties", {}).get("scopes", {}).get("items", {})
        names.update(v for v in items.get("enum", []) if isinstance(v, str))
    return frozenset({name.partition(":")[0] for name in names} | {WILDCARD})


def known_names(flag: str, given: tuple[str, ...], valid: list[str]) -> frozenset[str] | None:
    if not given:
        return None
    unknown = [name for name in given if name not in valid]
    if not unknown:
        return frozenset(given)
    if len(valid) <= 30:
        hint = f"valid: {', '.join(valid)}"
    else:
        close = sorted({match for name in unknown for match in difflib.get_close_matches(name, valid, n=3)})
        hint = (f"did you mean {', '.join(close)}? " if close else "") + f"`instantly-mcp tools` lists all {len(valid)} valid names"
    raise ConfigError(f"unknown names in {flag}: {', '.join(unknown)} ({hint})")


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
