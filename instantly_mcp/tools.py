"""From an Operation to an MCP tool, and the call pipeline: validate -> request -> result.

`prepare` does everything that needs no network (validation, building the request), so the
policy layer can refuse, confirm or dry-run a call before anything is sent; `execute` sends it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import mcp_types as types
from pydantic import ValidationError

from .client import ApiError, ApiRequest, InstantlyClient, TransportError
from .errors import describe_api_error, describe_transport_error
from .registry import Operation


def annotations(op: Operation) -> types.ToolAnnotations:
    """Hints consistent with the risk class; outbound counts as destructive because mail sent
    or money spent cannot be taken back.

    A hint is left out only where the MCP default already says it, in the cautious direction, so
    a client that reads only the defaults errs on the safe side: openWorldHint (default true: every
    tool reaches Instantly), readOnlyHint false, idempotentHint false, and destructiveHint and
    idempotentHint on read tools (meaningful only when readOnlyHint is false). The human title is
    the tool's own `title`, which clients prefer to annotations.title."""
    if op.risk == "read":
        return types.ToolAnnotations(read_only_hint=True)
    return types.ToolAnnotations(
        destructive_hint=op.risk in ("destructive", "outbound"),
        idempotent_hint=True if op.idempotent else None,
    )


def effective_hints(hints: types.ToolAnnotations | None) -> dict[str, bool]:
    """The four hints with the MCP defaults filled in, as a client reads them."""
    hints = hints or types.ToolAnnotations()
    read_only = bool(hints.read_only_hint)
    return {
        "read_only": read_only,
        "destructive": False if read_only else hints.destructive_hint is not False,
        "idempotent": True if read_only else bool(hints.idempotent_hint),
        "open_world": hints.open_world_hint is not False,
    }


def to_mcp_tool(op: Operation, input_schema: dict[str, Any] | None = None) -> types.Tool:
    return types.Tool(
        name=op.name,
        title=op.title,
        description=op.description,
        input_schema=input_schema or op.input_schema,
        annotations=annotations(op),
    )


class InvalidArguments(Exception):
    """The arguments do not fit the tool's model; the message names every field and the fix."""


@dataclass(frozen=True)
class PreparedCall:
    op: Operation
    arguments: dict[str, Any]
    request: ApiRequest


def prepare(op: Operation, arguments: dict[str, Any] | None) -> PreparedCall:
    model = op.model()
    try:
        validated = model.model_validate(arguments or {})
    except ValidationError as exc:
        raise InvalidArguments(validation_message(op, exc)) from None
    wire = validated.wire()
    return PreparedCall(op=op, arguments=wire, request=build_request(op, wire))


def build_request(op: Operation, wire: dict[str, Any]) -> ApiRequest:
    path = op.path
    for name in op.path_params:
        path = path.replace("{" + name + "}", encode_segment(wire[name]))
    query = {k: wire[k] for k in op.query_params if k in wire}
    body: dict[str, Any] | None = {k: wire[k] for k in op.body_params if k in wire}
    if not body and not op.body_required:
        body = None
    return ApiRequest(
        method=op.method,
        path=path,
        query=query,
        body=body,
        retry_safe=op.retry_safe,
        endpoint_limits=op.rate_limits,
        endpoint=op.endpoint,
    )


def encode_segment(value: Any) -> str:
    """Percent-encode a path parameter so that an id like "../api-keys" stays one segment."""
    segment = quote(str(value), safe="")
    return segment.replace(".", "%2E") if segment.strip(".") == "" else segment


def validation_message(op: Operation, exc: ValidationError) -> str:
    properties = op.input_schema.get("properties", {})
    problems = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"])
        top = str(error["loc"][0]) if error["loc"] else ""
        if not field:
            problems.append(error["msg"].removeprefix("Value error, "))
        elif error["type"] == "extra_forbidden":
            valid = ", ".join(properties) or "none"
            problems.append(f"{field}: unknown argument; this tool accepts: {valid}")
        elif error["type"] == "missing":
            problems.append(f"{field}: required, expected {expected(properties.get(top, {}))}")
        else:
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{field}: {message} (expected {expected(properties.get(top, {}))})")
    return f"Invalid arguments for {op.name}; nothing was sent. " + "; ".join(problems)


def expected(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        values = schema["enum"]
        shown = ", ".join(json.dumps(v) for v in values[:12])
        return f"one of {shown}" + (f" … ({len(values)} values)" if len(values) > 12 else "")
    kind = schema.get("type", "any value")
    kind = " or ".join(kind) if isinstance(kind, list) else kind
    if kind == "array" and isinstance(schema.get("items"), dict):
        kind = f"array of {expected(schema['items'])}"
    bounds = [f"{label} {schema[key]}" for key, label in (("minimum", ">="), ("maximum", "<="), ("minLength", "min length"), ("maxLength", "max length"), ("minItems", "min items"), ("maxItems", "max items")) if key in schema]
    return kind + (f" ({', '.join(bounds)})" if bounds else "")


async def execute(call: PreparedCall, client: InstantlyClient, *, api_key: str | None = None) -> types.CallToolResult:
    result, _ = await send(call, client, api_key=api_key)
    return result


async def send(
    call: PreparedCall, client: InstantlyClient, *, api_key: str | None = None
) -> tuple[types.CallToolResult, int | None]:
    """The result plus Instantly's HTTP status, for the audit log; None when no answer came from
    Instantly (a network failure, or an error the client raised without sending)."""
    try:
        response = await client.request(call.request, api_key=api_key)
    except ApiError as err:
        result = error_result(describe_api_error(err, tool=call.op.name, required_scopes=call.op.scopes))
        return result, err.status if err.attempts else None
    except TransportError as err:
        return error_result(describe_transport_error(err, tool=call.op.name)), None
    return success_result(call, response.data), response.status


def success_result(call: PreparedCall, data: Any) -> types.CallToolResult:
    if isinstance(data, str):
        text = data
    else:
        text = compact_json(with_next_page_hint(call, data))
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)])


def with_next_page_hint(call: PreparedCall, data: Any) -> Any:
    """Lists say how to get the next page, in one line the agent can act on."""
    if not (isinstance(data, dict) and call.op.pagination and "items" in data):
        return data
    cursor = data.get("next_starting_after")
    if cursor:
        hint = f'More items: call {call.op.name} again with starting_after="{cursor}".'
    else:
        hint = "This is the last page."
    return {**data, "next_starting_after": cursor, "hint": hint}


def compact_json(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def error_result(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=message)], is_error=True)
