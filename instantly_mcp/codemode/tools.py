"""Code mode (`--tools code`): search_tools and run_code instead of every tool.

Search is discover mode's (discovery.py); a query that is a tool's exact name answers its Python
signature with a short docstring (stubs.py), so describing a tool needs no third definition in every
request's context (describe_tool still answers, unlisted, for clients that learned it elsewhere);
run_code runs a script whose `await instantly.<tool>(**arguments)` calls go through the same policy
as tool calls (runner.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import mcp_types as types

from instantly_mcp.calls.pipeline import error_result, text_result
from instantly_mcp.catalog.answers import answer_names, signature
from instantly_mcp.catalog.operations import Operation
from instantly_mcp.catalog.search import DEFAULT_MATCHES, tasks
from instantly_mcp.codemode.limits import CodeLimits
from instantly_mcp.config import Settings
from instantly_mcp.gates.controls import APPROVAL_ID, CONFIRM_TOKEN
from instantly_mcp.gates.discovery import (
    DESCRIBE,
    MAX_MATCHES,
    MAX_QUERY_CHARS,
    SEARCH,
    Discovery,
    arguments,
    did_you_mean,
    discovery_tools,
    long_query,
    risk_note,
)
from instantly_mcp.gates.policy import Policy

if TYPE_CHECKING:
    from instantly_mcp.codemode.runner import Runner

RUN = "run_code"
AGENT_APPROVALS = (CONFIRM_TOKEN, APPROVAL_ID)  # a script never carries an approval: a person gives it while it runs
MAX_SCRIPT_CHARS = 20_000
SCRIPT_MATCHES = 5  # instantly.search's default: a script usually wants the top few
STEP_MATCHES = 4  # per task of a query naming several
SIGNED_MATCHES = 2  # per task, the matches answered with a call signature: the best is nearly always the one used
ALL_ARGUMENTS, SOME_ARGUMENTS = 40, 3  # optional names shown: every one for each task's best match
INSTRUCTIONS = (
    "Code mode: find tools with search_tools (its answers are call signatures; a tool's exact name gives its "
    "docstring), then do the whole job in one "
    "run_code script. In the script every tool is `await instantly.<tool>(**arguments)` returning parsed JSON (or "
    "raising with the tool's error); `instantly.search(query)` and `instantly.describe(name)` find tools from inside "
    "a script. Return or print only what you need. Destructive and outbound calls pause the script until a person "
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
    limits: CodeLimits = field(init=False)

    def __post_init__(self) -> None:
        self.discovery = Discovery(self.policy)
        self.limits = CodeLimits.of(self.settings)

    @cached_property
    def runner(self) -> Runner:
        """Built for the first script: pydantic-monty is imported then, not at start."""
        from instantly_mcp.codemode.check import ScriptParams
        from instantly_mcp.codemode.runner import Runner

        names = frozenset(op.name for op in self.policy.visible_operations())
        return Runner(
            self.policy,
            self.limits,
            ScriptParams(lambda name: self.script_schema(self.policy.operations[name]), names),
            helpers={"search": self.find, "describe": self.signature},
            suggest=lambda name: did_you_mean(name, self.policy, self.discovery.index),
        )

    async def aclose(self) -> None:
        if "runner" in vars(self):
            await self.runner.aclose()

    def script_schema(self, op: Operation) -> dict[str, Any]:
        """The operation's arguments as a script passes them: no confirm_token, a person approves instead."""
        schema = self.policy.input_schema(op)
        return {
            **schema,
            "properties": {k: v for k, v in schema.get("properties", {}).items() if k not in AGENT_APPROVALS},
        }

    def tools(self) -> list[types.Tool]:
        search, _, _ = discovery_tools(op.toolset for op in self.policy.visible_operations())
        limits = self.limits
        return [
            search.model_copy(
                update={
                    "description": "Find Instantly.ai API tools: name(arguments): purpose. Name every step of a job "
                    "at once, separated by ';' (list campaigns; pause campaign); an exact name gives its docstring.",
                    # ';' names the tasks instead of a toolset; the description's example says what a query is
                    "input_schema": arguments(query={"type": "string", "maxLength": MAX_QUERY_CHARS}),
                }
            ),
            types.Tool(
                name=RUN,
                title="Run a Python script against Instantly",
                description=(
                    "Async Python, no imports needed: `await instantly.<tool>(**args)` returns parsed JSON; "
                    "`instantly.search(query)` finds tools. Answers printed text and the last expression, then notes. "
                    f"Limits: {limits.max_calls} calls, {limits.wall_s:g} s. A person approves gated calls; "
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
        if name == DESCRIBE:  # unlisted: search_tools with an exact name answers the same
            return self.describe(args)
        if name == RUN:
            return self.script(args)
        if name in self.policy.operations:
            return error_result(
                f"This server runs in code mode: call it from run_code as `await instantly.{name}(...)`."
            )
        return error_result(f"Unknown tool {name!r}. The tools are {SEARCH} and {RUN}.")

    def search(self, args: dict[str, Any]) -> types.CallToolResult:
        """Discover mode's search, the top matches answered as calls (name, arguments, summary), the
        rest by name. A query may name several tasks separated by ";", so one search finds the tools
        of a whole script; each task then gets fewer matches. A task that is a visible tool's exact
        name is answered with its docstring instead (what describe_tool gives)."""
        query = args.get("query")
        if isinstance(query, str) and (too_long := long_query(SEARCH, query)):
            return error_result(too_long)  # the whole query: its tasks are searched one by one
        parts: list[Any] = tasks(query) if isinstance(query, str) else [query]
        named = [op for op in map(self.named, parts) if op is not None]
        if named and len(named) == len(parts):
            return text_result("\n\n".join(self.docstring(op) for op in named))
        limit = args.get("limit", STEP_MATCHES if len(parts) > 1 else DEFAULT_MATCHES)
        found: list[list[str]] = []
        for part in parts or [query]:
            answer = self.discovery.search({**args, "query": part, "limit": limit})
            first = answer.content[0]
            if answer.is_error or not isinstance(first, types.TextContent):
                return answer
            if not first.text.startswith("No tool"):
                found.append(answer_names(first.text))
        if not found:
            return text_result(f"No tool matches {query!r}. Try other words.")
        return text_result("\n".join(self.briefs(found)))

    def briefs(self, found: list[list[str]]) -> list[str]:
        """One line per tool found, in order: a call signature for each task's top matches."""
        best = {names[0] for names in found if names}
        top = {name for names in found for name in names[:SIGNED_MATCHES]}
        lines: dict[str, str] = {}
        for name in (name for names in found for name in names):
            op = self.policy.operations[name]
            shown = ALL_ARGUMENTS if name in best else SOME_ARGUMENTS
            lines.setdefault(
                name, signature(op, self.script_schema(op), risk_note(op), signed=name in top, shown=shown)
            )
        return list(lines.values())

    def named(self, part: Any) -> Operation | None:
        """The visible tool a search task names exactly, if it names one."""
        return self.discovery.visible(part) if isinstance(part, str) else None

    def find(self, query: str, limit: int = SCRIPT_MATCHES) -> list[str]:
        """`instantly.search(query)` in a script: search_tools' ranking and answer lines, as a list."""
        if not isinstance(query, str) or isinstance(limit, bool) or not isinstance(limit, int):
            raise TypeError("instantly.search(query: str, limit: int = 5)")
        if too_long := long_query("instantly.search", query):
            raise ValueError(too_long)
        limit = max(1, min(limit, MAX_MATCHES))
        return self.briefs(
            [[op.name for op in self.discovery.index.search(part, limit=limit)] for part in tasks(query)]
        )

    def signature(self, name: str) -> str:
        """`instantly.describe(name)` in a script: describe_tool's answer."""
        found = self.describe({"name": name})
        text = found.content[0].text if isinstance(found.content[0], types.TextContent) else ""
        if found.is_error:
            raise ValueError(text)
        return text

    def describe(self, args: dict[str, Any]) -> types.CallToolResult:
        found = self.discovery.operation(args.get("name"), DESCRIBE, set(args) - {"name"})
        if isinstance(found, types.CallToolResult):
            return found
        return text_result(self.docstring(found))

    def docstring(self, op: Operation) -> str:
        from instantly_mcp.codemode.stubs import describe  # the docstring builder, for the first describe only

        return describe(op, self.script_schema(op), gated=self.policy.is_gated(op))

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
