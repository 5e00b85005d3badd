"""The check before a script runs: refuse only what will fail for sure.

A script is refused for a syntax error, a tool that does not exist, a keyword a tool does not take,
a positional argument (tools take keywords only), a required argument missing from a call that
spells out all its arguments, or an import the sandbox does not have (dialect.py, which also
rewrites the idioms Monty cannot run as written). Types, unions, `**params` splats and values from earlier results are
left to the call itself, where the tool's own validation answers with its own message. The check
also tells whether the script reaches tools in a way no name shows (eval, getattr, an alias of the
module), so the runner plans such a script like one that names a gated tool.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from instantly_mcp.codemode.dialect import imports_problems, rewrite

MODULE = "instantly"
DYNAMIC_CALLS = frozenset({"eval", "exec", "getattr", "__import__", "compile", "globals", "locals"})


@dataclass(frozen=True)
class Params:
    """What the check needs of one tool: every keyword it takes and the required ones."""

    names: frozenset[str]
    required: frozenset[str]


@dataclass
class ScriptParams(Mapping[str, Params]):
    """Each visible tool's keywords, worked out from its schema the first time a script names the tool."""

    schema: Callable[[str], dict[str, Any]]
    names: frozenset[str]
    known: dict[str, Params] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Params:
        if name not in self.names:
            raise KeyError(name)
        if name not in self.known:
            schema = self.schema(name)
            self.known[name] = Params(frozenset(schema.get("properties", {})), frozenset(schema.get("required", [])))
        return self.known[name]

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


@dataclass(frozen=True)
class Checked:
    problems: tuple[str, ...]
    dynamic: bool  # reaches the module other than by `instantly.<name>`
    runnable: str = ""  # the script as Monty runs it (dialect.py), line for line
    names: frozenset[str] = frozenset()  # every `instantly.<name>` the script reaches


def check(
    source: str,
    tools: Mapping[str, Params],
    helpers: frozenset[str],
    suggest: Callable[[str], str] = lambda name: "",
) -> Checked:
    try:
        tree = ast.parse(source, "script.py")
    except SyntaxError as exc:
        where = f"line {exc.lineno}" + (f", column {exc.offset}" if exc.offset else "")
        return Checked((f"script.py {where}: syntax error: {exc.msg}",), dynamic=False)
    problems: list[str] = imports_problems(tree)
    dynamic = False
    nodes = list(ast.walk(tree))
    names = frozenset(n.attr for n in nodes if isinstance(n, ast.Attribute) and reaches_module(n))
    bases = {id(n.value) for n in nodes if isinstance(n, ast.Attribute)}
    for node in nodes:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and reaches_module(node.func):
            name = node.func.attr
            if name in tools:
                problems += call_problems(node, name, tools[name])
        if (
            isinstance(node, ast.Attribute)
            and reaches_module(node)
            and (node.attr not in tools and node.attr not in helpers)
        ):
            problems.append(f"line {node.lineno}: instantly.{node.attr}: no such tool.{suggest(node.attr)}")
        dynamic = dynamic or hides_tool(node, bases)
    return Checked(tuple(dict.fromkeys(problems)), dynamic, rewrite(source, tree), names)


def reaches_module(node: ast.Attribute) -> bool:
    return isinstance(node.value, ast.Name) and node.value.id == MODULE


def hides_tool(node: ast.AST, bases: set[int]) -> bool:
    """A use of the module other than `instantly.<name>`: eval, getattr, an alias, an import under another name."""
    if isinstance(node, ast.Name):
        return node.id in DYNAMIC_CALLS or (node.id == MODULE and id(node) not in bases)
    if isinstance(node, ast.ImportFrom):
        return node.module == MODULE
    if isinstance(node, ast.Import):
        return any(a.name == MODULE and a.asname not in (None, MODULE) for a in node.names)
    return False


def call_problems(node: ast.Call, tool: str, params: Params) -> list[str]:
    where = f"line {node.lineno}: {tool}"
    if node.args:
        return [f"{where} takes keyword arguments only, e.g. {tool}({', '.join(sorted(params.required)) or '...'}=...)"]
    problems = []
    given = {k.arg for k in node.keywords if k.arg is not None}
    for name in sorted(given - params.names):
        close = difflib.get_close_matches(name, sorted(params.names), n=3, cutoff=0.6)
        hint = f" Did you mean {', '.join(close)}?" if close else f" It takes {', '.join(sorted(params.names))}."
        problems.append(f"{where}: no parameter {name!r}.{hint}")
    splat = any(k.arg is None for k in node.keywords)
    if not splat:
        problems += [f"{where}: the required parameter {name!r} is missing" for name in sorted(params.required - given)]
    return problems
