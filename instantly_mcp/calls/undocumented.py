"""Fields a call sends that the spec does not document (issue 15, item 1; issue 10, finding 9).

Instantly accepts undocumented top-level fields where the spec leaves a request body open, and
real clients rely on them (`delete_list` on DELETE /leads). Such a field is sent, so it must be
visible wherever a person or the agent judges the call: the dry run, the confirmation and the result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

NOTE = (
    "Sent fields the Instantly spec does not document: {fields}. Instantly may use them as real clients "
    "do, or ignore them silently; check the effect."
)


def undocumented_fields(model: BaseModel, prefix: str = "") -> tuple[str, ...]:
    """Dotted paths of every field given that no model lists (list items as `name[]`)."""
    found = [prefix + key for key in model.model_extra or {}]
    for name, field in type(model).model_fields.items():
        if name in model.model_fields_set:
            found.extend(_nested(getattr(model, name), prefix + (field.alias or name)))
    return tuple(dict.fromkeys(found))


def _nested(value: Any, path: str) -> list[str]:
    if isinstance(value, BaseModel):
        return list(undocumented_fields(value, path + "."))
    if isinstance(value, list):
        return [found for item in value for found in _nested(item, path + "[]")]
    if isinstance(value, dict):
        return [
            found
            for key, item in value.items()
            if isinstance(item, BaseModel)
            for found in _nested(item, f"{path}.{key}")
        ]
    return []


# Page-number fields agents send out of habit; Instantly's lists page by cursor and ignore them.
PAGE_FIELDS = frozenset({"page", "page_number", "pageNumber", "offset", "skip"})
CURSOR_HINT = (
    " {fields} is no Instantly page number: for the next page pass starting_after=<next_starting_after of the "
    "previous answer> (or max_items to collect several pages in one call)."
)


def note(fields: tuple[str, ...], *, paged: bool = False) -> str:
    """The note on a result that sent undocumented fields; on a list, a page number names the cursor."""
    pages = [f for f in fields if f in PAGE_FIELDS] if paged else []
    return NOTE.format(fields=", ".join(fields)) + (CURSOR_HINT.format(fields=", ".join(pages)) if pages else "")


def shown(fields: tuple[str, ...], arguments: dict[str, Any], render: Callable[[Any], str]) -> str:
    """For the confirmation: each undocumented field with its value as sent."""
    parts = [f"{path}={render(value_at(arguments, path))}" for path in fields]
    return f"It also sends fields Instantly does not document: {', '.join(parts)}."


def value_at(arguments: dict[str, Any], path: str) -> Any:
    """The value at a dotted path; for `name[]` steps, the values of every item."""
    values: list[Any] = [arguments]
    for step in path.split("."):
        each = step.endswith("[]")
        key = step.removesuffix("[]")
        values = [v.get(key) for v in values if isinstance(v, dict) and key in v]
        if each:
            values = [item for v in values if isinstance(v, list) for item in v]
    return values[0] if len(values) == 1 and "[]" not in path else values
