"""Arguments built from a tool's own inputSchema: what an agent reading only the schema would send."""

from __future__ import annotations

import re
from typing import Any

_FORMAT_VALUES = {
    "email": "jane@example.com",
    "date-time": "2026-01-31T09:00:00Z",
    "date": "2026-01-31",
    "uri": "https://example.com/hook",
    "uuid": "0b5c2f9e-6a1d-4c3b-9f1e-2d7a8b9c0d1e",
}
_PATTERN_VALUES = {
    r"^([01][0-9]|2[0-3]):([0-5][0-9])$": "09:30",
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$": _FORMAT_VALUES["uuid"],
    r"^\s*\S+\.[a-zA-Z]{2,}\s*$": "example.com",
    r"^https?://": "https://example.com",
    r"^rule-(0|[1-9][0-9]*)$": "rule-1",
}
SAMPLE_ID = "0b5c2f9e-6a1d-4c3b-9f1e-2d7a8b9c0d1e"


def value_for(schema: dict[str, Any], name: str = "", *, full: bool = False) -> Any:
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return next((v for v in schema["enum"] if v is not None), None)
    if schema.get("examples"):
        return schema["examples"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            branches = [b for b in schema[key] if b.get("type") != "null"]
            return value_for(branches[-1], name, full=full)
    kind = schema.get("type", "string")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    if kind == "string":
        return _string(schema, name)
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1 if "exclusiveMinimum" in schema else 1)
        high = schema.get("maximum", max(low, 10))
        return int(min(max(low, 1), high))
    if kind == "boolean":
        return not full
    if kind == "array":
        count = max(schema.get("minItems", 1), 1)
        return [value_for(schema.get("items") or {}, name, full=full) for _ in range(count)]
    if kind == "object":
        return object_for(schema, full=full)
    return "x"


def _string(schema: dict[str, Any], name: str) -> str:
    if schema.get("format") in _FORMAT_VALUES:
        return _FORMAT_VALUES[schema["format"]]
    if "pattern" in schema:
        known = _PATTERN_VALUES.get(schema["pattern"])
        if known is not None:
            return known
    if name == "email" or name.endswith("_email"):
        value = "jane@example.com"
    elif name == "id" or name.endswith("_id"):
        value = SAMPLE_ID
    elif "domain" in name:
        value = "example.com"
    else:
        value = "sample"
    if "pattern" in schema and not re.search(schema["pattern"], value):
        value = "sample-value"
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    if len(value) < low:
        value = value + "x" * (low - len(value))
    if high is not None:
        value = value[:high]
    return value


def object_for(schema: dict[str, Any], *, full: bool = False) -> dict[str, Any]:
    properties = schema.get("properties") or {}
    names = list(properties) if full else [k for k in schema.get("required", []) if k in properties]
    for extra in properties:
        if len(names) >= schema.get("minProperties", 0):
            break
        if extra not in names:
            names.append(extra)
    wanted = {k: properties[k] for k in names}
    return {name: value_for(sub, name, full=full) for name, sub in wanted.items()}


def arguments_for(input_schema: dict[str, Any], *, full: bool = False) -> dict[str, Any]:
    """Required fields only, or every field with `full` (satisfies "at least one field" rules)."""
    return object_for(input_schema, full=full)


_POINTER = re.compile(r"Same shape as ([\w.\-]+)(?: of (\w+))?")


def child(schema: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The property `name` of this schema, looking through array items and union branches, as a
    reader following "Same shape as a.b of tool" would."""
    properties = schema.get("properties") or {}
    if name in properties:
        return properties[name]
    for inner in [schema.get("items"), *(schema.get("anyOf") or []), *(schema.get("oneOf") or [])]:
        if isinstance(inner, dict):
            found = child(inner, name)
            if found is not None:
                return found
    return None


def pointer_target(tools: dict[str, dict[str, Any]], tool: str, description: str) -> tuple[str, dict[str, Any]] | None:
    match = _POINTER.search(description or "")
    if not match:
        return None
    path, origin = match.group(1), match.group(2) or tool
    node: dict[str, Any] | None = tools[origin]
    for name in path.split("."):
        node = child(node, name) if node is not None else None
    if node is None:
        raise AssertionError(f"{tool}: pointer {match.group(0)!r} leads nowhere")
    return origin, node


def resolve_shared(tools: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each listed inputSchema with its "Same shape as ..." pointers replaced by the shape they name
    (in the same list), so that arguments can be built from what an agent actually reads."""

    def resolve(schema: Any, tool: str) -> Any:
        if isinstance(schema, list):
            return [resolve(v, tool) for v in schema]
        if not isinstance(schema, dict):
            return schema
        description = schema.get("description")
        target = pointer_target(tools, tool, description) if isinstance(description, str) else None
        if target is not None:
            origin, shape = target
            if description.endswith("; no field required"):  # an update's all-optional copy of a create's shape
                shape = {k: v for k, v in shape.items() if k != "required"}
            return resolve(shape, origin)
        return {k: resolve(v, tool) for k, v in schema.items()}

    return {name: resolve(schema, name) for name, schema in tools.items()}
