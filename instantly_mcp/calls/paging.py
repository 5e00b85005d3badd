"""Paging and shaping: from Instantly's answer to the result text, in one place.

`shaped` is what pipeline.send hands a successful answer to: it follows further pages (max_items,
through a PageSource), keeps only the fields asked for, and cuts a result longer than `max_chars`
at an item boundary, saying so, with the cursor to continue. It returns plain text.

Results are compact JSON text, and only text: no structuredContent and no outputSchema (see
README "Results"). A result is serialised once; one over the cap serialises its items once more,
each on its own (Dumped), and the cut is then found by arithmetic, not by serialising again.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from instantly_mcp.calls.advice import describe
from instantly_mcp.calls.csv_cells import neutralise_csv
from instantly_mcp.calls.progress import report_progress
from instantly_mcp.calls.secrets import guard_secrets
from instantly_mcp.catalog.operations import Operation
from instantly_mcp.errors import UpstreamError

DEFAULT_MAX_RESULT_CHARS = 20_000
MAX_ITEMS_LIMIT = 1_000
CURSOR_PAGINATION = ("cursor", "cursor_body")
DEFAULT_PAGE_LIMIT = 100


@dataclass(frozen=True)
class Page:
    """One page fetched: the cursor it started after, where its items begin in the result, how
    many there are, the cursor after it, and its items as Instantly sent them (before `fields`)."""

    start: Any
    first: int
    items: list[Any]
    end: Any
    shown: str = "[]"  # under max_items: its items after `fields`, as compact JSON (made once, reused in the result)


@dataclass(frozen=True)
class Shape:
    """How the caller wants the result: which fields, how many items across pages, how long."""

    fields: tuple[str, ...] | None = None
    max_items: int | None = None
    max_chars: int = DEFAULT_MAX_RESULT_CHARS
    raw_csv: bool = False


class PageSource(Protocol):
    """Where the pages after the first come from: pipeline.py sends each like any call."""

    @property
    def start(self) -> Any:
        """The cursor the first page started after (the call's starting_after)."""

    async def fetch(self, cursor: Any, limit: int | None) -> Any:
        """Instantly's answer for the page after `cursor`, at most `limit` items; raises UpstreamError."""


async def shaped(op: Operation, data: Any, shape: Shape, source: PageSource) -> str:
    """The result text of a successful answer. A cursor list is one page as asked, or (max_items)
    pages followed until that many items or the last page; a client that sent a progress token
    hears items fetched of max_items after every page. A list over the size cap is cut at an item
    boundary, with the cursor that resumes after the last item shown. Anything else: text_of."""
    if op.pagination not in CURSOR_PAGINATION or not is_list_result(data):
        return text_of(op, data, shape)
    first = data["items"]
    pages = [Page(source.start, 0, first, data.get("next_starting_after"), page_json(first, shape))]
    result: dict[str, Any] = {k: v for k, v in data.items() if k != "items"}
    if shape.max_items:
        stopped = await follow_pages(op, source, shape, pages)
        result = {"next_starting_after": pages[-1].end, "pages": len(pages)}
        if stopped:
            result["stopped"] = stopped
    items = [item for page in pages for item in page.items]
    view = select({"items": items, **result}, shape.fields)
    if shape.max_items:  # the pages' JSON, made while following them
        text = with_items(page_view(op, view), "[" + ",".join(p.shown[1:-1] for p in pages if p.items) + "]")
    else:
        text = compact_json(page_view(op, view))
    if len(text) <= shape.max_chars:
        return text
    dumped = Dumped(view["items"])
    kept = fitting_items(op, view, dumped, shape.max_chars)
    resume = await resume_after(source, pages, kept)
    return with_items(cut_view(op, view, kept, resume), dumped.text(kept))


def page_json(items: list[Any], shape: Shape) -> str:
    """Under max_items, a page's items as shown (after `fields`): the size of the result so far,
    and its text later. One page as asked needs none of it."""
    return compact_json(select(items, shape.fields)) if shape.max_items else "[]"


async def follow_pages(op: Operation, source: PageSource, shape: Shape, pages: list[Page]) -> str | None:
    """Fetch pages after the first until max_items, or until the items so far already pass the
    result cap (more would be cut away unseen, so they are not fetched; the cut result carries the
    cursor to resume). Each page asks for exactly what is still wanted. A failure after the first
    page stops the walk and is reported next to the items so far (and their cursor)."""
    wanted = shape.max_items or 0
    count = len(pages[0].items)
    shown = len(pages[0].shown) + len('{"items":}')  # the result's size so far
    while True:
        await report_progress(
            None, float(min(count, wanted)), float(wanted), f"{op.name}: {count} items, {len(pages)} pages"
        )
        last = pages[-1]
        if count >= wanted or not last.end or not last.items or last.end == last.start or shown > shape.max_chars:
            return None
        try:
            answer = await source.fetch(last.end, wanted - count)
        except UpstreamError as err:
            reason = describe(err, tool=op.name, required_scopes=op.scopes)
            return f"Stopped after {len(pages)} pages: {reason}"
        data = guard_secrets(op, answer) if isinstance(answer, dict) else {}
        listed = data.get("items")
        items: list[Any] = listed if isinstance(listed, list) else []
        pages.append(Page(last.end, count, items, data.get("next_starting_after"), page_json(items, shape)))
        count += len(items)
        shown += len(pages[-1].shown) - 1  # the items plus a comma each


async def resume_after(source: PageSource, pages: list[Page], kept: int) -> Any:
    """The cursor after item number `kept`: a page's own cursor at a page boundary, else the same
    field of the last kept item that the page's cursor comes from, else asked of Instantly by
    fetching that page again with limit = the items kept of it (a read; the cursor it answers
    with is the exact one). None when none of these works."""
    if kept == 0:
        return pages[0].start
    page = next(p for p in pages if p.first < kept <= p.first + len(p.items))
    within = kept - page.first
    cursor = derived_cursor(page.items, within, page.end)
    if cursor is not None:
        return cursor
    try:
        answer = await source.fetch(page.start, within)
    except UpstreamError:
        return None
    return answer.get("next_starting_after") if isinstance(answer, dict) else None


def selectable_fields(op: Operation) -> tuple[str, ...]:
    """The top-level fields `fields` may name; empty when the tool does not take `fields`.
    Read tools whose records have at least three named fields: with fewer, selection saves nothing."""
    if op.risk != "read":
        return ()
    names = op.record_fields
    return names if len(names) >= 3 else ()


def is_list_result(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("items"), list)


def select(data: Any, fields: tuple[str, ...] | None) -> Any:
    if not fields:
        return data

    def keep(record: Any) -> Any:
        return {k: record[k] for k in fields if k in record} if isinstance(record, dict) else record

    if is_list_result(data):
        return {**data, "items": [keep(item) for item in data["items"]]}
    if isinstance(data, list):
        return [keep(item) for item in data]
    return keep(data)


COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)  # made once: json.dumps builds one per call


def compact_json(data: Any) -> str:
    return COMPACT.encode(data)


class Dumped:
    """A list's elements serialised once each, for a result over the size cap: the JSON text and
    length of any leading part, without serialising again while looking for the cut."""

    def __init__(self, values: list[Any]) -> None:
        self.parts = [compact_json(value) for value in values]
        self.ends = list(itertools.accumulate((len(part) for part in self.parts), initial=0))

    def __len__(self) -> int:
        return len(self.parts)

    def size(self, count: int) -> int:
        """len(self.text(count))"""
        return 2 + self.ends[count] + max(count - 1, 0)

    def text(self, count: int | None = None) -> str:
        """The first `count` elements (all by default) as a JSON array."""
        return "[" + ",".join(self.parts[:count]) + "]"

    def fitting(self, max_chars: int) -> int:
        """The most leading elements whose JSON array stays under max_chars."""
        return _fitting(len(self), self.size, max_chars)


ITEMS_HEAD = '{"items":'


def with_items(view: dict[str, Any], items: str) -> str:
    """compact_json(view) for a list view (its first key "items"), with the items' JSON already made."""
    assert next(iter(view)) == "items", "a list view starts with its items"
    skeleton = compact_json({**view, "items": []})
    return ITEMS_HEAD + items + skeleton[len(ITEMS_HEAD) + 2 :]


def page_view(op: Operation, data: dict[str, Any]) -> dict[str, Any]:
    """A list result with its cursor and a one-line hint the agent can act on."""
    if not op.pagination:
        return data
    cursor = data.get("next_starting_after")
    hint = f'More items: call {op.name} again with starting_after="{cursor}".' if cursor else "This is the last page."
    return {**data, "next_starting_after": cursor, "hint": hint}


def cut_view(op: Operation, data: dict[str, Any], kept: int, resume: Any) -> dict[str, Any]:
    """The first `kept` items, a note that the rest was left out, and how to get it."""
    items = data["items"]
    note = f"Truncated: {kept} of {len(items)} items shown, to stay under the result size limit."
    if resume is not None:
        hint = f'For the rest call {op.name} again with starting_after="{resume}", or ask for fewer fields.'
    else:
        hint = f"The rest cannot be reached by cursor; call {op.name} again with limit={max(kept, 1)} or fewer fields."
    rest = {k: v for k, v in data.items() if k not in ("items", "next_starting_after", "hint")}
    return {"items": items[:kept], **rest, "next_starting_after": resume, "truncated": note, "hint": hint}


PLACEHOLDER_CURSOR = "0" * 40
"""Stands in for the resume cursor while measuring what fits (cursors are ids, emails or timestamps)."""


def fitting_items(op: Operation, data: dict[str, Any], items: Dumped, max_chars: int) -> int:
    """How many leading items fit under max_chars, rendered as a cut page; only the page around
    the items is serialised while measuring."""

    def size(count: int) -> int:
        around = compact_json({**cut_view(op, data, count, PLACEHOLDER_CURSOR), "items": []})
        return len(around) - 2 + items.size(count)

    return _fitting(len(items), size, max_chars)


def list_text(op: Operation, data: dict[str, Any], max_chars: int) -> str:
    """A list result that is not cursor-paginated (or whose cursor cannot be resumed), cut at an
    item boundary when too long."""
    text = compact_json(page_view(op, data))
    if len(text) <= max_chars:
        return text
    items = Dumped(data["items"])
    kept = fitting_items(op, data, items, max_chars)
    return with_items(cut_view(op, data, kept, None), items.text(kept))


def derived_cursor(items: list[Any], kept: int, cursor: Any) -> Any:
    """The cursor after the last kept item. Instantly's cursor is a field of the last item of the
    page (its id, email or timestamp, depending on the endpoint): find which one, and take it from
    the last item kept. None when no field matches."""
    if kept >= len(items):
        return cursor
    if kept == 0 or cursor is None or not isinstance(items[-1], dict) or not isinstance(items[kept - 1], dict):
        return None
    for field, value in items[-1].items():
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value) == str(cursor):
            return items[kept - 1].get(field)
    return None


def _fitting(count: int, size: Callable[[int], int], max_chars: int) -> int:
    """The most of `count` leading items whose rendering stays under max_chars (at least 0), by bisection."""
    low, high = 0, count
    while low < high:
        middle = (low + high + 1) // 2
        if size(middle) <= max_chars:
            low = middle
        else:
            high = middle - 1
    return low


def text_of(op: Operation, data: Any, shape: Shape) -> str:
    """The result text for any successful answer: CSV or other text, list pages, records."""
    if isinstance(data, str):
        if op.response_type == "text/csv" and not shape.raw_csv:
            data = neutralise_csv(data)
        return cut_text(data, shape.max_chars)
    data = select(data, shape.fields)
    if is_list_result(data):
        return list_text(op, data, shape.max_chars)
    text = compact_json(data)
    if len(text) <= shape.max_chars:
        return text
    if isinstance(data, list):
        note = (
            f"\nTruncated: {{kept}} of {len(data)} elements shown, "
            f"to stay under the result size limit{_fields_advice(op, shape)}."
        )
        elements = Dumped(data)
        kept = elements.fitting(shape.max_chars - len(note) - 8)
        return elements.text(kept) + note.format(kept=kept)
    if isinstance(data, dict):
        fitted = fit_record(data, shape.max_chars, advice=_fields_advice(op, shape))
        if fitted is not None:
            return fitted
    return cut_text(text, shape.max_chars, advice=_fields_advice(op, shape))


def fit_record(data: dict[str, Any], max_chars: int, *, advice: str = "") -> str | None:
    """A record cut as JSON, never mid-value: scalar fields (a bulk call's counts) stay whole and
    each list keeps as many leading elements as fit, with a note saying how many of how many.
    Each element is serialised once; the record around the lists once per list."""
    lists = [k for k, v in data.items() if isinstance(v, list) and v]
    if not lists:
        return None
    record = {k: ([] if k in lists else v) for k, v in data.items()}
    if advice:
        record["hint"] = f"Lists cut to stay under the result size limit{advice}."
    made: dict[str, str] = {}
    notes: dict[str, str] = {}
    for key in lists:
        elements = Dumped(data[key])
        longest_note = f"{len(elements)} of {len(elements)} elements shown"
        around = len(joined({**record, key: [], "truncated": {**notes, key: longest_note}}, made)) - 2
        count = elements.fitting(max_chars - around)
        record[key], made[key] = MADE, elements.text(count)
        if count < len(elements):
            notes[key] = f"{count} of {len(elements)} elements shown"
    text = joined({**record, "truncated": notes} if notes else record, made)
    return text if len(text) <= max_chars else None


MADE: Any = object()
"""Stands in a record for a value whose JSON is made already (joined takes it from `made`)."""


def joined(record: dict[str, Any], made: dict[str, str]) -> str:
    """compact_json(record), with the JSON text of the values that are MADE taken from `made`."""
    fields = (f"{compact_json(k)}:{made[k] if v is MADE else compact_json(v)}" for k, v in record.items())
    return "{" + ",".join(fields) + "}"


def cut_text(text: str, max_chars: int, *, advice: str = "") -> str:
    """Text cut at a line boundary where there is one, so that text and note stay under max_chars."""
    if len(text) <= max_chars:
        return text
    note = f"\nTruncated: {{shown}} of {len(text)} characters shown, to stay under the result size limit{advice}."
    head = text[: max(max_chars - len(note) - 8, 0)]
    if "\n" in head:
        head = head[: head.rfind("\n")]
    return head + note.format(shown=len(head))


def _fields_advice(op: Operation, shape: Shape) -> str:
    fields = selectable_fields(op)
    if not fields or shape.fields:
        return ""
    shown = ", ".join(fields[:20]) + (", …" if len(fields) > 20 else "")
    return f"; pass fields (any of {shown}) for a smaller answer"


def page_limit(op: Operation) -> int:
    """The most items one page may ask for (the schema's maximum for `limit`)."""
    limit = op.input_schema.get("properties", {}).get("limit", {})
    return int(limit.get("maximum", DEFAULT_PAGE_LIMIT))
