"""Monty runs a subset of Python; what agents commonly write beyond it is bridged before a script runs.

Rewritten in place, on the same lines (so tracebacks still point into what the agent wrote):
- a method passed as a value where a function is expected, which Monty cannot take
  (`min(d, key=d.get)`, `sorted(xs, key=counts.get)`, `map(str.strip, xs)`): wrapped in a lambda;
- a method reached through its type (`str.lower(x)`, `str.join(",", xs)`): called on the instance;
- `next(x for x in xs if ...)`: Monty's generator expressions are lists, so `iter(...)` is added.

Refused, with what to write instead: imports of modules or names Monty does not have (`operator`,
`heapq`, `collections.OrderedDict`, ...), which would fail for sure.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

MODULE = "instantly"
MODULES = frozenset(
    {
        *("asyncio", "base64", "binascii", "bisect", "collections", "copy", "csv", "dataclasses", "datetime"),
        *("decimal", "functools", "hashlib", "itertools", "json", "math", "os", "pathlib", "posixpath", "random"),
        *("re", "statistics", "sys", "time", "tomllib", "typing", "unicodedata"),
    }
)  # what pydantic-monty 1.7 imports (tests/codemode/test_dialect.py asks the installed Monty)
INSTEAD = {
    "operator": "key=lambda r: r['name'] instead of itemgetter('name')",
    "heapq": "sorted(xs, key=..., reverse=True)[:n] instead of nlargest(n, xs, key=...)",
    "collections.OrderedDict": "a plain dict (it keeps insertion order)",
    "collections.ChainMap": "{**first, **second}",
    "functools.cmp_to_key": "a key function (key=lambda r: (r['a'], -r['b']))",
    "io": "the string itself (csv.reader(text.splitlines()))",
    "string": "string literals ('abcdefghijklmnopqrstuvwxyz')",
    "uuid": "ids from the API's answers",
    "urllib": "str methods (url.split('/')[2] for the host)",
}
TAKES_FUNCTION = frozenset({"map", "filter", "reduce"})  # their first argument is called
TYPES = {t.__name__: t for t in (str, bytes, dict, list, set, frozenset, tuple, int, float)}


def instance_method(type_name: str, name: str) -> bool:
    """`str.lower`, `dict.get`: a method called on an instance (not a classmethod such as dict.fromkeys)."""
    found = vars(TYPES[type_name]).get(name)
    return type(found).__name__ in ("method_descriptor", "wrapper_descriptor")


@dataclass(frozen=True)
class Patch:
    line: int
    start: int  # UTF-8 byte offsets in the line, as ast gives them
    end: int
    text: str


def imports_problems(tree: ast.Module) -> list[str]:
    guarded = {id(n) for t in ast.walk(tree) if isinstance(t, ast.Try) and catches_import(t) for n in walk(t.body)}
    problems = []
    for node in ast.walk(tree):
        if id(node) in guarded:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] if missing(node.module) else [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        problems += [f"line {node.lineno}: the sandbox has no {n!r}; {advice(n)}" for n in names if missing(n)]
    return problems


def missing(name: str) -> bool:
    return name.split(".")[0] not in MODULES | {MODULE} or name in INSTEAD


def catches_import(node: ast.Try) -> bool:
    """`try: import x` / `except ImportError:` (or broader): the script handles the missing module itself."""
    caught = {ast.unparse(h.type) if h.type else "" for h in node.handlers}
    return bool(caught & {"", "ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


def walk(body: list[ast.stmt]) -> list[ast.AST]:
    return [n for stmt in body for n in ast.walk(stmt)]


def advice(name: str) -> str:
    root = name.split(".")[0]
    found = INSTEAD.get(name) or INSTEAD.get(root)
    return f"write {found}" if found else f"its modules are {', '.join(sorted(MODULES))}"


def patches(tree: ast.Module) -> list[Patch]:
    modules = {MODULE} | {
        (alias.asname or alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    shadowed = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    found: list[Patch] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and single_line(node) and isinstance(node.value, ast.Name):
            base = node.value.id
            if base in TYPES and base not in shadowed and instance_method(base, node.attr):
                found.append(replace(node, f"(lambda _self, *a, **k: _self.{node.attr}(*a, **k))"))
        if isinstance(node, ast.Call):
            found += [replace(f, wrapped(f)) for f in function_arguments(node) if method_value(f, modules)]
            found += iterated(node)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.GeneratorExp):
            found.append(Patch(node.value.lineno, node.value.col_offset, node.value.col_offset, "iter"))
    return found


def function_arguments(call: ast.Call) -> list[ast.expr]:
    """What a call will call back: `key=` anywhere, the first argument of map, filter and reduce."""
    named = [k.value for k in call.keywords if k.arg == "key"]
    name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")
    return named + (call.args[:1] if name in TAKES_FUNCTION else [])


def method_value(node: ast.expr, modules: set[str]) -> bool:
    """`d.get`, `counts.get`, `pattern.match`: an attribute of a value, not of a module or a type."""
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id not in modules
        and node.value.id not in TYPES
        and single_line(node)
    )


def wrapped(node: ast.expr) -> str:
    assert isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
    return f"(lambda *a, **k: {node.value.id}.{node.attr}(*a, **k))"


def iterated(call: ast.Call) -> list[Patch]:
    """`next(x for x in xs)` -> `next(iter(x for x in xs))`; `next((x ...), None)` -> `next(iter(x ...), None)`."""
    if not (isinstance(call.func, ast.Name) and call.func.id == "next" and call.args):
        return []
    gen = call.args[0]
    if not isinstance(gen, ast.GeneratorExp):
        return []
    shares_parens = (call.func.end_lineno, call.func.end_col_offset) == (gen.lineno, gen.col_offset)
    if not shares_parens:
        return [Patch(gen.lineno, gen.col_offset, gen.col_offset, "iter")]
    assert gen.end_lineno is not None and gen.end_col_offset is not None
    return [
        Patch(gen.lineno, gen.col_offset + 1, gen.col_offset + 1, "iter("),
        Patch(gen.end_lineno, gen.end_col_offset - 1, gen.end_col_offset - 1, ")"),
    ]


def single_line(node: ast.expr) -> bool:
    return node.lineno == node.end_lineno


def replace(node: ast.expr, text: str) -> Patch:
    assert node.end_col_offset is not None
    return Patch(node.lineno, node.col_offset, node.end_col_offset, text)


def rewrite(source: str, tree: ast.Module) -> str:
    """The script with every patch applied, line for line; the source itself when none applies."""
    found = patches(tree)
    if not found:
        return source
    lines = source.split("\n")
    for patch in sorted(set(found), key=lambda p: (p.line, p.start, p.end), reverse=True):
        raw = lines[patch.line - 1].encode()
        lines[patch.line - 1] = (raw[: patch.start] + patch.text.encode() + raw[patch.end :]).decode()
    return "\n".join(lines)
