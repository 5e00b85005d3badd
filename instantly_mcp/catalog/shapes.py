"""The tool list as served: every nested shape spelled out once.

A few large argument shapes recur across tools: the SuperSearch filter object appears in seven
tools (about 1,400 tokens each), campaign schedules and sequences in campaigns, subsequences and
AI sales agents. An agent reads the whole list at once, so the second and later copies of a shape
are served as a pointer to the first visible one ("Same shape as search_filters of
create_ai_lead_finder_agent"); so are a union branch equal to such a shape, an update's payload that
is a create's with nothing required ("...; no field required") and a long field without nested
fields, description included (the lead interest codes). The pointer always names a tool in the
same list, so hiding tools with --tools / --toolsets / --scopes never leaves a dangling reference.
Validation is unchanged: each tool's model checks the full shape, and describe_tool and error
messages use the full schema.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

NONE_REQUIRED = "; no field required"
MIN_SHARED_CHARS = 120
"""A shape shorter than this (about 30 tokens) costs less to repeat than to point at."""
MIN_SHARED_LEAF_CHARS = 150
"""A field without nested fields is pointed at only from this size: its description goes too."""


def share_shapes(schemas: Iterable[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """(tool name, inputSchema) pairs in list order -> the schemas to serve, in the same order.

    The shape is spelled out in the most natural tool that has it: core tools before AI-agent
    ones, so campaign_schedule points at create_campaign, not create_ai_sales_agent."""
    pairs = list(schemas)
    first: dict[str, tuple[str, str]] = {}
    served: dict[int, dict[str, Any]] = {}
    for i in sorted(range(len(pairs)), key=lambda i: (is_niche(pairs[i][0]), i)):
        tool, schema = pairs[i]
        served[i] = _share(schema, tool, "", first, tool)
    return [served[i] for i in range(len(pairs))]


def is_niche(tool: str) -> bool:
    """A tool few agents reach for first: the AI agents' configuration carries copies of the
    campaign and search shapes."""
    return "_ai_" in f"_{tool}"


def _share(
    schema: dict[str, Any], tool: str, path: str, first: dict[str, tuple[str, str]], current: str
) -> dict[str, Any]:
    out = dict(schema)
    for key in ("items", "additionalProperties"):
        if isinstance(out.get(key), dict):
            out[key] = _share(out[key], tool, path, first, current)
    for key in ("anyOf", "oneOf"):
        if isinstance(out.get(key), list):
            out[key] = [_branch(b, tool, path, first, current) if isinstance(b, dict) else b for b in out[key]]
    properties = out.get("properties")
    if isinstance(properties, dict):
        shared = {}
        for name, sub in properties.items():
            if not isinstance(sub, dict):
                shared[name] = sub
                continue
            where = f"{path}.{name}" if path else name
            shape = _shape_key(sub)
            if shape is not None and shape in first:
                shared[name] = _pointer(sub, *first[shape], current)
                continue
            loose = _loose_key(sub, shape)
            if loose is not None and "required" not in sub and loose in first:
                shared[name] = _pointer(sub, *first[loose], current, NONE_REQUIRED)
                continue
            if shape is not None:
                first[shape] = (tool, where)
                if loose is not None:
                    first.setdefault(loose, (tool, where))
            shared[name] = _share(sub, tool, where, first, current)
        out["properties"] = shared
    return out


def _branch(
    schema: dict[str, Any], tool: str, path: str, first: dict[str, tuple[str, str]], current: str
) -> dict[str, Any]:
    """A union branch that is a shape already spelled out (update_ai_agent's payload may be any
    agent type's create payload) is a pointer to it; otherwise it is shared within, like a property."""
    shape = _shape_key(schema)
    if shape is not None and shape in first:
        return _pointer(schema, *first[shape], current)
    return _share(schema, tool, path, first, current)


def _shape_key(schema: dict[str, Any], *, loose: bool = False) -> str | None:
    """The shape without its own description, when it is big enough to be worth sharing. Loose:
    without its top-level `required` too, so that an update's all-optional payload can point at the
    create's ("Same shape as payload of create_ai_inbox_manager; no field required")."""
    if not ({"properties", "items", "anyOf", "oneOf"} & set(schema)):
        return _leaf_key(schema) if not loose else None
    left_out = ("description", "required") if loose else ("description",)
    key = json.dumps({k: v for k, v in schema.items() if k not in left_out}, sort_keys=True, separators=(",", ":"))
    if len(key) < MIN_SHARED_CHARS:
        return None
    return f"loose:{key}" if loose else key


def _loose_key(schema: dict[str, Any], shape: str | None) -> str | None:
    """_shape_key(schema, loose=True), from the strict key `shape` when there is no `required` to
    leave out: the same JSON, which need not be made twice (it is most of the list's start-up cost)."""
    if "required" in schema:
        return _shape_key(schema, loose=True)
    if shape is None or not ({"properties", "items", "anyOf", "oneOf"} & set(schema)):
        return None
    return f"loose:{shape}"


def _leaf_key(schema: dict[str, Any]) -> str | None:
    """A field without nested fields, description and all, when it is long enough to point at: the
    lead interest codes or the account filters with their meanings."""
    key = json.dumps(schema, sort_keys=True, separators=(",", ":"))
    return f"leaf:{key}" if len(key) >= MIN_SHARED_LEAF_CHARS else None


def _kind_of(schema: dict[str, Any]) -> dict[str, Any]:
    """The pointer keeps the shape's type, or its branches' types: an untyped schema is not portable."""
    if "type" in schema:
        return {"type": schema["type"]}
    kinds = [branch["type"] for branch in schema.get("anyOf") or schema.get("oneOf") or [] if "type" in branch]
    unique = list(dict.fromkeys(kinds))
    if len(unique) == 1:
        return {"type": unique[0]}
    return {"anyOf": [{"type": kind} for kind in unique]} if unique else {}


def _pointer(schema: dict[str, Any], tool: str, where: str, current: str, rider: str = "") -> dict[str, Any]:
    origin = where if tool == current else f"{where} of {tool}"
    note = f"Same shape as {origin}{rider}"
    nested = {"properties", "items", "anyOf", "oneOf"} & set(schema)
    own = schema.get("description") if nested else None  # a leaf's description is the origin's too
    pointer = _kind_of(schema)
    pointer["description"] = f"{own}. {note}" if own else note
    return pointer
