"""The token diet for inputSchemas: what an agent needs to call a tool correctly, and no more.

Agents pay for every token of every tool definition on every turn. This pass runs on the schema
exported from each input model (the model itself keeps validating everything, so nothing here
widens or narrows what the server accepts):

- property descriptions that only restate the property and tool name are dropped ("limit": "The
  number of items to return"; "is_evergreen": "Whether the campaign is evergreen"; or one more
  word than the name, unless it is a unit or qualifier), the rest lose preambles ("If true, ",
  "Optional ", examples in parentheses) and are cut to their first clause, keeping enum meanings
  ("0=Draft, 1=Active") and units;
- deprecated, alias and server-ignored nested properties are left out of the advertised schema
  (the model still accepts them);
- `type: [X, "null"]` becomes X unless null has a stated meaning (the model still accepts null);
- nested `additionalProperties` booleans go (the model rejects unknown keys and names them; the
  top level keeps `additionalProperties: false` so strict clients know), duplicate and catch-all
  `{}` union branches go, the UUID regex becomes `format: uuid`.

Types, enums, required fields, bounds and formats stay: the contract test builds every call from
these schemas alone and Prism must accept it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from . import meaning
from .meaning import compact

UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
DESCRIPTION_LIMIT = 72

# Words that carry no information once the property and tool names are known.
_FILLER = frozenset(
    """a an the of to for by in on at is are be been being this that these those it its whether if
    when true false set enable enabled disable disabled flag value values given specified provided
    optional used use using will should can which with and or from as into per any all item items
    entry entries number return returned requested filter filters filtered field fields
    results result data object string boolean indicating indicates what how do does
    enum associated address whose current specific existing""".split()  # noqa: SIM905 (reads as prose)
)
# Words a `format` already says.
_FORMAT_WORDS = {
    "date": {"date", "format", "yyyy", "mm", "dd", "iso", "8601"},
    "date-time": {"date", "time", "datetime", "timestamp", "format", "iso", "8601"},
    "email": {"email", "address"},
    "uri": {"url", "uri"},
    "uuid": {"uuid", "id"},
}
# Described once for all tools (server instructions and each list result's hint).
_SELF_EXPLAINING = {"starting_after", "limit"}
_DROPPED_PROPERTY = re.compile(r"^(deprecated\b|ignored\b)|\balias of\b.*\bboth keys are accepted\b", re.I)
_MEANINGS = re.compile(r"\s*\((-?\d+=[^()]*)\)\s*$")
_COLLECTION = re.compile(r"^(?:an? |the )?(?:list|array|set) of ", re.I)
_EXAMPLES = re.compile(r"\s*\((?:e\.g\.|for example|such as)[^)]*\)", re.I)
_PREAMBLES = (
    re.compile(r"^(?:if|when) (?:true|set|enabled|provided)(?:,\s*|\s+then\s+|\s+)", re.I),
    re.compile(r"^optional(?:ly)?\s+", re.I),
    re.compile(r"^unique identifier (?:for|of)\s+", re.I),
    re.compile(r"^(the|a|an)\s+", re.I),
)
_CLAUSE = re.compile(r"\s*(?:[;:(]|\s[-\u2013\u2014]\s|, (?:e\.g\.|such as|which|where|used|only|if|when)\b)")


def stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def words(text: str) -> set[str]:
    return {stem(word) for word in re.findall(r"[a-z0-9]+", text.lower())}


def name_words(name: str) -> set[str]:
    """Words of a property or tool name, camelCase and snake_case alike."""
    return words(re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " "))


def restates(text: str, prop: str, tool: str, fmt: str | None = None) -> bool:
    """Nothing is left once filler, the words of the property and tool names and of its format are
    taken away; or one word is left, when the description spells out every word of the property
    name (so the name is no abbreviation to explain) and that word is no unit or qualifier.
    "ID" counts as information unless the property name says id already."""
    known = name_words(prop) | name_words(tool) | words(" ".join(_FILLER | _FORMAT_WORDS.get(fmt or "", set())))
    if not ({"id"} & name_words(prop)) and fmt != "uuid":
        known.discard("id")
    said = words(_COLLECTION.sub("", text))
    left = said - known
    if not left:
        return True
    return bool(prop) and len(left) == 1 and name_words(prop) - {"is", "id"} <= said and not left & _KEEP


# Words that always carry information: units and qualifiers (stemmed like the words they meet).
_KEEP = words(
    """second minute hour day week month year percent cent usd utc ms byte character char not only
    never always max maximum min minimum least most null required default inclusive exclusive"""
)


def shorten(text: str, limit: int = DESCRIPTION_LIMIT) -> str:
    """The first clause without a preamble the type already says ("If true, ", "Optional "), cut
    at a word boundary near `limit`."""
    text, before = text.strip(), None
    while text != before:
        before = text
        for pattern in _PREAMBLES:
            text = pattern.sub("", text)
    text = text.rstrip(".…").strip()
    text = text[:1].upper() + text[1:]
    if len(text) <= limit:
        return text
    clause = _CLAUSE.split(text, maxsplit=1)[0].rstrip(",.")
    if 12 <= len(clause) <= limit:
        return clause
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.(") + "…"


def field_description(text: str, prop: str, tool: str, fmt: str | None = None) -> str:
    """Purpose and enum meanings; nothing when the names already say it all."""
    if prop in _SELF_EXPLAINING:  # described once for all tools; a default of its own still said
        return "; ".join(f for f in (compact(s) for s in meaning.sentences(text)) if f.startswith("Default:"))
    meanings = ""
    match = _MEANINGS.search(text)
    if match:
        meanings = match.group(1)
        text = text[: match.start()]
    text = _EXAMPLES.sub("", text)
    long_enum = ""
    marker = text.find("One of ")
    if marker >= 0 and " values" in text[marker:]:
        text, long_enum = text[:marker].rstrip(". "), text[marker:]
    first = meaning.first_sentence(text)
    short = "" if restates(first, prop, tool, fmt) else shorten(first)
    facts = [compact(s) for s in meaning.sentences(text) if not meaning.survives(s, short)]
    facts = [f for i, f in enumerate(facts) if not meaning.survives(f, " ".join([short, *facts[:i]]))]
    parts = [p for p in (short, *facts, meanings, long_enum) if p]
    return "; ".join(parts)


def economize(schema: Any, tool: str, prop: str = "", *, top: bool = True) -> Any:
    if isinstance(schema, list):
        return [economize(v, tool, prop, top=False) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        entry = _economized_entry(schema, key, value, tool, prop, top)
        if entry is not None:
            out[entry[0]] = entry[1]
    return _single_branches_inlined(out)


_KEPT_AS_IS = ("enum", "required", "examples", "const", "default")


def _economized_entry(
    schema: dict[str, Any], key: str, value: Any, tool: str, prop: str, top: bool
) -> tuple[str, Any] | None:
    """One key of `schema` as the agent gets it (renamed, shortened, recursed into), or None to drop it."""
    if key == "properties":
        return key, _economized_properties(schema, value, tool)
    if key == "additionalProperties" and isinstance(value, bool) and not top:
        return None
    if key == "description" and isinstance(value, str):
        fmt = "uuid" if schema.get("pattern") == UUID_PATTERN else schema.get("format")
        text = field_description(value, prop, tool, fmt)
        return (key, text) if text else None
    if key in ("anyOf", "oneOf"):
        return key, branches(economize(value, tool, prop, top=False))
    if key == "type" and isinstance(value, list) and optional_null(schema):
        return key, next(t for t in value if t != "null")
    if key == "pattern" and value == UUID_PATTERN:
        return "format", "uuid"
    if isinstance(value, (dict, list)) and key not in _KEPT_AS_IS:
        return key, economize(value, tool, prop, top=False)
    return key, value


def _economized_properties(schema: dict[str, Any], properties: dict[str, Any], tool: str) -> dict[str, Any]:
    """Each property economized; an optional one whose description says to leave it out, dropped."""
    required = set(schema.get("required") or [])
    economized = {
        name: economize(sub, tool, name, top=False)
        for name, sub in properties.items()
        if name in required or not _DROPPED_PROPERTY.search(str((sub or {}).get("description", "")))
    }
    return _facts_said_once(economized)


def _facts_said_once(properties: dict[str, Any]) -> dict[str, Any]:
    """A fact two sibling properties both state ("Date-only values are interpreted as UTC midnight"
    on start_date and end_date) is said on the last of them only: the agent reads them together."""
    seen: set[str] = set()
    for sub in reversed(list(properties.values())):
        text = sub.get("description") if isinstance(sub, dict) else None
        if not isinstance(text, str):
            continue
        first, *rest = text.split("; ")
        facts = {f for f in rest if meaning.MEANINGFUL.search(f) or f.startswith("Default:")}
        kept = [f for f in rest if f not in facts or f not in seen]
        seen |= facts
        sub["description"] = "; ".join([first, *kept])
    return properties


def _single_branches_inlined(out: dict[str, Any]) -> dict[str, Any]:
    """A union left with one branch is that branch (the outer keys win)."""
    for key in ("anyOf", "oneOf"):
        if key in out and len(out[key]) == 1:
            only = out.pop(key)[0]
            out = {**only, **out}
    return out


def optional_null(schema: dict[str, Any]) -> bool:
    """`type: [X, "null"]` advertised as X: an agent leaves an optional field out rather than send
    null. The model still accepts null and forwards it for the fields the spec marks nullable, so
    clearing a field on update keeps working; it is only not advertised. Kept where the
    description gives null a meaning ("null = unlimited") or an enum lists it."""
    kinds = schema.get("type")
    return (
        isinstance(kinds, list)
        and len(kinds) == 2
        and "null" in kinds
        and None not in (schema.get("enum") or [])
        and "null" not in str(schema.get("description", "")).lower()
    )


def branches(items: list[Any]) -> list[Any]:
    """Union branches without duplicates, and without a catch-all `{}` next to real ones."""
    seen, out = set(), []
    for item in items:
        key = json.dumps(item, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        out.append(item)
    specific = [b for b in out if b != {}]
    return specific or out
