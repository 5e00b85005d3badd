"""Block list: emails and domains leads are never contacted at (`/block-lists-entries*`)."""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from instantly_mcp.sandbox import crud
from instantly_mcp.sandbox.context import BLOCK_LIST, Context
from instantly_mcp.sandbox.errors import SandboxHttpError
from instantly_mcp.sandbox.handlers.registry import handles
from instantly_mcp.sandbox.resources import Resource
from instantly_mcp.sandbox.store import Entity, Store
from instantly_mcp.sandbox.synth import render

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}$")
_EMAIL = re.compile(r"^[^@\s]+@([^@\s]+)$")


def normalize(value: str) -> str:
    return value.strip().lower()


def is_valid_value(value: str) -> bool:
    match = _EMAIL.match(value)
    return bool(_DOMAIN.match(match.group(1) if match else value))


def is_blocked(store: Store, email: str | None) -> bool:
    """Whether an address is blocked, by the exact email or by its domain."""
    if not email:
        return False
    address = normalize(email)
    domain = address.rpartition("@")[2]
    return any(entry["bl_value"] in (address, domain) for entry in store.all(BLOCK_LIST))


def _resource(ctx: Context) -> Resource:
    return ctx.resource("/api/v2/block-lists-entries")


def _fields(value: str) -> dict[str, Any]:
    return {"bl_value": value, "is_domain": "@" not in value}


def _existing(ctx: Context, value: str) -> Entity | None:
    return next((e for e in ctx.store.all(BLOCK_LIST) if e["bl_value"] == value), None)


def _matching(ctx: Context) -> list[Entity]:
    entries = ctx.store.all(BLOCK_LIST)
    if ctx.query.get("domains_only"):
        entries = [e for e in entries if e["is_domain"]]
    return crud.search(entries, ctx.query.get("search"), ("bl_value",))


@handles("createBlockListEntry")
def create_entry(ctx: Context) -> Any:
    value = normalize(ctx.data["bl_value"])
    if not is_valid_value(value):
        raise SandboxHttpError(
            400, f"body/bl_value must be a valid email address or domain, got '{ctx.data['bl_value']}'"
        )
    entry = _existing(ctx, value) or crud.create(ctx.store, _resource(ctx), _fields(value), ctx.workspace_id)
    return render(entry, ctx.op.success_schema)


@handles("patchBlockListEntry")
def patch_entry(ctx: Context) -> Any:
    resource = _resource(ctx)
    entry = crud.find(ctx.store, resource, ctx.params["id"])
    changes: dict[str, Any] = {}
    if "bl_value" in ctx.data:
        value = normalize(ctx.data["bl_value"])
        if not is_valid_value(value):
            raise SandboxHttpError(
                400, f"body/bl_value must be a valid email address or domain, got '{ctx.data['bl_value']}'"
            )
        changes = _fields(value)
    return render(crud.update(ctx.store, resource, entry, changes), ctx.op.success_schema)


@handles("listBlockListEntry")
def list_entries(ctx: Context) -> Any:
    return crud.respond_list(ctx, _resource(ctx), _matching(ctx))


@handles("deleteallBlockListEntry")
def delete_matching(ctx: Context) -> Any:
    deleted = _matching(ctx)
    for entry in deleted:
        ctx.store.delete(BLOCK_LIST, entry["id"])
    return crud.list_body(ctx, deleted, None)


@handles("createblukBlockListEntry")
def bulk_create(ctx: Context) -> Any:
    values = [normalize(v) for v in ctx.data["bl_values"]]
    valid = [v for v in dict.fromkeys(values) if is_valid_value(v)]
    invalid_count = sum(1 for v in values if not is_valid_value(v))
    resource = _resource(ctx)
    created = [
        crud.create(ctx.store, resource, _fields(value), ctx.workspace_id)
        for value in valid
        if _existing(ctx, value) is None
    ]
    item_schema = ctx.item_schema
    return {
        "items": [render(entry, item_schema) for entry in created],
        "valid_count": len(valid),
        "invalid_count": invalid_count,
    }


@handles("deletebulkBlockListEntry")
def bulk_delete(ctx: Context) -> Any:
    deleted = [e for e in (ctx.store.get(BLOCK_LIST, i) for i in dict.fromkeys(ctx.data["ids"])) if e is not None]
    for entry in deleted:
        ctx.store.delete(BLOCK_LIST, entry["id"])
    return crud.list_body(ctx, deleted, None)


@handles("downloadBlockListEntry")
def download(ctx: Context) -> Response:
    rows = ["Blocked Email,Date"] + [f"{e['bl_value']},{e['timestamp_created']}" for e in _matching(ctx)]
    return Response(
        "\r\n".join(rows),
        media_type="text/csv",
        headers={"content-disposition": 'attachment; filename="blocklist.csv"'},
    )
