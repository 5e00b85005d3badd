"""What changed between two versions of Instantly's spec, for `generate.py --spec NEW.json` (issue 15, item 11):
operations added and removed, and per operation the request and response fields added, removed or changed
(type, required, enum, bounds). Shapes only: examples and descriptions are left out."""

from __future__ import annotations

from typing import Any

from .spec import Spec, SpecOperation

_COMPARED = ("type", "format", "enum", "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "const")


def fields(op: SpecOperation, spec: Spec) -> dict[str, str]:
    """Every field of the request (path, query, body) and success response, by dotted name, with a shape summary."""
    out: dict[str, str] = {}
    for param in op.path_params + op.query_params:
        out[f"{param['in']} {param['name']}"] = shape(param.get("schema", {}), bool(param.get("required")))
    if op.body_schema is not None:
        walk(op.body_schema, "body", out, required=True)
    walk(spec.response_schema(op)[1] or {}, "response", out, required=True)
    return out


def walk(schema: dict[str, Any], prefix: str, out: dict[str, str], *, required: bool) -> None:
    out[prefix] = shape(schema, required)
    needed = set(schema.get("required") or [])
    for name, sub in (schema.get("properties") or {}).items():
        if isinstance(sub, dict):
            walk(sub, f"{prefix}.{name}", out, required=name in needed)
    items = schema.get("items")
    if isinstance(items, dict):
        walk(items, f"{prefix}[]", out, required=True)


def shape(schema: dict[str, Any], required: bool) -> str:
    parts = [f"{key}={schema[key]!r}" for key in _COMPARED if key in schema]
    if "additionalProperties" in schema and not isinstance(schema["additionalProperties"], dict):
        parts.append(f"additionalProperties={schema['additionalProperties']!r}")
    parts.extend(f"{key}[{len(schema[key])}]" for key in ("anyOf", "oneOf") if key in schema)
    return ("required " if required else "") + (", ".join(parts) or "any")


def report(old: Spec, new: Spec) -> list[str]:
    """Lines for a maintainer: `+`/`-` operations, then `~` per changed operation with its field changes."""
    before = {op.key: op for op in old.operations()}
    after = {op.key: op for op in new.operations()}
    lines = [f"+ {key}: {after[key].raw.get('summary', '')}" for key in sorted(set(after) - set(before))]
    lines += [f"- {key}: {before[key].raw.get('summary', '')}" for key in sorted(set(before) - set(after))]
    for key in sorted(set(before) & set(after)):
        old_fields, new_fields = fields(before[key], old), fields(after[key], new)
        changes = [f"    + {name} ({new_fields[name]})" for name in sorted(set(new_fields) - set(old_fields))]
        changes += [f"    - {name} ({old_fields[name]})" for name in sorted(set(old_fields) - set(new_fields))]
        changes += [
            f"    ~ {name}: {old_fields[name]} -> {new_fields[name]}"
            for name in sorted(set(old_fields) & set(new_fields))
            if old_fields[name] != new_fields[name]
        ]
        if changes:
            lines.append(f"~ {key}")
            lines.extend(changes)
    return lines


def summary(lines: list[str]) -> str:
    added = sum(line.startswith("+ ") for line in lines)
    removed = sum(line.startswith("- ") for line in lines)
    changed = sum(line.startswith("~ ") for line in lines)
    return f"{added} operation(s) added, {removed} removed, {changed} changed"
