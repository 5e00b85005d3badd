"""What tools/list shows and where tools/call goes: one ToolSurface per mode.

    FullSurface       every visible tool, each called by its own name (the default)
    DiscoverSurface   --tools discover: search_tools, describe_tool and call_tool, which names the tool
    CodeSurface       --tools code: search_tools and run_code, whose script calls the tools

`route` answers a call itself (search, describe, a mistake) or says what to run through the policy:
an operation with its arguments, or a run_code script. The server does not ask which mode it is in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import mcp_types as types

from instantly_mcp.catalog.operations import Operation, resolve
from instantly_mcp.gates.discovery import Discovery
from instantly_mcp.gates.policy import Policy

if TYPE_CHECKING:  # pydantic-monty is imported only with --tools code
    from instantly_mcp.codemode.tools import CodeMode, Script


@dataclass(frozen=True)
class ToRun:
    """A call for the policy: `op` with `arguments` (op None: no such tool), or a run_code `script`."""

    op: Operation | None = None
    arguments: dict[str, Any] | None = None
    script: Script | None = None


Routed = types.CallToolResult | ToRun


class ToolSurface(Protocol):
    def tools(self) -> list[types.Tool]: ...

    def route(self, name: str, arguments: dict[str, Any] | None) -> Routed: ...


@dataclass(frozen=True)
class FullSurface:
    policy: Policy

    def tools(self) -> list[types.Tool]:
        return self.policy.tools()

    def route(self, name: str, arguments: dict[str, Any] | None) -> Routed:
        return ToRun(resolve(self.policy.operations, name), arguments)


@dataclass(frozen=True)
class DiscoverSurface:
    discovery: Discovery

    def tools(self) -> list[types.Tool]:
        return self.discovery.tools()

    def route(self, name: str, arguments: dict[str, Any] | None) -> Routed:
        routed = self.discovery.route(name, arguments)
        if isinstance(routed, types.CallToolResult):
            return routed
        return ToRun(*routed)


@dataclass(frozen=True)
class CodeSurface:
    code: CodeMode

    def tools(self) -> list[types.Tool]:
        return self.code.tools()

    def route(self, name: str, arguments: dict[str, Any] | None) -> Routed:
        routed = self.code.route(name, arguments)
        return routed if isinstance(routed, types.CallToolResult) else ToRun(script=routed)
