"""drift/compare.py: jsonschema finds the differences, against the outline's strict copy; the fast
fastjsonschema check only says that none exist. Cases each of the two could get wrong on its own."""

from __future__ import annotations

from typing import Any

from instantly_mcp.drift.compare import differences

ENTRY: dict[str, Any] = {
    "type": "object",
    "required": ["id", "count"],
    "properties": {
        "id": {"type": "string", "enum": ["a", "b"]},
        "count": {"type": "integer"},
        "owner": {"anyOf": [{"type": "string"}, {"type": "object", "properties": {"name": {"type": "string"}}}]},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
}
PAGE: dict[str, Any] = {"type": "object", "properties": {"items": {"type": "array", "items": ENTRY}}}


def texts(data: Any) -> list[str]:
    return [d.text() for d in differences(PAGE, data)]


def test_an_answer_that_fits_has_none() -> None:
    assert texts({"items": [{"id": "zzz", "count": 3, "owner": {"name": "x"}, "tags": ["t"]}]}) == []


def test_a_float_where_an_integer_is_documented_is_reported() -> None:
    """fastjsonschema takes 1.0 for an integer; the answer still gets the full walk."""
    assert texts({"items": [{"id": "a", "count": 1.0}]}) == ["$.items[].count: expected integer, got number"]


def test_each_kind_once_per_path_and_nothing_below_a_misfit() -> None:
    answer = {
        "items": [
            {"id": "a", "count": 1, "owner": {"name": 5}, "surprise": "x"},
            {"count": True, "tags": "t", "surprise": 1},
            "not an object",
        ]
    }
    assert texts(answer) == [
        "$.items[]: expected object, got string",
        "$.items[].count: expected integer, got boolean",
        "$.items[].id: missing (required string)",
        "$.items[].owner: expected object or string, got object",
        "$.items[].surprise: not in the spec (integer)",
        "$.items[].surprise: not in the spec (string)",
        "$.items[].tags: expected array, got string",
    ]
