"""A search answer: one line per match an agent can call from, `name(required: type, optional=,
+n more): purpose`. The one format of discover mode's search_tools, code mode's and
`instantly.search` in a script."""

from __future__ import annotations

import json
import keyword
import re
from collections.abc import Callable
from typing import Any

from instantly_mcp.catalog.operations import Operation
from instantly_mcp.catalog.search import DEFAULT_MATCHES, SearchIndex

SHOWN_ARGUMENTS = 3  # optional argument names an answer line shows
JSON_TYPES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}
MAX_ENUM = 12  # a longer enum (timezones, countries) is typed by its JSON type, not as a Literal


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


def purpose(op: Operation) -> str:
    """One line: the description's first sentence, else the title."""
    return (op.description or op.title).split(". ")[0].rstrip(".")


def signature(
    op: Operation, schema: dict[str, Any], note: str = "", *, signed: bool = True, shown: int = SHOWN_ARGUMENTS
) -> str:
    """A search answer line an agent can call from: `name(required: type, optional=, +n more): purpose`
    (the bare name when not `signed`), the purpose left out when it only repeats the name. The one
    format of discover mode's search_tools, code mode's and `instantly.search` in a script."""
    head = op.name
    if signed:
        params = parameters(schema)
        required = [f"{n}: {t}" for n, t, req, _ in params if req]
        optional = [f"{n}=" for n, _, req, _ in params if not req and n not in SERVER_ARGUMENTS]
        more = [f"+{len(optional) - shown} more"] if len(optional) > shown else []
        head = f"{op.name}({', '.join(required + optional[:shown] + more)})"
    said = purpose(op)
    return head + note if said.lower().replace(" ", "_") == op.name else f"{head}: {said}{note}"


def answer_names(text: str) -> list[str]:
    """The tool names of a search answer's lines, `# step` headings skipped."""
    return [match.group(0) for line in text.splitlines() if (match := _ANSWER_NAME.match(line))]


def answer(
    index: SearchIndex,
    query: str,
    schema: Callable[[Operation], dict[str, Any]],
    note: Callable[[Operation], str],
    *,
    toolset: str | None = None,
    limit: int = DEFAULT_MATCHES,
) -> str:
    """A search answer: one signature line per match; a request naming several steps gets a
    `# step` heading before each step's matches. Empty when nothing matches."""
    found = index.search_steps(query, toolset=toolset, limit=limit)
    lines = []
    for step, ops in found.items():
        if len(found) > 1 and ops:
            lines.append(f"# {step.strip()}")
        lines += [signature(op, schema(op), note(op)) for op in ops]
    return "\n".join(lines)


_ANSWER_NAME = re.compile(r"[a-z][a-z0-9_]*(?=\(|:|$)")
# The server's own arguments (policy.py) every agent learns once; left out of answer lines.
SERVER_ARGUMENTS = frozenset({"dry_run", "confirm_token", "approval_id", "fields", "max_items"})
