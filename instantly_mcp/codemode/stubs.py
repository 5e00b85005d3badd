"""Python signatures for the operations, generated from the same input schemas the tools list.

`describe_tool` (and `instantly.describe` in a script) shows a signature with a short docstring;
search answers show a one-line call with the required arguments typed (catalog/answers.py's
`signature`, the same line discover mode answers).
"""

from __future__ import annotations

import json
from typing import Any

from instantly_mcp.calls.paging import CURSOR_PAGINATION, selectable_fields
from instantly_mcp.catalog.answers import MAX_ENUM, parameters
from instantly_mcp.catalog.operations import Operation

DOC_CHARS = 140


def signature(name: str, schema: dict[str, Any]) -> str:
    params = [f"{n}: {t}" if req else f"{n}: {t} | None = None" for n, t, req, _ in parameters(schema)]
    return f"async def {name}(*, {', '.join(params)}) -> Any" if params else f"async def {name}() -> Any"


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
