"""Compare a response with its operation's output outline (tool_specs `output_schema`, types only).

A difference names a field path and a kind (missing, extra, type) with the expected and the seen JSON
type; never a value, so reports and logs are safe to share. List items share one path (`items[]`).

jsonschema (Draft 2020-12, `iter_errors`) walks the answer, against a copy of the outline made once per
schema that says what this comparison means: types only (enum and allOf left out), every object with
properties closed (additionalProperties: false, so undocumented fields are reported), oneOf read as
anyOf (some branch fits), a node with branches judged by them alone, and no float an integer. Only
the wording of each error as a Difference is ours.

jsonschema is thorough but slow (about 100 ms for a page of 100 leads), so the same copy is also
compiled with fastjsonschema, which answers in about 1 ms whether anything differs at all; only an
answer that differs (rare) is walked by jsonschema. fastjsonschema counts 1.0 as an integer, so an
answer holding such a float takes the jsonschema path too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

MAX_DIFFERENCES = 50
TYPES = "x-types"  # each node of the copy keeps its original type text here, for the report


@dataclass(frozen=True, order=True)
class Difference:
    path: str
    kind: str  # missing | extra | type
    expected: str = ""
    seen: str = ""

    def text(self) -> str:
        if self.kind == "type":
            return f"{self.path}: expected {self.expected}, got {self.seen}"
        if self.kind == "missing":
            return f"{self.path}: missing (required {self.expected})"
        return f"{self.path}: not in the spec ({self.seen})"


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def fits(schema: dict[str, Any] | None, data: Any) -> bool:
    """Whether `data` differs from `schema` in nothing (the quick check alone)."""
    return not schema or _checks(schema).fits(data)


def differences(schema: dict[str, Any] | None, data: Any) -> list[Difference]:
    """Every difference between `data` and `schema`, deduplicated and capped. Below a node whose
    type does not fit, nothing more is reported."""
    if not schema:
        return []
    checks = _checks(schema)
    if checks.fits(data):
        return []
    errors = list(checks.full.iter_errors(data))
    misfits = {tuple(e.absolute_path) for e in errors if e.validator in ("type", "anyOf")}
    found: set[Difference] = set()
    for error in errors:
        where = tuple(error.absolute_path)
        own = error.validator in ("type", "anyOf")  # a misfit is reported at its own node, not hidden by it
        if any(where[:depth] in misfits for depth in range(len(where) + (0 if own else 1))):
            continue
        found.update(_described(error, _path(where)))
    return sorted(found)[:MAX_DIFFERENCES]


def _described(error: ValidationError, path: str) -> list[Difference]:
    instance: Any = error.instance
    node = error.schema
    assert isinstance(node, dict)
    if error.validator == "type":
        return [Difference(path, "type", node[TYPES], json_type(instance))]
    if error.validator == "anyOf":
        expected = " or ".join(sorted({branch[TYPES] for branch in node["anyOf"]}))
        return [Difference(path, "type", expected, json_type(instance))]
    properties: dict[str, Any] = node["properties"]
    if error.validator == "required":
        return [
            Difference(f"{path}.{name}", "missing", properties[name][TYPES] if name in properties else "any")
            for name in node["required"]
            if name not in instance
        ]
    return [  # additionalProperties: the fields the spec does not list
        Difference(f"{path}.{name}", "extra", "", json_type(value))
        for name, value in instance.items()
        if name not in properties
    ]


def _path(where: tuple[str | int, ...]) -> str:
    return "$" + "".join("[]" if isinstance(step, int) else f".{step}" for step in where)


@dataclass(frozen=True)
class Checks:
    """One outline's two validators: the fast yes/no (None where fastjsonschema cannot compile it) and the full walk."""

    fast: Callable[[Any], Any] | None
    full: Validator

    def fits(self, data: Any) -> bool:
        """True only when nothing differs (False says: ask the full walk)."""
        from fastjsonschema import JsonSchemaValueException

        if self.fast is None or _holds_integral_float(data):
            return False
        try:
            self.fast(data)
        except JsonSchemaValueException:
            return False
        return True


_checks_made: dict[int, tuple[dict[str, Any], Checks]] = {}
_lock = threading.Lock()


def _checks(schema: dict[str, Any]) -> Checks:
    """The validators of one operation's outline, made on its first answer (drift is checked only
    under --log-drift and by doctor, so nothing of this runs at start)."""
    made = _checks_made.get(id(schema))
    if made is not None and made[0] is schema:
        return made[1]
    with _lock:
        outline = _outline(schema)
        checks = Checks(_compiled(outline), _outline_validator()(outline))
        _checks_made[id(schema)] = (schema, checks)  # the schema is kept, so its id is not reused
    return checks


def _compiled(outline: dict[str, Any]) -> Callable[[Any], Any] | None:
    import fastjsonschema

    try:
        return fastjsonschema.compile(outline)
    except fastjsonschema.JsonSchemaDefinitionException:
        return None


def _holds_integral_float(data: Any) -> bool:
    """A float such as 1.0 anywhere in the answer (fastjsonschema would take it for an integer)."""
    stack = [data]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is dict:
            stack.extend(value.values())
        elif kind is list:
            stack.extend(value)
        elif kind is float and value.is_integer():
            return True
    return False


@cache
def _outline_validator() -> type[Validator]:
    """Draft 2020-12 where an integer is an int, never a float such as 1.0 (as json_type reads them)."""
    from jsonschema import Draft202012Validator, validators

    checker = Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool)
    )
    extended = validators.extend(Draft202012Validator, type_checker=checker)  # type: ignore[no-untyped-call]
    return cast("type[Validator]", extended)


def _outline(node: dict[str, Any]) -> dict[str, Any]:
    """The copy jsonschema checks (see the module docstring)."""
    copy: dict[str, Any] = {TYPES: _types(node)}
    branches = node.get("anyOf") or node.get("oneOf")
    if branches:
        copy["anyOf"] = [_outline(branch) for branch in branches if isinstance(branch, dict)]
        return copy
    if "type" in node:
        copy["type"] = node["type"]
    if "properties" in node:
        copy["properties"] = {name: _outline(sub or {}) for name, sub in node["properties"].items()}
        copy["additionalProperties"] = False
        if node.get("required"):
            copy["required"] = list(node["required"])
    if isinstance(node.get("items"), dict):
        copy["items"] = _outline(node["items"])
    return copy


def _types(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        return "|".join(kind)
    return kind or "any"
