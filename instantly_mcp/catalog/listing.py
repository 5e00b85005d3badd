"""What an agent sees of a tool in tools/list: the MCP Tool record and its annotations."""

from __future__ import annotations

from typing import Any

import mcp_types as types

from instantly_mcp.catalog.operations import Operation


def tool_annotations(op: Operation) -> types.ToolAnnotations:
    """Hints consistent with the risk class; outbound and privileged count as destructive because
    mail sent, money spent or access handed out cannot be taken back.

    A hint is left out only where the MCP default already says it, in the cautious direction, so
    a client that reads only the defaults errs on the safe side: openWorldHint (default true: every
    tool reaches Instantly), readOnlyHint false, idempotentHint false, and destructiveHint and
    idempotentHint on read tools (meaningful only when readOnlyHint is false). The human title is
    the tool's own `title`, which clients prefer to annotations.title."""
    if op.risk == "read":
        return types.ToolAnnotations(read_only_hint=True)
    return types.ToolAnnotations(
        destructive_hint=op.risk in ("destructive", "outbound", "privileged"),
        idempotent_hint=True if op.idempotent else None,
    )


def effective_hints(hints: types.ToolAnnotations | None) -> dict[str, bool]:
    """The four hints with the MCP defaults filled in, as a client reads them."""
    hints = hints or types.ToolAnnotations()
    read_only = bool(hints.read_only_hint)
    return {
        "read_only": read_only,
        "destructive": False if read_only else hints.destructive_hint is not False,
        "idempotent": True if read_only else bool(hints.idempotent_hint),
        "open_world": hints.open_world_hint is not False,
    }


def to_mcp_tool(op: Operation, input_schema: dict[str, Any] | None = None) -> types.Tool:
    return types.Tool(
        name=op.name,
        title=op.title,
        description=op.description,
        input_schema=input_schema or op.input_schema,
        annotations=tool_annotations(op),
    )
