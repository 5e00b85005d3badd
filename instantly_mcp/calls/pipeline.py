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

from instantly_mcp.calls.advice import describe_api_error, describe_transport_error
from instantly_mcp.calls.input_limits import InputLimits, default_limits, is_small
from instantly_mcp.calls.mistakes import correct, enum_hint
from instantly_mcp.calls.paging import (
    CURSOR_PAGINATION,
    Page,
    Shape,
    compact_json,
    cut_view,
    derived_cursor,
    fitting_items,
    page_limit,
    page_view,
    select,
    text_of,
)
from instantly_mcp.calls.progress import report_progress
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
    result, status = await send_once(call, client, shape, watch)
    if call.undocumented and (status is not None or not result.is_error):  # not when nothing reached Instantly
        paged = call.op.pagination is not None
        result.content.append(types.TextContent(type="text", text=undocumented_note(call.undocumented, paged=paged)))
    return result, status


async def send_once(
    call: PreparedCall, client: Requester, shape: Shape, watch: ResponseWatch | None
) -> tuple[types.CallToolResult, int | None]:
    if call.op.pagination in CURSOR_PAGINATION:
        return await send_list(call, client, shape, watch)
    try:
        response = await client.request(call.request)
    except ApiError as err:
        deleted = await deleted_anyway(call.op, call.request, err, client)
        return (deleted, err.status) if deleted is not None else failure(call.op, err, call.arguments)
    except TransportError as err:
        return failure(call.op, err, call.arguments)
    data = guard_secrets(call.op, response.data)
    if watch is not None:
        watch.observe(call.op, response.data)
    return mark_secret(call.op, with_notes(success_result(call, data, shape), call.notes)), response.status


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
    if isinstance(err, ApiError):
        result = error_result(describe_api_error(err, tool=op.name, required_scopes=op.scopes, arguments=arguments))
        return result, err.status if err.attempts else None
    if isinstance(err, TransportError):
        return error_result(describe_transport_error(err, tool=op.name, arguments=arguments)), None
    raise err  # a kind of upstream failure with no advice written for it yet


async def send_list(
    call: PreparedCall, client: Requester, shape: Shape, watch: ResponseWatch | None = None
) -> tuple[types.CallToolResult, int | None]:
    """A cursor-paginated list: one page as asked, or (max_items) pages followed until that many
    items or the last page. Each page goes through the client like any call (rate limiter,
    retries); the last page asks for exactly what is still wanted, so its cursor resumes right
    after the last item. A client that sent a progress token hears items fetched of max_items
    after every page. A result over the size cap is cut at an item boundary, with the cursor that
    resumes after the last item shown."""
    op = call.op
    try:
        response = await client.request(
            call.request if not shape.max_items else page_request(call, None, shape.max_items)
        )
    except UpstreamError as err:
        return failure(op, err)
    status, data = response.status, guard_secrets(op, response.data)
    if watch is not None:
        watch.observe(op, response.data)
    if not (isinstance(data, dict) and isinstance(data.get("items"), list)):
        return success_result(call, data, shape), status
    pages = [Page(call.arguments.get("starting_after"), 0, data["items"], data.get("next_starting_after"))]
    result: dict[str, Any] = {k: v for k, v in data.items() if k != "items"}
    if shape.max_items:
        stopped = await follow_pages(call, client, shape.max_items, pages, shape)
        result = {"next_starting_after": pages[-1].end, "pages": len(pages)}
        if stopped:
            result["stopped"] = stopped
    items = [item for page in pages for item in page.items]
    view = select({"items": items, **result}, shape.fields)
    text = compact_json(page_view(op, view))
    if len(text) <= shape.max_chars:
        return text_result(text), status
    kept = fitting_items(op, view, shape.max_chars)
    resume = await resume_after(call, client, pages, kept)
    return text_result(compact_json(cut_view(op, view, kept, resume))), status


def page_request(call: PreparedCall, cursor: Any, limit: int | None) -> ApiRequest:
    """The call's request for the page after `cursor`, asking for at most `limit` items."""
    arguments = dict(call.arguments)
    page_max = page_limit(call.op)
    if limit is not None:
        arguments["limit"] = min(int(arguments.get("limit") or page_max), page_max, limit)
    if cursor is not None:
        arguments["starting_after"] = cursor
    return build_request(call.op, arguments)


async def follow_pages(
    call: PreparedCall, client: Requester, wanted: int, pages: list[Page], shape: Shape = Shape()
) -> str | None:
    """Fetch pages after the first until `wanted` items, or until the items so far already pass
    the result cap (more would be cut away unseen, so they are not fetched; the cut result carries
    the cursor to resume). A failure after the first page stops the walk and is reported next to
    the items so far (and their cursor)."""
    count = len(pages[0].items)
    shown = len(compact_json(select({"items": pages[0].items}, shape.fields)))  # the result's size so far
    while True:
        await report_progress(
            None, float(min(count, wanted)), float(wanted), f"{call.op.name}: {count} items, {len(pages)} pages"
        )
        last = pages[-1]
        if count >= wanted or not last.end or not last.items or last.end == last.start or shown > shape.max_chars:
            return None
        try:
            response = await client.request(page_request(call, last.end, wanted - count))
        except UpstreamError as err:
            reason = failure(call.op, err)[0].content[0]
            return f"Stopped after {len(pages)} pages: {getattr(reason, 'text', err)}"
        data = guard_secrets(call.op, response.data) if isinstance(response.data, dict) else {}
        listed = data.get("items")
        items: list[Any] = listed if isinstance(listed, list) else []
        pages.append(Page(last.end, count, items, data.get("next_starting_after")))
        count += len(items)
        shown += len(compact_json(select(items, shape.fields))) - 1  # the items plus a comma each


async def resume_after(call: PreparedCall, client: Requester, pages: list[Page], kept: int) -> Any:
    """The cursor after item number `kept`: a page's own cursor at a page boundary, else the same
    field of the last kept item that the page's cursor comes from, else asked of Instantly by
    fetching that page again with limit = the items kept of it (a read; the cursor it answers
    with is the exact one). None when none of these works."""
    if kept == 0:
        return pages[0].start
    page = next(p for p in pages if p.first < kept <= p.first + len(p.items))
    within = kept - page.first
    cursor = derived_cursor(page.items, within, page.end)
    if cursor is not None:
        return cursor
    try:
        response = await client.request(page_request(call, page.start, within))
    except UpstreamError:
        return None
    return response.data.get("next_starting_after") if isinstance(response.data, dict) else None


def success_result(call: PreparedCall, data: Any, shape: Shape = Shape()) -> types.CallToolResult:
    return text_result(text_of(call.op, data, shape))


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
