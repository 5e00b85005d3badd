"""After a failed delete, ask Instantly whether the item is gone (issue 15, item 4).

Live, DELETE /emails/{id} answers 500 although the email was deleted; a retry of it then answers 404.
Either way the agent would be told the delete failed and might try again or give up wrongly. The
matching read (same path, GET) settles it: 404 means the delete happened.
"""

from __future__ import annotations

from typing import Any

import mcp_types as types

from instantly_mcp.calls.paging import compact_json
from instantly_mcp.catalog.operations import Operation, load_operations
from instantly_mcp.errors import ApiError, TransportError
from instantly_mcp.upstream.client import ApiRequest, Requester


def matching_read(op: Operation) -> Operation | None:
    """The GET on the same item path, for a DELETE of one item."""
    if op.method != "DELETE" or not op.path_params:
        return None
    return next((o for o in load_operations().values() if o.method == "GET" and o.path == op.path), None)


def doubtful(err: ApiError) -> bool:
    """A 5xx, or a 404 on a retry (the first attempt may have deleted it)."""
    return err.status >= 500 or (err.status == 404 and err.attempts > 1)


async def deleted_anyway(
    op: Operation, request: ApiRequest, err: ApiError, client: Requester
) -> types.CallToolResult | None:
    """A success result when the matching read now answers 404; None when that cannot be shown."""
    read = matching_read(op)
    if read is None or not doubtful(err):
        return None
    check = ApiRequest(method="GET", path=request.path, query={}, body=None, retry_safe=True, endpoint=read.endpoint)
    try:
        await client.request(check)
    except ApiError as missing:
        if missing.status != 404:
            return None
        return types.CallToolResult(content=[types.TextContent(type="text", text=_done(op, read, err))])
    except TransportError:
        return None
    return None


def _done(op: Operation, read: Operation, err: ApiError) -> str:
    answer: dict[str, Any] = {
        "deleted": True,
        "message": (
            f"Instantly answered {op.name} with HTTP {err.status}"
            + (f" after {err.attempts} attempts" if err.attempts > 1 else "")
            + f", but {read.name} now answers 404: the item is deleted. Do not retry."
        ),
    }
    return compact_json(answer)
