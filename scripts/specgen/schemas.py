"""From a model's exported JSON Schema to the compact, self-contained inputSchema agents see."""

from __future__ import annotations

from typing import Any

from .economy import economize
from .portable import portable

_DROP = {"title", "examples", "example", "x-enumDescriptions", "readOnly", "writeOnly"}
_SIMPLE = {"string", "integer", "number", "boolean", "array", "object", "null"}


def inline_refs(schema: Any, defs: dict[str, Any]) -> Any:
    if isinstance(schema, dict):
        if "$ref" in schema:
            target = defs[schema["$ref"].rsplit("/", 1)[-1]]
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            return inline_refs({**target, **rest}, defs)
        return {k: inline_refs(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [inline_refs(v, defs) for v in schema]
    return schema


def compact(schema: Any) -> Any:
    """Drop what costs tokens without helping a call: titles, examples, null defaults.

    Nullable unions of plain types become `type: [X, "null"]`; everything else is kept,
    because types, enums, required fields and bounds are what make a call correct.
    """
    if isinstance(schema, list):
        return [compact(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: compact(v) for k, v in schema.items() if k not in _DROP}
    if out.get("default", 0) is None:
        del out["default"]
    if "properties" in out:
        out["properties"] = {k: compact(v) for k, v in schema["properties"].items()}
    _flatten_nullable(out)
    return out


def _flatten_nullable(out: dict[str, Any]) -> None:
    """anyOf of plain types becomes a type list; anyOf of one schema and null, that schema nullable."""
    branches = out.get("anyOf")
    if not branches:
        return
    if all(set(b) <= {"type"} and b.get("type") in _SIMPLE for b in branches):
        out.pop("anyOf")
        out["type"] = [b["type"] for b in branches]
        return
    rest = [b for b in branches if b != {"type": "null"}]
    if len(rest) == 1 and len(branches) > 1 and isinstance(rest[0].get("type"), str) and "anyOf" not in rest[0]:
        out.pop("anyOf")
        out.update({**rest[0], "type": [rest[0]["type"], "null"]})


LONG_ENUM = 15


def shorten_long_enums(schema: Any) -> Any:
    """Long value lists (147 industries, 102 timezones, 178 scopes) cost about 20k tokens when
    repeated across tools. The model still validates them, and a wrong value is answered with
    the full list, so the schema gives one as an example and says how many there are."""
    if isinstance(schema, list):
        return [shorten_long_enums(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: shorten_long_enums(v) for k, v in schema.items()}
    values = out.get("enum")
    if isinstance(values, list) and len(values) > LONG_ENUM:
        hint = f"One of {len(values)} values"
        out.pop("enum")
        out["description"] = f"{out['description'].rstrip('.')}. {hint}" if out.get("description") else hint
        out["examples"] = values[:1]
    return out


def input_schema(exported: dict[str, Any], tool: str) -> dict[str, Any]:
    flat = inline_refs(exported, exported.get("$defs", {}))
    result: dict[str, Any] = portable(economize(shorten_long_enums(compact(flat)), tool))
    result.pop("description", None)
    result.setdefault("properties", {})
    result["type"] = "object"
    return result


def output_schema(response: dict[str, Any] | None) -> dict[str, Any] | None:
    """A types-only outline of the success body, for field selection and documentation."""
    if not response or response.get("type") not in ("object", "array"):
        return None
    outline: dict[str, Any] = _outline(response)
    return outline


def record_fields(outline: dict[str, Any] | None, response_type: str) -> list[str]:
    """The top-level fields of one record of the answer: of each item of a list result, else of the
    result itself (allOf parts side by side, as the API sends them). `fields` may name these."""
    if not outline or response_type != "application/json":
        return []
    items = (outline.get("properties") or {}).get("items")
    if outline.get("type") == "object" and isinstance(items, dict) and items.get("type") == "array":
        return list(_merged_properties(items.get("items") or {}))
    if outline.get("type") == "array":
        return list(_merged_properties(outline.get("items") or {}))
    return list(_merged_properties(outline))


def _merged_properties(schema: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = dict(schema.get("properties") or {})
    for part in schema.get("allOf") or ():
        properties.update(_merged_properties(part))
    return properties


def _outline(schema: Any) -> Any:
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key in ("type", "enum", "required"):
        if key in schema:
            out[key] = schema[key]
    if "properties" in schema:
        out["properties"] = {k: _outline(v) for k, v in schema["properties"].items()}
    if "items" in schema:
        out["items"] = _outline(schema["items"])
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            out[key] = [_outline(v) for v in schema[key]]
    return out
