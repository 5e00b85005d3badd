"""Read-only lookups that gates make on the agent's behalf (summaries, live targets, reply recipients),
only through tools the agent could call itself (scopes, toolsets, --tools), so a summary never shows
what it could not read. A 404 on a get_<noun> lookup means the call cannot succeed (TargetNotFound)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import anyio

from instantly_mcp.calls.pipeline import prepare
from instantly_mcp.catalog.operations import Operation
from instantly_mcp.errors import ApiError, InvalidArguments, TargetNotFound, UpstreamError
from instantly_mcp.gates.summaries import Lookup
from instantly_mcp.upstream.client import Requester

LOOKUP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Lookups:
    operations: Mapping[str, Operation]
    visible: Callable[[Operation], bool] = lambda op: True

    def bind(self, visible: Callable[[Operation], bool]) -> Callable[[Requester], Lookup]:
        """The lookup maker for a policy whose visible tools `visible` says."""
        bound = Lookups(self.operations, visible)
        return bound.lookup

    def lookup(self, client: Requester) -> Lookup:
        """Read-only calls for the summary and the live check, only through tools the agent could
        call itself (scopes, toolsets, --tools), so a summary never shows what it could not read."""

        async def run(name: str, arguments: dict[str, Any]) -> Any:
            op = self.operations.get(name)
            if op is None or op.risk != "read" or not self.visible(op):
                return None
            try:
                with anyio.fail_after(LOOKUP_TIMEOUT_S):
                    response = await client.request(prepare(op, arguments).request)
            except ApiError as exc:
                if exc.status == 404 and op.path_params:
                    raise TargetNotFound(op.name, arguments, self.list_tool_for(op)) from None
                return None
            except (InvalidArguments, UpstreamError, TimeoutError):
                return None
            return response.data

        return run

    def list_tool_for(self, op: Operation) -> str | None:
        """The visible list tool that finds ids for a get_<noun> lookup
        (get_block_list_entry: list_block_list_entries)."""
        noun = op.name.removeprefix("get_")
        for name in (f"list_{noun}s", f"list_{noun[:-1]}ies", f"list_{noun}es"):
            found = self.operations.get(name)
            if found is not None and self.visible(found):
                return name
        return None
