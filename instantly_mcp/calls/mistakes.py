"""Mistakes an agent makes that a plain schema check lets through or answers badly, caught before
anything is sent, each with what to do instead (issue 14).

- a page number as starting_after or as page (a cursor is next_starting_after of the previous page);
- a URL as a block-list value (Instantly takes an email or a domain: the URL's domain is suggested);
- schedule days by name ({"monday": true}): Instantly's keys are "0"-"6", 0 = Sunday;
- a timezone outside Instantly's 102 zones: an IANA zone with identical rules is mapped to its
  Instantly twin (America/New_York -> America/Detroit) and the result says so; one without is
  refused with the nearest candidates; an abbreviation is read as what people mean by it (EST is
  US Eastern with daylight saving, not the tz database's fixed UTC-5), and the note says so;
- a name or an email where an id goes, and a wrong enum value: see `hint` for the messages.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel

from instantly_mcp.calls import timezones
from instantly_mcp.catalog.operations import Operation, load_operations

DAY_KEYS = frozenset("0123456")
DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
DAYS_RULE = (
    'day keys are "0"-"6" with 0 = Sunday, 1 = Monday … 6 = Saturday, '
    'e.g. {"1": true, "2": true, "3": true, "4": true, "5": true} for Monday to Friday'
)


@dataclass(frozen=True)
class Corrected:
    """The arguments to validate (timezones mapped to Instantly's), notes for the result, and the
    mistakes found, each naming its field first."""

    arguments: dict[str, Any]
    notes: list[str]
    problems: list[str]


def correct(op: Operation, arguments: dict[str, Any]) -> Corrected:
    problems: list[str] = []
    notes: list[str] = []
    cursor = arguments.get("starting_after")
    if (isinstance(cursor, int) and not isinstance(cursor, bool)) or (
        isinstance(cursor, str) and cursor.strip().isdigit()
    ):
        problems.append(
            f"starting_after: {cursor!r} is a page number, not a cursor; pass next_starting_after from the previous "
            "page's answer (leave starting_after out for the first page), or use max_items to fetch several pages"
        )
    problems += page_numbers(op, arguments) + block_list_urls(op, arguments)
    problems += [
        id_hint(op, name, arguments[name])
        for name in op.uuid_fields
        if arguments.get(name) is not None
        and not (isinstance(arguments[name], str) and UUID_SHAPE.match(arguments[name]))
        and not (name == "starting_after" and problems)
    ]
    fixed = _walk(model_schema(op), arguments, "", problems, notes)
    return Corrected(fixed, notes, problems)


PAGE_FIELDS = ("page", "page_number", "offset")
BLOCK_LIST_VALUES = ("bl_value", "bl_values")
_URL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*://|www\.)|/", re.I)


def page_numbers(op: Operation, arguments: dict[str, Any]) -> list[str]:
    """A page number on a list that refuses it (an open body sends it, with a note naming the cursor)."""
    if op.pagination is None or op.body_open:
        return []
    return [
        f"{name}: Instantly lists have no page numbers; pass starting_after=<next_starting_after of the previous "
        "answer> for the next page, or max_items to fetch several pages"
        for name in PAGE_FIELDS
        if name in arguments and name not in op.input_schema.get("properties", {})
    ]


def block_list_urls(op: Operation, arguments: dict[str, Any]) -> list[str]:
    """A URL where a block list takes an email or a domain: Instantly answers 400; the domain is what was meant."""
    if op.tag != "BlockListEntry":
        return []
    given = [(name, value) for name in BLOCK_LIST_VALUES if name in arguments for value in listed(arguments[name])]
    return [
        f"{name}: {value!r} is a URL; a block list takes an email or a domain: use {domain(value)!r}"
        for name, value in given
        if isinstance(value, str) and _URL.search(value) and "@" not in value
    ]


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def domain(url: str) -> str:
    """The host of a URL without "www." (https://www.acme.com/about -> acme.com)."""
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url.strip(), flags=re.I).split("/")[0].split("?")[0]
    host = host.rsplit("@", 1)[-1].split(":")[0].lower()
    return host.removeprefix("www.")


def _walk(schema: dict[str, Any], value: Any, path: str, problems: list[str], notes: list[str]) -> Any:
    schema = _branch(schema, value)
    properties = schema.get("properties")
    if isinstance(value, dict) and isinstance(properties, dict):
        if set(properties) == DAY_KEYS:
            _check_days(value, path, problems)
            return value
        return {
            k: _walk(properties[k], v, _at(path, k), problems, notes) if k in properties else v
            for k, v in value.items()
        }
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_walk(schema["items"], item, f"{path}[{i}]", problems, notes) for i, item in enumerate(value)]
    if (
        path.endswith("timezone")
        and isinstance(value, str)
        and isinstance(schema.get("enum"), list)
        and value not in schema["enum"]
    ):
        return _zone(value, schema["enum"], path, problems, notes)
    return value


def _check_days(days: dict[str, Any], path: str, problems: list[str]) -> None:
    wrong = [key for key in days if key not in DAY_KEYS]
    if wrong:
        named = [f'"{DAY_NAMES.index(k.title())}" for {k}' for k in wrong if k.title() in DAY_NAMES]
        suggestion = f" ({', '.join(named)})" if named else ""
        problems.append(f"{path}: {', '.join(map(repr, wrong))} not accepted{suggestion}; {DAYS_RULE}")


def _zone(value: str, zones: list[str], path: str, problems: list[str], notes: list[str]) -> str:
    abbreviation = timezones.meant(value)
    zone, read_as = (
        (abbreviation[0], f" (read as {abbreviation[1]}, {abbreviation[0]})") if abbreviation else (value, "")
    )
    if zone in zones:
        notes.append(f"{path}: {value}{read_as}; sent {zone}.")
        return zone
    twin = timezones.equivalent(zone, zones)
    if twin is not None:
        notes.append(
            f"{path}: {value}{read_as} is not one of Instantly's zones; sent {twin}, "
            "which has the same UTC offsets and daylight-saving changes."
        )
        return twin
    if timezones.is_zone(zone):  # no IANA zone at all: the model's answer lists all of Instantly's
        near = timezones.nearest(zone, zones)
        problems.append(
            f"{path}: no Instantly zone has the same rules as {value}{read_as}; "
            f"the nearest are {', '.join(near)}. Pick one with the user"
        )
    return value


def _branch(schema: dict[str, Any], value: Any) -> dict[str, Any]:
    """The anyOf branch that fits the value's kind (an object, a list, a string)."""
    for branch in schema.get("anyOf", ()):
        if (isinstance(value, dict) and "properties" in branch) or (isinstance(value, list) and "items" in branch):
            return dict(branch)
        if isinstance(value, str) and "enum" in branch:
            return dict(branch)
    return schema


def _at(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def model_schema(op: Operation) -> dict[str, Any]:
    """The model's full JSON Schema (every enum in full), references resolved."""
    return _model_schema(op.model())


@cache
def _model_schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True)
    resolved: dict[str, Any] = _resolve(schema, schema.get("$defs", {}))
    return resolved


def _resolve(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _resolve(
                {**defs[node["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in node.items() if k != "$ref"}}, defs
            )
        return {k: _resolve(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_resolve(v, defs) for v in node]
    return node


# --- messages for what the model refuses -----------------------------------------------------

UUID_SHAPE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
CODES = re.compile(r"(-?\d+)\s*=\s*([A-Za-z][^,;]*)")


def id_hint(op: Operation, field: str, value: Any) -> str:
    """For a value that is no id: what it looks like, and which tool finds the id."""
    if field == "starting_after":
        return (
            f"starting_after: {value!r} is not a cursor; pass next_starting_after from the previous page's answer "
            "(leave it out for the first page)"
        )
    noun, finder = _finder(op, field)
    kind = (
        "an email"
        if isinstance(value, str) and "@" in value
        else "a name"
        if isinstance(value, str) and value.strip()
        else "no id"
    )
    found = f"; {finder} finds the id" if finder else ""
    what = f"is {kind}, not {noun} id" if kind != "no id" else f"is not {noun} id"
    return f"{field}: {value!r} {what} (ids look like 019a3c5e-8f3b-7c1d-9e2f-0a1b2c3d4e5f){found}"


def _finder(op: Operation, field: str) -> tuple[str, str | None]:
    """The resource's noun ("a campaign") and the list tool that finds its ids, from the path."""
    prefix = op.path.split("{" + field + "}")[0].rstrip("/")
    operations = load_operations()
    lister = next(
        (o for o in operations.values() if o.method == "GET" and o.path == prefix and o.name.startswith("list_")), None
    )
    lister = lister or operations.get("list_" + prefix.rsplit("/", 1)[-1].replace("-", "_"))
    if lister is None:
        return "an", None
    noun = lister.name.removeprefix("list_").replace("_", " ")
    noun = noun[:-3] + "y" if noun.endswith("ies") else noun.removesuffix("s")
    article = "an" if noun[:1] in "aeiou" else "a"
    search = "search=..." if "search" in lister.input_schema.get("properties", {}) else ""
    return f"{article} {noun}", f"{lister.name}({search})"


def enum_hint(schema: dict[str, Any], value: Any) -> str | None:
    """The valid values nearest to a wrong one, with their meanings where the schema gives them."""
    meanings = dict(CODES.findall(str(schema.get("description", ""))))
    values = [str(v) for v in schema.get("enum", [])]
    if meanings and isinstance(value, str):
        names = {name.strip().lower(): (code, name.strip()) for code, name in meanings.items()}
        close = difflib.get_close_matches(value.strip().lower(), list(names), n=3, cutoff=0.5)
        listed = ", ".join(f"{code} = {name.strip()}" for code, name in meanings.items())
        guess = f"did you mean {', '.join('{} ({})'.format(*names[c]) for c in close)}? " if close else ""
        return f"{guess}codes: {listed}"
    if values and isinstance(value, str):
        close = difflib.get_close_matches(value, values, n=5, cutoff=0.3)
        if close:
            return f"nearest valid values: {', '.join(close)}" + (f" (of {len(values)})" if len(values) > 5 else "")
    return None
