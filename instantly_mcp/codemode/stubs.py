"""Python signatures for the operations, generated from the same input schemas the tools list.

`describe_tool` (and `instantly.describe` in a script) shows a signature with a short docstring;
search answers show a one-line call with the required arguments typed (`brief`).
"""

from __future__ import annotations

import json
import keyword
from typing import Any

from instantly_mcp.calls.pipeline import CURSOR_PAGINATION
from instantly_mcp.calls.results import selectable_fields
from instantly_mcp.catalog.operations import Operation

JSON_TYPES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}
MAX_ENUM = 12
DOC_CHARS = 140


def python_type(schema: dict[str, Any]) -> str:
    """The Python annotation a JSON Schema fragment admits; objects stay dicts (the schema names their keys)."""
    if "enum" in schema and len(schema["enum"]) <= MAX_ENUM:
        return f"Literal[{', '.join(json.dumps(v) for v in schema['enum'])}]"
    if "const" in schema:
        return f"Literal[{json.dumps(schema['const'])}]"
    variants = schema.get("anyOf") or schema.get("oneOf")
    if variants:
        return " | ".join(dict.fromkeys(python_type(v) for v in variants))
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(dict.fromkeys(python_type({**schema, "type": k}) for k in kind))
    if kind == "array":
        return f"list[{python_type(schema.get('items') or {})}]"
    if kind == "object":
        return "dict[str, Any]"
    return JSON_TYPES.get(kind, "Any") if isinstance(kind, str) else "Any"


def parameters(schema: dict[str, Any]) -> list[tuple[str, str, bool, dict[str, Any]]]:
    """(name, annotation, required, schema) per argument, required ones first; names that are not
    Python identifiers cannot be keyword arguments and are left out."""
    required = set(schema.get("required", []))
    found = [
        (name, python_type(sub), name in required, sub)
        for name, sub in schema.get("properties", {}).items()
        if name.isidentifier() and not keyword.iskeyword(name)
    ]
    return sorted(found, key=lambda p: not p[2])


def signature(name: str, schema: dict[str, Any]) -> str:
    params = [f"{n}: {t}" if req else f"{n}: {t} | None = None" for n, t, req, _ in parameters(schema)]
    return f"async def {name}(*, {', '.join(params)}) -> Any" if params else f"async def {name}() -> Any"


def brief(op: Operation, schema: dict[str, Any], summary: str, *, signed: bool = True, shown: int = 6) -> str:
    """One search answer line: the call with its required arguments typed and a few optional names
    (or the bare name when not `signed`), then the summary unless it only repeats the name."""
    head = op.name
    if signed:
        params = parameters(schema)
        required = [f"{n}: {t}" for n, t, req, _ in params if req]
        optional = [f"{n}=" for n, _, req, _ in params if not req and n not in ("dry_run", "max_items")]
        more = [f"+{len(optional) - shown} more"] if len(optional) > shown else []
        head = f"{op.name}({', '.join(required + optional[:shown] + more)})"
    repeats = summary.lower().replace(" ", "_") == op.name
    return head if repeats else f"{head}: {summary}"


def constraint(sub: dict[str, Any]) -> str:
    parts = [f"{key} {sub[key]}" for key in ("format", "pattern") if key in sub]
    parts += [
        f"{label} {sub[key]}"
        for key, label in (("minimum", ">="), ("maximum", "<="), ("minItems", "items >="), ("maxItems", "items <="))
        if key in sub
    ]
    if "enum" in sub and len(sub["enum"]) > MAX_ENUM:
        parts.append("one of " + ", ".join(json.dumps(v) for v in sub["enum"]))
    return ", ".join(parts)


def argument_line(name: str, annotation: str, required: bool, sub: dict[str, Any]) -> str:
    text = (sub.get("description") or "").strip().replace("\n", " ")
    if len(text) > DOC_CHARS:
        text = text[: DOC_CHARS - 1].rstrip() + "…"
    extra = constraint(sub)
    keys = ", ".join(sub.get("properties", {})) if sub.get("type") == "object" else ""
    details = "; ".join(p for p in (text, extra, f"keys: {keys}" if keys else "") if p)
    return f"    {name}{' (required)' if required else ''}: {details}" if details or required else ""


def describe(op: Operation, schema: dict[str, Any], *, gated: bool) -> str:
    """The operation as a Python signature with a compact docstring: what it does, the arguments
    worth a word, its risk and what it returns."""
    summary = (op.description or op.title).split("\n")[0].strip()
    lines = [signature(op.name, schema) + ":", f'    """{summary}']
    args = [line for p in parameters(schema) if (line := argument_line(*p))]
    if args:
        lines += ["", "    Args:", *(" " * 4 + line for line in args)]
    lines += [
        "",
        f"    Risk: {op.risk}"
        + ("; a person approves each call (the script pauses until they answer)" if gated else ""),
    ]
    fields = selectable_fields(op)
    returns = (
        "dict with items (list) and next_starting_after (cursor)"
        if op.pagination in CURSOR_PAGINATION
        else "the parsed JSON"
    )
    lines.append(f"    Returns: {returns}" + (f"; record fields: {', '.join(fields)}" if fields else ""))
    lines.append('    """')
    return "\n".join(lines)
