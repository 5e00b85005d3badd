"""Email verification: syntax and domain checks answered synchronously, remembered per address."""

from __future__ import annotations

import re
from typing import Any

from instantly_mcp.sandbox import crud
from instantly_mcp.sandbox.context import Context
from instantly_mcp.sandbox.handlers.registry import handles
from instantly_mcp.sandbox.synth import render

_ADDRESS = re.compile(r"^[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+\.)+[A-Za-z]{2,}$")
_UNDELIVERABLE_DOMAINS = ("invalid", "bounce", "nowhere")
CREDITS_PER_CHECK = 0.25


@handles("createEmailVerification")
def verify(ctx: Context) -> Any:
    resource = ctx.resource("/api/v2/email-verification")
    email = ctx.data["email"].strip().lower()
    domain = email.rpartition("@")[2]
    deliverable = bool(_ADDRESS.match(email)) and not domain.startswith(_UNDELIVERABLE_DOMAINS)
    fields = {
        "email": email,
        "status": "success",
        "verification_status": "verified" if deliverable else "invalid",
        "catch_all": False,
        "credits": CREDITS_PER_CHECK,
        "credits_used": CREDITS_PER_CHECK,
    }
    existing = ctx.store.get(resource.collection, email)
    entity = (
        crud.update(ctx.store, resource, existing, fields)
        if existing
        else crud.create(ctx.store, resource, fields, ctx.workspace_id)
    )
    return render(entity, ctx.op.success_schema)
