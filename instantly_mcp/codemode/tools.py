"""Code mode (`--tools code`): search_tools, describe_tool and run_code instead of 240 tools.

Search is discover mode's (discovery.py); describe_tool answers a Python signature with a short
docstring (stubs.py); run_code runs a script whose `await instantly.<tool>(**arguments)` calls go
through the same policy as tool calls (runner.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import mcp_types as types

from instantly_mcp.calls.pipeline import error_result, text_result
from instantly_mcp.catalog.operations import Operation
from instantly_mcp.codemode.runner import CodeLimits, Runner
from instantly_mcp.codemode.stubs import brief, describe, module_stubs
from instantly_mcp.config import Settings
from instantly_mcp.gates.controls import APPROVAL_ID, CONFIRM_TOKEN
from instantly_mcp.gates.discovery import DESCRIBE, SEARCH, Discovery, arguments, discovery_tools, summary
from instantly_mcp.gates.policy import Policy

RUN = "run_code"
AGENT_APPROVALS = (CONFIRM_TOKEN, APPROVAL_ID)  # a script never carries an approval: a person gives it while it runs
MAX_SCRIPT_CHARS = 20_000
INSTRUCTIONS = (
    "Code mode: find tools with search_tools, read their Python signatures with describe_tool, then do the whole "
    "job in one run_code script. In the script every tool is `await instantly.<tool>(**arguments)` returning parsed "
    "JSON; return or print only what you need. Destructive and outbound calls pause the script until a person "
    "approves them; run_code(dry_run=true) answers every write with its dry run instead."
)


@dataclass(frozen=True)
class Script:
    """A run_code request, checked, for the server to run with its caller and client."""

    source: str
    dry_run: bool
    approval_id: str | None = None


@dataclass
class CodeMode:
    policy: Policy
    settings: Settings
    discovery: Discovery = field(init=False)
    runner: Runner = field(init=False)

    def __post_init__(self) -> None:
        self.discovery = Discovery(self.policy)
        self.runner = Runner(self.policy, CodeLimits.of(self.settings), module_stubs(self.schemas()))

    def schemas(self) -> list[tuple[Operation, dict[str, Any]]]:
        return [(op, self.script_schema(op)) for op in self.policy.visible_operations()]

    def script_schema(self, op: Operation) -> dict[str, Any]:
        """The operation's arguments as a script passes them: no confirm_token, a person approves instead."""
        schema = self.policy.input_schema(op)
        return {
            **schema,
            "properties": {k: v for k, v in schema.get("properties", {}).items() if k not in AGENT_APPROVALS},
        }

    def tools(self) -> list[types.Tool]:
        search, describe_tool, _ = discovery_tools(op.toolset for op in self.policy.visible_operations())
        limits = self.runner.limits
        return [
            search.model_copy(
                update={
                    "description": "Find Instantly.ai API tools: name(arguments): summary. "
                    "Name every step of a job at once, separated by ';' (list campaigns; pause campaign)."
                }
            ),
            describe_tool.model_copy(update={"description": "A tool's Python signature and docstring, for run_code."}),
            types.Tool(
                name=RUN,
                title="Run a Python script against Instantly",
                description=(
                    "Run Python (async, no imports needed) where `await instantly.<tool>(**args)` calls a tool and "
                    "returns its JSON. Answers the last expression and printed text. Limits: "
                    f"{limits.max_calls} calls, {limits.wall_s:g} s. A person approves gated calls; "
                    "dry_run=true: no writes."
                ),
                input_schema=arguments(
                    code={"type": "string", "maxLength": MAX_SCRIPT_CHARS},
                    dry_run={"type": "boolean"},
                    approval_id={"type": "string", "description": "From an approval_required answer"},
                ),
                annotations=types.ToolAnnotations(destructive_hint=True, open_world_hint=True),
            ),
        ]

    def route(self, name: str, args: dict[str, Any] | None) -> types.CallToolResult | Script:
        args = args or {}
        if name == SEARCH:
            return self.search(args)
        if name == DESCRIBE:
            return self.describe(args)
        if name == RUN:
            return self.script(args)
        if name in self.policy.operations:
            return error_result(
                f"This server runs in code mode: call it from run_code as `await instantly.{name}(...)`."
            )
        return error_result(f"Unknown tool {name!r}. The tools are {SEARCH}, {DESCRIBE} and {RUN}.")

    def search(self, args: dict[str, Any]) -> types.CallToolResult:
        """Discover mode's search, each match answered as a call: name, arguments, summary. A query may
        name several tasks separated by ";", so one search finds the tools of a whole script."""
        query = args.get("query")
        parts = [p.strip() for p in query.split(";") if p.strip()] if isinstance(query, str) else [query]
        names: dict[str, None] = {}
        for part in parts or [query]:
            found = self.discovery.search({**args, "query": part})
            first = found.content[0]
            if found.is_error or not isinstance(first, types.TextContent):
                return found
            if not first.text.startswith("No tool"):
                names.update(dict.fromkeys(line.split(":", 1)[0] for line in first.text.splitlines()))
        if not names:
            return text_result(f"No tool matches {query!r}. Try other words.")
        ops = [self.policy.operations[name] for name in names]
        return text_result("\n".join(brief(op, self.script_schema(op), summary(op)) for op in ops))

    def describe(self, args: dict[str, Any]) -> types.CallToolResult:
        found = self.discovery.operation(args.get("name"), DESCRIBE, set(args) - {"name"})
        if isinstance(found, types.CallToolResult):
            return found
        return text_result(describe(found, self.script_schema(found), gated=self.policy.is_gated(found)))

    @staticmethod
    def script(args: dict[str, Any]) -> types.CallToolResult | Script:
        code, dry_run, approval_id = args.get("code"), args.get("dry_run", False), args.get("approval_id")
        unknown = set(args) - {"code", "dry_run", "approval_id"}
        if unknown or not isinstance(code, str) or not code.strip() or not isinstance(dry_run, bool):
            return error_result(f"{RUN} takes code (Python source) and optionally dry_run (boolean); nothing was run.")
        if approval_id is not None and not isinstance(approval_id, str):
            return error_result(
                f"{RUN}: approval_id must be the string an approval_required answer gave; nothing was run."
            )
        if len(code) > MAX_SCRIPT_CHARS:
            return error_result(
                f"{RUN}: the script has {len(code):,} characters, more than {MAX_SCRIPT_CHARS:,}; nothing was run."
            )
        return Script(code, dry_run, approval_id)
