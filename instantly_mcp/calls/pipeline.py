"""From an Operation to an MCP tool, and the call pipeline: validate -> request -> result.

`prepare` does everything that needs no network (validation, building the request), so the
policy layer can refuse, confirm or dry-run a call before anything is sent; `send` sends it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol
from urllib.parse import quote

import anyio
import mcp_types as types
from pydantic import ValidationError

from instantly_mcp.calls.advice import describe
from instantly_mcp.calls.input_limits import InputLimits, default_limits, is_small
from instantly_mcp.calls.mistakes import correct, enum_hint
from instantly_mcp.calls.paging import CURSOR_PAGINATION, Shape, compact_json, page_limit, shaped
from instantly_mcp.calls.secrets import guard_secrets, mark_secret
from instantly_mcp.calls.undocumented import admits_extra, undocumented_fields
from instantly_mcp.calls.undocumented import note as undocumented_note
from instantly_mcp.calls.verify import deleted_anyway
from instantly_mcp.catalog.operations import Operation
from instantly_mcp.errors import ApiError, InputTooLarge, InvalidArguments, TransportError, UpstreamError
from instantly_mcp.upstream.client import ApiRequest, Requester


def invalid(op: Operation, problems: str) -> InvalidArguments:
    return InvalidArguments(f"Invalid arguments for {op.name}; nothing was sent. {problems}")


class ResponseWatch(Protocol):
    """Sees each answer after it is shaped (drift/log.py's DriftLog under --log-drift)."""

    def observe(self, op: Operation, data: Any) -> None: ...


@dataclass(frozen=True)
class PreparedCall:
    op: Operation
    arguments: dict[str, Any]
    request: ApiRequest
    undocumented: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # what the server changed on the way (a timezone mapped), for the result


def prepare(op: Operation, arguments: dict[str, Any] | None, limits: InputLimits | None = None) -> PreparedCall:
    try:
        (limits or default_limits()).check(arguments or {})
    except InputTooLarge as exc:
        raise InvalidArguments(f"Arguments too large for {op.name}; nothing was sent. {exc}") from None
    corrected = correct(op, arguments or {})
    model = op.model()
    try:
        # Strict, as JSON: "5" is no integer and true no 1, so what is sent is what the schema says.
        validated = model.model_validate_json(compact_json(corrected.arguments), strict=True)
    except ValidationError as exc:
        raise InvalidArguments(validation_message(op, exc, corrected.problems)) from None
    if corrected.problems:
        raise invalid(op, "; ".join(corrected.problems))
    wire = validated.wire()
    return PreparedCall(
        op=op,
        arguments=wire,
        request=build_request(op, wire),
        undocumented=undocumented_fields(validated) if admits_extra(model) else (),
        notes=tuple(corrected.notes),
    )


def build_request(op: Operation, wire: dict[str, Any]) -> ApiRequest:
    path = op.path
    for name in op.path_params:
        if str(wire[name]) == "":  # /block-lists-entries/ would address the whole collection
            raise invalid(op, f"{name}: must not be empty")
        path = path.replace("{" + name + "}", encode_segment(wire[name]))
    query = {k: wire[k] for k in op.query_params if k in wire}
    body: dict[str, Any] | None = {k: v for k, v in wire.items() if k in op.body_params or is_extra(op, k)}
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


def is_extra(op: Operation, name: str) -> bool:
    """An undocumented top-level field; the model admits these only where the body is open."""
    return op.body_open and name not in op.path_params and name not in op.query_params and name not in op.body_params


def encode_segment(value: Any) -> str:
    """Percent-encode a path parameter so that an id like "../api-keys" stays one segment."""
    segment = quote(str(value), safe="")
    return segment.replace(".", "%2E") if segment.strip(".") == "" else segment


def validation_message(op: Operation, exc: ValidationError, mistakes: Sequence[str] = ()) -> str:
    """Every problem, the mistakes (calls/mistakes.py) first; a field they explain is not
    reported twice."""
    properties = op.input_schema.get("properties", {})
    problems = list(mistakes)
    explained = {m.split(":", 1)[0] for m in mistakes}
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"])
        top = str(error["loc"][0]) if error["loc"] else ""
        if field and field_path(error["loc"]) in explained:
            continue
        if not field:
            problems.append(error["msg"].removeprefix("Value error, "))
        elif error["type"] == "extra_forbidden":
            valid = ", ".join(properties) or "none"
            problems.append(f"{field}: unknown argument; this tool accepts: {valid}")
        elif error["type"] == "missing":
            problems.append(missing_message(op, field, error["loc"]))
        else:
            message = error["msg"].removeprefix("Value error, ")
            hint = enum_hint(properties.get(top, {}), error.get("input")) if field == top else None
            problems.append(
                f"{field}: {message} (expected {expected(properties.get(top, {}))})" + (f"; {hint}" if hint else "")
            )
    return str(invalid(op, "; ".join(problems)))


def missing_message(op: Operation, field: str, loc: tuple[Any, ...]) -> str:
    """What the missing field itself is (not its parent's type), from the model's full schema."""
    schema = field_schema(op, loc)
    description = str(schema.get("description") or "").rstrip(".")
    what = f"an object with {', '.join(schema['properties'])}" if schema.get("properties") else expected(schema)
    return f"{field} is required: {what}" + (f" ({description})" if description else "")


def field_schema(op: Operation, loc: tuple[Any, ...]) -> dict[str, Any]:
    """The JSON Schema at `loc` in the tool's model, following $refs, items and union branches."""
    root = model_schema(op.model_ref)
    schema: dict[str, Any] = root
    for step in loc:
        schema = resolved(schema, root)
        if isinstance(step, int):
            schema = schema.get("items") or {}
            continue
        candidates = [schema, *[resolved(b, root) for b in schema.get("anyOf", [])]]
        schema = next((c["properties"][step] for c in candidates if step in c.get("properties", {})), {})
    schema = resolved(schema, root)
    branches = [resolved(b, root) for b in schema.get("anyOf", []) if b.get("type") != "null"]
    return {**branches[0], **{k: v for k, v in schema.items() if k != "anyOf"}} if len(branches) == 1 else schema


def resolved(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = root.get("$defs", {}).get(schema["$ref"].rsplit("/", 1)[-1], {})
    return schema


@cache
def model_schema(model_ref: str) -> dict[str, Any]:
    from instantly_mcp.catalog.operations import _import_model

    return _import_model(model_ref).model_json_schema(by_alias=True)


def field_path(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as mistakes.py writes paths: schedules[0].timezone."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def expected(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        values = schema["enum"]
        shown = ", ".join(json.dumps(v) for v in values[:12])
        return f"one of {shown}" + (f" … ({len(values)} values)" if len(values) > 12 else "")
    kind: str | list[str] = schema.get("type", "any value")
    kind = " or ".join(kind) if isinstance(kind, list) else kind
    if kind == "array" and isinstance(schema.get("items"), dict):
        kind = f"array of {expected(schema['items'])}"
    bounds = [
        f"{label} {schema[key]}"
        for key, label in (
            ("minimum", ">="),
            ("maximum", "<="),
            ("minLength", "min length"),
            ("maxLength", "max length"),
            ("minItems", "min items"),
            ("maxItems", "max items"),
        )
        if key in schema
    ]
    return kind + (f" ({', '.join(bounds)})" if bounds else "")


async def send(
    call: PreparedCall, client: Requester, *, shape: Shape = Shape(), watch: ResponseWatch | None = None
) -> tuple[types.CallToolResult, int | None]:
    """The result plus Instantly's HTTP status, for the audit log; None when no answer came from
    Instantly (a network failure, or an error the client raised without sending)."""
    result, status = await answer(call, client, shape, watch)
    if call.undocumented and (status is not None or not result.is_error):  # not when nothing reached Instantly
        paged = call.op.pagination is not None
        result.content.append(types.TextContent(type="text", text=undocumented_note(call.undocumented, paged=paged)))
    return result, status


async def answer(
    call: PreparedCall, client: Requester, shape: Shape, watch: ResponseWatch | None
) -> tuple[types.CallToolResult, int | None]:
    """Send the first request, then hand the answer to paging.shaped, which follows further pages
    (max_items) and cuts the result to size; a failed delete is checked before it is reported."""
    try:
        response = await client.request(first_request(call, shape))
    except ApiError as err:
        deleted = await deleted_anyway(call.op, call.request, err, client)
        return (deleted, err.status) if deleted is not None else failure(call.op, err, call.arguments)
    except TransportError as err:
        return failure(call.op, err, call.arguments)
    if watch is not None:
        watch.observe(call.op, response.data)
    data = guard_secrets(call.op, response.data)
    text = await shaped(call.op, data, shape, ClientPages(call, client))
    return mark_secret(call.op, with_notes(text_result(text), call.notes)), response.status


def first_request(call: PreparedCall, shape: Shape) -> ApiRequest:
    """max_items asks the first page for no more than it wants, so that its cursor resumes right after."""
    if shape.max_items and call.op.pagination in CURSOR_PAGINATION:
        return page_request(call, None, shape.max_items)
    return call.request


@dataclass(frozen=True)
class ClientPages:
    """paging.PageSource for one call: the pages after the first, each sent through the client like any call
    (rate limiter, retries)."""

    call: PreparedCall
    client: Requester

    @property
    def start(self) -> Any:
        return self.call.arguments.get("starting_after")

    async def fetch(self, cursor: Any, limit: int | None) -> Any:
        return (await self.client.request(page_request(self.call, cursor, limit))).data


def page_request(call: PreparedCall, cursor: Any, limit: int | None) -> ApiRequest:
    """The call's request for the page after `cursor`, asking for at most `limit` items."""
    arguments = dict(call.arguments)
    page_max = page_limit(call.op)
    if limit is not None:
        arguments["limit"] = min(int(arguments.get("limit") or page_max), page_max, limit)
    if cursor is not None:
        arguments["starting_after"] = cursor
    return build_request(call.op, arguments)


def with_notes(result: types.CallToolResult, notes: tuple[str, ...]) -> types.CallToolResult:
    """The result plus a block saying what the server changed in the arguments on the way."""
    if not notes:
        return result
    return result.model_copy(
        update={"content": [*result.content, types.TextContent(type="text", text="Note: " + " ".join(notes))]}
    )


def failure(
    op: Operation, err: UpstreamError, arguments: dict[str, Any] | None = None
) -> tuple[types.CallToolResult, int | None]:
    """`arguments` let a bulk tool's error say how many items are in doubt (advice.BULK_CHECKS)."""
    result = error_result(describe(err, tool=op.name, required_scopes=op.scopes, arguments=arguments))
    return result, err.status if isinstance(err, ApiError) and err.attempts else None


def text_result(text: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)])


def error_result(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=message)], is_error=True)


async def prepare_call(op: Operation, arguments: dict[str, Any]) -> PreparedCall:
    """Small arguments (nearly every call) are validated right here: the hop to a thread and back
    costs several times the validation. Large ones go to a worker thread, where they cost that
    thread CPU while the event loop (every other session, /healthz) gets the interpreter back at
    each GIL switch interval (5 ms). Every check is linear in the input either way."""
    if is_small(arguments):
        return prepare(op, arguments)
    return await anyio.to_thread.run_sync(prepare, op, arguments)
