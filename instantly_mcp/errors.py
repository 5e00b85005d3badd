"""Turn client errors into one paragraph an agent can act on: what failed, why, and what to do next."""

from __future__ import annotations

import math
from collections.abc import Sequence

from instantly_mcp.client import ApiError, TransportError

__all__ = ["describe_api_error", "describe_transport_error"]


def describe_api_error(err: ApiError, *, tool: str, required_scopes: Sequence[str]) -> str:
    if err.attempts == 0:
        head = f"{tool} was not sent: {err.message.rstrip('.')}"
    else:
        head = f"{tool} failed: Instantly answered HTTP {err.status} {err.error}"
        if err.message and err.message != err.error:
            head += f" ({err.message.rstrip('.')})"
    return f"{head}. {_advice(err, tool, required_scopes)}"


def describe_transport_error(err: TransportError, *, tool: str) -> str:
    tries = f"after {err.attempts} attempt{'s' if err.attempts != 1 else ''}"
    head = f"{tool} failed: no usable answer from Instantly, {err.reason} ({tries})."
    if not err.transient:
        return f"{head} Retrying will not help: check INSTANTLY_BASE_URL and the network settings."
    if not err.may_have_been_sent:
        return f"{head} Nothing reached Instantly, so it is safe to retry once the network is reachable."
    if err.retry_safe:
        return f"{head} Repeating this call has no extra effect, so it is safe to retry later."
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
        return "Conflict: the resource already exists or is in a state that does not allow this; fetch its current state before trying again."
    if status in (400, 422):
        return f"The request was rejected as invalid: fix the named field and call {tool} again."
    if status == 413:
        return "The request is too large: send fewer items per call."
    if status == 429:
        wait = f"retry after {math.ceil(err.retry_after)} s" if err.retry_after is not None else "retry in a few seconds"
        return f"Rate limited; {wait}."
    if status >= 500:
        if err.retry_safe:
            return "Instantly had an internal error; safe to retry later."
        return (
            "Instantly had an internal error; the request may still have taken effect, so check whether it "
            "took effect before retrying."
        )
    return f"Unexpected status; check the arguments of {tool} against its description."
