"""API-key scopes: what each operation requires and whether a key's grants satisfy it.

The spec states scopes only as prose ("Requires one of the following scopes: ...") and 30
operations state none; for those the `<resource>:<action>` pair is inferred from the path.
"""

from __future__ import annotations

from collections import Counter
from functools import cache

from instantly_mcp.sandbox.spec import Operation, Spec, get_spec

_POST_CREATE_ENDINGS = {"init"}
_RESOURCE_FALLBACK = {"oauth": "accounts"}
_WILDCARD = "all"


def _first_segment(op: Operation) -> str:
    return op.segments[2] if len(op.segments) > 2 else ""


@cache
def _resource_by_segment(spec: Spec) -> dict[str, str]:
    """The scope resource most used by the declared scopes of each top-level path segment."""
    votes: dict[str, Counter[str]] = {}
    for op in spec.operations:
        for scope in op.declared_scopes:
            resource = scope.split(":", 1)[0]
            if resource != _WILDCARD:
                votes.setdefault(_first_segment(op), Counter())[resource] += 1
    return {segment: counter.most_common(1)[0][0] for segment, counter in votes.items()}


def _inferred_action(op: Operation) -> str:
    if op.method == "get":
        return "read"
    if op.method == "delete":
        return "delete"
    if op.method in ("patch", "put"):
        return "update"
    at_collection = len(op.segments) == 3
    return "create" if at_collection or op.segments[-1] in _POST_CREATE_ENDINGS else "update"


def required_scopes(op: Operation, spec: Spec | None = None) -> tuple[str, ...]:
    """Alternatives, any one of which grants access to `op`."""
    if op.declared_scopes:
        return op.declared_scopes
    segment = _first_segment(op)
    resource = _resource_by_segment(spec or get_spec()).get(segment) or _RESOURCE_FALLBACK.get(
        segment, segment.replace("-", "_")
    )
    action = _inferred_action(op)
    return (f"{resource}:{action}", f"{resource}:all", f"all:{action}", "all:all")


def _covers(granted: str, required: str) -> bool:
    g_resource, _, g_action = granted.partition(":")
    r_resource, _, r_action = required.partition(":")
    return g_resource in (r_resource, _WILDCARD) and g_action in (r_action, _WILDCARD)


def is_allowed(granted: list[str], required: tuple[str, ...]) -> bool:
    return any(_covers(g, r) for g in granted for r in required)
