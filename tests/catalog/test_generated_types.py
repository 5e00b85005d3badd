"""Generated models are typed for mypy --strict (an optional argument is `X | None`), yet agents see
the schemas they saw before, and a null goes upstream only where the spec accepts one."""

from __future__ import annotations

from types import NoneType
from typing import Any, ClassVar, Literal, get_args

import anyio
from pydantic import Field

from instantly_mcp.catalog.model_base import SpecModel
from instantly_mcp.catalog.operations import load_operations

from support.mcp_session import mcp_client, payload

OPERATIONS = load_operations()


def served_schemas(url: str) -> dict[str, dict[str, Any]]:
    async def run() -> dict[str, dict[str, Any]]:
        async with mcp_client(url) as mcp:
            return {tool.name: tool.input_schema for tool in (await mcp.list_tools()).tools}

    return anyio.run(run)


def call(url: str, name: str, arguments: dict[str, Any]) -> Any:
    async def run() -> Any:
        async with mcp_client(url) as mcp:
            return payload(await mcp.call_tool(name, arguments))

    return anyio.run(run)


def test_an_optional_argument_is_typed_optional_and_served_without_null(sandbox) -> None:
    model = OPERATIONS["list_block_list_entries"].model()
    assert NoneType in get_args(model.model_fields["limit"].annotation)
    limit = served_schemas(sandbox.url)["list_block_list_entries"]["properties"]["limit"]
    assert limit == {"type": "integer", "minimum": 1, "maximum": 100}


def offers_null(schema: dict[str, Any]) -> bool:
    kinds = schema.get("type")
    branches = schema.get("anyOf") or schema.get("oneOf") or []
    return (
        kinds == "null"
        or (isinstance(kinds, list) and "null" in kinds)
        or None in (schema.get("enum") or [])
        or any(offers_null(branch) for branch in branches)
    )


def test_a_served_argument_offers_null_only_where_the_model_keeps_it(sandbox) -> None:
    served = served_schemas(sandbox.url)
    offered, kept = set(), set()
    for name, op in OPERATIONS.items():
        model = op.model()
        for prop, schema in served[name].get("properties", {}).items():
            if prop in op.input_schema.get("properties", {}) and offers_null(schema):
                offered.add(f"{name}.{prop}")
        kept |= {f"{name}.{prop}" for prop in model.nullable_fields}
    assert offered and offered <= kept


def test_a_null_for_an_optional_argument_is_dropped_not_sent(sandbox) -> None:
    answer = call(sandbox.url, "list_block_list_entries", {"limit": None})
    assert "items" in answer
    (sent,) = sandbox.requests()
    assert sent["method"] == "GET" and "limit" not in (sent.get("query") or {})


def test_a_null_the_spec_documents_is_kept(sandbox) -> None:
    """toggle_custom_tag_resources: the spec lists null among `filter`'s values ("No filter")."""
    arguments = {"tag_ids": ["t1"], "resource_type": 1, "assign": True, "filter": None, "search": None}
    answer = call(sandbox.url, "toggle_custom_tag_resources", {**arguments, "dry_run": True})
    assert answer["body"] == {"tag_ids": ["t1"], "resource_type": 1, "assign": True, "filter": None}
    assert sandbox.requests() == []


class _Nullable(SpecModel):
    nullable_fields: ClassVar[frozenset[str]] = frozenset({"order"})
    order: Literal["b", "a"] | None = Field(default=None)


class _Optional(SpecModel):
    order: Literal["a", "b", None] = Field(default=None)
    count: int | None = Field(default=None, description="how many", ge=1)


def test_the_schema_drops_only_the_null_added_for_the_default() -> None:
    """Literal["b", "a"] | None is cached by typing as equal to Literal["a", "b"] | None; the
    generator writes an optional Literal as Literal[..., None] so each keeps its own order."""
    nullable = _Nullable.model_json_schema()["properties"]["order"]
    assert nullable["anyOf"] == [{"enum": ["b", "a"], "type": "string"}, {"type": "null"}]
    optional = _Optional.model_json_schema()["properties"]
    assert optional["order"] == {"default": None, "enum": ["a", "b"], "title": "Order", "type": "string"}
    assert optional["count"] == {
        "default": None,
        "description": "how many",
        "minimum": 1,
        "title": "Count",
        "type": "integer",
    }
