"""`instantly-mcp doctor`: is Instantly reachable, is the key good, which toolsets its scopes allow, and
where the answers of a read-only probe set differ from the spec (issue 15, item 9).

Only GET requests of read tools are sent, one page of at most one item each: nothing that writes.
Reports name fields and JSON types, never values; field names pass the secret scrubber too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from instantly_mcp.calls.pipeline import prepare
from instantly_mcp.catalog.operations import Operation
from instantly_mcp.drift.compare import differences
from instantly_mcp.errors import ApiError, InvalidArguments, TransportError
from instantly_mcp.redaction import scrub_text
from instantly_mcp.upstream.client import InstantlyClient


@dataclass
class Probe:
    tool: str
    toolset: str
    status: int | None  # None: no answer (network)
    drift: list[str] = field(default_factory=list)
    error: str = ""


@dataclass
class Report:
    base_url: str
    reachable: bool
    key: str  # valid | invalid | unknown
    toolsets: dict[str, str]  # toolset -> allowed | denied | unknown
    probes: list[Probe]

    @property
    def ok(self) -> bool:
        return self.reachable and self.key == "valid"

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok, "drifting": sorted(p.tool for p in self.probes if p.drift)}


PLACEHOLDER = "doctor-probe@example.com"


def probe_set(operations: Iterable[Operation]) -> list[Operation]:
    """GET read tools that need no argument (safe to call with nothing but `limit`), plus, for a toolset
    that has none, one GET read that needs only path parameters: called with a placeholder id, its
    answer (404 or 200 against 403) still tells whether the key's scopes reach the toolset."""
    reads = [op for op in operations if op.risk == "read" and op.method == "GET"]
    chosen = [op for op in reads if not op.input_schema.get("required")]
    covered = {op.toolset for op in chosen}
    for op in reads:
        if op.toolset not in covered and set(op.input_schema.get("required") or []) <= set(op.path_params):
            chosen.append(op)
            covered.add(op.toolset)
    return chosen


def probe_arguments(op: Operation) -> dict[str, Any]:
    arguments: dict[str, Any] = dict.fromkeys(op.path_params, PLACEHOLDER)
    if "limit" in op.input_schema.get("properties", {}):
        arguments["limit"] = 1
    return arguments


async def run_probe(op: Operation, client: InstantlyClient) -> Probe:
    try:
        call = prepare(op, probe_arguments(op))
    except InvalidArguments as exc:
        return Probe(op.name, op.toolset, None, error=str(exc))
    try:
        response = await client.request(call.request)
    except ApiError as exc:
        return Probe(op.name, op.toolset, exc.status if exc.attempts else None, error=exc.error)
    except TransportError as exc:
        return Probe(op.name, op.toolset, None, error=str(exc))
    # A field name is the answer's, not ours: one named after the key would print the key.
    found = [scrub_text(d.text()) for d in differences(op.output_schema, response.data)]
    return Probe(op.name, op.toolset, response.status, drift=found)


PASSED_AUTH = frozenset({400, 404, 422})  # refused after the key and its scopes were accepted
RANK = {"allowed": 2, "denied": 1, "unknown": 0}


def verdict(status: int | None) -> str:
    """What one answer says about the key's scopes for the probed toolset."""
    if status is None or status == 401:
        return "unknown"
    if status == 403:
        return "denied"
    return "allowed" if status < 400 or status in PASSED_AUTH else "unknown"


def judge(base_url: str, probes: list[Probe]) -> Report:
    answered = [p for p in probes if p.status is not None]
    verdicts = [verdict(p.status) for p in answered]
    if not answered:
        key = "unknown"
    elif all(p.status == 401 for p in answered):
        key = "invalid"
    else:
        key = "valid" if any(v != "unknown" for v in verdicts) else "unknown"
    toolsets: dict[str, str] = {}
    for probe in probes:
        found = verdict(probe.status)
        if RANK[found] >= RANK[toolsets.get(probe.toolset, "unknown")]:
            toolsets[probe.toolset] = found
    return Report(base_url, bool(answered), key, dict(sorted(toolsets.items())), probes)


async def diagnose(client: InstantlyClient, operations: Mapping[str, Operation], base_url: str) -> Report:
    """Every probe in turn (the client's rate limiter paces them); stops early if the key is refused."""
    probes: list[Probe] = []
    for op in probe_set(operations.values()):
        probe = await run_probe(op, client)
        probes.append(probe)
        if probe.status == 401 or (probe.status is None and not probes[:-1]):
            break
    return judge(base_url, probes)


def table(report: Report) -> str:
    lines = [
        f"Instantly at {report.base_url}",
        f"  reachable: {'yes' if report.reachable else 'no'}",
        f"  API key:   {report.key}",
        "",
        "toolset           scopes allow",
    ]
    lines += [f"  {name:<16}{verdict}" for name, verdict in report.toolsets.items()]
    width = max([len("read-only probe"), *(len(p.tool) for p in report.probes)]) + 2
    lines += ["", f"  {'read-only probe':<{width}}status  drift from the spec (fields and types only)"]
    for probe in report.probes:
        status = str(probe.status) if probe.status is not None else "-"
        summary = f"{len(probe.drift)} difference(s)" if probe.drift else (probe.error or "matches")
        lines.append(f"  {probe.tool:<{width}}{status:<8}{summary}")
        lines += [f"      {line}" for line in probe.drift]
    drifting = sum(bool(p.drift) for p in report.probes)
    lines += ["", f"{len(report.probes)} probes, {drifting} drifting; nothing that writes was sent."]
    return "\n".join(lines)
