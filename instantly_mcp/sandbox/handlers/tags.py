"""Custom tags with their account/campaign mappings, and custom lead labels."""

from __future__ import annotations

from typing import Any

from instantly_mcp.sandbox import crud
from instantly_mcp.sandbox.context import ACCOUNTS, CAMPAIGNS, CUSTOM_TAGS, LEAD_LABELS, LEADS, TAG_MAPPINGS, Context
from instantly_mcp.sandbox.errors import SandboxHttpError, not_found
from instantly_mcp.sandbox.handlers.registry import handles
from instantly_mcp.sandbox.resources import Resource
from instantly_mcp.sandbox.store import Entity
from instantly_mcp.sandbox.synth import render

ACCOUNT_RESOURCE, CAMPAIGN_RESOURCE = 1, 2
_LABEL_BASE = {"positive": 5, "negative": -5, "neutral": 100}


def _tags(ctx: Context) -> Resource:
    return ctx.resource("/api/v2/custom-tags")


def _csv(value: str | None) -> set[str]:
    return {part.strip() for part in (value or "").split(",") if part.strip()}


def _ensure_unique_label(ctx: Context, label: str, own_id: str | None = None) -> None:
    normalized = label.strip().lower()
    if any(t["label"].strip().lower() == normalized and t["id"] != own_id for t in ctx.store.all(CUSTOM_TAGS)):
        raise SandboxHttpError(409, "A tag with this name already exists.")


@handles("createCustomTag")
def create_tag(ctx: Context) -> Any:
    _ensure_unique_label(ctx, ctx.data["label"])
    fields = {**crud.project(_tags(ctx), ctx.data), "label": ctx.data["label"].strip()}
    return render(crud.create(ctx.store, _tags(ctx), fields, ctx.workspace_id), ctx.op.success_schema)


@handles("patchCustomTag")
def patch_tag(ctx: Context) -> Any:
    tag = crud.find(ctx.store, _tags(ctx), ctx.params["id"])
    if "label" in ctx.data:
        _ensure_unique_label(ctx, ctx.data["label"], tag["id"])
    return render(crud.update(ctx.store, _tags(ctx), tag, crud.project(_tags(ctx), ctx.data)), ctx.op.success_schema)


@handles("deleteCustomTag")
def delete_tag(ctx: Context) -> Any:
    tag = crud.find(ctx.store, _tags(ctx), ctx.params["id"])
    for mapping in ctx.store.all(TAG_MAPPINGS):
        if mapping["tag_id"] == tag["id"]:
            ctx.store.delete(TAG_MAPPINGS, mapping["id"])
    ctx.store.delete(CUSTOM_TAGS, tag["id"])
    return render(tag, ctx.op.success_schema)


@handles("listCustomTag")
def list_tags(ctx: Context) -> Any:
    tags = crud.search(ctx.store.all(CUSTOM_TAGS), ctx.query.get("search"), ("label", "description"))
    if ctx.query.get("tag_ids"):
        tags = [t for t in tags if t["id"] in _csv(ctx.query["tag_ids"])]
    if ctx.query.get("resource_ids"):
        resources = _csv(ctx.query["resource_ids"])
        mapped = {m["tag_id"] for m in ctx.store.all(TAG_MAPPINGS) if m["resource_id"] in resources}
        tags = [t for t in tags if t["id"] in mapped]
    return crud.respond_list(ctx, _tags(ctx), tags)


@handles("listCustomTagMapping")
def list_mappings(ctx: Context) -> Any:
    mappings = ctx.store.all(TAG_MAPPINGS)
    if ctx.query.get("resource_ids"):
        mappings = [m for m in mappings if m["resource_id"] in _csv(ctx.query["resource_ids"])]
    return crud.respond_list(ctx, ctx.resource("/api/v2/custom-tag-mappings"), mappings)


def _resources_of_type(ctx: Context, resource_type: int) -> list[str]:
    if resource_type == ACCOUNT_RESOURCE:
        return [a["email"] for a in ctx.store.all(ACCOUNTS)]
    return [c["id"] for c in ctx.store.all(CAMPAIGNS)]


def tag_resource(ctx: Context, tag_id: str, resource_id: str, resource_type: int) -> Entity:
    existing = next(
        (m for m in ctx.store.all(TAG_MAPPINGS) if m["tag_id"] == tag_id and m["resource_id"] == resource_id), None
    )
    if existing is not None:
        return existing
    fields = {"tag_id": tag_id, "resource_id": resource_id, "resource_type": resource_type}
    return crud.create(ctx.store, ctx.resource("/api/v2/custom-tag-mappings"), fields, ctx.workspace_id)


@handles("toggleTagResource")
def toggle_tag_resource(ctx: Context) -> Any:
    data = ctx.data
    for tag_id in data["tag_ids"]:
        crud.find(ctx.store, _tags(ctx), tag_id)
    resource_type = data.get("resource_type", ACCOUNT_RESOURCE)
    if data.get("selected_all"):
        excluded = set(data.get("excluded_resource_ids", []))
        resource_ids = [r for r in _resources_of_type(ctx, resource_type) if r not in excluded]
    elif data.get("resource_ids"):
        known = set(_resources_of_type(ctx, resource_type))
        resource_ids = data["resource_ids"]
        missing = [r for r in resource_ids if r not in known]
        if missing:
            raise not_found(
                f"{'Account' if resource_type == ACCOUNT_RESOURCE else 'Campaign'} not found: {', '.join(missing)}"
            )
    else:
        raise SandboxHttpError(400, "body must have required property 'resource_ids'")
    for tag_id in data["tag_ids"]:
        for resource_id in resource_ids:
            if data.get("assign", True):
                tag_resource(ctx, tag_id, resource_id, resource_type)
            else:
                for mapping in ctx.store.all(TAG_MAPPINGS):
                    if mapping["tag_id"] == tag_id and mapping["resource_id"] == resource_id:
                        ctx.store.delete(TAG_MAPPINGS, mapping["id"])
    return {"success": True}


@handles("createLeadLabel")
def create_lead_label(ctx: Context) -> Any:
    """Custom labels get their own interest status value beyond the built-in range (-4..4)."""
    resource = ctx.resource("/api/v2/lead-labels")
    kind = ctx.data["interest_status_label"]
    taken = {label["interest_status"] for label in ctx.store.all(LEAD_LABELS)}
    step = -1 if kind == "negative" else 1
    value = _LABEL_BASE[kind]
    while value in taken:
        value += step
    fields = {**crud.project(resource, ctx.data), "interest_status": value, "created_by": ctx.workspace["owner"]}
    return render(crud.create(ctx.store, resource, fields, ctx.workspace_id), ctx.op.success_schema)


@handles("deleteLeadLabel")
def delete_lead_label(ctx: Context) -> Any:
    resource = ctx.resource("/api/v2/lead-labels")
    label = crud.find(ctx.store, resource, ctx.params["id"])
    reassigned = ctx.data.get("reassigned_status")
    leads = ctx.resource("/api/v2/leads")
    for lead in ctx.store.all(LEADS):
        if lead.get("lt_interest_status") == label["interest_status"]:
            crud.update(ctx.store, leads, lead, {"lt_interest_status": reassigned})
    ctx.store.delete(LEAD_LABELS, label["id"])
    return render(label, ctx.op.success_schema)
