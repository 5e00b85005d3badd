"""Schema → value: plausible, schema-valid JSON for responses the sandbox has no state for.

The vendored spec normalises many examples to a placeholder UUID and the Unix epoch (even for
dates and `HH:MM` times), so examples are used only after placeholders are replaced and the
candidate validates; otherwise values come from the format, pattern or property name.
"""

from __future__ import annotations

import contextvars
import random
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from instantly_mcp.sandbox.validation import compile_fast, compile_schema

PLACEHOLDER_UUID = "f9cc070d-8dba-4341-b847-f083c358e460"
PLACEHOLDER_TIME = "1970-01-01T00:00:00.000Z"
_PATTERN_SAMPLES = {
    "^([01][0-9]|2[0-3]):([0-5][0-9])$": "09:00",
    r"^\s*\S+\.[a-zA-Z]{2,}\s*$": "example.com",
    r".*\S.*": "example",
    "^https?://": "https://example.com",
    "^ptid_(?!ptid_)[A-Za-z0-9_-]{1,45}$": "ptid_demo",
    r"^\s*$|^(ptid_)?(?!ptid_)[A-Za-z0-9_-]{1,45}$": "ptid_demo",
    r"^[^\n\r]*$": "example",
    "^rule-(0|[1-9][0-9]*)$": "rule-0",
}
_MAX_DEPTH = 6
_MAX_CACHED_VALIDATORS = 4096
_COMPOSITION = ("allOf", "anyOf", "oneOf")
_validators: dict[int, tuple[dict[str, Any], Callable[[Any], bool]]] = {}
_fast_validators: dict[int, tuple[dict[str, Any], Callable[[Any], bool]]] = {}


@dataclass
class _Seeded:
    rng: random.Random
    now: datetime


_seeded: contextvars.ContextVar[_Seeded | None] = contextvars.ContextVar("sandbox_seeded", default=None)


@contextmanager
def seeded(rng: random.Random, now: datetime) -> Iterator[None]:
    """Ids and clock drawn from `rng` and `now` while seeding, so a seed always gives the same workspace."""
    token = _seeded.set(_Seeded(rng, now))
    try:
        yield
    finally:
        _seeded.reset(token)


def _now() -> datetime:
    state = _seeded.get()
    return state.now if state else datetime.now(UTC)


def _uuid4() -> uuid.UUID:
    state = _seeded.get()
    return uuid.UUID(int=state.rng.getrandbits(128), version=4) if state else uuid.uuid4()


def now_iso() -> str:
    return _now().isoformat(timespec="milliseconds").replace("+00:00", "Z")


def today() -> str:
    return _now().date().isoformat()


def new_id() -> str:
    return str(_uuid4())


def new_object_id() -> str:
    """A 24-hex id, the shape background-job ids have in Instantly."""
    return _uuid4().hex[:24]


def is_valid(value: Any, schema: dict[str, Any]) -> bool:
    """Cached by schema identity: the spec's resolved schemas live for the whole process."""
    cached = _validators.get(id(schema))
    if cached is None or cached[0] is not schema:
        if len(_validators) >= _MAX_CACHED_VALIDATORS:
            _validators.clear()
        cached = (schema, compile_schema(schema).is_valid)
        _validators[id(schema)] = cached
    return cached[1](value)


def is_valid_fast(value: Any, schema: dict[str, Any]) -> bool:
    """`is_valid` compiled to Python, for the spec's long-lived response schemas only (compiling costs
    milliseconds, so schemas built per call, as `conform` makes them, stay on `is_valid`)."""
    cached = _fast_validators.get(id(schema))
    if cached is None or cached[0] is not schema:
        if len(_fast_validators) >= _MAX_CACHED_VALIDATORS:
            _fast_validators.clear()
        cached = (schema, compile_fast(schema))
        _fast_validators[id(schema)] = cached
    return cached[1](value)


def _types(schema: dict[str, Any]) -> list[str]:
    declared = schema.get("type")
    if isinstance(declared, list):
        return declared
    if isinstance(declared, str):
        return [declared]
    if "properties" in schema or "additionalProperties" in schema or "required" in schema:
        return ["object"]
    if "items" in schema:
        return ["array"]
    return []


def _without_composition(schema: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in schema.items() if key not in _COMPOSITION}


def _constrains(schema: dict[str, Any]) -> bool:
    return any(key in schema for key in ("type", "properties", "items", "enum", "const", "required"))


def _in_context(branch: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """A composition branch that only lists `required` names gets the parent's property schemas."""
    if "properties" not in base or not isinstance(branch, dict) or "if" in branch:
        return branch
    return {
        **branch,
        "type": branch.get("type", base.get("type")),
        "properties": {**base["properties"], **branch.get("properties", {})},
    }


def _merge(current: Any, part: Any) -> Any:
    if isinstance(current, dict) and isinstance(part, dict):
        return {**current, **part}
    return part if part is not None else current


def _example(schema: dict[str, Any]) -> Any:
    if "example" in schema:
        return schema["example"]
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return examples[0]
    return None


def _string_from_name(name: str) -> str:
    lowered = name.lower()
    if lowered == "id" or lowered.endswith("_id"):
        return new_id()
    if "email" in lowered or lowered in ("eaccount", "lead", "contact"):
        return "alex@example.com"
    if "domain" in lowered or lowered == "host":
        return "example.com"
    if "url" in lowered or "website" in lowered or "link" in lowered:
        return "https://example.com"
    if "timestamp" in lowered or lowered.endswith("_at") or lowered in ("from", "to", "last_updated"):
        return now_iso()
    if lowered == "date" or lowered.endswith("_date"):
        return today()
    if "name" in lowered:
        return "Example"
    return name.replace("_", " ") if name else "example"


class Synthesizer:
    """Builds values for schemas; `full=True` also fills optional properties (for whole responses)."""

    def __init__(self, full: bool = False):
        self.full = full

    def value(self, schema: dict[str, Any], name: str = "", depth: int = 0) -> Any:
        if "const" in schema:
            return schema["const"]
        if any(keyword in schema for keyword in _COMPOSITION):
            return self._composed(schema, name, depth)
        types = _types(schema)
        if "enum" in schema:
            return self._enum(schema)
        kind = next((t for t in types if t != "null"), "null" if types else None)
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            return self._array(schema, name, depth)
        if kind == "string":
            return self._string(schema, name)
        if kind in ("number", "integer"):
            return self._number(schema, kind)
        if kind == "boolean":
            example = _example(schema)
            return example if isinstance(example, bool) else False
        return None

    def _composed(self, schema: dict[str, Any], name: str, depth: int) -> Any:
        """allOf parts are merged into the schema's own value; the first valid oneOf/anyOf branch wins."""
        base = _without_composition(schema)
        value = self.value(base, name, depth) if _constrains(base) else None
        for branch in schema.get("allOf", []):
            if "if" in branch:
                branch = branch.get("then" if is_valid(value, branch["if"]) else "else", {})
            if branch:
                value = _merge(value, self.value(_in_context(branch, base), name, depth))
        for keyword in ("oneOf", "anyOf"):
            if keyword in schema:
                ordered = sorted(schema[keyword], key=lambda b: _types(b) == ["null"])
                candidates = [_merge(value, self.value(_in_context(b, base), name, depth)) for b in ordered]
                return next((c for c in candidates if is_valid(c, schema)), candidates[0] if candidates else value)
        return value if is_valid(value, schema) else conform(value, schema, name)

    def _enum(self, schema: dict[str, Any]) -> Any:
        example = _example(schema)
        if example in schema["enum"] and example is not None:
            return example
        return next((v for v in schema["enum"] if v is not None), None)

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        properties: dict[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", []))
        result: dict[str, Any] = {}
        include_optional = self.full and depth < _MAX_DEPTH
        for prop, prop_schema in properties.items():
            if prop in required or include_optional:
                result[prop] = self.value(prop_schema, prop, depth + 1)
        for prop in required - set(properties):
            result[prop] = _string_from_name(prop)
        for prop, prop_schema in properties.items():
            if len(result) >= schema.get("minProperties", 0):
                break
            result.setdefault(prop, self.value(prop_schema, prop, depth + 1))
        if not is_valid(result, schema) and include_optional:
            result = {k: v for k, v in result.items() if k in required or is_valid(v, properties[k])}
        return result

    def _array(self, schema: dict[str, Any], name: str, depth: int) -> list[Any]:
        count = max(schema.get("minItems", 0), 1 if self.full and depth < _MAX_DEPTH else 0)
        items = schema.get("items", {})
        return [self.value(items, name, depth + 1) for _ in range(count)]

    def _string(self, schema: dict[str, Any], name: str) -> str:
        example = _example(schema)
        fmt = schema.get("format")
        pattern = schema.get("pattern")
        candidates: list[Any] = []
        if example == PLACEHOLDER_UUID:
            candidates.append(new_id())
        elif example == PLACEHOLDER_TIME:
            candidates.append(today() if fmt == "date" or name.endswith("date") else now_iso())
        elif isinstance(example, str):
            candidates.append(example)
        if fmt == "date-time":
            candidates.append(now_iso())
        elif fmt == "date":
            candidates.append(today())
        elif fmt == "email":
            candidates.append("alex@example.com")
        elif fmt == "uri":
            candidates.append("https://example.com")
        if pattern in _PATTERN_SAMPLES:
            candidates.append(_PATTERN_SAMPLES[pattern])
        candidates.append(_string_from_name(name))
        minimum = schema.get("minLength", 0)
        candidates.append("x" * max(minimum, 1))
        for candidate in candidates:
            if isinstance(candidate, str) and is_valid(candidate, schema):
                return candidate
        return cast(str, candidates[0])

    def _number(self, schema: dict[str, Any], kind: str) -> int | float:
        example = _example(schema)
        if isinstance(example, (int, float)) and not isinstance(example, bool) and is_valid(example, schema):
            return example
        low = schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1)
        value = max(low, 0) if "maximum" not in schema else min(max(low, 0), schema["maximum"])
        return int(value) if kind == "integer" else value


def synthesize(schema: dict[str, Any] | None, name: str = "", full: bool = False) -> Any:
    return None if schema is None else Synthesizer(full).value(schema, name)


def strip_internal(entity: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entity.items() if not key.startswith("_")}


def conform(value: Any, schema: dict[str, Any], name: str = "") -> Any:
    """`value` made valid for `schema`: unknown or invalid optional fields dropped, required ones filled.

    Invalid scalars are dropped rather than replaced, so a response never shows an invented value
    for a field the sandbox stored differently (only required fields are synthesized).
    """
    if is_valid(value, schema):
        return value
    base = _without_composition(schema)
    if _constrains(base):
        value = _conform_plain(value, base, name)
    for branch in schema.get("allOf", []):
        value = conform(value, branch, name)
    for keyword in ("oneOf", "anyOf"):
        if keyword in schema:
            for branch in schema[keyword]:
                candidate = conform(value, branch, name)
                if is_valid(candidate, schema):
                    return candidate
            return synthesize(schema, name)
    return value


def _conform_plain(value: Any, schema: dict[str, Any], name: str) -> Any:
    if is_valid(value, schema):
        return value
    types = _types(schema)
    if isinstance(value, dict) and "object" in types:
        return _conform_object(value, schema)
    if isinstance(value, list) and "array" in types:
        items = schema.get("items", {})
        fixed = [conform(item, items, name) for item in value]
        fixed = [item for item in fixed if is_valid(item, items)]
        missing = schema.get("minItems", 0) - len(fixed)
        return fixed + [synthesize(items, name) for _ in range(max(missing, 0))]
    return synthesize(schema, name)


def _conform_object(value: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = schema.get("properties", {})
    required = schema.get("required", [])
    additional = schema.get("additionalProperties", True)
    result: dict[str, Any] = {}
    for key, item in value.items():
        if key in properties:
            if is_valid(item, properties[key]):
                result[key] = item
            elif isinstance(item, (dict, list)):
                fixed = conform(item, properties[key], key)
                if is_valid(fixed, properties[key]):
                    result[key] = fixed
        elif isinstance(additional, dict):
            if is_valid(item, additional):
                result[key] = item
        elif additional is not False and not key.startswith("_"):
            result[key] = item
    for key in required:
        if key not in result:
            result[key] = synthesize(properties.get(key, {}), key)
    return result


def render(entity: dict[str, Any], schema: dict[str, Any] | None) -> Any:
    """An entity as an API response for `schema`: internal keys removed, then conformed."""
    public = strip_internal(entity)
    if schema is None or is_valid_fast(public, schema):
        return public
    return conform(public, schema)
