"""All 255 tools, called end to end through the SDK client against the sandbox with valid
arguments, give non-error results whose JSON validates against the spec's response schema."""

from __future__ import annotations

import json
import re

import anyio
from jsonschema import Draft202012Validator
from sandbox.requests_for_spec import build_call

from instantly_mcp.calls.pipeline import prepare
from instantly_mcp.catalog.operations import load_operations
from instantly_mcp.errors import InvalidArguments
from instantly_mcp.sandbox.spec import get_spec

from support.schema_args import arguments_for
from support.servers import policy_server, sandbox_app, text


def tool_arguments(template: str, call) -> dict:
    """Path, query and body of a valid HTTP request, folded into one flat argument object."""
    pattern = re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
    pattern = re.sub(r"{(\w+)}", r"(?P<\1>[^/]+)", pattern)
    match = re.fullmatch(pattern, call.path)
    assert match, (template, call.path)
    return {**match.groupdict(), **call.query, **(call.body or {})}


# The sandbox checks a block-list value is an email or a domain, as Instantly does; a placement test needs
# delivery_mode and a sender, as Instantly does live (overrides.toml).
CHANGES = {
    "update_block_list_entry": {"bl_value": "blocked-domain.example"},
    "create_inbox_placement_test": {"delivery_mode": 1, "emails": ["sender@example.com"]},
}


def with_a_change(op, arguments: dict) -> dict:
    """The spec lets an update omit its body; our tools ask for at least one field to change,
    so add the first body field (built from the inputSchema) that makes the arguments valid."""
    try:
        prepare(op, arguments)
        return arguments
    except InvalidArguments:
        pass
    if op.name in CHANGES:
        return {**arguments, **CHANGES[op.name]}
    full = arguments_for(op.input_schema, full=True)
    for name in op.body_params:
        candidate = {**arguments, name: full[name]}
        try:
            prepare(op, candidate)
            return candidate
        except InvalidArguments:
            continue
    return arguments


def as_spec_data(data):
    """Our list results add a one-line hint and an explicit null cursor on the last page."""
    if isinstance(data, dict) and "hint" in data:
        data = {k: v for k, v in data.items() if k != "hint" and not (k == "next_starting_after" and v is None)}
    return data


def test_all_tools_end_to_end_against_the_sandbox() -> None:
    by_endpoint = {op.endpoint: op for op in load_operations().values()}
    spec_ops = get_spec().operations
    app = sandbox_app()
    sandbox = app.state.sandbox
    failures: list[str] = []

    async def run() -> None:
        async with policy_server(app=app, confirm="off") as harness:
            for spec_op in spec_ops:
                op = by_endpoint[f"{spec_op.method.upper()} {spec_op.path}"]
                sandbox.reset()
                arguments = with_a_change(op, tool_arguments(spec_op.path, build_call(spec_op, sandbox)))
                result = await harness.call(op.name, arguments)
                if result.is_error:
                    failures.append(f"{op.name}: {text(result)[:300]}")
                    continue
                if spec_op.success_media_type == "text/csv" or not spec_op.success_schema:
                    continue
                data = as_spec_data(json.loads(text(result)))
                errors = [e.message for e in Draft202012Validator(spec_op.success_schema).iter_errors(data)]
                if errors:
                    failures.append(f"{op.name}: response breaks the spec: {errors[:3]}")

    anyio.run(run)
    print(f"\nsandbox end to end: {len(spec_ops) - len(failures)}/{len(spec_ops)} tools gave schema-valid results")
    assert len(spec_ops) == 255
    assert not failures, "\n".join(failures)
