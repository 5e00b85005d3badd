"""The arguments the server adds to tools (dry_run, confirm_token, approval_id, fields, max_items):
their schemas, taking them out of a call's arguments before the tool's model sees the rest, and the
dry run's answer. Also which risks are gated, and the risk counts start-up and `tools` print."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import mcp_types as types

from instantly_mcp.calls.paging import CURSOR_PAGINATION, MAX_ITEMS_LIMIT, compact_json, cut_text, selectable_fields
from instantly_mcp.calls.pipeline import PreparedCall, invalid
from instantly_mcp.catalog.effects import gate_of, when_it_asks
from instantly_mcp.catalog.operations import RISK_CLASSES, Operation
from instantly_mcp.gates.live import may_go_live
from instantly_mcp.upstream.client import encode_query

GATED_RISKS = frozenset({"destructive", "outbound", "privileged"})
DRY_RUN = "dry_run"
CONFIRM_TOKEN = "confirm_token"
APPROVAL_ID = "approval_id"
FIELDS = "fields"
MAX_ITEMS = "max_items"

# The arguments the server adds to tools. They recur in up to 125 tool definitions, so their
# meaning is stated once, in the server instructions (SERVER_ARGUMENTS), and the schemas carry
# only types and bounds; confirm_token keeps the one phrase that must never be missed.
DRY_RUN_PROPERTY = {"type": "boolean"}
CONFIRM_TOKEN_PROPERTY = {"type": "string", "description": "Only once the user agreed"}
APPROVAL_ID_PROPERTY = {"type": "string"}
FIELDS_PROPERTY = {
    "type": "string"
}  # comma-separated names (a JSON array of names is accepted too): 6 tokens less than an array schema
MAX_ITEMS_PROPERTY = {"type": "integer", "minimum": 1, "maximum": MAX_ITEMS_LIMIT}
SERVER_ARGUMENTS = (
    "dry_run=true validates and returns the request without sending it. "
    'fields="id,name" keeps only those top-level fields of the result (of each item, for lists). '
    f"max_items=N (up to {MAX_ITEMS_LIMIT}) follows next_starting_after until N items "
    "and returns the cursor to resume. "
    "confirm_token comes from a confirmation_required answer; pass it only after the user agreed. "
    "approval_id comes from an approval_required answer: show its URL to the user, then repeat the same call with it. "
    "Long results are cut, with the cursor to continue. "
    'A field described "One of N values" takes a fixed list; a wrong value is answered with the whole list.'
)


@dataclass(frozen=True)
class Controls:
    """The server's own arguments, taken out before the tool's model sees the rest."""

    dry_run: bool = False
    token: str | None = None
    approval_id: str | None = None
    fields: tuple[str, ...] | None = None
    max_items: int | None = None


NO_CONTROLS = Controls()


def split_controls(
    op: Operation, arguments: dict[str, Any], *, takes_token: bool, takes_approval: bool
) -> tuple[dict[str, Any], Controls]:
    """Take the server's own arguments out before the model sees the rest; on tools without
    them they stay in and the model reports them as unknown arguments."""
    rest = dict(arguments)
    dry_run = rest.pop(DRY_RUN, False) if op.risk != "read" else False
    token = rest.pop(CONFIRM_TOKEN, None) if takes_token else None
    approval_id = rest.pop(APPROVAL_ID, None) if takes_approval else None
    selectable = selectable_fields(op)
    fields = rest.pop(FIELDS, None) if selectable else None
    max_items = rest.pop(MAX_ITEMS, None) if op.pagination in CURSOR_PAGINATION else None
    if not isinstance(dry_run, bool):
        raise invalid(op, "dry_run: expected boolean")
    if token is not None and not isinstance(token, str):
        raise invalid(op, "confirm_token: expected string")
    if approval_id is not None and not isinstance(approval_id, str):
        raise invalid(op, "approval_id: expected string")
    if max_items is not None and (
        isinstance(max_items, bool) or not isinstance(max_items, int) or not 1 <= max_items <= MAX_ITEMS_LIMIT
    ):
        raise invalid(op, f"max_items: expected integer (>= 1, <= {MAX_ITEMS_LIMIT}), got {max_items!r}")
    return rest, Controls(dry_run, token, approval_id, checked_fields(op, fields, selectable), max_items)


def checked_fields(op: Operation, fields: Any, valid: tuple[str, ...]) -> tuple[str, ...] | None:
    """`fields` as comma-separated names (a list of names is accepted too), each a top-level
    field of the tool's result records."""
    if fields is None:
        return None
    if isinstance(fields, str):
        fields = [name.strip() for name in fields.split(",") if name.strip()]
    if not isinstance(fields, list) or not all(isinstance(name, str) for name in fields):
        raise invalid(op, f"fields: expected comma-separated field names, any of: {', '.join(valid)}")
    unknown = [name for name in fields if name not in valid]
    if unknown:
        raise invalid(
            op,
            f"fields: unknown field{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"{op.name} results have: {', '.join(valid)}",
        )
    return tuple(dict.fromkeys(fields)) or None


def server_arguments(op: Operation, *, token: bool, approval: bool) -> dict[str, Any]:
    """The server's own arguments a tool takes, with their schemas: dry_run and confirm_token where
    they apply, fields on reads with named result fields, max_items on cursor-paginated lists."""
    extra: dict[str, Any] = {}
    if op.risk != "read":
        extra[DRY_RUN] = DRY_RUN_PROPERTY
    if token:
        extra[CONFIRM_TOKEN] = CONFIRM_TOKEN_PROPERTY
    if approval:
        extra[APPROVAL_ID] = APPROVAL_ID_PROPERTY
    if selectable_fields(op):
        extra[FIELDS] = FIELDS_PROPERTY
    if op.pagination in CURSOR_PAGINATION:
        extra[MAX_ITEMS] = MAX_ITEMS_PROPERTY
    return extra


class ServerArguments:
    """The server's own arguments each tool takes, decided once per tool (at its first listing or
    call): a confirm_token where `token(op)`, an approval_id where `approval(op)`, listed in the
    tool's schema where `listed(op)`."""

    def __init__(
        self,
        token: Callable[[Operation], bool],
        approval: Callable[[Operation], bool],
        listed: Callable[[Operation], bool],
    ) -> None:
        self.token, self.approval, self.listed = token, approval, listed
        self._listed: dict[str, dict[str, Any]] = {}
        self._taken: dict[str, tuple[frozenset[str], bool, bool]] = {}

    def clear(self) -> None:
        self._listed.clear()
        self._taken.clear()

    def schema(self, op: Operation) -> dict[str, Any]:
        """The tool's own arguments plus the server's."""
        extra = self._listed.get(op.name)
        if extra is None:
            extra = self._listed[op.name] = server_arguments(op, token=self.token(op), approval=self.listed(op))
        if not extra:
            return op.input_schema
        return {**op.input_schema, "properties": {**op.input_schema.get("properties", {}), **extra}}

    def split(self, op: Operation, arguments: dict[str, Any]) -> tuple[dict[str, Any], Controls]:
        taken = self._taken.get(op.name)
        if taken is None:
            token, approval = self.token(op), self.approval(op)
            names = frozenset(server_arguments(op, token=token, approval=approval))
            taken = self._taken[op.name] = (names, token, approval)
        names, token, approval = taken
        if arguments.keys().isdisjoint(names):
            return arguments, NO_CONTROLS  # nearly every call: nothing of the server's to take out
        return split_controls(op, arguments, takes_token=token, takes_approval=approval)


def dry_run_result(call: PreparedCall, *, gated: bool, maybe: bool = False, max_chars: int) -> types.CallToolResult:
    """Sends nothing at all, not even the lookup that decides whether a live target needs confirmation.
    The answer echoes the arguments, so it is held to `max_chars` (--max-result-chars) like any result."""
    after = " (it will ask for confirmation first)" if gated else ""
    if maybe and not gated:
        after = f" (it will ask for confirmation first when {when_it_asks(call.op.name)})"
    note = f"Validated; nothing was sent. Call {call.op.name} without dry_run to send it{after}."
    text = compact_json({"dry_run": True, **dry_run_payload(call), "note": note})
    if len(text) > max_chars:
        text = cut_text(text, max_chars, advice="; the request is valid: call without dry_run to send it")
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)])


def risk_counts(operations: Iterable[Operation]) -> dict[str, int]:
    counts: dict[str, int] = dict.fromkeys(RISK_CLASSES, 0)
    for op in operations:
        counts[op.risk] += 1
    return counts


def risk_summary(operations: Iterable[Operation]) -> str:
    """ "115 read, 64 write, ..." for the start-up line and `instantly-mcp tools`."""
    return ", ".join(f"{n} {risk}" for risk, n in risk_counts(operations).items())


def dry_run_payload(call: PreparedCall) -> dict[str, Any]:
    """The exact request, as a dry run shows it and an approval page lists it; undocumented fields named."""
    query = urlencode(encode_query(call.request.query), quote_via=quote)
    payload = {
        "method": call.request.method,
        "url": call.request.path + (f"?{query}" if query else ""),
        "body": call.request.body,
    }
    return payload | ({"undocumented": list(call.undocumented)} if call.undocumented else {})


def json_result(data: Any) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=compact_json(data))])


def gated_names(operations: Iterable[Operation], confirm: str) -> tuple[frozenset[str], frozenset[str]]:
    """(tools that always ask, tools that ask when live.py's triggers fire), decided once per policy."""
    if confirm == "off":
        return frozenset(), frozenset()
    asks = frozenset(op.name for op in operations if op.risk in GATED_RISKS or gate_of(op.name) == "asks")
    return asks, frozenset(op.name for op in operations if op.name not in asks and may_go_live(op.name))
