"""What search_tools ranks on: everything the spec says about each operation, by field.

The tool list keeps descriptions short; search reads the spec's whole text instead, so a request
in a user's words finds the tool by what the spec says it does, not by aliases written for
missed requests. Written to tool_specs/search/corpus.json as search's own terms (stemmed, stop
words out: catalog/words.py's `terms`), so the first search reads the index instead of
tokenising 300 kB of prose.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from instantly_mcp.catalog.search import FIELD_BREAK
from instantly_mcp.catalog.words import example_text, terms

from specgen.spec import Spec, SpecOperation
from specgen.text import strip_markdown, strip_scopes

_NOISE = re.compile(r"https?://\S+|\b[0-9a-f]{8}-[0-9a-f-]{27,}\b|`[^`]*\?[^`]*`")
MAX_DEPTH = 3
# An enum longer than this (timezones, countries) lists values, not what the field is about.
MAX_ENUM = 12


def clean(text: str) -> str:
    return " ".join(_NOISE.sub(" ", strip_markdown(strip_scopes(text or ""))).split())


def fields(schema: dict[str, Any] | None, depth: int = 0) -> Iterator[tuple[str, str]]:
    """(name, description with enum meanings) for each property, nested objects and array items included."""
    if not isinstance(schema, dict) or depth > MAX_DEPTH:
        return
    for variant in schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", []):
        yield from fields(variant, depth)
    if schema.get("type") == "array":
        yield from fields(schema.get("items"), depth)
    for name, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict):
            continue
        yield name, clean(f"{sub.get('description', '')} {meanings(sub)}")
        yield from fields(sub, depth + 1)


def meanings(schema: dict[str, Any]) -> str:
    """What an enum's values mean: the spec's x-enumDescriptions, else its words ("Vice President (VP)")."""
    described = schema.get("x-enumDescriptions")
    if isinstance(described, dict):
        return " ".join(str(v) for v in described.values())
    return " ".join(v for v in enum_values(schema) if isinstance(v, str) and not v.isdigit())


def enum_values(schema: dict[str, Any]) -> list[Any]:
    """A field's enum, or its items' enum for a list."""
    return schema.get("enum") or (schema.get("items") or {}).get("enum") or []


_LIST_OF = re.compile(r"\s*list of (\w+(?:\s+\w+)?)", re.I)


def listed(properties: list[tuple[str, Any]]) -> str:
    """What the record holds lists of: the words after a top-level field's "List of" (a campaign's
    email_list is a "List of accounts to use for sending emails": account), so a request for a
    record's accounts finds the record that lists them."""
    said = (clean(sub.get("description", "")) for _, sub in properties if isinstance(sub, dict))
    return " ".join(dict.fromkeys(word for text in said if (m := _LIST_OF.match(text)) for word in terms(m.group(1))))


def field_documents(properties: list[tuple[str, Any]]) -> str:
    """One document per top-level field: its name, description, short enum's meanings and the names
    of the fields inside it, so a request naming a setting ("stop on reply") finds the field."""
    documents = []
    for name, sub in properties:
        sub = sub if isinstance(sub, dict) else {}
        inner = " ".join(dict.fromkeys(n for n, _ in fields(sub, MAX_DEPTH) if n != name))
        said = meanings(sub) if len(enum_values(sub)) <= MAX_ENUM else ""
        documents.append(" ".join(terms(clean(f"{name} {sub.get('description', '')} {said} {inner}"))))
    return FIELD_BREAK.join(doc for doc in documents if doc)


def parameter_fields(op: SpecOperation) -> list[tuple[str, Any]]:
    """The path and query parameters as (name, schema), the parameter's description in its schema."""
    return [
        (p["name"], {**p["schema"], "description": p.get("description") or p["schema"].get("description", "")})
        for p in op.path_params + op.query_params
    ]


def top_fields(schema: dict[str, Any] | None) -> list[tuple[str, Any]]:
    """A schema's top-level properties, through anyOf/oneOf/allOf and a paged list's items."""
    schema = records_of(schema)
    if not isinstance(schema, dict):
        return []
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        schema = schema["items"]
    found = list((schema.get("properties") or {}).items())
    for variant in schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", []):
        found += top_fields(variant)
    return found


def records_of(schema: dict[str, Any] | None) -> dict[str, Any] | None:
    """A paged list's items schema, not its envelope; any other schema as it is."""
    if isinstance(schema, dict) and isinstance(schema.get("properties", {}).get("items"), dict):
        return schema["properties"]["items"]  # type: ignore[no-any-return]
    return schema


def response_names(schema: dict[str, Any] | None) -> list[str]:
    """The response's field names; a paged list's items, not its envelope."""
    return list(dict.fromkeys(name for name, _ in fields(records_of(schema))))


def concepts(name: str, taken: list[tuple[str, Any]], answered: list[tuple[str, Any]], notes: list[Any]) -> str:
    """The help centre's notes on the features this tool holds (tool_specs/concepts.toml): the notes
    on its record (a word of its name) naming a field it takes (`taken`) or, for a read (get_, list_),
    answers (`answered`). A request in the product's words ("sending schedule", "warmup health score")
    finds the tool whose arguments hold the feature although the spec never names it so."""
    held = {field for field, _ in taken + (answered if name.startswith(("get_", "list_")) else [])}
    words = set(terms(name))
    return " ".join(
        note["text"] for note in notes if words & set(terms(" ".join(note["record"]))) and held & set(note["fields"])
    )


def corpus(
    spec: Spec,
    pairs: list[tuple[SpecOperation, dict[str, Any]]],
    notes: list[dict[str, Any]] | None = None,
    examples: dict[str, list[str]] | None = None,
) -> dict[str, dict[str, str]]:
    """Tool name -> the spec's text about it, one entry per field search weighs differently, and the
    example requests of tool_specs/examples.toml: users' words for the job, which the spec lacks."""
    tags = {t["name"]: clean(t.get("description", "")) for t in spec.doc.get("tags", [])}
    found: dict[str, dict[str, str]] = {}
    for op, entry in pairs:
        parameters = parameter_fields(op)
        params = [(name, clean(schema["description"])) for name, schema in parameters]
        served = [
            (name, f"{sub.get('description', '')} {meanings(sub)}")
            for name, sub in entry["input_schema"].get("properties", {}).items()
        ]
        arguments = params + list(fields(op.body_schema)) + served
        _, response = spec.response_schema(op)
        taken, answered = parameters + top_fields(op.body_schema), top_fields(response)
        texts = {
            "summary": clean(op.raw.get("summary", "")),
            "description": clean(op.raw.get("description", "")),
            "tag": " ".join(f"{tag} {tags.get(tag, '')}" for tag in op.tags),
            "arguments": " ".join(f"{name} {text}" for name, text in arguments),
            "response": " ".join(response_names(response)),
            "concept": concepts(entry["name"], taken, answered, notes or []),
            "examples": " ".join(map(example_text, (examples or {}).get(entry["name"], []))),
        }
        tokens = {field: " ".join(terms(text)) for field, text in texts.items()}
        tokens["argument_fields"] = field_documents(taken)
        tokens["response_fields"] = field_documents(answered)
        if lists := listed(answered):
            tokens["response_lists"] = lists
        tokens["response_names"] = FIELD_BREAK.join(" ".join(terms(name)) for name, _ in answered)
        found[entry["name"]] = tokens
    return found
