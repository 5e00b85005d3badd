"""Discovery mode (`--tools discover`): three tools instead of every tool.

- search_tools(query, toolset?): catalog/search.py's index over everything the spec says about each
  visible tool; offline, built on first use. Answers one call-ready line per match,
  `name(required: type, optional=): purpose`, grouped by step when the request names several.
- describe_tool(name): the tool's full inputSchema (with the server's own arguments), risk class,
  confirmation gate, hints, scopes and the result fields `fields` may name.
- call_tool(name, arguments): the same pipeline as a direct call (policy.py): the filter (scopes,
  toolsets, --read-only), validation, dry_run, confirmation gates, audit log.

The agent pays about 1,000 tokens of definitions instead of about 40,000, and a few hundred per
tool it actually looks up.
"""

from __future__ import annotations

import difflib
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import mcp_types as types

from instantly_mcp.calls.paging import compact_json, selectable_fields
from instantly_mcp.calls.pipeline import error_result, text_result
from instantly_mcp.catalog.listing import effective_hints
from instantly_mcp.catalog.operations import Operation, resolve
from instantly_mcp.gates.controls import GATED_RISKS
from instantly_mcp.gates.policy import Policy

if TYPE_CHECKING:  # the search module is imported at the first search or unknown name, not at start
    from instantly_mcp.catalog.search import SearchIndex

SEARCH, DESCRIBE, CALL = "search_tools", "describe_tool", "call_tool"
MAX_MATCHES = 25
MAX_QUERY_CHARS = 500  # a task in words; longer text only costs scoring time
MAX_NAME_CHARS = 100  # tool names are shorter; a longer one is not searched for look-alikes


def arguments(**properties: dict[str, Any]) -> dict[str, Any]:
    """A strict argument object whose first property is the required one."""
    return {
        "type": "object",
        "properties": properties,
        "required": [next(iter(properties))],
        "additionalProperties": False,
    }


def discovery_tools(toolsets: Iterable[str]) -> list[types.Tool]:
    return [
        types.Tool(
            name=SEARCH,
            title="Search Instantly tools",
            description=(
                "Find the Instantly.ai API tools for a task (campaigns, leads, accounts, emails, analytics…); "
                "name several steps at once ('find leads; add them to a campaign'). Answers "
                "name(required args): purpose per match; describe_tool gives the rest, call_tool runs it."
            ),
            input_schema=arguments(
                query={
                    "type": "string",
                    "maxLength": MAX_QUERY_CHARS,
                    "description": "What you want to do, e.g. pause a campaign",
                },
                toolset={"type": "string", "enum": sorted(set(toolsets))},
                limit={"type": "integer", "minimum": 1, "maximum": MAX_MATCHES},
            ),
            annotations=types.ToolAnnotations(read_only_hint=True, open_world_hint=False),
        ),
        types.Tool(
            name=DESCRIBE,
            title="Describe an Instantly tool",
            description="A tool's arguments (JSON Schema), risk class and whether it asks the user to confirm.",
            input_schema=arguments(name={"type": "string"}),
            annotations=types.ToolAnnotations(read_only_hint=True, open_world_hint=False),
        ),
        types.Tool(
            name=CALL,
            title="Call an Instantly tool",
            description=(
                "Run a tool by name with its arguments, as describe_tool gives them. Destructive and outbound "
                "tools ask for confirmation; where an answer says to call a tool again, use call_tool again."
            ),
            input_schema=arguments(name={"type": "string"}, arguments={"type": "object"}),
            annotations=types.ToolAnnotations(destructive_hint=True),
        ),
    ]


@dataclass
class Discovery:
    """The three tools over the policy's visible operations."""

    policy: Policy

    def tools(self) -> list[types.Tool]:
        return discovery_tools(op.toolset for op in self.policy.visible_operations())

    @property
    def index(self) -> SearchIndex:
        return search_index(self.policy)

    def route(
        self, name: str, arguments: dict[str, Any] | None
    ) -> types.CallToolResult | tuple[Operation, dict[str, Any] | None]:
        """A finished answer (search, describe, a mistake), or the operation and arguments to run
        through the policy (call_tool)."""
        arguments = arguments or {}
        if name == SEARCH:
            return self.search(arguments)
        if name == DESCRIBE:
            return self.describe(arguments)
        if name == CALL:
            return self.resolve_call(arguments)
        if resolve(self.policy.operations, name) is not None:
            return error_result(
                f"This server runs in discover mode: run {name} with call_tool(name={name!r}, arguments={{...}})."
            )
        return error_result(f"Unknown tool {name!r}. The tools are {SEARCH}, {DESCRIBE} and {CALL}.")

    def search(
        self, arguments: dict[str, Any], schema: Callable[[Operation], dict[str, Any]] | None = None
    ) -> types.CallToolResult:
        """The matches as call-ready lines, arguments as `schema` gives them (default: the tool's)."""
        from instantly_mcp.catalog.answers import answer
        from instantly_mcp.catalog.search import DEFAULT_MATCHES

        query, toolset, limit = (
            arguments.get("query"),
            arguments.get("toolset"),
            arguments.get("limit", DEFAULT_MATCHES),
        )
        unknown = set(arguments) - {"query", "toolset", "limit"}
        if not isinstance(query, str) or not query.strip() or unknown:
            return error_result(f"{SEARCH} takes query (text), and optionally toolset and limit (1-{MAX_MATCHES}).")
        if too_long := long_query(SEARCH, query):
            return error_result(too_long)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_MATCHES:
            return error_result(f"{SEARCH}: limit must be an integer from 1 to {MAX_MATCHES}.")
        toolsets = sorted({op.toolset for op in self.policy.visible_operations()})
        if toolset is not None and toolset not in toolsets:
            return error_result(
                f"{SEARCH}: unknown toolset {str(toolset)[:MAX_NAME_CHARS]!r}; one of {', '.join(toolsets)}."
            )
        found = answer(self.index, query, schema or self.policy.input_schema, risk_note, toolset=toolset, limit=limit)
        if not found:
            return text_result(
                f"No tool matches {query!r}" + (f" in toolset {toolset}" if toolset else "") + ". Try other words."
            )
        return text_result(found)

    def describe(self, arguments: dict[str, Any]) -> types.CallToolResult:
        found = self.operation(arguments.get("name"), DESCRIBE, set(arguments) - {"name"})
        if isinstance(found, types.CallToolResult):
            return found
        op = found
        hints = effective_hints(self.policy.tool(op).annotations)
        described: dict[str, Any] = {
            "name": op.name,
            "title": op.title,
            "description": op.description or None,
            "risk": op.risk,
            "confirmation": self.policy.is_gated(op),
            "read_only": hints["read_only"],
            "idempotent": hints["idempotent"],
            "scopes": list(op.scopes),
            "input_schema": self.policy.input_schema(op),
        }
        fields = selectable_fields(op)
        if fields:
            described["result_fields"] = list(fields)
        return text_result(compact_json({k: v for k, v in described.items() if v is not None}))

    def resolve_call(self, arguments: dict[str, Any]) -> types.CallToolResult | tuple[Operation, dict[str, Any] | None]:
        found = self.operation(arguments.get("name"), CALL, set(arguments) - {"name", "arguments"})
        if isinstance(found, types.CallToolResult):
            return found
        inner = arguments.get("arguments")
        if inner is not None and not isinstance(inner, dict):
            return error_result(
                f"{CALL}: arguments must be an object (the tool's arguments by name); nothing was sent."
            )
        return found, inner

    def operation(self, name: Any, caller: str, unknown: set[str]) -> types.CallToolResult | Operation:
        if unknown:
            return error_result(f"{caller}: unknown argument {', '.join(sorted(unknown))}; nothing was sent.")
        if not isinstance(name, str) or not name or len(name) > MAX_NAME_CHARS:
            return error_result(
                f"{caller}: give name, a tool name from {SEARCH} (at most {MAX_NAME_CHARS} characters)."
            )
        op = self.visible(name)
        if op is None:
            return error_result(
                f"Unknown tool {name!r}.{did_you_mean(name, self.policy, self.index)} Use {SEARCH} to find tools."
            )
        return op

    def visible(self, name: str) -> Operation | None:
        """The tool called `name` (or a former name of it), unless the filters hide it."""
        op = resolve(self.policy.operations, name)
        return op if op is not None and self.policy.is_visible(op) else None


_indexes: weakref.WeakKeyDictionary[Policy, SearchIndex] = weakref.WeakKeyDictionary()


def search_index(policy: Policy) -> SearchIndex:
    """One index per policy (its visible tools never change), shared by search_tools, code mode and
    "did you mean": building it costs about 20 ms, too much to repeat on every unknown tool name."""
    index = _indexes.get(policy)
    if index is None:
        from instantly_mcp.catalog.search import SearchIndex

        index = _indexes[policy] = SearchIndex(policy.visible_operations())
    return index


def near_names(name: str, policy: Policy) -> str:
    """did_you_mean for tools/call in any mode; a name too long to be a tool's gets no search."""
    return did_you_mean(name, policy) if len(name) <= MAX_NAME_CHARS else ""


def did_you_mean(name: str, policy: Policy, index: SearchIndex | None = None) -> str:
    """ " Did you mean a, b, c?" for a tool name that does not exist: near spellings first, then
    the tools a search for its words finds."""
    visible = [op.name for op in policy.visible_operations()]
    close = difflib.get_close_matches(name, visible, n=3, cutoff=0.75)
    index = index or search_index(policy)
    close += [op.name for op in index.search(name.replace("_", " "), limit=3)]
    names = list(dict.fromkeys(close))[:3]
    return f" Did you mean {', '.join(names)}?" if names else ""


def risk_note(op: Operation) -> str:
    return f" [{op.risk}]" if op.risk in GATED_RISKS else ""


def long_query(caller: str, query: str) -> str | None:
    """Why a search query is refused for its length, or None: every search reads at most
    MAX_QUERY_CHARS (search_tools, and `instantly.search` in a script, which would otherwise run on
    the event loop over whatever a script builds)."""
    if len(query) <= MAX_QUERY_CHARS:
        return None
    return (
        f"{caller}: query is {len(query)} characters, more than the {MAX_QUERY_CHARS} allowed; "
        "describe the task in a few words."
    )
