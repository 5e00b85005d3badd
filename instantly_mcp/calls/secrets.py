"""Secrets in Instantly's answers: a new API key is shown once, marked as a secret, and no other
answer shows a key in full (the server's own key included), so an agent cannot lift one from a listing."""

from __future__ import annotations

from typing import Any

from instantly_mcp.catalog.operations import Operation

KEY_FIELD = "key"
NEW_KEY_TOOL = "create_api_key"
KEY_TAG = "APIKey"
SHOWN_CHARS = 4
SECRET_NOTE = (
    "key is a secret, shown only in this answer and never again: hand it to the user to store in a secret "
    "manager; do not repeat it, write it into files, or pass it to other tools."
)


def guard_secrets(op: Operation, data: Any) -> Any:
    """The answer as the agent may see it."""
    if op.tag != KEY_TAG:
        return data
    if op.name == NEW_KEY_TOOL:
        return {**data, "secret_fields": [KEY_FIELD], "secret_note": SECRET_NOTE} if isinstance(data, dict) else data
    return masked(data)


def masked(data: Any) -> Any:
    if isinstance(data, list):
        return [masked(item) for item in data]
    if isinstance(data, dict):
        return {k: mask_key(v) if k == KEY_FIELD and isinstance(v, str) else masked(v) for k, v in data.items()}
    return data


def mask_key(key: str) -> str:
    """The last characters only, enough to tell keys apart."""
    return "…" + key[-SHOWN_CHARS:] if len(key) > 3 * SHOWN_CHARS else "…"
