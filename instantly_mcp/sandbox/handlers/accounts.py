"""Sending accounts: creation, filtered listing, warmup and bulk pause, moves, and OAuth connection."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from instantly_mcp.sandbox import crud
from instantly_mcp.sandbox.context import ACCOUNTS, Context
from instantly_mcp.sandbox.errors import SandboxHttpError, bad_request, not_found
from instantly_mcp.sandbox.handlers.campaigns import tagged_ids
from instantly_mcp.sandbox.handlers.jobs import start_job
from instantly_mcp.sandbox.handlers.registry import handles
from instantly_mcp.sandbox.resources import Resource
from instantly_mcp.sandbox.store import Entity
from instantly_mcp.sandbox.synth import new_id, now_iso, render

ACTIVE, PAUSED = 1, 2
WARMUP_ACTIVE, WARMUP_PAUSED = 1, 0
OAUTH_SESSIONS = "oauth-sessions"
_PROVIDERS = {
    "initGoogleOAuth": (2, "google", "https://accounts.google.com/o/oauth2/v2/auth"),
    "initMicrosoftOAuth": (3, "microsoft", "https://login.microsoftonline.com/common/oauth2/v2.0/authorize"),
}
_LIST_FILTERS: dict[str, Callable[[Entity], bool]] = {
    "ACC_FILTER_PAUSED": lambda a: a.get("status") == PAUSED,
    "ACC_FILTER_ERROR": lambda a: (a.get("status") or 0) < 0,
    "ACC_FILTER_NO_CTD": lambda a: not a.get("tracking_domain_name"),
    "ACC_FILTER_PW_ACCOUNTS": lambda a: bool(a.get("_pre_warmed")),
    "ACC_FILTER_DFY": lambda a: bool(a.get("is_managed_account")),
    "ACC_FILTER_DFY_SETUP_PENDING": lambda a: bool(a.get("is_managed_account")) and bool(a.get("setup_pending")),
    "ACC_FILTER_W_ACTIVE": lambda a: a.get("warmup_status") == WARMUP_ACTIVE,
    "ACC_FILTER_W_PAUSED": lambda a: a.get("warmup_status") == WARMUP_PAUSED,
    "ACC_FILTER_W_ERROR": lambda a: (a.get("warmup_status") or 0) < 0,
}


def _resource(ctx: Context) -> Resource:
    return ctx.resource("/api/v2/accounts")


def new_account(ctx: Context, fields: dict[str, Any]) -> Entity:
    resource = _resource(ctx)
    email = fields["email"].strip().lower()
    if ctx.store.get(ACCOUNTS, email) is not None:
        raise bad_request(f"Account {email} already exists in this workspace")
    defaults = {
        "status": ACTIVE,
        "warmup_status": WARMUP_PAUSED,
        "provider_code": 1,
        "setup_pending": False,
        "is_managed_account": False,
        "daily_limit": 30,
        "sending_gap": 10,
        "warmup": {"limit": 10, "increment": "disabled", "reply_rate": 0.3},
        "stat_warmup_score": None,
        "added_by": ctx.workspace["owner"],
    }
    return crud.create(
        ctx.store, resource, {**defaults, **crud.project(resource, fields), "email": email}, ctx.workspace_id
    )


@handles("createAccount")
def create_account(ctx: Context) -> Any:
    return render(new_account(ctx, ctx.data), ctx.op.success_schema)


@handles("listAccount")
def list_accounts(ctx: Context) -> Any:
    q = ctx.query
    accounts = _matching_accounts(ctx, q)
    if q.get("sort_by"):
        return _sorted_page(ctx, q, accounts)
    cursor = q.get("starting_after")
    if cursor and "&" in cursor:
        ctx.query = {**q, "starting_after": cursor.rpartition("&")[2]}
    return crud.respond_list(ctx, _resource(ctx), accounts)


def _matching_accounts(ctx: Context, q: dict[str, Any]) -> list[Entity]:
    """The accounts the search, status, provider, named filter and tags of the query select."""
    accounts = crud.search(ctx.store.all(ACCOUNTS), q.get("search"), ("email", "first_name", "last_name"))
    for name in ("status", "provider_code"):
        if q.get(name) is not None:
            accounts = [a for a in accounts if a.get(name) == q[name]]
    if q.get("filter") in _LIST_FILTERS:
        accounts = [a for a in accounts if _LIST_FILTERS[q["filter"]](a)]
    if q.get("tag_ids"):
        tagged = tagged_ids(ctx, q["tag_ids"])
        accounts = [a for a in accounts if a["email"] in tagged]
    if q.get("tag_ids_all"):
        for tag_id in q["tag_ids_all"].split(","):
            tagged = tagged_ids(ctx, [tag_id])
            accounts = [a for a in accounts if a["email"] in tagged]
    return accounts


def _sorted_page(ctx: Context, q: dict[str, Any], accounts: list[Entity]) -> Any:
    """With sort_by the list pages by skip and limit (no cursor), missing values last."""
    accounts.sort(
        key=lambda a: (a.get(q["sort_by"]) is None, a.get(q["sort_by"]) or 0), reverse=q.get("sort_order") == "desc"
    )
    skip = int(q.get("skip") or 0)
    limit = int(q.get("limit") or crud.DEFAULT_LIMIT)
    return crud.list_body(ctx, accounts[skip : skip + limit], None)


def _selected_emails(ctx: Context) -> list[str]:
    data = ctx.data
    if data.get("include_all_emails"):
        excluded = {e.lower() for e in data.get("excluded_emails", [])}
        accounts = crud.search(ctx.store.all(ACCOUNTS), data.get("search"), ("email",))
        return [a["email"] for a in accounts if a["email"] not in excluded]
    return [e.strip().lower() for e in data.get("emails", [])]


def _set_warmup(ctx: Context, warmup_status: int) -> Any:
    resource = _resource(ctx)
    emails = _selected_emails(ctx)
    found = [ctx.store.get(ACCOUNTS, e) for e in emails]
    changes: dict[str, Any] = {"warmup_status": warmup_status}
    if warmup_status == WARMUP_ACTIVE:
        changes["timestamp_warmup_start"] = now_iso()
    updated = [crud.update(ctx.store, resource, a, changes) for a in found if a is not None]
    data = {"success_count": len(updated), "failed_count": len(emails) - len(updated), "total_to_process": len(emails)}
    job = start_job(ctx, "update-warmup-accounts", "workspace", ctx.workspace_id, data)
    return render(job, ctx.op.success_schema)


@handles("enableWarmupForAccounts")
def enable_warmup(ctx: Context) -> Any:
    return _set_warmup(ctx, WARMUP_ACTIVE)


@handles("disableWarmupForAccounts")
def disable_warmup(ctx: Context) -> Any:
    return _set_warmup(ctx, WARMUP_PAUSED)


@handles("pauseAccounts")
def pause_accounts(ctx: Context) -> Any:
    paused, failed = [], []
    for email in dict.fromkeys(e.strip().lower() for e in ctx.data["emails"]):
        account = ctx.store.get(ACCOUNTS, email)
        if account is None:
            failed.append(email)
            continue
        crud.update(ctx.store, _resource(ctx), account, {"status": PAUSED})
        paused.append(email)
    return {"paused_emails": paused, "failed_emails": failed}


@handles("moveAccounts")
def move_accounts(ctx: Context) -> Any:
    if ctx.data["source_workspace_id"] != ctx.workspace_id:
        raise SandboxHttpError(403, "Accounts can only be moved out of the workspace that owns this API key")
    if ctx.data["destination_workspace_id"] == ctx.workspace_id:
        raise bad_request("The destination workspace must differ from the source workspace")
    emails = [e.strip().lower() for e in ctx.data["emails"]]
    missing = [e for e in emails if ctx.store.get(ACCOUNTS, e) is None]
    if missing:
        raise not_found(f"Account not found: {', '.join(missing)}")
    for email in emails:
        ctx.store.delete(ACCOUNTS, email)
    return {"status": "success"}


@handles("initGoogleOAuth", "initMicrosoftOAuth")
def init_oauth(ctx: Context) -> Any:
    provider_code, provider, auth_base = _PROVIDERS[ctx.op.operation_id]
    session_id = new_id().replace("-", "")
    ctx.store.put(OAUTH_SESSIONS, session_id, {"status": "pending", "provider_code": provider_code, "polls": 0})
    expires = (datetime.now(UTC) + timedelta(minutes=10)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "session_id": session_id,
        "auth_url": f"{auth_base}?state={session_id}&provider={provider}",
        "expires_at": expires,
    }


@handles("getOAuthSessionStatus")
def oauth_status(ctx: Context) -> Any:
    session_id = ctx.params["sessionId"]
    session = ctx.store.get(OAUTH_SESSIONS, session_id)
    if session is None:
        raise not_found("OAuth session not found")
    if session["status"] == "pending" and session["polls"] >= 1:
        number = sum(1 for a in ctx.store.all(ACCOUNTS) if a["email"].startswith("connected.mailbox"))
        email = f"connected.mailbox{number + 1}@northwind.example"
        new_account(
            ctx,
            {
                "email": email,
                "first_name": "Connected",
                "last_name": "Mailbox",
                "provider_code": session["provider_code"],
            },
        )
        session = {**session, "status": "success", "email": email, "name": "Connected Mailbox"}
    session = {**session, "polls": session["polls"] + 1}
    ctx.store.put(OAUTH_SESSIONS, session_id, session)
    return {k: session[k] for k in ("status", "email", "name") if k in session}
