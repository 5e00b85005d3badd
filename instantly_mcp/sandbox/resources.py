"""Spec-driven discovery of the CRUD resources the sandbox keeps state for.

A resource is a collection path (`/api/v2/custom-tags`) with an item path (`…/{id}`) or a
paginated list; its entity schema comes from the operations on those paths. A few paths
are views of one collection (the AI agent kinds, the two spellings of agent activities).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from instantly_mcp.sandbox.spec import Operation, Spec, component, is_param, ref_name, split_path

# View path → (canonical collection path, fields every entity seen through the view carries).
ALIASES: dict[str, tuple[str, dict[str, Any]]] = {
    "/api/v2/ai-agents/inbox-manager": ("/api/v2/ai-agents", {"type": 1}),
    "/api/v2/ai-agents/sales": ("/api/v2/ai-agents", {"agent_type": 2}),
    "/api/v2/ai-agents/deliverability": ("/api/v2/ai-agents", {"type": 3}),
    "/api/v2/ai-agents/lead-finder": ("/api/v2/ai-agents", {"type": 6}),
    "/api/v2/ai-agents/sales/{id}/activities": ("/api/v2/ai-agents/{id}/activities", {}),
    "/api/v2/ai-agents/{id}/activity": ("/api/v2/ai-agents/{id}/activities", {}),
}
# Paths that look like collections but are answered by dedicated handlers or have no state.
NOT_RESOURCES = {
    "/api/v2/account-campaign-mappings",
    "/api/v2/campaigns/search-by-contact",
    "/api/v2/oauth/session/status",
    "/api/v2/ai-agents/sales/{id}/guidance-rules",
    "/api/v2/supersearch-enrichment/history",
}
_ORG_FIELDS = ("organization_id", "organization", "workspace_id", "workspace")


def _norm(path: str) -> str:
    return "/" + "/".join(split_path(path))


def _singular_title(segment: str) -> str:
    words = segment.replace("-", " ")
    if words.endswith("ies"):
        words = words[:-3] + "y"
    elif words.endswith("s") and not words.endswith("ss"):
        words = words[:-1]
    return words.capitalize()


def list_item_schema(schema: dict[str, Any] | None) -> dict[str, Any] | None:
    """The item schema of a list response: `{items: [...]}` or a bare array."""
    if not schema:
        return None
    if schema.get("type") == "array":
        return schema.get("items")
    items = schema.get("properties", {}).get("items")
    if schema.get("type") == "object" and isinstance(items, dict) and items.get("type") == "array":
        return items.get("items")
    return None


def _raw_success_schema(op: Operation) -> Any:
    content = op.raw["responses"].get(str(op.success_status), {}).get("content", {})
    media = next(iter(content.values()), None)
    return media.get("schema") if media else None


@dataclass
class Resource:
    path: str
    collection: str
    item_param: str | None
    schema: dict[str, Any]
    title: str
    fixed: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def parent_params(self) -> tuple[str, ...]:
        return tuple(s[1:-1] for s in split_path(self.path) if is_param(s))

    @cached_property
    def key(self) -> str:
        """The entity field the item path addresses (`email` for accounts, else `id`)."""
        properties = self.schema.get("properties", {})
        if self.item_param and self.item_param in properties:
            return self.item_param
        return "id" if "id" in properties else "_key"

    @property
    def item_path(self) -> str:
        return f"{self.path}/{{{self.item_param or 'id'}}}"

    def has_field(self, name: str) -> bool:
        return name in self.schema.get("properties", {})

    @property
    def org_fields(self) -> list[str]:
        return [name for name in _ORG_FIELDS if self.has_field(name)]


def _returns_entity(op: Operation, resource: Resource) -> bool:
    schema = op.success_schema or {}
    options = [schema, *schema.get("oneOf", []), *schema.get("anyOf", [])]
    return any(resource.key in option.get("properties", {}) for option in options)


def _generic_kind(op: Operation, resource: Resource, rest: tuple[str, ...]) -> str | None:
    if not rest:
        if op.method == "get" and list_item_schema(op.success_schema) is not None:
            return "list"
        if op.method == "post" and _returns_entity(op, resource):
            return "create"
        return None
    if not is_param(rest[0]) or len(rest) > 2:
        return None
    if len(rest) == 1 and _returns_entity(op, resource):
        return {"get": "get", "patch": "update", "put": "update", "delete": "delete"}.get(op.method)
    if len(rest) == 2 and op.method == "post" and (_returns_entity(op, resource) or not op.success_schema):
        return "action"
    return None


class Resources:
    def __init__(self, spec: Spec):
        self.spec = spec
        self.by_path: dict[str, Resource] = {}
        self._discover()

    def _discover(self) -> None:
        ops_by_path: dict[str, list[Operation]] = {}
        for op in self.spec.operations:
            ops_by_path.setdefault(_norm(op.path), []).append(op)
        candidates: dict[str, str | None] = {}
        for path, ops in ops_by_path.items():
            segments = split_path(path)
            if is_param(segments[-1]) and not is_param(segments[-2]):
                if any(op.method != "post" and list_item_schema(op.success_schema) is None for op in ops):
                    candidates["/" + "/".join(segments[:-1])] = segments[-1][1:-1]
            elif any(op.method == "get" and list_item_schema(op.success_schema) is not None for op in ops):
                candidates.setdefault(path, None)
        for path, item_param in candidates.items():
            if path in NOT_RESOURCES:
                continue
            canonical, fixed = ALIASES.get(path, (path, {}))
            ops = ops_by_path.get(path, []) + ops_by_path.get(f"{path}/{{{item_param}}}", [])
            schema, title = self._entity_schema(ops)
            if schema is None:
                continue
            self.by_path[path] = Resource(path, canonical.removeprefix("/api/v2/"), item_param, schema, title, fixed)
        for path, (canonical, fixed) in ALIASES.items():
            target = self.by_path.get(canonical)
            if path not in self.by_path and target is not None:
                self.by_path[path] = Resource(path, target.collection, None, target.schema, target.title, fixed)

    @staticmethod
    def _entity_schema(ops: list[Operation]) -> tuple[dict[str, Any] | None, str]:
        """Prefer a named component (item GET, then create, then list items), else an inline schema."""
        ranked = sorted(ops, key=lambda op: {"get": 0, "post": 1, "patch": 2}.get(op.method, 3))
        for op in ranked:
            raw = _raw_success_schema(op)
            name = ref_name(raw) or ref_name(list_item_schema(raw) if isinstance(raw, dict) else None)
            if name is None and isinstance(raw, dict):
                item = list_item_schema(raw) or {}
                name = next((ref_name(part) for part in item.get("allOf", []) if ref_name(part)), None)
            if name:
                schema = component(name)
                return schema, schema.get("title", name)
        for op in ranked:
            inline = list_item_schema(op.success_schema) or op.success_schema
            if isinstance(inline, dict) and "id" in inline.get("properties", {}):
                segment = next(s for s in reversed(split_path(op.path)) if not is_param(s))
                return inline, _singular_title(segment)
        return None, ""

    def for_collection(self, path: str) -> Resource | None:
        return self.by_path.get(_norm(path))

    def owning(self, op: Operation) -> tuple[Resource, str] | None:
        """The resource an operation acts on generically and how: list/create/get/update/delete/action."""
        segments = op.segments
        for cut in range(len(segments), 1, -1):
            resource = self.by_path.get("/" + "/".join(segments[:cut]))
            if resource is not None:
                kind = _generic_kind(op, resource, segments[cut:])
                return (resource, kind) if kind else None
        return None

    def addressed(self, op: Operation) -> list[tuple[Resource, str]]:
        """(resource, path param) for each `{param}` in the op's path that names a stored entity."""
        found = []
        segments = op.segments
        for index, segment in enumerate(segments):
            if not is_param(segment):
                continue
            resource = self.by_path.get("/" + "/".join(segments[:index]))
            if resource is not None:
                found.append((resource, segment[1:-1]))
        return found

    def all(self) -> list[Resource]:
        return list(self.by_path.values())
