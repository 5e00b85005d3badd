"""JSON Schema -> pydantic v2 source code.

Why not datamodel-code-generator: it models query and body separately (we need one flat
object per operation with path, query and body side by side), leaves path parameters out,
and on this spec names 3,496 of 4,183 classes by numbered collision (Status1 ... Status39).
This writer is small because the spec is: no cycles, simple query types, $refs inlined.
"""

from __future__ import annotations

import keyword
import re
from typing import Any

from pydantic import BaseModel

from instantly_mcp.catalog.model_base import FORMATS

from .meaning import compact, sentences, survives
from .shapes import Shapes, Use
from .text import camel, short_description, strip_markdown

_RESERVED = set(dir(BaseModel)) | {
    "model_config",
    "body_fields",
    "body_rules",
    "body_rule_text",
    "nullable_fields",
    "required_any",
}


def python_name(name: str) -> str:
    """A valid attribute name for an API field; the API spelling stays as the alias."""
    candidate = re.sub(r"\W", "_", name)
    if not candidate or candidate[0].isdigit():
        candidate = f"f_{candidate}"
    if keyword.iskeyword(candidate) or candidate in _RESERVED or candidate.startswith("_"):
        candidate = f"{candidate.lstrip('_')}_"
    return candidate


def is_nullable(schema: dict[str, Any]) -> bool:
    """Whether the spec accepts null here (then an explicit null is sent, not dropped)."""
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind) or None in (schema.get("enum") or []):
        return True
    branches = schema.get("anyOf") or schema.get("oneOf") or []
    return any(isinstance(b, dict) and is_nullable(b) for b in branches)


def optional(annotation: str, literal: bool) -> str:
    """The type of a field that may be left out (default None). The JSON Schema still shows null
    only where the spec allows it (SpecModel drops the added null from the schema).

    A Literal takes None as one of its values: `Literal[1, 0] | None` would be a typing Union, and
    typing caches Unions by equality, where Literal[1, 0] == Literal[0, 1], so the enum could come
    out in another field's order."""
    if annotation in ("Any", "None") or annotation.endswith(" | None"):
        return annotation
    if literal:
        return f"{annotation[:-1]}, None]"
    return f"{annotation} | None"


class ModelWriter:
    """Writes the classes of a set of modules, one per distinct shape (specgen/shapes.py); nested
    objects become classes of their own. Set `module` before writing each module's tools."""

    def __init__(self, *, inputs: bool = False) -> None:
        self.shapes = Shapes()
        self.module = ""
        self.inputs = inputs
        self._taken: set[str] = set()
        self._tool = ""
        self._in_union = False

    def claim(self, name: str) -> str:
        candidate, n = name, 2
        while candidate in self._taken:
            candidate, n = f"{name}{n}", n + 1
        self._taken.add(candidate)
        return candidate

    def sources(self) -> dict[str, tuple[str, list[str]]]:
        """Module -> (its classes, the shared class names they import)."""
        self.shapes.settle()
        return {module: self.shapes.source(module) for module in self.shapes.modules()}

    def ref(self, token: str) -> str:
        """'module:Class' of a class written earlier, once `sources()` has settled the names."""
        return ":".join(self.shapes.ref(token))

    # -- classes -------------------------------------------------------------------------

    def tool_class(self, schema: dict[str, Any], name: str, **kwargs: Any) -> str:
        """A tool's own class; nested classes are named below it (CreateCampaignInputSequencesItem)."""
        self._tool = name
        return self.object_class(schema, name, base="ToolInput", **kwargs)

    def object_class(
        self,
        schema: dict[str, Any],
        name: str,
        *,
        base: str = "SpecModel",
        required_override: set[str] | None = None,
        class_vars: dict[str, str] | None = None,
        docstring: str | None = None,
    ) -> str:
        """A token standing for the class's name (see Shapes), written once per distinct shape."""
        class_name = self.claim(name)
        in_union, self._in_union = self._in_union, False
        properties: dict[str, Any] = schema.get("properties") or {}
        required = required_override if required_override is not None else set(schema.get("required") or [])
        extra = object_extra(schema, base, inputs=self.inputs)
        lines = []
        config = [f"extra={extra!r}"] if extra != "forbid" else []
        if schema.get("minProperties") and base == "SpecModel":
            config.append(f"json_schema_extra={{'minProperties': {schema['minProperties']}}}")
            lines.append(f"    min_properties: ClassVar = {schema['minProperties']}")
        if config:
            lines.append(f"    model_config = ConfigDict({', '.join(config)})")
        for var, value in (class_vars or {}).items():
            lines.append(f"    {var}: ClassVar = {value}")
        nullable = sorted(k for k, v in properties.items() if isinstance(v, dict) and is_nullable(v))
        if nullable:
            lines.append(f"    nullable_fields: ClassVar = frozenset({nullable!r})")
        for prop, prop_schema in properties.items():
            lines.append(self._field_line(class_name, prop, prop_schema, prop in required))
        self._in_union = in_union
        path = class_name[len(self._tool) :] if base != "ToolInput" and class_name.startswith(self._tool) else ""
        use = Use(self.module, class_name, path, docstring)
        return self.shapes.add(base, lines, list(properties), use, own_class=in_union)

    def _field_line(self, owner: str, prop: str, schema: Any, required: bool) -> str:
        schema = schema if isinstance(schema, dict) else {}
        attr = python_name(prop)
        annotation = self.annotation(schema, owner + camel(prop))
        kwargs: list[str] = []
        if attr != prop:
            kwargs.append(f"alias={prop!r}")
        description = field_description(schema)
        if description:
            kwargs.append(f"description={description!r}")
        kwargs.extend(_constraints(schema))
        if not required:
            kwargs.insert(0, "default=None")
            annotation = optional(annotation, "const" in schema or "enum" in schema)
        field_call = f"Field({', '.join(kwargs)})" if kwargs else None
        if field_call:
            return f"    {attr}: {annotation} = {field_call}"
        return f"    {attr}: {annotation}"

    # -- annotations ---------------------------------------------------------------------

    def annotation(self, schema: dict[str, Any], hint: str) -> str:
        if not schema:
            return "Any"
        composed = self._composed(schema, hint)
        if composed is not None:
            return composed
        kind = schema.get("type")
        if isinstance(kind, list):
            return self._union([{**schema, "type": k} for k in kind], hint)
        if kind == "string":
            return FORMATS.get(schema.get("format", ""), "str")
        if isinstance(kind, str) and kind in _SCALARS:
            return _SCALARS[kind]
        if kind == "array":
            return self._array(schema, hint)
        if kind == "object" or "properties" in schema:
            return self._object(schema, hint)
        return "Any"

    def _composed(self, schema: dict[str, Any], hint: str) -> str | None:
        """const, enum and the combinators, which decide the annotation before `type` does."""
        if "const" in schema:
            return f"Literal[{schema['const']!r}]"
        if "enum" in schema:
            return _enum_literal(schema)
        alternatives = required_alternatives(schema)
        if alternatives:
            closed = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
            return self.object_class(closed, hint, class_vars={"required_any": repr(alternatives)})
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return self._union([{**_inherited(schema), **b} for b in schema[key]], hint)
        if "allOf" in schema:
            return self.annotation(merge_all_of(schema), hint)
        return None

    def _array(self, schema: dict[str, Any], hint: str) -> str:
        items = schema.get("items") or {}
        item_type = self.annotation(items, hint + "Item") if items else "Any"
        item_constraints = _constraints(items) if isinstance(items, dict) and items else []
        if item_constraints and " | " not in item_type:
            item_type = f"Annotated[{item_type}, Field({', '.join(item_constraints)})]"
        return f"list[{item_type}]"

    def _object(self, schema: dict[str, Any], hint: str) -> str:
        if schema.get("properties"):
            return self.object_class(schema, hint)
        additional = schema.get("additionalProperties")
        if isinstance(additional, dict) and additional:
            return f"dict[str, {self.annotation(additional, hint + 'Value')}]"
        return "dict[str, Any]"

    def _union(self, branches: list[dict[str, Any]], hint: str) -> str:
        """A class named in a union keeps a class of its own: pydantic names a union's members in
        error locations (search_filters.employeeCount.0.function-after[..., <class>].min), which
        agents read, so sharing it would change what an invalid call is told."""
        outer, self._in_union = self._in_union, self._in_union or sum(b.get("type") != "null" for b in branches) > 1
        parts: list[str] = []
        for index, branch in enumerate(branches):
            part = self.annotation(branch, f"{hint}{index + 1}" if len(branches) > 1 else hint)
            for piece in part.split(" | "):
                if piece not in parts:
                    parts.append(piece)
        self._in_union = outer
        if "None" in parts:
            parts = [p for p in parts if p != "None"] + ["None"]
        return " | ".join(parts) if parts else "Any"


_SCALARS = {"null": "None", "integer": "int", "number": "Number", "boolean": "bool"}


def _enum_literal(schema: dict[str, Any]) -> str:
    values = [v for v in schema["enum"] if v is not None]
    literal = f"Literal[{', '.join(repr(v) for v in values)}]" if values else "None"
    return f"{literal} | None" if None in schema["enum"] or is_nullable(schema) else literal


def required_alternatives(schema: dict[str, Any]) -> tuple[tuple[str, ...], ...] | None:
    """An object whose only union is "one of these sets of fields is required" ({city} or {state} or
    {country}): one class checking the rule, not a union of empty branches that would accept anything."""
    branches = schema.get("anyOf") or schema.get("oneOf")
    if not schema.get("properties") or not branches:
        return None
    if not all(isinstance(b, dict) and set(b) == {"required"} for b in branches):
        return None
    return tuple(tuple(b["required"]) for b in branches)


def object_extra(schema: dict[str, Any], base: str, *, inputs: bool) -> str:
    """Whether a model takes fields its schema does not list.

    A tool's top level is open where the spec leaves the request body open (real clients send
    undocumented fields there, issue 15); nested input objects are open only where the spec says so
    explicitly, since an unlisted nested field (body.bcc) would reach Instantly unseen (issue 10).
    Entity models keep the JSON Schema default (open unless closed)."""
    additional = schema.get("additionalProperties")
    if base == "ToolInput":
        return "allow" if schema.get("x-open-body") else "forbid"
    if inputs:
        return "allow" if additional is True or isinstance(additional, dict) else "forbid"
    return "forbid" if additional is False else "allow"


def _inherited(schema: dict[str, Any]) -> dict[str, Any]:
    """Keys of a union's parent that apply to every branch (e.g. a shared description)."""
    return {k: v for k, v in schema.items() if k in ("description",)}


def merge_all_of(schema: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema["allOf"]:
        part = merge_all_of(part) if "allOf" in part else part
        for key, value in part.items():
            if key == "properties":
                merged.setdefault("properties", {}).update(value)
            elif key == "required":
                merged["required"] = sorted(set(merged.get("required", [])) | set(value))
            elif key not in ("if", "then", "else"):
                merged.setdefault(key, value)
    return merged


_CONSTRAINTS = {
    "minimum": "ge",
    "maximum": "le",
    "exclusiveMinimum": "gt",
    "exclusiveMaximum": "lt",
    "minLength": "min_length",
    "maxLength": "max_length",
    "minItems": "min_length",
    "maxItems": "max_length",
    "pattern": "pattern",
}


def _constraints(schema: dict[str, Any]) -> list[str]:
    if any(k in schema for k in ("anyOf", "oneOf", "enum", "const")) or isinstance(schema.get("type"), list):
        return []
    out = []
    for key, kwarg in _CONSTRAINTS.items():
        if key in schema and isinstance(schema[key], (int, float, str)) and not isinstance(schema[key], bool):
            out.append(f"{kwarg}={schema[key]!r}")
    return out


def field_description(schema: dict[str, Any]) -> str | None:
    """What the agent needs: a short purpose, plus enum meanings where values are opaque numbers."""
    full = schema.get("description") or ""
    text = short_description(full)
    facts = [compact(s) for s in sentences(strip_markdown(full)) if not survives(s, text)]
    text = ". ".join(dict.fromkeys([text, *facts] if text else facts))
    labels = schema.get("x-enumDescriptions")
    enum = schema.get("enum")
    if isinstance(labels, dict) and enum and all(isinstance(v, (int, float)) for v in enum if v is not None):
        meanings = ", ".join(f"{k}={short_description(str(v), 30)}" for k, v in labels.items())
        text = f"{text} ({meanings})" if text else meanings
    return text or None
