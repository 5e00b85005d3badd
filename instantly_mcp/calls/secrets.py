"""Secrets in Instantly's answers: a new API key is shown once, marked as a secret, and no other
answer shows a key in full (the server's own key included), so an agent cannot lift one from a listing."""

from __future__ import annotations

from typing import Any

import mcp_types as types

from instantly_mcp.catalog.operations import Operation

KEY_FIELD = "key"
NEW_KEY_TOOL = "create_api_key"
KEY_TAG = "APIKey"
SECRET_META = "instantly-mcp/secret"
SHOWN_CHARS = 4
SECRET_NOTE = (
    "key is a secret, shown only in this answer and never again: hand it to the user to store in a secret "
    "manager; do not repeat it, write it into files, or pass it to other tools."
)


def guard_secrets(op: Operation, data: Any) -> Any:
    """The answer as the agent may see it: keys masked everywhere but in the answer that creates one."""
    return masked(data) if op.tag == KEY_TAG and op.name != NEW_KEY_TOOL else data


def mark_secret(op: Operation, result: types.CallToolResult) -> types.CallToolResult:
    """The one answer holding a new key, marked for the client: meant for the user (MCP audience),
    with the secret fields and a note in _meta; the JSON itself stays as Instantly sent it."""
    if op.name != NEW_KEY_TOOL or result.is_error:
        return result
    marked = [
        c.model_copy(update={"annotations": types.Annotations(audience=["user"], priority=1.0)}) for c in result.content
    ]
    meta = {**(result.meta or {}), SECRET_META: {"fields": [KEY_FIELD], "note": SECRET_NOTE}}
    return result.model_copy(update={"content": marked, "meta": meta})


def masked(data: Any) -> Any:
    if isinstance(data, list):
        return [masked(item) for item in data]
    if isinstance(data, dict):
        return {k: mask_key(v) if k == KEY_FIELD and isinstance(v, str) else masked(v) for k, v in data.items()}
    return data


def mask_key(key: str) -> str:
    """The last characters only, enough to tell keys apart."""
    return "…" + key[-SHOWN_CHARS:] if len(key) > 3 * SHOWN_CHARS else "…"
