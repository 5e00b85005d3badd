"""Portable schemas: only the JSON Schema constructs every MCP client accepts.

Some clients reject (and `mcp-inspector --strict` warns on) a `type` given as a list, such as
["number", "null"], and a property schema that names no type at all. Both are spelled with anyOf
instead, which means the same to a validator: a list type becomes one branch per type, and an
untyped schema one branch per kind of JSON value it may hold (any but null).
"""

from __future__ import annotations

from typing import Any

ANY_VALUE = ("string", "number", "boolean", "object", "array")
TYPED_BY = ("type", "anyOf", "oneOf", "allOf", "$ref", "enum", "const", "not")
SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions")
SUBSCHEMAS = ("items", "additionalProperties", "contains", "not")


def portable(schema: Any) -> Any:
    """`schema` with every list `type` and every untyped subschema spelled as anyOf."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    for key in SUBSCHEMA_MAPS:
        if isinstance(out.get(key), dict):
            out[key] = {name: portable(_typed(sub)) for name, sub in out[key].items()}
    for key in SUBSCHEMAS:
        if isinstance(out.get(key), dict):
            out[key] = portable(_typed(out[key]))
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(out.get(key), list):
            out[key] = [portable(branch) for branch in out[key]]
    kinds = out.get("type")
    if isinstance(kinds, list):
        return _branches(out, kinds)
    return out


def _typed(schema: Any) -> Any:
    """A subschema that constrains nothing gets the anyOf of every non-null kind."""
    if isinstance(schema, dict) and not any(key in schema for key in TYPED_BY):
        return {**schema, "anyOf": [{"type": kind} for kind in ANY_VALUE]}
    return schema


def _branches(schema: dict[str, Any], kinds: list[str]) -> dict[str, Any]:
    rest = {key: value for key, value in schema.items() if key != "type"}
    if len(kinds) == 1:
        return {**rest, "type": kinds[0]}
    if "anyOf" in rest:  # both a type list and a union: the union must also hold
        return {
            **{k: v for k, v in rest.items() if k != "anyOf"},
            "allOf": [{"anyOf": [{"type": kind} for kind in kinds]}, {"anyOf": rest["anyOf"]}],
        }
    return {**rest, "anyOf": [{"type": kind} for kind in kinds]}
