"""Formats the spec shows only by example, stated in the schema (issue 14).

The spec types campaign ids, analytics dates, cursors and the address verify_email spends a
credit on as plain strings; its examples show what they are. Stated as a JSON Schema format,
the generated model checks them before anything is sent and the agent reads the format in the
tool's schema. Ids are listed apart (uuid_fields) and checked by the server."""

from __future__ import annotations

import re
from typing import Any

from .spec import SpecOperation

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T")
PLAIN_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Operations whose dates real clients send as YYYY-MM-DD, though the spec shows only date-times
# (tests/fixtures/real_world_requests.json: bcharleson/instantly-cli src/commands/audit-logs/list.ts).
DATE_ONLY_LIVE = frozenset({"GET /api/v2/audit-logs"})
DATES = re.compile(r"^((previous_)?date_(from|to)|start_date|end_date|(min|max)_timestamp_created|timestamp_next_run)$")
EMAILS = ("email", "lead_email")
DATE_OR_DATE_TIME = "date|date-time"  # a FORMATS key of catalog/models/_base.py
INTEREST_CODES = ("interest_value",)
DAY_KEYS = {"0", "1", "2", "3", "4", "5", "6"}
DAYS = 'Keys "0"-"6": 0 = Sunday, 1 = Monday … 6 = Saturday'
ANY_ZONE = "or any IANA zone"
TIMEZONE_EXAMPLE = "America/Detroit"  # the first value, Etc/GMT+12, is a poor first guess


def uuid_paths(operations: list[SpecOperation]) -> set[tuple[str, str]]:
    """(path up to the parameter, parameter) for every path parameter some operation shows as a
    UUID: `/api/v2/ai-agents/{id}` holds a UUID in every operation under it, example or not."""
    found = set()
    for op in operations:
        for param in op.path_params:
            if UUID.match(str(example(param))):
                found.add(path_prefix(op.path, param["name"]))
    return found


def interest_codes(schemas: dict[str, Any]) -> str:
    """The lead interest codes and their meanings, as the spec gives them on Lead.lt_interest_status."""
    status = schemas.get("Lead", {}).get("properties", {}).get("lt_interest_status", {})
    meanings = status.get("x-enumDescriptions", {})
    return ", ".join(f"{code}={meaning}" for code, meaning in meanings.items())


def state_meanings(schema: dict[str, Any], codes: str) -> None:
    """Numeric codes with their meanings (interest values), schedule day keys with theirs, and
    that a timezone may be any IANA zone (calls/mistakes.py maps it); on the
    exported inputSchema, as the codes outrun the model's description length."""
    properties = schema.get("properties", {})
    for name in INTEREST_CODES:
        if name in properties and codes:
            nulls = "null resets to Lead; " if nullable(properties[name]) else ""
            properties[name] = {**properties[name], "description": f"{codes}; {nulls}or a custom status value"}
    for name, prop in properties.items():
        if name == "timezone" and str(prop.get("description", "")).startswith("One of "):
            properties[name] = {
                **prop,
                "description": f"{prop['description']}; {ANY_ZONE}",
                "examples": [TIMEZONE_EXAMPLE],
            }
        elif isinstance(prop, dict) and set(prop.get("properties", {})) == DAY_KEYS:
            properties[name] = {**prop, "description": DAYS}
        elif isinstance(prop, dict):
            state_meanings(prop.get("items", prop) if "items" in prop else prop, codes)


def nullable(prop: dict[str, Any]) -> bool:
    """null is one of the types, as a type list or (portable schemas) as an anyOf branch."""
    kinds = prop.get("type")
    branches = prop.get("anyOf") or []
    return "null" in (kinds if isinstance(kinds, list) else [kinds]) or {"type": "null"} in branches


def uuid_fields(op: SpecOperation, uuids: set[tuple[str, str]]) -> list[str]:
    """The path ids and the cursor that hold UUIDs. Checked at call time (calls/mistakes.py) and
    not stated in the schema: "format": "uuid" on 140 fields would cost 700 tokens of tools/list."""
    fields = [p["name"] for p in op.path_params if path_prefix(op.path, p["name"]) in uuids]
    cursor = param_named(op, "starting_after") or (op.body_schema or {}).get("properties", {}).get("starting_after")
    if cursor is not None and UUID.match(str(example(cursor))):
        fields.append("starting_after")
    return fields


def state_formats(op: SpecOperation, schema: dict[str, Any]) -> None:
    properties = schema["properties"]
    for name, prop in properties.items():
        if "format" in prop or prop.get("type") != "string":
            continue
        value = str(example(prop) or example(param_named(op, name)) or "")
        fmt = stated_format(name, prop, value, op)
        if fmt:
            properties[name] = {**prop, "format": fmt}


def stated_format(name: str, prop: dict[str, Any], value: str, op: SpecOperation | None = None) -> str | None:
    if DATES.match(name) and DATE_TIME.match(value):
        if takes_dates(name, prop, op):
            return DATE_OR_DATE_TIME if takes_date_times(prop) else "date"
        return "date-time"
    if name in EMAILS and "@" in value:
        return "email"
    return None


def takes_date_times(prop: dict[str, Any]) -> bool:
    """The spec says a date-only value or a full timestamp are both accepted (analytics ranges)."""
    text = str(prop.get("description", ""))
    return "date-only" in text and ("timestamp" in text or "ISO 8601" in text)


def takes_dates(name: str, prop: dict[str, Any], op: SpecOperation | None) -> bool:
    """The API takes a plain YYYY-MM-DD here (as UTC midnight): the spec says so ("date-only"), names
    a date-only example (`examples: {"2024-01-01": ...}`), or live clients send one (DATE_ONLY_LIVE).
    Such a field is stated as a date, the form every one of these sources shows."""
    if "date-only" in str(prop.get("description", "")):
        return True
    if op is None:
        return False
    if op.key in DATE_ONLY_LIVE:
        return True
    named = (param_named(op, name) or {}).get("examples") or prop.get("examples")
    return isinstance(named, dict) and any(PLAIN_DATE.match(str(key)) for key in named)


def example(schema: dict[str, Any] | None) -> Any:
    schema = schema or {}
    return schema.get("example", (schema.get("schema") or {}).get("example"))


def param_named(op: SpecOperation, name: str) -> dict[str, Any] | None:
    return next((p for p in op.path_params + op.query_params if p["name"] == name), None)


def path_prefix(path: str, name: str) -> tuple[str, str]:
    return path.split("{" + name + "}")[0], name
