"""Loads tool_specs/*.json into Operation records: everything about a tool except its model.

Reading JSON is cheap; the pydantic models are imported only when a tool is first called,
so a server with some 255 tools starts about as fast as one with a single tool. The outlines of
the answers (output_schema) are two thirds of the specs and about 3 MB in memory, so they are in
files of their own (tool_specs/outputs/), read when first asked for (the drift log, doctor,
--scopes); a spec names the fields of one record of the answer, which `fields` may select.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast, get_args

from instantly_mcp.catalog.paths import tool_specs_dir

if TYPE_CHECKING:
    from instantly_mcp.catalog.model_base import ToolInput

Risk = Literal["read", "write", "destructive", "outbound", "privileged"]
RISK_CLASSES: tuple[Risk, ...] = get_args(Risk)
Pagination = Literal["cursor", "cursor_body", "offset"]
PAGINATION_STYLES: tuple[Pagination, ...] = get_args(Pagination)
# The groups --toolsets selects: the values of [toolsets] in tool_specs/overrides.toml (a test holds them equal).
ToolsetId = Literal[
    "accounts",
    "ai_agents",
    "analytics",
    "campaigns",
    "crm",
    "deliverability",
    "dfy",
    "emails",
    "enrichment",
    "leads",
    "tags",
    "verification",
    "webhooks",
    "workspace",
]
TOOLSET_IDS: tuple[ToolsetId, ...] = get_args(ToolsetId)
_Word = TypeVar("_Word", bound=str)


@dataclass(frozen=True)
class Limit:
    """At most `requests` requests in any window of `period_s` seconds (a documented rate limit)."""

    requests: int
    period_s: float

    def __post_init__(self) -> None:
        if self.requests < 1 or not self.period_s > 0:
            raise ValueError(f"a limit needs requests >= 1 and period_s > 0, got {self}")


@dataclass(frozen=True)
class Operation:
    name: str
    title: str
    description: str
    method: str
    path: str
    tag: str
    toolset: ToolsetId
    risk: Risk
    idempotent: bool
    scopes: tuple[str, ...]
    scopes_inferred: bool
    pagination: Pagination | None
    rate_limits: tuple[Limit, ...]
    response_type: str
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    body_params: tuple[str, ...]
    body_required: bool
    body_open: bool
    model_ref: str
    input_schema: dict[str, Any]
    record_fields: tuple[str, ...]  # the top-level fields of one record of the answer (paging.selectable_fields)
    spec_file: Path  # the tool_specs file it came from; outputs/ beside it holds its output_schema
    aliases: tuple[str, ...] = ()  # former names ([aliases] in overrides.toml), still accepted
    uuid_fields: tuple[str, ...] = ()  # path ids and cursors that must be UUIDs, checked before sending

    @property
    def retry_safe(self) -> bool:
        """Repeating the request cannot send mail, spend credits or create a second object.

        A change that acts on "up to `limit` matching items" (delete_leads) is not: a repeat acts
        on the next `limit` items."""
        acts_on_a_batch = self.risk != "read" and "limit" in self.body_params
        return self.idempotent and self.risk != "outbound" and not acts_on_a_batch

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def output_schema(self) -> dict[str, Any] | None:
        """The outline of the answer, types only; read from tool_specs/outputs/ on first use."""
        return _output_schemas(self.spec_file).get(self.name)

    def model(self) -> type[ToolInput]:
        return _import_model(self.model_ref)


@cache
def _import_model(ref: str) -> type[ToolInput]:
    module, name = ref.split(":")
    return cast("type[ToolInput]", getattr(importlib.import_module(module), name))


@cache
def _output_schemas(spec_file: Path) -> dict[str, dict[str, Any] | None]:
    """The outlines of one tag's answers by tool name (tool_specs/outputs/<tag>.json)."""
    document = json.loads((spec_file.parent / "outputs" / spec_file.name).read_text())
    return cast("dict[str, dict[str, Any] | None]", document["output_schemas"])


def _one_of(value: Any, words: tuple[_Word, ...], what: str, tool: str) -> _Word:
    """`value` as one of the vocabulary's words; a registry the code does not know stops the load."""
    for word in words:
        if value == word:
            return word
    raise ValueError(f"tool_specs: {tool} has {what} {value!r}, not one of {', '.join(words)}")


def _pagination(entry: dict[str, Any]) -> Pagination | None:
    style = entry["pagination"]
    return None if style is None else _one_of(style, PAGINATION_STYLES, "pagination", entry["name"])


def _operation(entry: dict[str, Any], spec_file: Path) -> Operation:
    params = entry["params"]
    return Operation(
        name=entry["name"],
        title=entry["title"],
        description=entry["description"],
        method=entry["method"],
        path=entry["path"],
        tag=entry["tag"],
        toolset=_one_of(entry["toolset"], TOOLSET_IDS, "toolset", entry["name"]),
        risk=_one_of(entry["risk"], RISK_CLASSES, "risk", entry["name"]),
        idempotent=entry["idempotent"],
        scopes=tuple(entry["scopes"]),
        scopes_inferred=entry["scopes_inferred"],
        pagination=_pagination(entry),
        rate_limits=tuple(Limit(r["requests"], float(r["period_s"])) for r in entry["rate_limits"]),
        response_type=entry["response_type"],
        path_params=tuple(params["path"]),
        query_params=tuple(params["query"]),
        body_params=tuple(params["body"]),
        body_required=params["body_required"],
        body_open=params.get("body_open", False),
        model_ref=entry["model"],
        input_schema=entry["input_schema"],
        record_fields=tuple(entry["record_fields"]),
        spec_file=spec_file,
        aliases=tuple(entry.get("aliases", ())),
        uuid_fields=tuple(entry.get("uuid_fields", ())),
    )


@cache
def load_operations(directory: Path | None = None) -> dict[str, Operation]:
    """Every operation by tool name, in a stable order (by tag file, then spec order)."""
    directory = directory or tool_specs_dir()
    operations: dict[str, Operation] = {}
    for path in sorted(directory.glob("*.json")):
        for entry in json.loads(path.read_text())["operations"]:
            operations[entry["name"]] = _operation(entry, path)
    return operations


def resolve(operations: Mapping[str, Operation], name: str) -> Operation | None:
    """The operation called `name` now, or the one a rename left `name` behind on."""
    found = operations.get(name)
    if found is not None:
        return found
    return next((op for op in operations.values() if name in op.aliases), None)
