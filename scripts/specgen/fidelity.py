"""Where the generated tools follow the real API rather than the letter of the vendored spec (issue 15).

Kept apart from the model writer and the entry builder so that the other generator changes merge
without touching these rules.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from instantly_mcp.catalog.source_spec import add_supplement

from .spec import Spec, SpecOperation


def body_is_open(op: SpecOperation) -> bool:
    """The spec leaves the request body open (no `additionalProperties: false`): Instantly accepts
    fields there that the spec does not list, and real clients rely on them."""
    return op.body_schema is not None and op.body_schema.get("additionalProperties") is not False


def mark_open_body(schema: dict[str, Any], op: SpecOperation) -> dict[str, Any]:
    """The flat tool schema, flagged for the model writer when the body takes undocumented fields."""
    return {**schema, "x-open-body": True} if body_is_open(op) else schema


# -- curated corrections from live behaviour (tool_specs/overrides.toml) ------------------------

LIST_LIMIT_CAP = 100
LIST_LIMIT_NOTE = "At most 100: Instantly answers an empty list above that, although the spec sets no maximum."


def deep_merge(base: Any, patch: Any) -> Any:
    """`patch` laid over `base`: objects merge key by key, `required` lists unite, anything else is replaced."""
    if not (isinstance(base, dict) and isinstance(patch, dict)):
        return patch
    merged = dict(base)
    for key, value in patch.items():
        if key == "required" and isinstance(value, list):
            merged[key] = list(dict.fromkeys([*base.get(key, []), *value]))
        else:
            merged[key] = deep_merge(base.get(key), value) if key in base else value
    return merged


def patch_operation(op: SpecOperation, custom: dict[str, Any]) -> SpecOperation:
    """Apply an override's `body` and `query` schema patches, then cap an unbounded list `limit`."""
    if "body" in custom and op.body_schema is not None:
        op.body_schema = deep_merge(op.body_schema, custom["body"])
    for param in op.query_params:
        if param["name"] in custom.get("query", {}):
            param["schema"] = deep_merge(param["schema"], custom["query"][param["name"]])
    cap_list_limit(op)
    return op


def cap_list_limit(op: SpecOperation) -> None:
    """A paginated list's `limit` without a maximum gets 100, as observed live (issue 15, item 5)."""
    if not _is_list(op):
        return
    for param in op.query_params:
        if param["name"] == "limit" and "maximum" not in param["schema"]:
            param["schema"] = _capped(param["schema"])
            param["description"] = _capped_text(param.get("description"))
    if op.body_schema is not None and "limit" in op.body_schema.get("properties", {}):
        op.body_schema["properties"]["limit"] = _capped(op.body_schema["properties"]["limit"])


def _is_list(op: SpecOperation) -> bool:
    names = {p["name"] for p in op.query_params} | set((op.body_schema or {}).get("properties", {}))
    return "limit" in names and bool({"starting_after", "skip", "offset", "page"} & names)


def _capped(schema: dict[str, Any]) -> dict[str, Any]:
    if "maximum" in schema:
        return schema
    return {**schema, "maximum": LIST_LIMIT_CAP, "description": _capped_text(schema.get("description"))}


def _capped_text(text: str | None) -> str:
    return f"{text.rstrip('.')}. {LIST_LIMIT_NOTE}" if text else LIST_LIMIT_NOTE


def patch_response(response: dict[str, Any] | None, custom: dict[str, Any]) -> dict[str, Any] | None:
    """Fields observed live with other types than the spec says (null bodies, ...)."""
    if response is None or "response" not in custom:
        return response
    merged: dict[str, Any] = deep_merge(response, custom["response"])
    return merged


def patch_entities(spec: Any, patches: dict[str, Any]) -> None:
    """Lay overrides' `[entities.NAME]` patches over the spec's component schemas, so every operation
    answering with that entity carries the correction (e.g. an Email's body observed null live)."""
    unknown = set(patches) - set(spec.schemas)
    if unknown:
        raise SystemExit(f"overrides patch entities not in the spec: {sorted(unknown)}")
    for name, patch in patches.items():
        spec.schemas[name] = nullables(deep_merge(spec.schemas[name], patch))


def nullables(schema: Any) -> Any:
    """`nullable: true` (TOML has no null) turned into JSON Schema: null joins the type and the enum."""
    if isinstance(schema, list):
        return [nullables(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: nullables(v) for k, v in schema.items() if k != "nullable"}
    if schema.get("nullable") is True:
        kind = out.get("type")
        kinds = kind if isinstance(kind, list) else [kind] if kind else []
        out["type"] = [*kinds, "null"] if "null" not in kinds else kinds
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def with_supplement(spec: Spec, supplement: Path) -> Spec:
    """The spec with tool_specs/source/supplement.json's operations added (issue 15, item 7)."""
    if supplement.is_file():
        try:
            add_supplement(spec.doc, json.loads(supplement.read_text()))
        except ValueError as exc:
            raise SystemExit(str(exc)) from None
    return spec
