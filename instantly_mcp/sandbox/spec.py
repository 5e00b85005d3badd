"""The vendored OpenAPI spec as the sandbox sees it: operations, resolved schemas and routing.

The spec is 3.9 MB, so it is parsed once per process and shared by every app instance.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any, cast
from urllib.parse import unquote

from instantly_mcp.catalog.source_spec import merged_spec

METHODS = ("get", "post", "put", "patch", "delete")
API_PREFIX = "/api/v2"
_SCOPE_SENTENCE = re.compile(r"Requires one of the following scopes:([^\n]*)")
_REF_PREFIX = "#/components/schemas/"


def load_spec() -> dict[str, Any]:
    """The vendored spec plus the curated supplement (catalog/source_spec.py)."""
    return merged_spec()


@cache
def component(name: str) -> dict[str, Any]:
    """A components.schemas entry with its own `$ref`s inlined (the spec has no ref cycles)."""
    return cast(dict[str, Any], resolve(load_spec()["components"]["schemas"][name]))


def resolve(schema: Any) -> Any:
    """A deep copy of `schema` with every `#/components/schemas/X` reference inlined."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF_PREFIX):
            target = copy.deepcopy(component(ref[len(_REF_PREFIX) :]))
            siblings = {k: resolve(v) for k, v in schema.items() if k != "$ref"}
            return {**target, **siblings} if siblings else target
        return {key: resolve(value) for key, value in schema.items()}
    if isinstance(schema, list):
        return [resolve(item) for item in schema]
    return schema


def ref_name(schema: Any) -> str | None:
    """The component name when `schema` is a bare `$ref` (before resolution)."""
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    return ref.removeprefix(_REF_PREFIX) if isinstance(ref, str) else None


def split_path(path: str) -> tuple[str, ...]:
    return tuple(segment for segment in path.strip("/").split("/") if segment != "")


def is_param(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    description: str
    raw: dict[str, Any] = field(repr=False, compare=False)

    @cached_property
    def segments(self) -> tuple[str, ...]:
        return split_path(self.path)

    @cached_property
    def parameters(self) -> list[dict[str, Any]]:
        return [{**param, "schema": resolve(param.get("schema", {}))} for param in self.raw.get("parameters", [])]

    def params_in(self, location: str) -> list[dict[str, Any]]:
        return [param for param in self.parameters if param.get("in") == location]

    @cached_property
    def body_schema(self) -> dict[str, Any] | None:
        content = self.raw.get("requestBody", {}).get("content", {})
        media = content.get("application/json")
        return resolve(media.get("schema", {})) if media is not None else None

    @property
    def body_required(self) -> bool:
        return bool(self.raw.get("requestBody", {}).get("required", False))

    @cached_property
    def success_status(self) -> int:
        codes = sorted(int(code) for code in self.raw["responses"] if code.startswith("2"))
        return codes[0] if codes else 200

    @cached_property
    def success_media_type(self) -> str | None:
        content = self.raw["responses"].get(str(self.success_status), {}).get("content", {})
        return next(iter(content), None)

    @cached_property
    def success_schema(self) -> dict[str, Any] | None:
        content = self.raw["responses"].get(str(self.success_status), {}).get("content", {})
        media = next(iter(content.values()), None)
        return resolve(media.get("schema", {})) if media is not None else None

    @cached_property
    def success_ref(self) -> str | None:
        """The component name of the success response when it is a bare `$ref`."""
        content = self.raw["responses"].get(str(self.success_status), {}).get("content", {})
        media = next(iter(content.values()), None)
        return ref_name(media.get("schema")) if media is not None else None

    @cached_property
    def declared_scopes(self) -> tuple[str, ...]:
        sentences = [match.group(1) for match in _SCOPE_SENTENCE.finditer(self.description)]
        return tuple(dict.fromkeys(scope for sentence in sentences for scope in re.findall(r"`([^`]+)`", sentence)))


class Router:
    """Method + concrete path → operation; literal segments beat `{param}` segments."""

    def __init__(self, operations: list[Operation]):
        self._by_method: dict[str, list[Operation]] = {}
        for op in operations:
            self._by_method.setdefault(op.method, []).append(op)
        for candidates in self._by_method.values():
            candidates.sort(key=lambda op: tuple(not is_param(s) for s in op.segments), reverse=True)

    def match(self, method: str, raw_path: str) -> tuple[Operation, dict[str, str]] | None:
        segments = tuple(unquote(s) for s in split_path(raw_path))
        for op in self._by_method.get(method.lower(), []):
            if len(op.segments) != len(segments):
                continue
            params: dict[str, str] = {}
            for template, actual in zip(op.segments, segments, strict=True):
                if is_param(template):
                    params[template[1:-1]] = actual
                elif template != actual:
                    break
            else:
                return op, params
        return None


class Spec:
    def __init__(self, document: dict[str, Any]):
        self.document = document
        self.operations = [
            Operation(method, path, op["operationId"], op.get("description", ""), op)
            for path, item in document["paths"].items()
            for method, op in item.items()
            if method in METHODS
        ]
        self.by_id = {op.operation_id: op for op in self.operations}
        self.router = Router(self.operations)


@cache
def get_spec() -> Spec:
    return Spec(load_spec())
