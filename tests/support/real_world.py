"""tests/fixtures/real_world_requests.json: requests real clients send, turned into tool calls."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from instantly_mcp.catalog.operations import Operation, load_operations

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "real_world_requests.json"


@dataclass(frozen=True)
class RealRequest:
    id: str
    method: str
    path: str
    query: dict[str, str]
    body: dict[str, Any] | None
    expect: str
    undocumented: tuple[str, ...]
    refused_field: str | None

    def operation(self) -> tuple[Operation, dict[str, str]] | None:
        """The tool whose method and path template match (literal segments first), with the path parameters' values."""
        for op in sorted(load_operations().values(), key=lambda o: len(o.path_params)):
            if op.method != self.method:
                continue
            pattern = "^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(op.path)) + "$"
            match = re.match(pattern, self.path)
            if match:
                return op, {k: unquote(v) for k, v in match.groupdict().items()}
        return None

    def arguments(self, op: Operation, path_values: dict[str, str]) -> dict[str, Any]:
        """Path, query (typed as the tool's schema wants; a URL carries only strings) and body side by side."""
        properties = op.input_schema.get("properties", {})
        query = {k: typed(v, properties.get(k, {})) for k, v in self.query.items()}
        return {**path_values, **query, **(self.body or {})}


def typed(value: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "integer" in kinds:
        return int(value)
    if "boolean" in kinds:
        return value == "true"
    if "array" in kinds:
        return value.split(",")
    return value


def load() -> list[RealRequest]:
    entries = json.loads(FIXTURE.read_text())["requests"]
    return [
        RealRequest(
            e["id"],
            e["method"],
            e["path"],
            e["query"],
            e["body"],
            e["expect"],
            tuple(e.get("undocumented", ())),
            e.get("refused_field"),
        )
        for e in entries
    ]
