"""Done-for-you account orders and the web forwarding of the domains ordered through them."""

from __future__ import annotations

from typing import Any

from instantly_mcp.sandbox import crud
from instantly_mcp.sandbox.context import Context
from instantly_mcp.sandbox.errors import not_found
from instantly_mcp.sandbox.handlers.registry import handles
from instantly_mcp.sandbox.resources import Resource
from instantly_mcp.sandbox.spec import component
from instantly_mcp.sandbox.store import Entity
from instantly_mcp.sandbox.synth import render, synthesize

ORDERS = "dfy-email-account-orders"
PRICE_PER_ACCOUNT = 4.5
PRICE_PER_DOMAIN = 15.0


def _orders(ctx: Context) -> Resource:
    return ctx.resource("/api/v2/dfy-email-account-orders")


def _order(ctx: Context, domain: str) -> Entity:
    order = ctx.store.get(ORDERS, domain.strip().lower())
    if order is None or order.get("timestamp_cancelled"):
        raise not_found(f"Domain {domain} was not ordered through Instantly")
    return order


@handles("createDFYEmailAccountOrder")
def create_order(ctx: Context) -> Any:
    items = ctx.data["items"]
    simulation = bool(ctx.data.get("simulation"))
    accounts = sum(len(item.get("accounts", [])) for item in items)
    if not simulation:
        for item in items:
            fields = {
                "_key": item["domain"].strip().lower(),
                "domain": item["domain"].strip().lower(),
                "forwarding_domain": item.get("forwarding_domain"),
                "forwarding_mode": "redirect" if item.get("forwarding_domain") else None,
                "is_pre_warmed_up": ctx.data["order_type"] == "pre_warmed_up",
            }
            crud.create(ctx.store, _orders(ctx), fields, ctx.workspace_id)
    body = synthesize(ctx.op.success_schema, full=True)
    for listed in (
        "unavailable_domains",
        "blacklist_domains",
        "blacklist_keywords",
        "invalid_domains",
        "invalid_forwarding_domains",
        "invalid_accounts",
        "missing_domain_orders",
        "provider_mismatch_domains",
        "unsupported_provider_domains",
        "unavailable_email_providers",
        "domains_without_accounts",
        "free_domains",
    ):
        if listed in body:
            body[listed] = []
    for optional in ("order_error", "payment_failure_reason"):
        body.pop(optional, None)
    per_month = accounts * PRICE_PER_ACCOUNT
    per_year = len(items) * PRICE_PER_DOMAIN
    body.update(
        order_placed=not simulation,
        order_is_valid=True,
        simulation=simulation,
        number_of_domains_ordered=len(items),
        number_of_accounts_ordered=accounts,
        price_per_account_per_month=PRICE_PER_ACCOUNT,
        price_per_domain_per_year=PRICE_PER_DOMAIN,
        total_domains_price_per_year=per_year,
        total_accounts_price_per_month=per_month,
        total_price_per_month=per_month,
        total_price_per_year=per_year,
        total_price=per_month + per_year,
        total_discount=0,
    )
    return body


@handles("getDomainForwarding")
def get_forwarding(ctx: Context) -> Any:
    return render(_order(ctx, ctx.params["domain"]), component("DomainForwarding"))


@handles("updateDomainForwarding")
def update_forwarding(ctx: Context) -> Any:
    order = _order(ctx, ctx.params["domain"])
    changes = {
        "forwarding_domain": ctx.data["forwarding_domain"].strip().lower(),
        "forwarding_mode": ctx.data.get("forwarding_mode", "redirect"),
    }
    return render(crud.update(ctx.store, _orders(ctx), order, changes), component("DomainForwarding"))


@handles("deleteDomainForwarding")
def delete_forwarding(ctx: Context) -> Any:
    order = _order(ctx, ctx.params["domain"])
    changes = {"forwarding_domain": None, "forwarding_mode": None}
    return render(crud.update(ctx.store, _orders(ctx), order, changes), component("DomainForwarding"))
