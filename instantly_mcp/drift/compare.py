"""Compare a response with its operation's output outline (tool_specs `output_schema`, types only).

A difference names a field path and a kind (missing, extra, type) with the expected and the seen JSON
type; never a value, so reports and logs are safe to share. List items share one path (`items[]`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_DIFFERENCES = 50


@dataclass(frozen=True, order=True)
class Difference:
    path: str
    kind: str  # missing | extra | type
    expected: str = ""
    seen: str = ""

    def text(self) -> str:
        if self.kind == "type":
            return f"{self.path}: expected {self.expected}, got {self.seen}"
        if self.kind == "missing":
            return f"{self.path}: missing (required {self.expected})"
        return f"{self.path}: not in the spec ({self.seen})"


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def differences(schema: dict[str, Any] | None, data: Any) -> list[Difference]:
    """Every difference between `data` and `schema`, deduplicated and capped."""
    found: set[Difference] = set()
    if schema:
        _walk(schema, data, "$", found)
    return sorted(found)[:MAX_DIFFERENCES]


def _walk(schema: dict[str, Any], data: Any, path: str, found: set[Difference]) -> None:
    if len(found) >= MAX_DIFFERENCES:
        return
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        if not any(not differences(branch, data) for branch in branches if isinstance(branch, dict)):
            expected = " or ".join(sorted({_types(b) for b in branches if isinstance(b, dict)}))
            found.add(Difference(path, "type", expected, json_type(data)))
        return
    if not _type_fits(schema, data):
        found.add(Difference(path, "type", _types(schema), json_type(data)))
        return
    if isinstance(data, dict) and "properties" in schema:
        _walk_object(schema, data, path, found)
    if isinstance(data, list) and isinstance(schema.get("items"), dict):
        for item in data:
            _walk(schema["items"], item, f"{path}[]", found)


def _walk_object(schema: dict[str, Any], data: dict[str, Any], path: str, found: set[Difference]) -> None:
    properties: dict[str, Any] = schema["properties"]
    for name in schema.get("required") or []:
        if name not in data:
            found.add(Difference(f"{path}.{name}", "missing", _types(properties.get(name) or {})))
    for name, value in data.items():
        if name in properties:
            _walk(properties[name] or {}, value, f"{path}.{name}", found)
        else:
            found.add(Difference(f"{path}.{name}", "extra", "", json_type(value)))


def _types(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        return "|".join(kind)
    return kind or "any"


def _type_fits(schema: dict[str, Any], data: Any) -> bool:
    kind = schema.get("type")
    if kind is None:
        return True
    kinds = set(kind) if isinstance(kind, list) else {kind}
    seen = json_type(data)
    return seen in kinds or (seen == "integer" and "number" in kinds)
