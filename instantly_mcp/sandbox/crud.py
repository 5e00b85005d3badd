"""Generic resource semantics: create, list (filters + cursor pagination), get, update, delete, actions.

Every discovered resource gets these; the dedicated handlers reuse the same helpers.
"""

from __future__ import annotations

import bisect
from typing import Any

from instantly_mcp.sandbox.context import Context
from instantly_mcp.sandbox.errors import SandboxHttpError, not_found
from instantly_mcp.sandbox.resources import Resource, list_item_schema
from instantly_mcp.sandbox.store import Entity, Store
from instantly_mcp.sandbox.synth import new_id, now_iso, render, synthesize, today

DEFAULT_LIMIT = 100
_TIMESTAMP_FIELDS = ("timestamp_created", "timestamp_updated", "created_at", "updated_at")
_NOT_FILTERS = {"limit", "starting_after", "skip", "sort_order", "sort_column", "sort_by", "search"}
_VERB_STATES = {
    "pause": ("paused", "inactive"),
    "resume": ("active",),
    "activate": ("active",),
    "mark-fixed": ("active",),
    "approve": ("approved",),
    "reject": ("rejected",),
    "complete": ("completed",),
    "duplicate": ("draft",),
}


def parent_of(resource: Resource, params: dict[str, str]) -> dict[str, str]:
    return {name: params[name] for name in resource.parent_params if name in params}


def key_of(resource: Resource, entity: Entity) -> str:
    return str(entity.get(resource.key, ""))


def visible(resource: Resource, entity: Entity, parent: dict[str, str]) -> bool:
    return entity.get("_parent", {}) == parent and all(entity.get(k) == v for k, v in resource.fixed.items())


def entities(store: Store, resource: Resource, parent: dict[str, str] | None = None) -> list[Entity]:
    return [e for e in store.all(resource.collection) if visible(resource, e, parent or {})]


def find(store: Store, resource: Resource, key: str, parent: dict[str, str] | None = None) -> Entity:
    entity = store.get(resource.collection, key)
    if entity is None or not visible(resource, entity, parent or {}):
        raise not_found(f"{resource.title} not found")
    return entity


def project(resource: Resource, fields: dict[str, Any]) -> dict[str, Any]:
    """The body fields the entity schema knows; request-only options are dropped."""
    return {name: value for name, value in fields.items() if resource.has_field(name)}


def fill_required(entity: Entity, schema: dict[str, Any]) -> Entity:
    properties = schema.get("properties", {})
    missing = {
        name: synthesize(properties.get(name, {}), name) for name in schema.get("required", []) if name not in entity
    }
    return {**entity, **missing}


def build(
    resource: Resource, fields: dict[str, Any], workspace_id: str, parent: dict[str, str] | None = None
) -> Entity:
    """A complete new entity: key, timestamps, workspace ownership, view fields, required defaults."""
    now = now_iso()
    entity: Entity = dict(fields)
    if resource.key not in entity:
        entity[resource.key] = new_id()
    for name in _TIMESTAMP_FIELDS:
        if resource.has_field(name):
            entity.setdefault(name, now)
    if resource.has_field("timestamp_created_date"):
        entity.setdefault("timestamp_created_date", today())
    for name in resource.org_fields:
        entity[name] = workspace_id
    entity.update(resource.fixed)
    if parent:
        entity["_parent"] = parent
    return fill_required(entity, resource.schema)


def save(store: Store, resource: Resource, entity: Entity) -> Entity:
    return store.put(resource.collection, key_of(resource, entity), entity)


def create(
    store: Store, resource: Resource, fields: dict[str, Any], workspace_id: str, parent: dict[str, str] | None = None
) -> Entity:
    return save(store, resource, build(resource, fields, workspace_id, parent))


def update(store: Store, resource: Resource, entity: Entity, changes: dict[str, Any]) -> Entity:
    updated = {**entity, **changes}
    for name in ("timestamp_updated", "updated_at"):
        if resource.has_field(name):
            updated[name] = now_iso()
    return save(store, resource, updated)


def _matches(actual: Any, wanted: Any) -> bool:
    if isinstance(wanted, list):
        return any(_matches(actual, item) for item in wanted)
    if isinstance(wanted, str) and "," in wanted and not (isinstance(actual, str) and "," in actual):
        return str(actual) in wanted.split(",")
    if isinstance(wanted, bool) or isinstance(actual, bool):
        return bool(actual) == bool(wanted) if actual is not None else wanted is False
    return actual == wanted or str(actual) == str(wanted)


def search(items: list[Entity], term: str | None, fields: tuple[str, ...] | None = None) -> list[Entity]:
    """Case-insensitive substring match over the given (default: all string) fields."""
    if not term:
        return items
    needle = term.lower()

    def hit(entity: Entity) -> bool:
        names = fields or tuple(k for k in entity if not k.startswith("_"))
        return any(isinstance(entity.get(n), str) and needle in entity[n].lower() for n in names)

    return [entity for entity in items if hit(entity)]


def filter_by_query(
    resource: Resource, items: list[Entity], query: dict[str, Any], skip: frozenset[str] = frozenset()
) -> list[Entity]:
    """Documented filters that name an entity field (`status`, `campaign`, `x_not`, `exclude_x`, `ids`)."""
    result = search(items, query.get("search")) if "search" not in skip else items
    for name, wanted in query.items():
        if name in _NOT_FILTERS or name in skip or wanted is None:
            continue
        if name == "ids":
            result = [e for e in result if _matches(key_of(resource, e), wanted)]
        elif resource.has_field(name):
            result = [e for e in result if _matches(e.get(name), wanted)]
        elif name.endswith("_not") and resource.has_field(name[:-4]):
            result = [e for e in result if not _matches(e.get(name[:-4]), wanted)]
        elif name.startswith("exclude_") and resource.has_field(name[8:]):
            result = [e for e in result if not _matches(e.get(name[8:]), wanted)]
    return result


def paginate(
    store: Store,
    resource: Resource,
    items: list[Entity],
    limit: Any,
    starting_after: str | None,
    descending: bool = False,
) -> tuple[list[Entity], str | None]:
    """A page after the cursor and the next cursor.

    `items` come in store order (`store.all`, then order-keeping filters), so the cursor is found by
    binary search on the creation sequence, which is remembered for deleted cursors: a cursor page
    of a 50,000-item collection costs a few lookups, not a sort.
    """
    ordered = items[::-1] if descending else items
    start = 0
    if starting_after:
        cursor = store.seq(resource.collection, starting_after)
        if cursor is None:
            return [], None
        sign = -1 if descending else 1

        def position(entity: Entity) -> int:
            return sign * (store.seq(resource.collection, key_of(resource, entity)) or 0)

        start = bisect.bisect_right(ordered, sign * cursor, key=position)
    size = int(limit) if limit else DEFAULT_LIMIT
    page = ordered[start : start + size]
    more = len(ordered) > start + size and page
    return page, key_of(resource, page[-1]) if more else None


def list_body(ctx: Context, page: list[Entity], next_cursor: str | None) -> Any:
    item_schema = list_item_schema(ctx.op.success_schema)
    rendered = [render(entity, item_schema) for entity in page]
    if (ctx.op.success_schema or {}).get("type") == "array":
        return rendered
    body: dict[str, Any] = {"items": rendered}
    if next_cursor is not None:
        body["next_starting_after"] = next_cursor
    return body


def respond_list(ctx: Context, resource: Resource, items: list[Entity], descending: bool = False) -> Any:
    skip = ctx.query.get("skip")
    if isinstance(skip, (int, float)) and skip > 0:
        items = items[int(skip) :]
    page, cursor = paginate(
        ctx.store, resource, items, ctx.query.get("limit"), ctx.query.get("starting_after"), descending
    )
    return list_body(ctx, page, cursor)


def status_for(resource: Resource, verb: str) -> tuple[str, Any] | None:
    """(field, value) a verb such as pause/resume/approve moves the entity to, read from the enum labels.

    A numeric `status` without an enum (webhooks) follows Instantly's convention that 1 is active.
    """
    words = _VERB_STATES.get(verb)
    if not words:
        return None
    for field in ("status", "action_status"):
        prop = resource.schema.get("properties", {}).get(field, {})
        labels = prop.get("x-enumDescriptions", {})
        for value in prop.get("enum", []):
            label = str(labels.get(str(value), value)).lower()
            if any(label.startswith(word) for word in words):
                return field, value
    status = resource.schema.get("properties", {}).get("status", {})
    if "active" in words and "enum" not in status and "number" in status.get("type", []):
        return "status", 1
    return None


def duplicate(ctx: Context, resource: Resource, source: Entity, default_name: str | None = None) -> Entity:
    """A draft copy under a new key; body fields (a new name, another parent) override the source's."""
    copied = {k: v for k, v in source.items() if k not in (resource.key, *_TIMESTAMP_FIELDS)}
    copied.update(project(resource, ctx.data))
    copied["name"] = ctx.data.get("name") or default_name or source.get("name")
    state = status_for(resource, "duplicate")
    if state:
        copied[state[0]] = state[1]
    return create(ctx.store, resource, copied, ctx.workspace_id, source.get("_parent"))


def act(ctx: Context, resource: Resource, entity: Entity, verb: str) -> Entity:
    if verb == "duplicate":
        return duplicate(ctx, resource, entity)
    changes = project(resource, ctx.data)
    state = status_for(resource, verb)
    if state:
        changes[state[0]] = state[1]
    for stamp in (f"{verb}d_at", f"{verb}ed_at"):
        if resource.has_field(stamp):
            changes[stamp] = now_iso()
    return update(ctx.store, resource, entity, changes) if changes else entity


def ensure_unique_key(ctx: Context, resource: Resource, fields: dict[str, Any]) -> None:
    key = fields.get(resource.key)
    if key is not None and ctx.store.get(resource.collection, str(key)) is not None:
        raise SandboxHttpError(400, f"{resource.title} {key} already exists")


def handle(ctx: Context, resource: Resource, kind: str) -> Any:
    """Answer an operation the spec maps onto a resource, without a dedicated handler."""
    parent = parent_of(resource, ctx.params)
    schema = ctx.op.success_schema
    if kind == "list":
        return respond_list(ctx, resource, filter_by_query(resource, entities(ctx.store, resource, parent), ctx.query))
    if kind == "create":
        fields = project(resource, ctx.data)
        ensure_unique_key(ctx, resource, fields)
        return render(create(ctx.store, resource, fields, ctx.workspace_id, parent), schema)
    key = ctx.params[ctx.op.segments[-1][1:-1] if kind != "action" else ctx.op.segments[-2][1:-1]]
    entity = find(ctx.store, resource, key, parent)
    if kind == "get":
        return render(entity, schema)
    if kind == "update":
        return render(update(ctx.store, resource, entity, project(resource, ctx.data)), schema)
    if kind == "delete":
        ctx.store.delete(resource.collection, key)
        return render(entity, schema)
    result = act(ctx, resource, entity, ctx.op.segments[-1])
    return render(result, schema) if schema else None
