"""Where the generated tools follow the real API rather than the letter of the vendored spec (issue 15).

Kept apart from the model writer and the entry builder so that the other generator changes merge
without touching these rules.
"""

from __future__ import annotations

from typing import Any

from .spec import SpecOperation


def body_is_open(op: SpecOperation) -> bool:
    """The spec leaves the request body open (no `additionalProperties: false`): Instantly accepts
    fields there that the spec does not list, and real clients rely on them."""
    return op.body_schema is not None and op.body_schema.get("additionalProperties") is not False


def mark_open_body(schema: dict[str, Any], op: SpecOperation) -> dict[str, Any]:
    """The flat tool schema, flagged for the model writer when the body takes undocumented fields."""
    return {**schema, "x-open-body": True} if body_is_open(op) else schema
