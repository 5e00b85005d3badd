"""Which tools the agent may see and call: the scope filter, --toolsets, --tools and --read-only.

A hidden tool is not listed, and a call to it anyway is refused exactly like an unknown name, so the
agent learns neither that it exists nor which scopes would unlock it (`instantly-mcp tools` shows
the operator why a tool is hidden). Unknown names in any of these flags stop the start-up: a typo must never widen or
silently narrow what an agent can do.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from instantly_mcp.catalog.operations import Operation, resolve
from instantly_mcp.config import Settings
from instantly_mcp.errors import ConfigError

WILDCARD = "all"
SCOPE_ACTIONS = ("read", "create", "update", "delete", WILDCARD)


@dataclass(frozen=True, order=True)
class Scope:
    """An Instantly API key scope, `resource:action`; `all` in either place is a wildcard."""

    resource: str
    action: str

    @classmethod
    def parse(cls, text: str) -> Scope:
        resource, separator, action = text.strip().partition(":")
        if not separator or not resource or not action or ":" in action:
            raise ValueError(f"{text!r} is not resource:action")
        return cls(resource, action)

    def covers(self, required: Scope) -> bool:
        return self.resource in (required.resource, WILDCARD) and self.action in (required.action, WILDCARD)

    def __str__(self) -> str:
        return f"{self.resource}:{self.action}"


def required_scopes(op: Operation) -> tuple[Scope, ...]:
    """Any one of these grants the tool; a tool that states none needs all:all."""
    return _parsed_scopes(op.scopes)


@cache
def _parsed_scopes(texts: tuple[str, ...]) -> tuple[Scope, ...]:
    """Parsed once per distinct scope list (a few dozen): visibility asks for every tool at every start."""
    return tuple(Scope.parse(s) for s in texts) or (Scope(WILDCARD, WILDCARD),)


@dataclass(frozen=True)
class ToolFilter:
    """What the key owner lets the agent see; the same rules refuse a call to a hidden tool."""

    grants: tuple[Scope, ...] = (Scope(WILDCARD, WILDCARD),)
    toolsets: frozenset[str] | None = None
    tools: frozenset[str] | None = None
    read_only: bool = False

    def granted(self, op: Operation) -> bool:
        return any(grant.covers(required) for grant in self.grants for required in required_scopes(op))

    def reasons(self, op: Operation) -> list[str]:
        reasons = []
        if not self.granted(op):
            needed = ", ".join(str(s) for s in required_scopes(op))
            granted = ", ".join(str(s) for s in self.grants)
            reasons.append(f"it needs one of the scopes {needed}, and only {granted} are granted")
        if self.read_only and op.risk != "read":
            reasons.append(f"--read-only hides it (risk class {op.risk})")
        if self.toolsets is not None and op.toolset not in self.toolsets:
            reasons.append(f"its toolset {op.toolset} is not in --toolsets {','.join(sorted(self.toolsets))}")
        if self.tools is not None and op.name not in self.tools:
            reasons.append("it is not in the --tools allow-list")
        return reasons

    def visible(self, op: Operation) -> bool:
        return not self.reasons(op)

    def refusal(self, op: Operation, hint: Callable[[str], str] | None = None) -> str | None:
        """None for a visible tool; else the unknown-tool answer, with `hint(name)` where an unknown name gets one."""
        if self.visible(op):
            return None
        return unknown_tool(op.name, hint(op.name) if hint is not None else "")


def unknown_tool(name: str, hint: str = "") -> str:
    """The one answer to a name the agent may not call, whether it exists or not (`hint` names
    visible tools only, so it reveals nothing either)."""
    return f"Unknown tool {name!r}.{hint} Call tools/list for the available tools. Nothing was sent."


def build_filter(settings: Settings, operations: Mapping[str, Operation]) -> ToolFilter:
    """The filter for these settings; unknown names and contradictions stop the start-up."""
    if not settings.scopes:
        raise ConfigError("--scopes is empty; give at least one scope, e.g. all:read (the default is all:all)")
    tool_names = current_names(settings.tool_names, operations)
    tool_filter = ToolFilter(
        grants=parse_grants(settings.scopes, operations),
        toolsets=known_names("--toolsets", settings.toolsets, sorted({op.toolset for op in operations.values()})),
        tools=known_names("--tools", tool_names, list(operations)),
        read_only=settings.read_only,
    )
    hidden = [
        f"{name} ({'; '.join(tool_filter.reasons(operations[name]))})"
        for name in tool_names
        if not tool_filter.visible(operations[name])
    ]
    if hidden:
        raise ConfigError(f"--tools names tools that the other flags hide: {', '.join(hidden)}")
    if not any(tool_filter.visible(op) for op in operations.values()):
        raise ConfigError(
            "these flags leave no tool at all; check --scopes, --toolsets, --tools and --read-only together"
        )
    return tool_filter


def current_names(names: tuple[str, ...], operations: Mapping[str, Operation]) -> tuple[str, ...]:
    """--tools names with each former name of a renamed tool replaced by its current one."""
    return tuple(op.name if (op := resolve(operations, name)) is not None else name for name in names)


def parse_grants(texts: Iterable[str], operations: Mapping[str, Operation]) -> tuple[Scope, ...]:
    parsed = [(text, parse_scope(text)) for text in texts]
    resources = required_resources(operations)
    if any(scope is None or scope.resource not in resources for _, scope in parsed):
        resources = known_scope_resources(operations)  # walks every output schema: only when needed
    grants: list[Scope] = []
    unknown: list[str] = []
    for text, scope in parsed:
        if scope is not None and scope.resource in resources and scope.action in SCOPE_ACTIONS:
            grants.append(scope)
        else:
            unknown.append(text)
    if unknown:
        raise ConfigError(
            f"unknown scopes in --scopes / INSTANTLY_SCOPES: {', '.join(unknown)}. "
            "Valid scopes are resource:action with "
            f"action one of {', '.join(SCOPE_ACTIONS)} and resource one of {', '.join(sorted(resources))} "
            "(all is the wildcard)"
        )
    return tuple(dict.fromkeys(grants))


def parse_scope(text: str) -> Scope | None:
    try:
        return Scope.parse(text)
    except ValueError:
        return None


def required_resources(operations: Mapping[str, Operation]) -> frozenset[str]:
    """The resources some tool requires, and the wildcard: enough to check the usual --scopes."""
    return frozenset({s.partition(":")[0] for op in operations.values() for s in op.scopes} | {WILDCARD})


def known_scope_resources(operations: Mapping[str, Operation]) -> frozenset[str]:
    """Resources the tools require plus every one an Instantly key can hold (the enum of the API key
    entity's `scopes`), so a key's real scope list is accepted even where no tool needs a scope."""
    names: set[str] = set()
    for op in operations.values():
        names.update(scope_enum_values(op.output_schema))
    return required_resources(operations) | {name.partition(":")[0] for name in names}


def scope_enum_values(schema: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(schema, dict):
        scopes = schema.get("scopes")
        items = scopes.get("items") if isinstance(scopes, dict) else None
        enum = items.get("enum") if isinstance(items, dict) else None
        found.update(v for v in enum or [] if isinstance(v, str) and ":" in v)
        for value in schema.values():
            found |= scope_enum_values(value)
    elif isinstance(schema, list):
        for value in schema:
            found |= scope_enum_values(value)
    return found


def known_names(flag: str, given: tuple[str, ...], valid: list[str]) -> frozenset[str] | None:
    if not given:
        return None
    unknown = [name for name in given if name not in valid]
    if not unknown:
        return frozenset(given)
    if len(valid) <= 30:
        hint = f"valid: {', '.join(valid)}"
    else:
        close = sorted({match for name in unknown for match in difflib.get_close_matches(name, valid, n=3)})
        hint = (
            f"did you mean {', '.join(close)}? " if close else ""
        ) + f"`instantly-mcp tools` lists all {len(valid)} valid names"
    raise ConfigError(f"unknown names in {flag}: {', '.join(unknown)} ({hint})")
