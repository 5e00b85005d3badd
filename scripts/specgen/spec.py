"""Reading the vendored OpenAPI document: $ref resolution and the operation walk."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass
class SpecOperation:
    method: str
    path: str
    raw: dict[str, Any]
    path_params: list[dict[str, Any]] = field(default_factory=list)
    query_params: list[dict[str, Any]] = field(default_factory=list)
    body_schema: dict[str, Any] | None = None
    body_required: bool = False

    @property
    def key(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def tags(self) -> list[str]:
        tags: list[str] = self.raw.get("tags", [])
        return tags


class Spec:
    def __init__(self, path: Path) -> None:
        raw = path.read_bytes()
        self.sha256 = hashlib.sha256(raw).hexdigest()  # named in every generated file's header
        self.doc: dict[str, Any] = json.loads(raw)
        self.schemas: dict[str, Any] = self.doc["components"]["schemas"]

    def resolve(self, schema: Any) -> Any:
        """Inline every $ref (the spec has no cycles), returning a fresh copy."""
        if isinstance(schema, dict):
            if "$ref" in schema:
                target = self.schemas[schema["$ref"].rsplit("/", 1)[-1]]
                merged = {**self.resolve(target), **{k: v for k, v in schema.items() if k != "$ref"}}
                return merged
            return {k: self.resolve(v) for k, v in schema.items()}
        if isinstance(schema, list):
            return [self.resolve(v) for v in schema]
        return copy.deepcopy(schema)

    def operations(self) -> Iterator[SpecOperation]:
        for path, item in self.doc["paths"].items():
            for method in HTTP_METHODS:
                if method not in item:
                    continue
                raw = item[method]
                op = SpecOperation(method=method, path=path, raw=raw)
                for param in raw.get("parameters", []):
                    target = op.path_params if param["in"] == "path" else op.query_params
                    if param["in"] in ("path", "query"):
                        target.append(param)
                body = raw.get("requestBody")
                if body:
                    schema = self.resolve(body["content"]["application/json"]["schema"])
                    if schema.get("type") == "object" or "properties" in schema:
                        op.body_schema = schema
                        op.body_required = bool(body.get("required"))
                yield op

    def response_schema(self, op: SpecOperation) -> tuple[str, dict[str, Any] | None]:
        """The success response's content type and resolved schema."""
        for status in ("200", "201", "202", "204"):
            response = op.raw.get("responses", {}).get(status)
            if response is None:
                continue
            for content_type, media in (response.get("content") or {}).items():
                return content_type, self.resolve(media.get("schema"))
            return "application/json", None
        return "application/json", None
