"""The current workspace: settings, scheduled removal, white-label domain, ownership and API keys."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from instantly_mcp.sandbox import crud
from instantly_mcp.sandbox.context import WORKSPACE, WORKSPACE_KEY, Context
from instantly_mcp.sandbox.errors import bad_request, not_found
from instantly_mcp.sandbox.handlers.registry import handles
from instantly_mcp.sandbox.spec import component
from instantly_mcp.sandbox.store import Entity
from instantly_mcp.sandbox.synth import now_iso, render

REMOVAL_GRACE_DAYS = 30
_EDITABLE = ("name", "add_unsub_to_block", "default_opportunity_value", "org_logo_url")


def _save(ctx: Context, changes: dict[str, Any]) -> Entity:
    return ctx.store.put(WORKSPACE, WORKSPACE_KEY, {**ctx.workspace, **changes, "timestamp_updated": now_iso()})


def _reply(ctx: Context, workspace: Entity) -> Any:
    return render(workspace, ctx.op.success_schema or component("Workspace"))


@handles("getWorkspace")
def get_workspace(ctx: Context) -> Any:
    return _reply(ctx, ctx.workspace)


@handles("patchWorkspace")
def patch_workspace(ctx: Context) -> Any:
    return _reply(ctx, _save(ctx, {k: v for k, v in ctx.data.items() if k in _EDITABLE}))


@handles("scheduleCurrentWorkspaceRemoval")
def schedule_removal(ctx: Context) -> Any:
    when = datetime.now(UTC) + timedelta(days=REMOVAL_GRACE_DAYS)
    return _reply(
        ctx, _save(ctx, {"scheduled_for_removal_at": when.isoformat(timespec="milliseconds").replace("+00:00", "Z")})
    )


@handles("cancelCurrentWorkspaceRemoval")
def cancel_removal(ctx: Context) -> Any:
    return _reply(ctx, _save(ctx, {"scheduled_for_removal_at": None}))


@handles("addWorkspaceAgencyDomain")
def add_whitelabel_domain(ctx: Context) -> Any:
    return _reply(ctx, _save(ctx, {"org_client_domain": ctx.data["domain"].strip().lower(), "_domain_verified": False}))


@handles("getWorkspaceDomainInfo")
def whitelabel_domain(ctx: Context) -> Any:
    domain = ctx.workspace.get("org_client_domain")
    if not domain:
        raise not_found("No white-label domain is configured for this workspace")
    verified = bool(ctx.workspace.get("_domain_verified"))
    records = (
        []
        if verified
        else [
            {
                "type": "CNAME",
                "domain": domain,
                "value": "cname.instantly.ai",
                "reason": "CNAME record required to serve the agency portal",
            }
        ]
    )
    return {"verified": verified, "name": domain, "verification": records}


@handles("deleteWorkspaceDomain")
def delete_whitelabel_domain(ctx: Context) -> Any:
    return _reply(ctx, _save(ctx, {"org_client_domain": None, "_domain_verified": False}))


@handles("changeWorkspaceOwner")
def change_owner(ctx: Context) -> Any:
    email = ctx.data["email"].strip().lower()
    member = next((m for m in ctx.store.all("workspace-members") if m.get("email", "").lower() == email), None)
    if member is None:
        raise bad_request(f"{email} is not a member of this workspace")
    if not member.get("accepted"):
        raise bad_request(f"{email} has not accepted the workspace invitation yet")
    return _reply(ctx, _save(ctx, {"owner": member["user_id"]}))


@handles("createAPIKey")
def create_api_key(ctx: Context) -> Any:
    """The full key is shown once, in this response; the stored copy is masked like listings show it."""
    resource = ctx.resource("/api/v2/api-keys")
    key = "inst_" + secrets.token_hex(20)
    fields = {**crud.project(resource, ctx.data), "key": mask_key(key)}
    entity = crud.create(ctx.store, resource, fields, ctx.workspace_id)
    return render({**entity, "key": key}, ctx.op.success_schema)


def mask_key(key: str) -> str:
    return f"{key[:5]}{'*' * 12}{key[-4:]}"
