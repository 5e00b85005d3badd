"""Bad input never reaches Instantly: property-based fuzzing of every tool's arguments against the
tool's own inputSchema, oversized arguments, and path parameters that try to climb out of their
segment. Through a real MCP client; sends counted as they leave the client and as the sandbox
received them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from anyio.from_thread import start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from instantly_mcp.calls.input_limits import InputLimits
from instantly_mcp.calls.pipeline import encode_segment
from instantly_mcp.catalog.operations import load_operations

from .harness import served
from support.schema_args import arguments_for
from support.servers import policy_server, text

TOOLS = sorted(load_operations())
CONTROLS = {"dry_run", "confirm_token", "fields", "max_items"}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


class Session:
    """One MCP session (in-process server and sandbox) kept open across hypothesis examples."""

    def __init__(self, portal, harness) -> None:
        self.portal, self.harness = portal, harness
        tools = portal.call(harness.client.list_tools).tools
        self.schemas = {tool.name: tool.input_schema for tool in tools}

    def call(self, name: str, arguments: dict[str, Any]) -> tuple[Any, int]:
        before = len(self.harness.sent) + len(self.harness.received)
        result = self.portal.call(self.harness.client.call_tool, name, arguments)
        return result, len(self.harness.sent) + len(self.harness.received) - before


@pytest.fixture(scope="module")
def session() -> Iterator[Session]:
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(policy_server(confirm="off")) as harness:
        yield Session(portal, harness)


def resolve(schema: dict, root: dict) -> dict:
    while isinstance(schema, dict) and "$ref" in schema:
        schema = root["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def allows_null(schema: dict, root: dict) -> bool:
    schema = resolve(schema, root)
    kinds = schema.get("type")
    return (
        not schema
        or kinds == "null"
        or (isinstance(kinds, list) and "null" in kinds)
        or None in schema.get("enum", [0])
        or any(allows_null(branch, root) for branch in schema.get("anyOf", []) + schema.get("oneOf", []))
    )


def without_nulls(value: Any, schema: dict, root: dict) -> Any:
    """An explicit null where the schema allows none means "not given" (catalog/model_base.py): drop it,
    as the server does, before asking the schema whether the arguments are valid."""
    schema = resolve(schema, root)
    if isinstance(value, dict):
        props = schema.get("properties", {})
        return {
            k: without_nulls(v, props.get(k, {}), root)
            for k, v in value.items()
            if v is not None or k not in props or allows_null(props[k], root)
        }
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [without_nulls(v, schema["items"], root) for v in value]
    return value


def blamed_fields(schema: dict, arguments: dict) -> set[str]:
    """The argument names the schema's errors point at (any one is enough for the message)."""
    names: set[str] = set()
    properties = schema.get("properties", {})
    for error in Draft202012Validator(schema).iter_errors(arguments):
        if error.absolute_path:
            names.add(str(error.absolute_path[0]))
        elif error.validator == "additionalProperties":
            names |= set(arguments) - set(properties)
        elif error.validator == "required":
            names |= set(schema.get("required", [])) - set(arguments)
        else:
            names |= set(properties)
    return names


@st.composite
def bad_arguments(draw, schema: dict) -> tuple[dict[str, Any], str | None]:
    """(arguments, the field they get wrong, if one is targeted)."""
    properties = {k: v for k, v in schema.get("properties", {}).items() if k not in CONTROLS}
    base = arguments_for(schema)
    kinds = (
        ["unknown", "random"]
        + (["missing"] if schema.get("required") else [])
        + (["wrong", "confused"] if properties else [])
    )
    kind = draw(st.sampled_from(kinds))
    if kind == "missing":
        name = draw(st.sampled_from(schema["required"]))
        return {k: v for k, v in base.items() if k != name}, name
    if kind == "unknown":
        name = draw(st.text(min_size=1, max_size=10).filter(lambda k: k not in schema.get("properties", {})))
        return {**base, name: draw(json_values)}, name
    if kind in ("wrong", "confused"):  # confused: a value a lax parser would coerce ("5", true, "true", 1)
        name = draw(st.sampled_from(sorted(properties)))
        sub = Draft202012Validator({**properties[name], "$defs": schema.get("$defs", {})})
        values = (
            json_values if kind == "wrong" else st.sampled_from([True, False, 0, 1, "1", "5", "true", "", 1.5, [], {}])
        )
        value = draw(values.filter(lambda v: v is not None and not sub.is_valid(v)))
        return {**base, name: value}, name
    keys = st.sampled_from(sorted(properties)) | st.text(max_size=8) if properties else st.text(max_size=8)
    return draw(st.dictionaries(keys, json_values, max_size=4)), None


@pytest.mark.parametrize("tool", TOOLS)
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data())
def test_fuzzed_arguments_never_crash_and_invalid_ones_send_nothing(session: Session, tool: str, data) -> None:
    schema = session.schemas[tool]
    arguments, target = data.draw(bad_arguments(schema))
    result, sent = session.call(tool, arguments)
    message = text(result)
    assert "Traceback" not in message and "internal error" not in message.lower(), message
    if Draft202012Validator(schema).is_valid(without_nulls(arguments, schema, schema)):
        return  # valid by the schema: it may be sent, and must not crash (checked above)
    assert result.is_error, (arguments, message)
    assert "nothing was sent" in message, message
    assert sent == 0, (arguments, message)
    names = {target} if target is not None else blamed_fields(schema, without_nulls(arguments, schema, schema))
    assert any(name in message for name in names), (names, message)


# --- oversized input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tool", "arguments", "named"),
    [
        (
            "create_block_list_entry",
            {"bl_value": "x" * 1_000_000},
            ["bl_value", "1000000 characters", "100000 allowed"],
        ),
        (
            "bulk_create_block_list_entries",
            {"bl_values": [f"d{i}.example" for i in range(100_000)]},
            ["bl_values", "100000 items", "10000 allowed"],
        ),
        (
            "add_leads",
            {
                "list_id": "l1",
                "leads": [{"email": f"l{i}@x.example", "personalization": "p" * 600} for i in range(1000)],
            },
            ["leads", "bytes as JSON", "524288 allowed"],
        ),
        (
            "update_lead",
            {"id": "l1", "custom_variables": {f"k{i}": i for i in range(20_000)}},
            ["custom_variables", "20000 fields"],
        ),
        (
            "create_block_list_entry",
            {"bl_value": "a.example", "x" * 200_000: 1},
            ["argument name of 200000 characters"],
        ),
    ],
)
def test_oversized_arguments_are_refused_before_anything_is_sent(
    session: Session, tool: str, arguments: dict, named: list[str]
) -> None:
    result, sent = session.call(tool, arguments)
    message = text(result)
    assert result.is_error and f"Arguments too large for {tool}; nothing was sent" in message, message[:300]
    assert all(word in message for word in named), message[:300]
    assert sent == 0 and len(message) < 1000


def test_deeply_nested_arguments_are_refused(session: Session) -> None:
    nested: Any = "deep"
    for _ in range(40):
        nested = [nested]
    result, sent = session.call("update_lead", {"id": "l1", "custom_variables": {"a": nested}})
    assert result.is_error and "nested more than 32 levels deep" in text(result) and sent == 0


def test_limits_are_configurable() -> None:
    limits = InputLimits.from_env({"INSTANTLY_MCP_MAX_INPUT_BYTES": "100", "INSTANTLY_MCP_MAX_LIST_ITEMS": "3"})
    assert (limits.max_total_bytes, limits.max_list_items, limits.max_string_chars) == (100, 3, 100_000)
    with pytest.raises(ValueError, match="INSTANTLY_MCP_MAX_LIST_ITEMS"):
        InputLimits.from_env({"INSTANTLY_MCP_MAX_LIST_ITEMS": "many"})
    with pytest.raises(ValueError, match="items, more than the 3 allowed"):
        limits.check({"ids": [1, 2, 3, 4]})
    with pytest.raises(ValueError, match="ids: the arguments come to"):
        limits.check({"ids": ["x" * 50, "y" * 50, "z"]})


# --- path parameters stay in their segment ------------------------------------------------------

ATTACKS = [
    "../api-keys",
    "..",
    ".",
    "../../api/v2/api-keys",
    "..%2Fapi-keys",
    "%2e%2e",
    "a/../../api-keys",
    "x?limit=100",
    "x#frag",
    "..\\api-keys",
    " ",
    "ü/..",
    "\x00",
]


@pytest.mark.parametrize(
    ("tool", "prefix", "operation_id"),
    [
        ("get_oauth_session_status", "/api/v2/oauth/session/status/", "getOAuthSessionStatus"),
    ],
)
def test_path_parameters_cannot_reach_another_path(sandbox, tool: str, prefix: str, operation_id: str) -> None:
    """A free-form path parameter; ids (UUIDs) and account emails are refused before sending (below)."""
    argument = load_operations()[tool].path_params[0]

    async def go():
        async with served(sandbox.url) as s:
            return [await s.client.call_tool(tool, {argument: attack}) for attack in [*ATTACKS, ""]]

    results = anyio.run(go)
    log = sandbox.requests()
    assert [entry["raw_path"] for entry in log] == [prefix + encode_segment(attack) for attack in ATTACKS]
    assert {entry.get("operation_id") for entry in log} == {operation_id}
    assert all(entry["status"] == 404 for entry in log), json.dumps(log)[:500]
    assert all(r.is_error for r in results)
    assert f"{argument}: must not be empty" in text(results[-1])


@pytest.mark.parametrize("tool", ["get_lead", "delete_block_list_entry", "get_account"])
def test_path_ids_and_emails_that_are_neither_are_refused_before_sending(sandbox, tool: str) -> None:
    argument = load_operations()[tool].path_params[0]

    async def go():
        async with served(sandbox.url) as s:
            return [await s.client.call_tool(tool, {argument: attack}) for attack in [*ATTACKS, ""]]

    results = anyio.run(go)
    assert sandbox.requests() == []
    assert all(r.is_error and "nothing was sent" in text(r) and f"{argument}:" in text(r) for r in results)
