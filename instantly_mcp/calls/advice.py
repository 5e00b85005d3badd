"""Turn client errors into one paragraph an agent can act on: what failed, why, and what to do next."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from instantly_mcp.errors import ApiError, TransportError, UpstreamError

__all__ = ["BULK_CHECKS", "describe", "describe_api_error", "describe_transport_error"]

# Bulk tools: the argument holding the items, and how to find out which of them took effect when
# the answer was lost (a timeout or broken connection after sending, a 5xx, an unreadable body).
BULK_CHECKS: dict[str, tuple[str, str]] = {
    "add_leads": ("leads", "list_leads with campaign (or list_id) and contacts set to the emails you sent"),
    "delete_leads": (
        "ids",
        "list_leads with the same campaign (or list_id) and filters: leads still listed were not deleted",
    ),
    "move_leads": (
        "ids",
        "list_leads with campaign (or list_id) set to the destination, or list_background_jobs for the move job",
    ),
    "bulk_assign_leads": ("ids", "list_leads with organization_user_ids set to the users you assigned"),
    "bulk_create_block_list_entries": ("bl_values", "list_block_list_entries with search set to each value"),
    "bulk_delete_block_list_entries": ("ids", "get_block_list_entry for each id (not found means deleted)"),
    "pause_accounts": ("emails", "get_account for each email and read its status"),
    "enable_warmup_for_accounts": ("emails", "get_account for each email and read its warmup status"),
    "disable_warmup_for_accounts": ("emails", "get_account for each email and read its warmup status"),
    "move_accounts": ("emails", "list_accounts and see which workspace each email is in"),
    "approve_ai_sales_agent_activities": (
        "activity_ids",
        "list_ai_sales_agent_activities and read each activity's status",
    ),
    "reject_ai_sales_agent_activities": (
        "activity_ids",
        "list_ai_sales_agent_activities and read each activity's status",
    ),
    "toggle_custom_tag_resources": ("resource_ids", "list_custom_tag_mappings for the tags"),
    "cancel_dfy_email_accounts": ("accounts", "list_dfy_email_accounts and read each account's status"),
    "run_enrichment": ("lead_ids", "get_enrichment_history for the resource"),
}


def bulk_unknown(tool: str, arguments: Mapping[str, Any] | None) -> str | None:
    """For a bulk tool whose answer was lost: that the outcome of each item is unknown, and how to find it out."""
    if tool not in BULK_CHECKS:
        return None
    field, check = BULK_CHECKS[tool]
    items = (arguments or {}).get(field)
    what = f"{len(items)} {field}" if isinstance(items, list) else "several items"
    return (
        f"Outcome unknown: this bulk call carried {what}, and Instantly may have applied all, some or none of "
        f"them; no answer says which. Before retrying, check with {check}, then resend only what is missing."
    )


def describe_api_error(
    err: ApiError, *, tool: str, required_scopes: Sequence[str], arguments: Mapping[str, Any] | None = None
) -> str:
    if err.attempts == 0:
        head = f"{tool} was not sent: {err.message.rstrip('.')}"
    else:
        head = f"{tool} failed: Instantly answered HTTP {err.status} {err.error}"
        if err.message and err.message != err.error:
            head += f" ({err.message.rstrip('.')})"
    if err.status >= 500 and err.attempts and not err.retry_safe:
        unknown = bulk_unknown(tool, arguments)
        if unknown:
            return f"{head}. Instantly had an internal error. {unknown}"
    return f"{head}. {_advice(err, tool, required_scopes)}"


def describe_transport_error(err: TransportError, *, tool: str, arguments: Mapping[str, Any] | None = None) -> str:
    tries = f"after {err.attempts} attempt{'s' if err.attempts != 1 else ''}"
    head = f"{tool} failed: no usable answer from Instantly, {err.reason} ({tries})."
    if not err.transient:
        return f"{head} Retrying will not help: check INSTANTLY_BASE_URL and the network settings."
    if not err.may_have_been_sent:
        return f"{head} Nothing reached Instantly, so it is safe to retry once the network is reachable."
    if err.retry_safe:
        return f"{head} Repeating this call has no extra effect, so it is safe to retry later."
    unknown = bulk_unknown(tool, arguments)
    if unknown:
        return f"{head} {unknown}"
    return (
        f"{head} The request may have reached Instantly and taken effect: check whether it did "
        f"(e.g. with the matching get or list tool) before retrying, or it may be applied twice."
    )


def _advice(err: ApiError, tool: str, required_scopes: Sequence[str]) -> str:
    status = err.status
    if status == 401:
        return "Check INSTANTLY_API_KEY (missing, invalid or revoked)."
    if status == 402:
        return "The workspace has no active paid plan; retrying will not help until the plan is renewed."
    if status == 403:
        if required_scopes:
            return (
                f"The API key is not allowed to do this: {tool} needs one of: {', '.join(required_scopes)}. "
                f"Use a key with one of these scopes (or a plan that includes this feature)."
            )
        return "The API key's scopes or the workspace plan do not allow this action."
    if status == 404:
        return "Check the id (use the list tool to find it); the resource may not exist or may have been deleted."
    if status == 409:
        return (
            "Conflict: the resource already exists or is in a state that does not allow this; "
            "fetch its current state before trying again."
        )
    if status in (400, 422):
        return f"The request was rejected as invalid: fix the named field and call {tool} again."
    if status == 413:
        return "The request is too large: send fewer items per call."
    if status == 429:
        wait = (
            f"retry after {math.ceil(err.retry_after)} s" if err.retry_after is not None else "retry in a few seconds"
        )
        return f"Rate limited; {wait}."
    if status >= 500:
        if err.retry_safe:
            return "Instantly had an internal error; safe to retry later."
        return (
            "Instantly had an internal error; the request may still have taken effect, so check whether it "
            "took effect before retrying."
        )
    return f"Unexpected status; check the arguments of {tool} against its description."


def describe(
    err: UpstreamError, *, tool: str, required_scopes: Sequence[str], arguments: Mapping[str, Any] | None = None
) -> str:
    """The paragraph for either kind of failure; any other kind is raised again (no advice is written for it yet)."""
    if isinstance(err, ApiError):
        return describe_api_error(err, tool=tool, required_scopes=required_scopes, arguments=arguments)
    if isinstance(err, TransportError):
        return describe_transport_error(err, tool=tool, arguments=arguments)
    raise err
